"""The whole extension surface of smsbridge: every pluggy hook, each one a contract.

A plugin is a module (or object) with functions decorated by ``smsbridge.hookimpl``,
made known through the ``smsbridge`` entry-point group::

    [project.entry-points.smsbridge]
    myplugin = "my_package.smsbridge_plugin"

Built-in plugins (``smsbridge_plugins.*``) are found the very same way.  Plugin modules
must be cheap to import: register classes by ``"module:attribute"`` strings, so heavy
modules (zeep, starlette, provider wire code) load only when a backend or the gateway
is actually built.

Registration hooks give a ``register`` callback (as simonw/llm does): the core owns
naming, validation and duplicate detection; a registration that clashes with an earlier
one raises :class:`~smsbridge.errors.ConfigError` naming both plugins.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:
    from .errors import SmsBridgeError
    from .model import InboundMessage, Message, Receipt, Status, StatusReport

hookspec = pluggy.HookspecMarker("smsbridge")
hookimpl = pluggy.HookimplMarker("smsbridge")

_F = TypeVar("_F", bound=Callable[..., Any])


def never_blocks(function: _F) -> _F:
    """Mark a hook implementation that never waits (no network, no lock another process or
    thread may hold): with every implementation around sending so marked, an in-memory
    gateway runs sends on its event loop instead of a worker thread.  Unmarked hooks are
    always safe; they only cost the thread hop.  Put it under ``@hookimpl``."""
    function.never_blocks = True  # type: ignore[attr-defined]
    return function


@hookspec
def smsbridge_backends(register: Callable[..., None]) -> None:
    """Register backend classes: ``register(plugin_name, backend, description="")``.

    ``backend`` is a :class:`smsbridge.backend.Backend` subclass or a
    ``"package.module:ClassName"`` string resolved on first use.  ``plugin_name`` is what
    a config's ``plugin:`` key names (``sandbox``, ``simplesms-rest``, ...).
    """


@hookspec
def smsbridge_sdk_shims(register: Callable[..., None]) -> None:
    """Register SDK shims: ``register(name, module)``.

    ``smsbridge.compat.<name>`` then resolves to ``module`` (a dotted module path), so
    ``from smsbridge.compat.twilio import Client`` works whichever plugin provides it.
    """


@hookspec
def smsbridge_http_shims(register: Callable[..., None]) -> None:
    """Register gateway faces: ``register(name, factory, clients=None)``.

    ``factory`` (a callable or ``"module:function"`` string) is called once when
    ``smsbridge serve`` builds its app, as ``factory(gateway)`` with the
    :class:`smsbridge.gateway.Gateway`, and returns a list of Starlette routes served at
    the provider's own paths.  ``clients`` maps the credential keys a calling
    application lists under ``gateway.clients.<client>.<name>`` to
    :class:`smsbridge.backend.Option` specs, so ``config check`` validates them.
    """


@hookspec
def smsbridge_before_send(message: Message, bridge: Any, route: tuple[str, ...]) -> Message | None:
    """Called for every message before it is journaled and routed.

    ``bridge`` is the sending :class:`~smsbridge.bridge.Bridge` (its journal and config),
    ``route`` the backend names it will try, in order; an implementation that does not
    name these arguments does not get them.

    Return a replacement :class:`~smsbridge.model.Message` (made with
    ``dataclasses.replace``) to rewrite it, or ``None`` to leave it.  Implementations
    run in turn, each seeing the previous one's result.  Raise
    :class:`~smsbridge.errors.InvalidMessage` to veto the send (an opt-out list, quiet
    hours): nothing is sent and the caller gets that error.
    """


@hookspec
def smsbridge_after_send(message: Message, receipt: Receipt) -> None:
    """Called after a provider accepted ``message``. Exceptions here are logged, not raised."""


@hookspec
def smsbridge_send_failed(message: Message, error: SmsBridgeError) -> None:
    """Called when a send ends in an error (after failover gave up). Exceptions are logged."""


@hookspec
def smsbridge_status_changed(message_id: str, old: Status, new: Status, report: StatusReport) -> None:
    """Called when smsbridge learns a new status for a journaled message. Exceptions are logged."""


@hookspec
def smsbridge_inbound(message: InboundMessage, bridge: Any) -> None:
    """Called once for every inbound SMS smsbridge receives (a provider's inbound webhook,
    or the sandbox inbox's "reply"), after it is journaled; a provider's retry of the same
    message does not call it again.  ``bridge`` (optional, as for ``smsbridge_before_send``)
    is the Bridge that journaled it.  Exceptions are logged."""


@hookspec
def smsbridge_webhooks(register: Callable[..., None]) -> None:
    """Register providers' webhook handlers: ``register(name, handler)`` (issue 15).

    ``name`` is a backend plugin name: ``smsbridge serve`` then answers
    ``/webhooks/<backend>/status`` and ``/webhooks/<backend>/inbound`` for every backend of
    that plugin with ``handler``.  It is also a gateway face name: an inbound SMS is
    forwarded to that face's clients in the format ``handler.forward_inbound`` renders.
    ``handler`` is an object or a ``"module:attr"`` string (a module will do) with any of
    ``verify``, ``status_reports``, ``inbound_messages``, ``answer``, ``forward_inbound``;
    their contracts are in :mod:`smsbridge.gateway.webhooks`.  A handler verifies and
    parses only: storage, de-duplication and ordering are the core's.
    """


HOOK_RESULTS_ARE_IGNORED: tuple[str, ...] = ("smsbridge_after_send", "smsbridge_send_failed",
                                             "smsbridge_status_changed", "smsbridge_inbound")
"""Observer hooks: a failing observer must never turn a sent message into an error."""

