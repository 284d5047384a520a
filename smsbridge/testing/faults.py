"""A real local HTTP server that plays a provider with one fault on its *send* request.

A backend is judged by what it raises when the network or the provider misbehaves
(docs/reliability.md): once the request may have left, the only honest answer is
:class:`~smsbridge.errors.DeliveryUnknown` (never re-sent, never failed over); only when
nothing left, or the provider refused before accepting, is
:class:`~smsbridge.errors.ProviderUnavailable` allowed.  :class:`FaultServer` produces each
of those situations over a real socket on 127.0.0.1, so a backend under test runs its real
transport, and :data:`EXPECTED` says what the rules require for each.

The server answers every request that is not a send normally: forwarded to ``upstream``
(a real server speaking the provider's API, e.g. ``smsbridge serve`` with the provider's
face) or answered by ``answer(method, path, body) -> (status, json)``.  A request for which
``is_send(method, path, body)`` is true gets the fault, after the whole request was read:

========== =====================================================================
fault      what the send gets
========== =====================================================================
``ok``      the normal answer (forwarded, or ``answer``'s)
``refused`` nothing: no server listens on the port (connection refused)
``503``     ``503 Service Unavailable`` — the provider refused it, not taken
``429``     ``429 Too Many Requests`` — the provider refused it, not taken
``500``     ``500 Internal Server Error`` after reading the request
``hang``    no reply until the server is closed
``reset``   half a reply, then a TCP reset
``tls_corrupt`` (``tls=`` given) a reply whose TLS record is broken (bad record MAC)
``trickle`` a reply one byte every ``trickle_every`` seconds
``huge``    a 50 MB chunked body
``garbage`` ``200`` with a body no provider could read
========== =====================================================================

``accepted`` counts sends the server took (read whole, under an accepting fault);
``sends_seen`` every send request that arrived (a backend that retries shows 2);
``abandoned`` the ``hang``/``trickle`` replies whose client hung up before the reply ended
(a whole-request deadline shows 1 long before a per-read timeout would: counted, not timed;
:meth:`FaultServer.wait_abandoned` waits for it).
"""
from __future__ import annotations

import http.client
import json
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit

__all__ = ["FaultServer", "FAULTS", "ACCEPTING_FAULTS", "REFUSING_FAULTS", "EXPECTED", "Expectation",
           "IsSend", "Answer"]

IsSend = Callable[[str, str, bytes], bool]
"""``is_send(method, path, body)``: True for the request that hands a message to the provider."""
Answer = Callable[[str, str, bytes], "tuple[int, Any]"]
"""``answer(method, path, body) -> (http_status, json_body)`` for requests the server answers itself."""

#: Every fault, in the order a report lists them.
FAULTS: tuple[str, ...] = ("ok", "refused", "503", "429", "500", "hang", "reset", "tls_corrupt", "trickle",
                           "huge", "garbage")
#: Faults after which the server holds the whole send request: it may have acted on it.
ACCEPTING_FAULTS: tuple[str, ...] = ("500", "hang", "reset", "tls_corrupt", "trickle", "huge", "garbage", "ok")
#: Faults that prove the message was not taken (``refused`` has no server at all).
REFUSING_FAULTS: tuple[str, ...] = ("refused", "503", "429")


@dataclass(frozen=True)
class Expectation:
    """What the error rules require of a send under one fault.

    ``error`` is the class name a send must raise (``None``: it must succeed);
    ``transport`` whether that error must say no provider answer was read
    (:attr:`~smsbridge.errors.ProviderError.transport`), ``None`` when either is right;
    ``why`` the rule, in words, for reports.
    """

    error: str | None
    transport: bool | None
    why: str


EXPECTED: dict[str, Expectation] = {
    "ok": Expectation(None, None, "the provider accepted it"),
    "refused": Expectation("ProviderUnavailable", True, "nothing left: the connection was refused"),
    "503": Expectation("ProviderUnavailable", False, "the provider refused it before accepting (503 try later)"),
    "429": Expectation("ProviderUnavailable", False, "the provider refused it before accepting (429 rate limit)"),
    "500": Expectation("DeliveryUnknown", False, "a 5xx after the request was read may follow acceptance"),
    "hang": Expectation("DeliveryUnknown", True, "the request left and no reply came"),
    "reset": Expectation("DeliveryUnknown", True, "the request left and the reply was cut"),
    "tls_corrupt": Expectation("DeliveryUnknown", True, "the request left and the reply was unreadable"),
    "trickle": Expectation("DeliveryUnknown", True, "the request left and the reply missed the deadline"),
    "huge": Expectation("DeliveryUnknown", True, "the request left and the reply was too large to read"),
    "garbage": Expectation("DeliveryUnknown", False, "the provider took it and answered something unreadable"),
}


class _Conn(Protocol):
    def recv(self, size: int) -> bytes: ...

    def sendall(self, data: bytes, *, corrupt: bool = False) -> None: ...


class _PlainConn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def recv(self, size: int) -> bytes:
        return self.sock.recv(size)

    def sendall(self, data: bytes, *, corrupt: bool = False) -> None:
        self.sock.sendall(data)


