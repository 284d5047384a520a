"""A webhook receiver on 127.0.0.1: the gateways' delivery reports and status callbacks
are real HTTP requests, and the tests read what arrived here.

``WebhookReceiver`` answers every GET and POST with an empty 200 and records it as a dict:

- ``method``, ``path`` (without the query), ``query`` (a dict, blank values kept),
  ``headers`` (a dict), ``body`` (the raw bytes);
- ``params``: the callback's fields, however they were sent: the JSON body, else the
  form body, else the query string (``None`` if the body does not parse).

``wait(n, where=...)`` returns the matching requests once ``n`` arrived (or what came
within the timeout); ``wait_for(predicate)`` returns all requests once ``predicate``
holds for them, and fails the test on timeout.  The ``receiver`` fixture
(tests/conftest.py) starts one per test.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


def _params(body: bytes, content_type: str, query: dict[str, str]) -> Any:
    """The callback's fields; ``None`` if the body is not what its Content-Type says (the
    request is recorded all the same: ``body`` has it as it came)."""
    try:
        text = body.decode("utf-8")
        if "json" in content_type:
            return json.loads(text)
    except ValueError:
        return None
    if text:
        return dict(parse_qsl(text, keep_blank_values=True))
    return dict(query)


class WebhookReceiver:
    """Records every request it gets; stops at ``close()``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                request = {"method": self.command, "path": parts.path, "query": query,
                           "headers": dict(self.headers), "body": body,
                           "params": _params(body, self.headers.get("Content-Type", ""), query)}
                with receiver._cond:
                    receiver.requests.append(request)
                    receiver._cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _record

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait(self, count: int, timeout: float = 10.0,
             where: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        """The requests ``where`` accepts (all by default), once ``count`` of them arrived
        or ``timeout`` passed: the caller asserts on what it got."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [r for r in self.requests if where is None or where(r)]
                if len(got) >= count or time.monotonic() > deadline:
                    return got
                self._cond.wait(0.05)

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool],
                 timeout: float = 15) -> list[dict[str, Any]]:
        """All requests so far, once ``predicate(requests)`` holds; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                seen = list(self.requests)
                if predicate(seen):
                    return seen
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out; received: {seen}")
                self._cond.wait(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
