"""Shared fixtures: real servers on 127.0.0.1, sandbox configs, a clean environment.

- ``sandbox_config``: a config mapping with one on-disk sandbox backend and journal.
- ``gateway``: a factory starting ``smsbridge serve`` in a thread (real uvicorn, real
  sockets) from a config mapping; every server is stopped at teardown.
- ``free_port``: a port nothing listens on (for "unreachable server" tests).
"""
from __future__ import annotations

import socket
from typing import Any, Callable, Iterator

import pytest


@pytest.fixture
def sandbox_config(tmp_path: Any) -> dict[str, Any]:
    return {
        "default": "local",
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "sandbox.sqlite3")}},
        "store": str(tmp_path / "journal.sqlite3"),
    }


@pytest.fixture
def gateway() -> Iterator[Callable[..., Any]]:
    """``gateway(config_or_bridge, tls=None|"self-signed", faces=None) -> RunningServer``."""
    from smsbridge.gateway.server import run_in_thread

    running = []

    def start(config: Any, *, tls: str | None = None, faces: list[str] | None = None, **kw: Any) -> Any:
        server = run_in_thread(config, tls=tls, faces=faces, **kw)
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()
        server.bridge.close()


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _no_config_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's own SMSBRIDGE_CONFIG."""
    monkeypatch.delenv("SMSBRIDGE_CONFIG", raising=False)
