"""Fixtures for the Vonage plugin's tests: a TLS gateway with the Vonage face (every
Vonage SDK forces https://, providers.md §2.3), the official 4.x SDK pointed at it, and
a local webhook receiver for delivery receipts."""
from __future__ import annotations

import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl

import pytest

KEY = "shopkey"
SECRET = "shop-secret"
SIG_KEY = "signedkey"
SIG_SECRET = "signature-secret-0123456789"
SIG_API_SECRET = "signed-api-secret"


# uvicorn waits forever for a TLS connection the client already closed, so a TLS gateway
# started by run_in_thread would need the full 10 s join timeout to stop; bound the wait.
TLS_STOP = {"timeout_graceful_shutdown": 1}


@pytest.fixture
def vonage_config(sandbox_config: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """``vonage_config(dlr_method="POST", **sandbox_options)``: the sandbox plus two clients,
    one of them with a signature secret."""
    def make(dlr_method: str = "POST", **sandbox: Any) -> dict[str, Any]:
        cfg = copy.deepcopy(sandbox_config)
        cfg["backends"]["local"].update(sandbox)
        cfg["gateway"] = {"poll_interval": 0.05, "clients": {
            "shop": {"vonage": {"api_key": KEY, "api_secret": SECRET, "dlr_method": dlr_method}},
            "signed": {"vonage": {"api_key": SIG_KEY, "api_secret": SIG_API_SECRET,
                                  "signature_secret": SIG_SECRET, "signature_method": "sha256",
                                  "dlr_method": dlr_method}},
        }}
        return cfg
    return make


@pytest.fixture
def vonage_gateway(gateway: Callable[..., Any], vonage_config: Callable[..., dict[str, Any]],
                   monkeypatch: pytest.MonkeyPatch) -> Any:
    """A running TLS gateway serving the Vonage face; its self-signed CA is trusted through
    REQUESTS_CA_BUNDLE, as docs/providers/vonage.md tells users to do."""
    server = gateway(vonage_config(), faces=["vonage"], tls="self-signed", **TLS_STOP)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cafile)
    return server


def sdk_client(server: Any, api_key: str = KEY, api_secret: str | None = SECRET, **auth: Any) -> Any:
    """The official vonage 4.x SDK pointed at the gateway (providers.md §2.3)."""
    from vonage import Auth, HttpClientOptions, Vonage

    host = f"{server.host}:{server.port}"
    return Vonage(Auth(api_key=api_key, api_secret=api_secret, **auth),
                  HttpClientOptions(rest_host=host, api_host=host, max_retries=0))


@pytest.fixture
def make_sdk_client() -> Iterator[Callable[..., Any]]:
    """``make_sdk_client(server, api_key=KEY, api_secret=SECRET, **auth)``; the clients'
    pooled connections are closed before the servers stop (an idle TLS keep-alive
    connection otherwise holds up the gateway's shutdown)."""
    made: list[Any] = []

    def make(*args: Any, **kwargs: Any) -> Any:
        client = sdk_client(*args, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.http_client._session.close()


@pytest.fixture
def vonage_client(vonage_gateway: Any, make_sdk_client: Callable[..., Any]) -> Any:
    return make_sdk_client(vonage_gateway)


class Receiver:
    """A webhook receiver on 127.0.0.1 recording every request (GET query, form or JSON)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                path, _, query = self.path.partition("?")
                if "json" in self.headers.get("Content-Type", ""):
                    params: Any = json.loads(body)
                elif body:
                    params = dict(parse_qsl(body, keep_blank_values=True))
                else:
                    params = dict(parse_qsl(query, keep_blank_values=True))
                with receiver._lock:
                    receiver.requests.append({"method": self.command, "path": path, "params": params,
                                              "headers": dict(self.headers)})
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = _record

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 15) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                seen = list(self.requests)
            if predicate(seen):
                return seen
            time.sleep(0.05)
        raise AssertionError(f"timed out; received: {self.requests}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
