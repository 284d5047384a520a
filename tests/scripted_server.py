"""A tiny real HTTP server on 127.0.0.1 whose every answer a test scripts.

``ScriptedServer(answer)`` calls ``answer(request)`` for each request, where ``request``
has ``method``, ``path`` (with query), ``headers`` (a dict, lower-case names) and ``body``
(bytes), and sends back the ``(status, body)`` it returns (``body``: bytes, str, or an
object sent as JSON).  ``requests`` lists every request received, so tests assert what
reached the server.  Used for provider answers the sandbox gateway never gives (a 404 for
a message it has, an error text echoing the password).
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    def __init__(self, answer: Callable[[Request], tuple[int, Any]]) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length) if length else b"")
                outer.requests.append(request)
                status, body = outer.answer(request)
                if not isinstance(body, (bytes, str)):
                    body = json.dumps(body)
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
