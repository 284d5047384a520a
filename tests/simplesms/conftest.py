"""Fixtures shared by the simpleSMS tests (REST and SOAP): generic, real sockets only.

- ``serve_asgi`` / ``serve_asgi_module``: a factory starting any ASGI app (a small
  Starlette stand-in, a recording server) on 127.0.0.1 with uvicorn in a thread;
  returns its base URL.  Servers stop at the end of the test / the module.
- ``simplesms_client``: the credentials of one gateway client's ``simplesms`` section.
- ``simplesms_gateway_config``: ``sandbox_config`` plus a ``gateway.clients`` entry with
  those credentials, ready for the ``gateway`` fixture (the gateway as a local simpleSMS
  simulator, SPEC §6).
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest


class _AsgiServers:
    """Starts ASGI apps on 127.0.0.1 (uvicorn, one thread each); stops them all at once."""

    def __init__(self) -> None:
        self.running: list[tuple[Any, threading.Thread]] = []

    def start(self, app: Any, *, port: int = 0) -> str:
        import uvicorn

        if port == 0:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=5)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"test-asgi-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"test server did not start on 127.0.0.1:{port}")
            time.sleep(0.01)
        self.running.append((server, thread))
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        for server, _ in self.running:
            server.should_exit = True
        for _, thread in self.running:
            thread.join(timeout=10)


@pytest.fixture
def serve_asgi() -> Iterator[Callable[..., str]]:
    """``serve_asgi(app, port=0) -> "http://127.0.0.1:PORT"`` (no trailing slash)."""
    servers = _AsgiServers()
    yield servers.start
    servers.stop()


@pytest.fixture(scope="module")
def serve_asgi_module() -> Iterator[Callable[..., str]]:
    """Like ``serve_asgi``, but the servers live for the whole test module (a stand-in
    whose state each test resets is much faster than a server per test)."""
    servers = _AsgiServers()
    yield servers.start
    servers.stop()


@pytest.fixture
def simplesms_client() -> dict[str, str]:
    return {"username": "shop", "password": "s3cret-Pa55", "domain": "shop.example.hu"}


@pytest.fixture
def simplesms_gateway_config(sandbox_config: dict[str, Any], simplesms_client: dict[str, str]) -> dict[str, Any]:
    return {**sandbox_config, "gateway": {"clients": {"shop": {"simplesms": dict(simplesms_client)}}}}
