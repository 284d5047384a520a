"""Fixtures for the Twilio plugin's tests: a gateway with the Twilio face, the official SDK
pointed at it (providers.md §1.3), and a local webhook receiver."""
from __future__ import annotations

import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl

import pytest

AC = "AC" + "1" * 32
TOKEN = "shop-auth-token"
OTHER_AC = "AC" + "2" * 32
OTHER_TOKEN = "other-auth-token"


@pytest.fixture
def twilio_config(sandbox_config: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """``twilio_config(**sandbox_options)``: the sandbox config plus two Twilio clients."""
    def make(**sandbox: Any) -> dict[str, Any]:
        cfg = copy.deepcopy(sandbox_config)
        cfg["backends"]["local"].update(sandbox)
        cfg["gateway"] = {"poll_interval": 0.05, "clients": {
            "shop": {"twilio": {"account_sid": AC, "auth_token": TOKEN}},
            "other": {"twilio": {"account_sid": OTHER_AC, "auth_token": OTHER_TOKEN}},
        }}
        return cfg
    return make


@pytest.fixture
def twilio_gateway(gateway: Callable[..., Any], twilio_config: Callable[..., dict[str, Any]]) -> Any:
    """A running gateway (plain HTTP) serving the Twilio face over the sandbox."""
    return gateway(twilio_config(), faces=["twilio"])


def sdk_client(server: Any, account_sid: str = AC, token: str = TOKEN) -> Any:
    """The official SDK, pointed at the gateway the way providers.md §1.3 records."""
    from twilio.rest import Client

    client = Client(account_sid, token)
    client.api.base_url = server.url
    return client


@pytest.fixture
def make_sdk_client() -> Iterator[Callable[..., Any]]:
    """``make_sdk_client(server, account_sid=AC, token=TOKEN)``; the clients' pooled
    connections are closed before the servers stop (an idle TLS keep-alive connection
    otherwise holds up the gateway's shutdown)."""
    made: list[Any] = []

    def make(*args: Any, **kwargs: Any) -> Any:
        client = sdk_client(*args, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        session = getattr(client.http_client, "session", None)
        if session is not None:
            session.close()


@pytest.fixture
def twilio_client(twilio_gateway: Any, make_sdk_client: Callable[..., Any]) -> Any:
    return make_sdk_client(twilio_gateway)


class Receiver:
    """A webhook receiver on 127.0.0.1 recording every request it gets."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                path, _, query = self.path.partition("?")
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    params: Any = json.loads(body)
                else:
                    params = dict(parse_qsl(body, keep_blank_values=True))
                with receiver._lock:
                    receiver.requests.append({"method": self.command, "path": path, "query": dict(parse_qsl(query)),
                                              "headers": dict(self.headers), "params": params, "raw": self.path})
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
