"""smsbridge's pytest plugin (entry point ``pytest11``): fixtures for your application's tests.

- ``sms_outbox``: every SMS your code sends during the test, as a list — like Django's
  ``mail.outbox``.  The fixture points ``$SMSBRIDGE_CONFIG`` at a fresh sandbox config,
  so ``Bridge.from_config()`` and the SDK shims (``smsbridge.compat.*``) in the code under
  test send into the sandbox; ``sms_outbox.bridge`` is a Bridge on it too.  Items are the
  journal's :class:`~smsbridge.model.MessageRecord` (``to``, ``text``, ``sender``,
  ``status``, ``segments``, ...), oldest first; ``clear()`` empties it.
- ``smsbridge_gateway``: a real ``smsbridge serve`` on a free 127.0.0.1 port over the
  sandbox, with the sandbox inbox on.  It yields a :class:`GatewayFixture`: ``url``, the
  Twilio-face credentials of its one client (``account_sid``, ``auth_token``), ``inbox``
  (an :class:`~smsbridge.gateway.inbox.client.InboxClient` for ``/api/v1``) and
  ``bridge``.  Override the ``smsbridge_gateway_config`` fixture to serve another config.

Loading this module imports nothing heavy: the fixtures import smsbridge (and, for the
gateway, starlette and uvicorn: the ``server`` extra) only when a test asks for them.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

import pytest

if TYPE_CHECKING:
    from .bridge import Bridge
    from .gateway.inbox.client import InboxClient
    from .model import MessageRecord

__all__ = ["Outbox", "GatewayFixture", "TEST_ACCOUNT_SID", "TEST_AUTH_TOKEN"]

TEST_ACCOUNT_SID = "AC" + "0" * 32
TEST_AUTH_TOKEN = "smsbridge-test-token"


class Outbox(Sequence["MessageRecord"]):
    """The messages sent so far, oldest first, read afresh from the journal on every access."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    def _all(self) -> list[MessageRecord]:
        return list(self.bridge.journal.iter_records())

    @overload
    def __getitem__(self, index: int) -> MessageRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[MessageRecord]: ...

    def __getitem__(self, index: int | slice) -> MessageRecord | list[MessageRecord]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[MessageRecord]:
        return iter(self._all())

    def __repr__(self) -> str:
        return f"<sms_outbox {[(m.to, m.text) for m in self._all()]!r}>"

    def clear(self) -> None:
        """Forget every message sent so far."""
        self.bridge.journal.delete()


@dataclass
class GatewayFixture:
    """A running gateway: ``url`` (no trailing slash), its client's Twilio credentials, the inbox API."""

    url: str
    inbox: InboxClient
    bridge: Bridge
    account_sid: str = TEST_ACCOUNT_SID
    auth_token: str = TEST_AUTH_TOKEN
    _server: Any = field(default=None, repr=False)


def _sandbox_config(directory: Any) -> dict[str, Any]:
    return {"default": "sandbox",
            "backends": {"sandbox": {"plugin": "sandbox", "path": os.path.join(str(directory), "sandbox.sqlite3")}},
            "store": os.path.join(str(directory), "journal.sqlite3")}


@pytest.fixture
def sms_outbox(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outbox]:
    """Every SMS sent during the test (through any Bridge from ``$SMSBRIDGE_CONFIG``), as a list."""
    import yaml

    from .bridge import Bridge

    directory = tmp_path_factory.mktemp("sms_outbox")
    path = directory / "smsbridge.yaml"
    path.write_text(yaml.safe_dump(_sandbox_config(directory)), encoding="utf-8")
    monkeypatch.setenv("SMSBRIDGE_CONFIG", str(path))
    bridge = Bridge.from_config(str(path))
    try:
        yield Outbox(bridge)
    finally:
        bridge.close()


@pytest.fixture
def smsbridge_gateway_config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The config ``smsbridge_gateway`` serves: a sandbox and one client (``test``) on the Twilio face."""
    config = _sandbox_config(tmp_path_factory.mktemp("smsbridge_gateway"))
    config["gateway"] = {"poll_interval": 0.1, "ui": True, "clients": {
        "test": {"twilio": {"account_sid": TEST_ACCOUNT_SID, "auth_token": TEST_AUTH_TOKEN}}}}
    return config


@pytest.fixture
def smsbridge_gateway(smsbridge_gateway_config: dict[str, Any]) -> Iterator[GatewayFixture]:
    """A real ``smsbridge serve`` on a free port, stopped after the test."""
    from .gateway.inbox.client import InboxClient
    from .gateway.server import run_in_thread

    server = run_in_thread(smsbridge_gateway_config)
    inbox = InboxClient(server.url)
    try:
        yield GatewayFixture(url=server.url, inbox=inbox, bridge=server.bridge, _server=server)
    finally:
        inbox.close()
        server.stop()
        server.bridge.close()
