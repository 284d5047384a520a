"""``smsbridge serve --access-log``: one line per request, with secrets redacted.

``common`` is the Common Log Format (``host - - [time] "GET /path HTTP/1.1" 200 123``);
``json`` is one object per line (time, remote, method, path, query, status, bytes,
duration_ms, user_agent).  Redaction is by rule, not by care: no header is ever logged
except the User-Agent (so no ``Authorization``), the user field of CLF is always ``-``
(a Basic user name is an account id), and the value of every query parameter whose name
suggests a secret (password, token, secret, key, auth, signature, sig, credential) is
replaced by ``REDACTED``.
"""
from __future__ import annotations

import json
import re
import sys
import time
from datetime import datetime, timezone
from typing import Any, TextIO
from urllib.parse import parse_qsl, quote

__all__ = ["AccessLogMiddleware", "redact_query", "FORMATS"]

FORMATS = ("common", "json")
SECRET_NAME = re.compile(r"pass|token|secret|key|auth|sig|credential|session", re.IGNORECASE)


def redact_query(query: str) -> str:
    """The query string with secret-looking parameters' values replaced (names kept)."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='')}={'REDACTED' if SECRET_NAME.search(k) else quote(v, safe='')}"
                    for k, v in pairs)


class AccessLogMiddleware:
    """Pure ASGI middleware; the line is written when the response has finished."""

    def __init__(self, app: Any, fmt: str = "common", stream: TextIO | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"access log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        self.app = app
        self.fmt = fmt
        self.stream = stream

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        state = {"status": 0, "bytes": 0}

        async def counting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            self._write(scope, state["status"] or 500, state["bytes"], time.monotonic() - started)

    def _write(self, scope: dict[str, Any], status: int, size: int, took: float) -> None:
        client = scope.get("client") or ("-", 0)
        path = scope.get("path", "")
        query = redact_query((scope.get("query_string") or b"").decode("latin-1"))
        agent = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"user-agent"), "")
        now = datetime.now(timezone.utc)
        if self.fmt == "json":
            line = json.dumps({"time": now.isoformat(timespec="milliseconds"), "remote": client[0],
                               "method": scope.get("method"), "path": path, "query": query, "status": status,
                               "bytes": size, "duration_ms": round(took * 1000, 1), "user_agent": agent})
        else:
            target = quote(path, safe="/%:@!$&'()*+,;=-._~") + (f"?{query}" if query else "")
            line = (f'{client[0]} - - [{now.strftime("%d/%b/%Y:%H:%M:%S +0000")}] '
                    f'"{scope.get("method")} {target} HTTP/{scope.get("http_version", "1.1")}" {status} '
                    f'{size or "-"}')
        stream = self.stream or sys.stderr
        try:
            stream.write(line + "\n")
            stream.flush()
        except (OSError, ValueError):  # a closed log stream must not break serving
            pass
