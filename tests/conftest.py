"""Shared fixtures: real servers on 127.0.0.1, sandbox configs, a clean environment.

- ``sandbox_config``: a config mapping with one on-disk sandbox backend and journal.
- ``gateway``: a factory starting ``smsbridge serve`` in a thread (real uvicorn, real
  sockets) from a config mapping; every server is stopped at teardown.
- ``free_port``: a port nothing listens on (for "unreachable server" tests).
- ``hanging_server``: a server that reads each request and never answers (a lost reply).
- ``receiver``: a webhook receiver on 127.0.0.1 recording callbacks (tests/webhooks.py).
- ``close_at_teardown``: ``close_at_teardown(obj, close) -> obj``; ``close(obj)`` runs at
  teardown, before the servers the test started earlier stop.
- ``shim_config_file``: a user's smsbridge.yaml for the compat shims, found through
  ``$SMSBRIDGE_CONFIG``; the shim's cached Bridges are dropped afterwards.
- ``fresh_wsdl_cache``: the SOAP tests parse each server's WSDL afresh (ports are reused).
- ``start_php_soap``: PHP's SoapServer as a simpleSMS stand-in (tests/php_soap_server.py).
"""
from __future__ import annotations

import copy
import importlib
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from misbehaving import MisbehavingServer
from php_soap_server import PhpSoapServer, require_php
from webhooks import WebhookReceiver

T = TypeVar("T")


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


@pytest.fixture(autouse=True)
def _own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The CLI keeps its journal in the per-user data directory when a config has no
    ``store:``: each test (and the commands it runs) gets its own, never the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture
def hanging_server() -> Iterator[MisbehavingServer]:
    with MisbehavingServer("hang") as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture
def close_at_teardown() -> Iterator[Callable[[T, Callable[[T], Any]], T]]:
    """For clients that keep connections open (an idle TLS keep-alive connection holds up
    a gateway's shutdown): request this fixture after the server's, so that it is torn
    down first."""
    opened: list[tuple[Any, Callable[[Any], Any]]] = []

    def register(obj: T, close: Callable[[T], Any]) -> T:
        opened.append((obj, close))
        return obj

    yield register
    for obj, close in opened:
        close(obj)


@pytest.fixture
def shim_config_file(sandbox_config: dict[str, Any], tmp_path: Any,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """``shim_config_file(provider, **sandbox_options) -> path``: ``sandbox_config``
    (options added to its backend) as a user's smsbridge.yaml, found through
    $SMSBRIDGE_CONFIG.  At teardown the Bridges that the provider's shim
    (smsbridge_plugins.<provider>.sdk) cached are closed and forgotten, with what it
    remembers of its sends."""
    shims: list[Any] = []

    def write(provider: str, **sandbox: Any) -> Path:
        sdk = importlib.import_module(f"smsbridge_plugins.{provider}.sdk")
        config = copy.deepcopy(sandbox_config)
        config["backends"]["local"].update(sandbox)
        path = tmp_path / "smsbridge.yaml"
        path.write_text(yaml.safe_dump(config))
        monkeypatch.setenv("SMSBRIDGE_CONFIG", str(path))
        shims.append(sdk)
        return path

    yield write
    for sdk in shims:
        for bridge in sdk._bridges.values():
            bridge.close()
        sdk._bridges.clear()
        if hasattr(sdk, "_sent"):
            sdk._sent.clear()


@pytest.fixture
def fresh_wsdl_cache() -> Iterator[None]:
    """Use with ``pytestmark = pytest.mark.usefixtures("fresh_wsdl_cache")``."""
    from smsbridge_plugins.simplesms.soap_transport import clear_wsdl_cache

    clear_wsdl_cache()
    yield
    clear_wsdl_cache()


@pytest.fixture
def start_php_soap(tmp_path_factory: Any) -> Iterator[Callable[..., Any]]:
    """``start_php_soap(server_class=PhpSoapServer, **options)``: one more server with a
    fresh state directory; all are stopped at teardown.  Skips the test where php or its
    soap extension is missing."""
    require_php()  # skips without php; fails under CI=true
    servers: list[PhpSoapServer] = []

    def start(server_class: type[PhpSoapServer] = PhpSoapServer, **options: Any) -> Any:
        servers.append(server_class(tmp_path_factory.mktemp("php"), **options))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


# --- issue 13: every journal test on SQLite and on PostgreSQL ---
@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server for the session (tests/services.py: $SMSBRIDGE_TEST_POSTGRES, a
    private cluster, or skip — a failure under CI=true)."""
    from services import postgres_server

    yield from postgres_server()


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A URL to a fresh, empty database of its own, dropped after the test."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"smsbridge_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(postgres_server_url)
    yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A ``store:`` value for a journal of each kind: a SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "journal.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def open_store(journal_store: str) -> Iterator[Callable[[], Any]]:
    """``open_store() -> JournalStore`` on ``journal_store``; every journal opened is closed
    at teardown."""
    from smsbridge.store import open_journal

    opened: list[Any] = []

    def make() -> Any:
        opened.append(open_journal(journal_store))
        return opened[-1]

    yield make
    for journal in opened:
        journal.close()
