"""Infobip test fixtures: a gateway with the Infobip face over the sandbox, and a
small webhook receiver on 127.0.0.1 (delivery reports are real HTTP requests)."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

API_KEY = "infobip-api-key"
OTHER_KEY = "other-infobip-key"



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
def infobip_config(sandbox_config: dict[str, Any]) -> dict[str, Any]:
    config = dict(sandbox_config)
    config["backends"] = {"local": dict(sandbox_config["backends"]["local"], delivery_delay=0.2, credit=50,
                                        undeliverable=["+41793026799"])}
    config["gateway"] = {"poll_interval": 0.05, "clients": {
        "shop": {"infobip": {"api_key": API_KEY}},
        "other": {"infobip": {"api_key": OTHER_KEY}},
    }}
    return config


@pytest.fixture
def infobip_gateway(gateway: Any, infobip_config: dict[str, Any]) -> Any:
    return gateway(infobip_config, faces=["infobip"])


def make_api(url: str, key: str = API_KEY) -> Any:
    """The official 6.x SDK pointed at the gateway the way providers.md §6.3 records."""
    from infobip_api_client import ApiClient, Configuration
    from infobip_api_client.api.sms_api import SmsApi

    return SmsApi(ApiClient(Configuration(host=url, api_key=key)))


@pytest.fixture
def infobip_api(infobip_gateway: Any) -> Any:
    return make_api(infobip_gateway.url)


@pytest.fixture
def infobip_factory(infobip_gateway: Any) -> Any:
    return lambda key=API_KEY: make_api(infobip_gateway.url, key)


def _infobip5_python() -> str | None:
    """The interpreter of the separate venv holding infobip-api-python-sdk 5.x (pydantic v1).

    ``$SMSBRIDGE_SDKENV_INFOBIP5`` (a python executable, or a venv directory), else
    ``<repo>/.sdkenvs/infobip5`` as tests/sdkenvs/make.sh creates it.
    """
    import os
    from pathlib import Path

    candidates = []
    env = os.environ.get("SMSBRIDGE_SDKENV_INFOBIP5")
    if env:
        candidates.append(Path(env))
    candidates.append(Path(__file__).resolve().parents[2] / ".sdkenvs" / "infobip5")
    for path in candidates:
        for exe in (path, path / "bin" / "python"):
            if exe.is_file() and os.access(exe, os.X_OK):
                return str(exe)
    return None


@pytest.fixture
def infobip5_python() -> str:
    exe = _infobip5_python()
    if exe is None:
        pytest.skip("infobip-api-python-sdk 5.x needs pydantic v1, so it lives in its own venv: create it with "
                    "tests/sdkenvs/make.sh (or set SMSBRIDGE_SDKENV_INFOBIP5 to its python)")
    import subprocess

    check = subprocess.run([exe, "-c", "import infobip_channels.sms.channel"], capture_output=True, timeout=60)
    if check.returncode != 0:
        pytest.skip(f"{exe} cannot import infobip_channels (infobip-api-python-sdk 5.x): "
                    f"{check.stderr.decode(errors='replace').strip().splitlines()[-1:]}")
    return exe


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