class _TlsConn:
    """Server-side TLS over memory BIOs, so the server holds the ciphertext and can break a record."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext) -> None:
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
            except ssl.SSLWantReadError:
                self._flush()
                if not self._pull():
                    return b""
            except ssl.SSLZeroReturnError:
                return b""

    def sendall(self, data: bytes, *, corrupt: bool = False) -> None:
        self._obj.write(data)
        self._flush(corrupt)


def _default_answer(method: str, path: str, body: bytes) -> tuple[int, Any]:
    return 200, {}


def _is_post(method: str, path: str, body: bytes) -> bool:
    return method == "POST"


def _hung_up(raw: socket.socket) -> bool:
    """Has the peer closed (or reset) the connection? Peeks without consuming or waiting."""
    try:
        readable, _, _ = select.select([raw], [], [], 0)
        return bool(readable) and raw.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class FaultServer:
    """A provider's API with one fault on its send request; everything else answered normally.

    ``upstream``: forward non-send requests (and the ``ok`` send) to this URL unchanged,
    so a backend runs its genuine request sequence (log-ins, WSDL fetches, look-ups);
    without it, ``answer`` answers them.  ``is_send`` picks the send (default: any POST).
    ``tls``: ``(certfile, keyfile)``, serve HTTPS (needed for ``tls_corrupt``).
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, fault: str, *, upstream: str | None = None, is_send: IsSend | None = None,
                 answer: Answer | None = None, tls: tuple[str, str] | None = None,
                 trickle_every: float = 0.05) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")
        if fault == "tls_corrupt" and tls is None:
            raise ValueError("the tls_corrupt fault needs tls=(certfile, keyfile)")
        self.fault = fault
        self._upstream: tuple[str, int] | None = None
        if upstream is not None:
            up = urlsplit(upstream)
            self._upstream = (up.hostname or "127.0.0.1", up.port or 80)
        self.is_send: IsSend = is_send or _is_post
        self.answer: Answer = answer or _default_answer
        self.trickle_every = trickle_every
        self.accepted = 0
        self.sends_seen = 0
        self.requests_seen = 0
        self.abandoned = 0
        self._abandoned = threading.Condition()
        self._context: ssl.SSLContext | None = None
        if tls is not None:
            self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._context.load_cert_chain(*tls)
        scheme = "https" if tls else "http"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        if fault == "refused":  # nothing listens: the client's connect is refused
            self.port = _closed_port()
        else:
            self._sock = socket.socket()
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind(("127.0.0.1", 0))
            self._sock.listen(64)
            self._sock.settimeout(0.1)
            self.port = self._sock.getsockname()[1]
            self._thread = threading.Thread(target=self._serve, daemon=True)
            self._thread.start()
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        assert self._sock is not None
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
    def _read_request(conn: _Conn) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
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

    def _normal(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
        """The reply a healthy provider gives: forwarded upstream, or ``answer``'s."""
        if self._upstream is None:
            status, data = self.answer(method, path, body)
            payload = json.dumps(data).encode()
            reason = http.client.responses.get(status, "Status")
            return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
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
            conn: _Conn = _TlsConn(raw, self._context) if self._context is not None else _PlainConn(raw)
            while not self._stop.is_set():
                request = self._read_request(conn)
                if request is None:
                    return
                method, path, headers, body = request
                with self._lock:
                    self.requests_seen += 1
                if not self.is_send(method, path, body):
                    conn.sendall(self._normal(method, path, headers, body))
                    continue
                with self._lock:
                    self.sends_seen += 1
                    if self.fault in ACCEPTING_FAULTS:
                        self.accepted += 1
                if not self._misbehave(conn, raw, method, path, headers, body):
                    return
        except (OSError, ConnectionError, ssl.SSLError):
            pass
        finally:
            try:
                raw.close()
            except OSError:
                pass

    def _misbehave(self, conn: _Conn, raw: socket.socket, method: str, path: str,
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
            conn.sendall(self._normal(method, path, headers, body))
            return True
        if fault == "hang":
            while not self._stop.wait(0.02):
                if _hung_up(raw):
                    self._count_abandoned()
                    break
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
                try:
                    conn.sendall(reply[i:i + 1])
                except OSError:  # the client hung up mid-reply
                    self._count_abandoned()
                    break
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

    def _count_abandoned(self) -> None:
        with self._abandoned:
            self.abandoned += 1
            self._abandoned.notify_all()

    def wait_abandoned(self, count: int = 1, timeout: float = 10.0) -> int:
        """:attr:`abandoned` once it reaches ``count`` (or ``timeout`` seconds have gone: a
        generous bound for a busy machine; the caller asserts the count)."""
        with self._abandoned:
            self._abandoned.wait_for(lambda: self.abandoned >= count, timeout)
            return self.abandoned

    def close(self) -> None:
        """Stop serving and release every connection (a hanging send's included)."""
        self._stop.set()
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for conn in self._conns:  # wake handlers blocked reading an idle keep-alive connection
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
