"""A fake backend for tests: an in-process "provider" that records what reached it.

Hooks, shims and gateway faces are tested against smsbridge's real core; only the
provider is replaced.  :func:`fake_backend` registers a backend plugin for the duration of
a ``with`` block and hands back its :class:`FakeProvider`, which counts what arrived::

    from smsbridge import Bridge
    from smsbridge.testing import fake_backend

    with fake_backend("fake") as provider:
        with Bridge.from_dict({"store": ":memory:", "backends": {"p": {"plugin": "fake"}}}) as bridge:
            bridge.send("+36301234567", "hello")
    assert [m.text for m in provider.sent] == ["hello"]

The provider accepts every message (status ``queued``) unless told otherwise:
:meth:`FakeProvider.fail_next` makes the next sends raise the given errors (what a real
backend would raise, e.g. ``ProviderUnavailable`` or ``DeliveryUnknown``), and
:meth:`FakeProvider.set_status` changes what a status look-up answers.
"""
from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from ..backend import Backend
from ..errors import NotFound
from ..hookspecs import hookimpl
from ..model import Accepted, Status, StatusReport
from .plugin import registered

if TYPE_CHECKING:
    from ..config import Settings
    from ..model import Message

__all__ = ["FakeProvider", "FakeBackend", "fake_backend"]


class FakeProvider:
    """What a fake backend's provider received and will answer; safe across threads.

    ``sent``: every message it accepted, oldest first; ``send_attempts``: every send call,
    failed ones included; ``status_lookups`` / ``lookups``: how many ``status()`` and
    ``lookup()`` calls reached it.
    """

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.send_attempts = 0
        self.status_lookups = 0
        self.lookups = 0
        self._statuses: dict[str, Status] = {}
        self._by_message: dict[str, str] = {}
        self._failures: deque[BaseException] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def fail_next(self, *errors: BaseException) -> None:
        """Make the next ``len(errors)`` sends raise these errors, in order."""
        with self._lock:
            self._failures.extend(errors)

    def set_status(self, provider_id: str, status: Status) -> None:
        """What a status look-up of ``provider_id`` answers from now on."""
        with self._lock:
            self._statuses[provider_id] = status

    def provider_id_of(self, message_id: str) -> str | None:
        """The provider id the fake gave smsbridge's message ``message_id``, if it accepted it."""
        with self._lock:
            return self._by_message.get(message_id)

    # -- what FakeBackend calls -----------------------------------------------------------------
    def _send(self, message: Message) -> Accepted:
        with self._lock:
            self.send_attempts += 1
            if self._failures:
                raise self._failures.popleft()
            provider_id = f"fake-{next(self._ids)}"
            self.sent.append(message)
            self._statuses[provider_id] = Status.QUEUED
            if message.id:
                self._by_message[message.id] = provider_id
        return Accepted(provider_id=provider_id, status=Status.QUEUED, segments=message.segments)

    def _status(self, provider_id: str) -> StatusReport:
        with self._lock:
            self.status_lookups += 1
            status = self._statuses.get(provider_id)
        if status is None:
            raise NotFound(f"the fake provider has no message {provider_id!r}")
        return StatusReport(id=provider_id, status=status, raw=status.value)

    def _lookup(self, message: Message) -> Accepted | None:
        with self._lock:
            self.lookups += 1
            provider_id = self._by_message.get(message.id)
            status = self._statuses.get(provider_id) if provider_id else None
        return Accepted(provider_id=provider_id, status=status) if provider_id and status else None


class FakeBackend(Backend):
    """A backend whose provider is a :class:`FakeProvider` (``provider``, set per plugin by
    :func:`fake_backend`).  It takes no options of its own and never touches the network."""

    provider: ClassVar[FakeProvider]
    capabilities = frozenset({"send", "status", "lookup"})

    def __init__(self, name: str, settings: Settings) -> None:
        super().__init__(name, settings)

    def send(self, message: Message) -> Accepted:
        return self.provider._send(message)

    def status(self, provider_id: str) -> StatusReport:
        return self.provider._status(provider_id)

    def lookup(self, message: Message) -> Accepted | None:
        return self.provider._lookup(message)


class _FakePlugin:
    def __init__(self, plugin_name: str, backend: type[FakeBackend]) -> None:
        self.plugin_name = plugin_name
        self.backend = backend

    @hookimpl
    def smsbridge_backends(self, register: Any) -> None:
        register(self.plugin_name, self.backend, description="smsbridge.testing fake provider")


@contextmanager
def fake_backend(plugin_name: str = "fake", provider: FakeProvider | None = None) -> Iterator[FakeProvider]:
    """Register a backend plugin named ``plugin_name`` (what a config's ``plugin:`` names)
    whose provider is ``provider`` (a new :class:`FakeProvider` by default) for the block;
    unregistered afterwards, even when the block raises."""
    provider = provider or FakeProvider()
    backend = type("FakeBackend", (FakeBackend,), {"provider": provider})
    plugin = _FakePlugin(plugin_name, backend)
    with registered(plugin, name=f"smsbridge.testing.fake:{plugin_name}"):
        yield provider
