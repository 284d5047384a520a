"""A deliberately misbehaving HTTP server on 127.0.0.1 for reliability tests.

``MisbehavingServer(mode)`` answers every request according to ``mode``:

- ``ok``: 200 with ``body`` (JSON);
- ``503`` / ``429``: that status, before reading the body (the request was refused);
- ``slow``: reads the request, then waits ``delay`` seconds before answering;
- ``reset``: reads the request, then resets the connection (RST) without a reply;
- ``truncate``: reads the request, sends half a response, closes;
- ``hang``: reads the request and never answers (the connection stays open until
  ``close()``): a reply lost after the request was sent.

``requests_seen`` counts the requests that reached the server: the tests use it to prove a
message was sent at most once.  Threaded; stops itself at ``close()``.
"""
from __future__ import annotations

import json
import socket
import struct
import threading
import time
from typing import Any

# The fault matrix's server lives in smsbridge.testing (plugin authors use it too).
from smsbridge.testing.faults import ACCEPTING_FAULTS, REFUSING_FAULTS, FaultServer

__all__ = ["MisbehavingServer", "FaultServer", "ACCEPTING_FAULTS", "REFUSING_FAULTS"]


class MisbehavingServer:
    def __init__(self, mode: str = "ok", *, body: Any = None, delay: float = 2.0, only: str | None = None,
                 replies: dict[str, Any] | None = None, port: int = 0) -> None:
        """``only``: misbehave only on paths containing it (others answer normally);
        ``replies``: path fragment -> JSON body for normal answers (default ``body``);
        ``port``: listen there (e.g. where a "dead" provider was refusing connections)."""
        self.mode = mode
        self.only = only
        self.replies = {k: json.dumps(v).encode() for k, v in (replies or {}).items()}
        self.paths: list[str] = []
        self.body = json.dumps(body if body is not None else {"ok": True}).encode()
        self.delay = delay
        self.requests_seen = 0
        self.bodies: list[bytes] = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> tuple[str, bytes] | None:
        data = b""
        conn.settimeout(5)
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        path = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return path, body

    def _reply(self, conn: socket.socket, status: str, body: bytes) -> None:
        conn.sendall(b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    def _handle(self, conn: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                request = self._read_request(conn)
                if request is None:
                    return
                path, body = request
                with self._lock:
                    self.requests_seen += 1
                    self.bodies.append(body)
                    self.paths.append(path)
                mode = self.mode if self.only is None or self.only in path else "ok"
                if mode in ("503", "429"):
                    self._reply(conn, f"{mode} Unavailable", b'{"error": "try later"}')
                elif mode == "slow":
                    time.sleep(self.delay)
                    self._reply(conn, "200 OK", self.body)
                elif mode == "hang":
                    self._stop.wait()
                    return
                elif mode == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                    return
                elif mode == "truncate":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"pa")
                    conn.close()
                    return
                else:
                    reply = next((v for k, v in self.replies.items() if k in path), self.body)
                    self._reply(conn, "200 OK", reply)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)

    def __enter__(self) -> MisbehavingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
