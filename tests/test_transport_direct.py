"""The transport's direct urllib3 path (issue 18) sends the bytes requests would send.

``HttpTransport.request`` skips ``requests.Session.request`` for the common call (no proxy,
no cookies, a form/JSON body, Basic auth as a tuple).  Here a real socket server records
each request head and body, and the same call made through ``requests`` itself must arrive
identically (header names and values, body), with keep-alive kept and errors mapped alike.
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from smsbridge.errors import ProviderUnavailable
from smsbridge.transport import HttpTransport

REPLY = b'{"ok": true}'


class _Recorder:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
                length = int(headers.get("content-length", "0"))
                while len(buf) < length:
                    buf += conn.recv(65536)
                body, buf = buf[:length], buf[length:]
                self.requests.append((lines[0], headers, body))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(REPLY)).encode() + b"\r\n\r\n" + REPLY)


@pytest.fixture()
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Recorder]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    server = _Recorder()
    yield server
    server.sock.close()


CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "Messages.json", {"data": {"To": "+36301234567", "Body": "Szia! ő & =", "Skip": None}}),
    ("POST", "sms/3/messages", {"json": {"messages": [{"text": "ő"}]}}),
    ("GET", "Messages.json", {"params": {"To": "+36 30", "PageSize": 50}}),
    ("POST", "empty", {}),
    ("POST", "with-header", {"data": {"a": "1"}, "headers": {"X-Extra": "yes", "Accept": "text/plain"}}),
]


@pytest.mark.parametrize("method,path,kwargs", CALLS)
def test_direct_path_sends_what_requests_sends(recorder: _Recorder, method: str, path: str,
                                              kwargs: dict[str, Any]) -> None:
    base = f"http://127.0.0.1:{recorder.port}/api/"
    headers = {"Accept": "application/json", "User-Agent": "smsbridge-test"}
    transport = HttpTransport("b", base_url=base, headers=headers, auth=("AC1", "tok"))
    session = requests.Session()
    session.headers.update(headers)
    session.auth = ("AC1", "tok")
    try:
        assert transport.request(method, path, **kwargs).json() == {"ok": True}
        assert session.request(method, base + path, timeout=10, **kwargs).json() == {"ok": True}
    finally:
        transport.close()
        session.close()
    (line_a, headers_a, body_a), (line_b, headers_b, body_b) = recorder.requests
    assert line_a == line_b
    assert headers_a == headers_b
    assert body_a == body_b


def test_direct_path_keeps_the_connection_alive(recorder: _Recorder) -> None:
    transport = HttpTransport("b", base_url=f"http://127.0.0.1:{recorder.port}/")
    try:
        for i in range(5):
            assert transport.request("POST", "x", data={"i": str(i)}).status_code == 200
    finally:
        transport.close()
    assert len(recorder.requests) == 5 and recorder.connections == 1


def test_direct_path_maps_a_refused_connection_like_requests() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens
    transport = HttpTransport("b", base_url=f"http://127.0.0.1:{port}/")
    with pytest.raises(ProviderUnavailable, match="connection refused") as caught:
        transport.request("POST", "send", data={"a": "1"}, sending=True)
    assert caught.value.transport is True
