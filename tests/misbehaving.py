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

    def __enter__(self) -> "MisbehavingServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the fault matrix's server: a provider's real API with one fault on its send ------------------

#: Faults after which the server holds the whole send request: it may have acted on it.
ACCEPTING_FAULTS = ("500", "hang", "reset", "tls_corrupt", "trickle", "huge", "garbage", "ok")
#: Faults that prove the message was not taken (``refused`` has no server at all).
REFUSING_FAULTS = ("refused", "503", "429")


class _PlainConn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def recv(self, size: int) -> bytes:
        return self.sock.recv(size)

    def sendall(self, data: bytes, *, corrupt: bool = False) -> None:
        self.sock.sendall(data)


class _TlsConn:
    """Server-side TLS over memory BIOs, so the test holds the ciphertext and can break a record."""

    def __init__(self, sock: socket.socket, context: Any) -> None:
        import ssl

        self._ssl = ssl
        self.sock = sock
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._obj = context.wrap_bio(self._in, self._out, server_side=True)
        while True:
            try:
                self._obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                if not self._pull():
                    raise ConnectionError("client left during the handshake") from None
        self._flush()

    def _pull(self) -> bool:
        data = self.sock.recv(65536)
        if data:
            self._in.write(data)
        return bool(data)

    def _flush(self, corrupt: bool = False) -> None:
        data = self._out.read()
        if data and corrupt:
            # The first record is application data: header (5 bytes), then ciphertext and
            # its authentication tag. One flipped byte there is a bad record MAC for the client.
            broken = bytearray(data)
            broken[5 + min(8, len(broken) - 6)] ^= 0xFF
            data = bytes(broken)
        if data:
            self.sock.sendall(data)

    def recv(self, size: int) -> bytes:
        while True:
            try:
                return self._obj.read(size)
            except self._ssl.SSLWantReadError:
                self._flush()
                if not self._pull():
                    return b""
            except self._ssl.SSLZeroReturnError:
                return b""

    def sendall(self, data: bytes, *, corrupt: bool = False) -> None:
        self._obj.write(data)
        self._flush(corrupt)


class FaultServer:
    """A provider's API with one fault on its *send* request, everything else forwarded.

    ``upstream`` is a real server speaking the provider's API (the smsbridge gateway with a
    sandbox behind it): log-ins, WSDL fetches and look-ups are forwarded to it unchanged, so
    every backend runs its genuine request sequence.  A request for which ``is_send(method,
    path, body)`` is true gets ``fault``, after the whole request was read:

    - ``503`` / ``429``: that status, the message not taken (``accepted`` stays 0);
    - ``500``: an error page; ``hang``: no reply until ``close()``; ``reset``: half a reply,
      then a TCP reset; ``tls_corrupt`` (with ``tls=``): a reply whose TLS record is
      broken (bad record MAC); ``trickle``: a reply one byte every ``trickle_every``
      seconds; ``huge``: a 50 MB chunked body; ``garbage``: 200 with a body no provider
      could read; ``ok``: forwarded to ``upstream``, which accepts it.

    ``accepted`` counts sends the server took (read whole, under an accepting fault);
    ``sends_seen`` every send request that arrived.  ``tls``: ``(certfile, keyfile)``.
    """

    def __init__(self, fault: str, *, upstream: str, is_send: Any, tls: tuple[str, str] | None = None,
                 trickle_every: float = 0.05) -> None:
        import ssl
        from urllib.parse import urlsplit

        self.fault = fault
        up = urlsplit(upstream)
        self._upstream = (up.hostname or "127.0.0.1", up.port or 80)
        self.is_send = is_send
        self.trickle_every = trickle_every
        self.accepted = 0
        self.sends_seen = 0
        self._context = None
        if tls is not None:
            self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._context.load_cert_chain(*tls)
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._conns.append(conn)
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    @staticmethod
    def _read_request(conn: Any) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        headers = [(n.strip(), v.strip()) for n, _, v in (line.partition(":") for line in lines[1:])]
        length = next((int(v) for n, v in headers if n.lower() == "content-length"), 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
        return method, path, headers, body

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
        import http.client

        upstream = http.client.HTTPConnection(*self._upstream, timeout=10)
        try:
            skip = {"host", "connection", "content-length", "transfer-encoding", "accept-encoding"}
            upstream.request(method, path, body=body or None,
                             headers={n: v for n, v in headers if n.lower() not in skip})
            reply = upstream.getresponse()
            payload = reply.read()
            out = [f"HTTP/1.1 {reply.status} {reply.reason}"]
            out += [f"{n}: {v}" for n, v in reply.getheaders()
                    if n.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")]
            out.append(f"Content-Length: {len(payload)}")
            return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + payload
        finally:
            upstream.close()

    def _handle(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(10)
            conn: Any = _TlsConn(raw, self._context) if self._context is not None else _PlainConn(raw)
            while not self._stop.is_set():
                request = self._read_request(conn)
                if request is None:
                    return
                method, path, headers, body = request
                if not self.is_send(method, path, body):
                    conn.sendall(self._forward(method, path, headers, body))
                    continue
                with self._lock:
                    self.sends_seen += 1
                    if self.fault in ACCEPTING_FAULTS:
                        self.accepted += 1
                if not self._misbehave(conn, raw, method, path, headers, body):
                    return
        except (OSError, ConnectionError):
            pass
        finally:
            try:
                raw.close()
            except OSError:
                pass

    def _misbehave(self, conn: Any, raw: socket.socket, method: str, path: str,
                   headers: list[tuple[str, str]], body: bytes) -> bool:
        """Answer one send with the fault; True when the connection may serve another request."""
        fault = self.fault
        if fault in ("503", "429", "500"):
            text = {"503": "Service Unavailable", "429": "Too Many Requests", "500": "Internal Server Error"}[fault]
            payload = b'{"error": "' + text.encode() + b'"}'
            conn.sendall(f"HTTP/1.1 {fault} {text}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
            return True
        if fault == "ok":
            conn.sendall(self._forward(method, path, headers, body))
            return True
        if fault == "hang":
            self._stop.wait()
            return False
        if fault == "reset":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"id\": \"")
            time.sleep(0.05)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()
            return False
        if fault == "tls_corrupt":
            payload = b'{"id": "x"}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(payload)).encode() + b"\r\n\r\n" + payload, corrupt=True)
            self._stop.wait(5)
            return False
        if fault == "trickle":
            reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
                     + b"{" + b" " * 198 + b"}")
            for i in range(len(reply)):
                if self._stop.wait(self.trickle_every):
                    break
                conn.sendall(reply[i:i + 1])
            return False
        if fault == "huge":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"[" + b"0," * 32767 + b"0"
            framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            for _ in range(50 * 1024 * 1024 // len(chunk)):
                if self._stop.is_set():
                    break
                conn.sendall(framed)
            return False
        if fault == "garbage":
            payload = b"\x00<<not json, not xml>>\xff"
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(payload)).encode() + b"\r\n\r\n" + payload)
            return True
        raise ValueError(f"unknown fault {fault!r}")

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)
        for conn in self._conns:  # wake handlers blocked reading an idle keep-alive connection
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> "FaultServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
