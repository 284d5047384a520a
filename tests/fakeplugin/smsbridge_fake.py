"""A third-party smsbridge plugin, as a user would write one (used by the tests).

It is found through the ``smsbridge`` entry-point group when this folder is on
``sys.path`` (the ``smsbridge_fake-0.1.dist-info`` beside it declares the entry point),
or registered in-process with ``smsbridge.plugins.register``.

The ``fake`` backend's ``mode`` option decides what a send does: ``ok``, ``unavailable``
(ProviderUnavailable), ``auth`` (AuthenticationError), ``unknown`` (DeliveryUnknown),
``rejected`` (a ProviderError that is not retry-safe), ``crash`` (a plain exception).
Every send attempt is recorded in ``CALLS`` so tests can count what reached a provider.
"""
from __future__ import annotations

import itertools
import threading

from smsbridge import Option
from smsbridge.backend import Backend
from smsbridge.errors import AuthenticationError, DeliveryUnknown, ProviderError, ProviderUnavailable
from smsbridge.hookspecs import hookimpl
from smsbridge.model import Accepted, Status

CALLS: list[tuple[str, str, str]] = []  # (backend name, to, text)
OVERRIDE: dict[str, str] = {}  # backend name -> mode, to change behaviour mid-test
_ids = itertools.count(1)
_lock = threading.Lock()


class FakeBackend(Backend):
    options = {"mode": Option(str, default="ok"), "api_key": Option(str, required=True, secret=True)}
    capabilities = frozenset({"send"})

    def send(self, message):
        with _lock:
            CALLS.append((self.name, message.to, message.text))
        mode = OVERRIDE.get(self.name, self.settings["mode"])
        if mode == "unavailable":
            raise ProviderUnavailable("connection refused", backend=self.name)
        if mode == "auth":
            raise AuthenticationError("bad key", backend=self.name)
        if mode == "unknown":
            raise DeliveryUnknown("read timed out", backend=self.name)
        if mode == "rejected":
            raise ProviderError("number barred", code="7", backend=self.name)
        if mode == "crash":
            raise RuntimeError("plugin bug")
        return Accepted(provider_id=f"fake-{next(_ids)}", status=Status.SENT)


@hookimpl
def smsbridge_backends(register):
    register("fake", FakeBackend, description="test double")
