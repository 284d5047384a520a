"""Plivo test fixtures: a gateway with the Plivo face over the sandbox, and a
small webhook receiver on 127.0.0.1 (delivery reports are real HTTP requests)."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

AUTH_ID = "MA" + "X" * 18
AUTH_TOKEN = "plivo-token-123"
OTHER_ID = "SA" + "Y" * 18



class Receiver:
    """Records every request it gets; ``wait(n)`` blocks until ``n`` arrived (bounded)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with receiver._cond:
                    receiver.requests.append({"method": self.command, "path": parts.path,
                                              "query": dict(parse_qsl(parts.query, keep_blank_values=True)),
                                              "headers": dict(self.headers), "body": body})
                    receiver._cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _record

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count: int, timeout: float = 10.0, where: Any = None) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [r for r in self.requests if where is None or where(r)]
                if len(got) >= count or time.monotonic() > deadline:
                    return got
                self._cond.wait(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def plivo_config(sandbox_config: dict[str, Any]) -> dict[str, Any]:
    config = dict(sandbox_config)
    config["backends"] = {"local": dict(sandbox_config["backends"]["local"], delivery_delay=0.2, credit=50,
                                        undeliverable=["+14155550199"])}
    config["gateway"] = {"poll_interval": 0.05, "clients": {
        "shop": {"plivo": {"auth_id": AUTH_ID, "auth_token": AUTH_TOKEN}},
        "other": {"plivo": {"auth_id": OTHER_ID, "auth_token": "other-token"}},
    }}
    return config


@pytest.fixture
def plivo_gateway(gateway: Any, plivo_config: dict[str, Any]) -> Any:
    return gateway(plivo_config, faces=["plivo"])


@pytest.fixture
def plivo_client(plivo_gateway: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The official SDK pointed at the gateway the way providers.md §4.3 records."""
    import plivo
    import plivo.rest.client as prc

    monkeypatch.setattr(prc, "PLIVO_API_BASE_URI", plivo_gateway.url + "/v1/Account")
    return plivo.RestClient(AUTH_ID, AUTH_TOKEN)


class HangingServer:
    """Accepts connections, reads the request, never answers: a reply lost after sending."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[Any] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.recv(65536)
            self.conns.append(conn)

    def close(self) -> None:
        self._stop = True
        self.thread.join(timeout=2)
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    s = HangingServer()
    yield s
    s.close()


@pytest.fixture
def shim_config(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A smsbridge.yaml over the sandbox, found through $SMSBRIDGE_CONFIG like a user's."""
    path = tmp_path / "smsbridge.yaml"
    path.write_text(f"default: local\nbackends:\n  local:\n    plugin: sandbox\n"
                    f"    path: {tmp_path / 'sandbox.sqlite3'}\n    credit: 100\nstore: {tmp_path / 'journal.sqlite3'}\n")
    monkeypatch.setenv("SMSBRIDGE_CONFIG", str(path))
    yield str(path)
    from smsbridge_plugins.plivo import sdk

    for bridge in sdk._bridges.values():
        bridge.close()
    sdk._bridges.clear()
    sdk._sent.clear()
