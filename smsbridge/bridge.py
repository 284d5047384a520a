"""The Bridge: smsbridge's public API (SPEC §2) over configured backends.

A send goes: validate (number, text, sender) → ``before_send`` hooks → journal
(phase ``sending``) → the route's backends in order, each behind its circuit breaker and
rate limit → journal (``accepted`` / ``failed`` / ``unknown``) → ``after_send`` or
``send_failed`` hooks.  Failover moves to the next backend only on an error whose
``retry_safe`` is true (it proves the provider did not accept the message);
``DeliveryUnknown`` and every other error stop the chain (SPEC §7).
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from . import config as config_mod
from . import fleet, ids, plugins, redaction, routing, validation
from .backend import Backend
from .breaker import CircuitBreaker
from .errors import (
    ConfigError,
    DeliveryUnknown,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    SmsBridgeError,
)
from .journal import fingerprint
from .model import (
    Balance,
    InboundMessage,
    Message,
    MessageRecord,
    MonthlyStat,
    Receipt,
    Status,
    StatusEvent,
    StatusReport,
)
from .ratelimit import RateLimiter
from .reports import RANK, claim_reports, webhook_url
from .store import JournalStore, open_journal, redact_store

__all__ = ["Bridge", "WouldWait", "new_message_id"]

log = logging.getLogger("smsbridge")



new_message_id = ids.new_message_id  # the id format is smsbridge.ids' alone (issue 17)

# Hooks that run inside send / status: each implementation must be marked ``never_blocks``
# for those calls to run on the gateway's event loop (Bridge.hold_nowait).
_AROUND_SENDING = ("smsbridge_before_send", "smsbridge_after_send", "smsbridge_send_failed",
                   "smsbridge_status_changed")


class WouldWait(Exception):
    """Raised under :meth:`Bridge.hold_nowait` where a call would have to wait: another
    thread or process is sending a message with the same idempotency key.  Nothing has
    been written; the caller runs the call again where waiting is allowed."""


_hooks_checked: list[Any] = [-1, False]  # [the plugins' generation checked, whether all never block]


def _hooks_never_block() -> bool:
    """Is every implementation the Bridge calls around sending marked ``never_blocks``?

    Asked of the hooks once per plugin generation (:func:`plugins.generation`), so the
    answer costs nothing per send while the plugins stay the same."""
    generation = plugins.generation()
    checked, result = _hooks_checked
    if checked == generation:
        return bool(result)
    result = all(getattr(impl.function, "never_blocks", False)
                 for name in _AROUND_SENDING for _, caller in plugins.each_impl(name)
                 for impl in caller.get_hookimpls())
    _hooks_checked[:] = [generation, result]
    return result


class _Hold:
    """Locks taken by :meth:`Bridge.hold_nowait`, released (and the no-wait mark cleared)
    when the ``with`` block ends."""

    __slots__ = ("_locks", "_mark", "_previous")

    def __init__(self, locks: list[Any], mark: threading.local) -> None:
        self._locks, self._mark = locks, mark
        self._previous = getattr(mark, "on", False)
        mark.on = True

    def __enter__(self) -> _Hold:
        return self

    def __exit__(self, *exc: object) -> None:
        self._mark.on = self._previous
        for lock in reversed(self._locks):
            lock.release()


class Bridge:
    """Send SMS through the configured backends; see SPEC §2 for the contract."""

    def __init__(self, config: config_mod.Config) -> None:
        self.config = config
        registry = plugins.registry()
        self._backends: dict[str, Backend] = {}
        self._breakers: dict[str, CircuitBreaker | fleet.FleetBreaker] = {}
        self._limiters: dict[str, RateLimiter | fleet.FleetRateLimiter] = {}
        for name, options in config.backends.items():
            cls = registry.backend_class(options["plugin"], path=f"backends.{name}.plugin", where=config)
            specs = getattr(cls, "options", {}) or {}
            settings = config_mod.backend_settings(
                config, name, options, plugin_options=specs,
                secrets=frozenset(k for k, spec in specs.items() if getattr(spec, "secret", False)))
            for key, spec in specs.items():  # masked wherever a provider echoes them (issue 11)
                if getattr(spec, "secret", False):
                    redaction.register_secret(settings.get(key))
            self._backends[name] = cls(name, settings)
            self._breakers[name] = CircuitBreaker(config.breaker["failures"], config.breaker["cooldown"])
            if settings.get("rate_limit"):
                self._limiters[name] = RateLimiter(settings["rate_limit"])
        _register_gateway_secrets(config, registry)
        self.journal: JournalStore = open_journal(config.store)  # issue 13: SQLite or PostgreSQL
        if fleet.shares_limits(self.journal):  # issue 13: one rate limit and breaker per backend for the fleet
            shared: Any = self.journal
            for name in self._backends:
                self._breakers[name] = fleet.FleetBreaker(shared, name, config.breaker["failures"],
                                                          config.breaker["cooldown"])
                if name in self._limiters:
                    self._limiters[name] = fleet.FleetRateLimiter(shared, name, 1.0 / self._limiters[name].interval)
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()
        self._nowait = threading.local()  # .on: this thread runs under hold_nowait()
        self._closed = False

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None) -> Bridge:
        """From a YAML file: ``path``, else ``$SMSBRIDGE_CONFIG``, else ``./smsbridge.yaml``.

        The ``gateway`` section is validated here too (as by ``config check`` and ``serve``),
        so a typo in a file is found by whoever loads it first.
        """
        config = config_mod.load(path)
        if config.gateway:
            from .gateway.clients import check_clients

            check_clients(config)
        return cls(config)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Bridge:
        """From a mapping with the same schema as the YAML (``${VAR}`` works here too)."""
        return cls(config_mod.parse(data))

    def __enter__(self) -> Bridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every backend's connections and the journal. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for backend in self._backends.values():
            try:
                backend.close()
            except Exception:  # closing must not hide the caller's own error
                log.exception("closing backend %r failed", backend.name)
        self.journal.close()

    def __repr__(self) -> str:
        return f"<Bridge backends={list(self._backends)} store={redact_store(self.config.store)!r}>"

    # -- introspection ---------------------------------------------------------------------
    def backends(self) -> list[str]:
        """The configured backend names, in config order."""
        return list(self._backends)

    def backend(self, name: str) -> Backend:
        """The backend object configured as ``name`` (ConfigError naming the choices)."""
        try:
            backend = self._backends[name]
        except KeyError:
            raise ConfigError(f"unknown backend {name!r}{validation.suggest(name, list(self._backends))};"
                              f" configured: {', '.join(self._backends)}") from None
        self._check_complete(name)
        return backend

    def _check_complete(self, name: str) -> None:
        missing = self._backends[name].settings.missing
        if missing:
            raise self.config.error(missing[0], f"is empty, but backend {name!r} needs it (set it, or the"
                                                " environment variable it names)")

    def backend_incomplete(self, name: str) -> bool:
        """True when a required option of backend ``name`` is empty (it cannot be used)."""
        return bool(self._backends[name].settings.missing)

    def incomplete_backends(self) -> dict[str, tuple[str, ...]]:
        """Backends with required options left empty: they load, but cannot be used."""
        return {name: b.settings.missing for name, b in self._backends.items() if b.settings.missing}

    def describe_backends(self) -> list[dict[str, Any]]:
        """Each configured backend: plugin, capabilities, whether it sets a sender,
        circuit-breaker state, rate limit."""
        return [{"name": name, "plugin": self.config.backends[name]["plugin"],
                 "capabilities": sorted(b.capabilities), "sender": b.sets_sender,
                 "breaker": self._breakers[name].state, "rate_limit": b.settings.get("rate_limit")}
                for name, b in self._backends.items()]

    def unsent_senders(self) -> dict[str, str]:
        """Backends that cannot set a sender yet have one configured (``sender`` here or in
        ``defaults``) without ``ignore_sender: true``: backend name -> the sender not sent."""
        return {name: str(b.settings.get("sender")) for name, b in self._backends.items()
                if not b.sets_sender and b.settings.get("sender") and not b.settings.get("ignore_sender")}

    # -- running without waiting (the gateway's event loop, issue 18) -----------------------
    def never_blocks(self) -> bool:
        """Whether :meth:`hold_nowait` can ever succeed: no backend that waits (on a network,
        a file, a timer), no rate limit, a journal whose only wait is an in-process lock (in
        memory), and every hook around sending marked ``never_blocks``.  May change while
        the Bridge lives (the sandbox's chaos latency, plugins registered later)."""
        if getattr(self.journal, "nowait_lock", None) is None or self._limiters:
            return False
        for backend in self._backends.values():
            if backend.blocking and not backend.settings.missing:  # an incomplete one is never called
                return False
        return _hooks_never_block()

    def hold_nowait(self, *, checked: bool = False) -> _Hold | None:
        """Every lock :meth:`send`, :meth:`status` and :meth:`record` can wait on, taken
        without waiting, in a stack to close when done; ``None`` when one is held by another
        thread or :meth:`never_blocks` is false.

        Why: the gateway runs those calls on its event loop when nothing in them can wait
        (a worker-thread hop costs more CPU than an in-memory sandbox send itself), and in
        a worker thread otherwise, so storage never blocks the loop (issue 12).  Holding
        the locks for the whole call (they are reentrant) means no statement inside it can
        wait on another thread.  Under the hold, a send that would wait for another sender
        of its idempotency key raises :class:`WouldWait` instead, having written nothing.
        Use it as ``with hold: ...``; ``checked``: the caller has just seen
        :meth:`never_blocks` true.
        """
        if not checked and not self.never_blocks():
            return None
        held: list[Any] = []
        for part in (self.journal, *self._backends.values()):
            lock = getattr(part, "nowait_lock", None)
            if lock is None:
                continue  # a backend that never waits and has no lock of its own
            if not lock.acquire(blocking=False):
                for taken in reversed(held):
                    taken.release()
                return None
            held.append(lock)
        return _Hold(held, self._nowait)

    # -- sending ---------------------------------------------------------------------------
    def send(self, to: str, text: str, *, sender: str | None = None, backend: str | None = None,
             reference: str | None = None, idempotency_key: str | None = None,
             extra: Mapping[str, Any] | None = None, send_at: datetime | None = None) -> Receipt:
        """Send one SMS; returns a :class:`Receipt` or raises an :class:`SmsBridgeError`.

        ``reference`` is the caller's label, passed to providers as their client
        reference.  ``idempotency_key`` makes the send safe to repeat: when a message
        with that key is already journaled as accepted (or maybe accepted), it is not
        sent again — the earlier receipt is returned, or ``DeliveryUnknown`` raised.
        ``extra`` carries hints for backends (e.g. ``status_callback``).

        ``send_at`` (a datetime; naive means UTC) schedules the message: it is checked and
        journaled now (status ``scheduled``) and sent when due by ``smsbridge serve`` or
        :meth:`dispatch` — smsbridge holds it, whatever the backend can do.  A time that
        has come sends at once; more than :data:`MAX_LEAD` ahead is refused.
        """
        message, chain, original = self._prepare(to, text, sender=sender, backend=backend,
                                                 reference=reference, extra=extra)
        due = _due_time(send_at)
        if due is not None:
            return self._schedule(message, chain, backend, due, idempotency_key, sender, text)
        # The first backend's attempt is journaled with the message itself (one write fewer
        # per send), unless a rate limit may hold the send back first.
        first = chain[0] if chain[0] not in self._limiters else None
        # The key is bound to what the caller asked for (recipient as E.164, so national and
        # international spellings are one payload): another payload under it is a conflict.
        bound = None if idempotency_key is None else fingerprint(message.to, text, sender, reference)
        earlier = self.journal.begin(message, idempotency_key, attempt=first, fingerprint=bound)
        if earlier is not None:
            return self._replay(earlier, idempotency_key)
        return self._deliver(message, chain, journaled=first, original=original)

    def plan(self, to: str, text: str, *, sender: str | None = None, backend: str | None = None,
             reference: str | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What :meth:`send` would do with these arguments, sending and journaling nothing.

        The same checks as ``send`` (number, text, sender, ``before_send`` hooks: a veto
        raises here as there), then: ``to`` (E.164), ``text`` (as it would go out, e.g.
        transliterated), ``sender``, ``encoding``, ``segments``, ``backend`` (the first
        one tried) and ``backends`` — the failover chain, each ``{"name", "plugin",
        "breaker"}`` (``open``: it would be skipped). For ``send --dry-run`` and
        ``bulk --dry-run``.
        """
        message, chain, _ = self._prepare(to, text, sender=sender, backend=backend, reference=reference,
                                       extra=extra)
        return {"to": message.to, "text": message.text, "sender": message.sender, "encoding": message.encoding,
                "segments": message.segments, "reference": message.reference, "backend": chain[0],
                "backends": [{"name": name, "plugin": self.config.backends[name]["plugin"],
                              "breaker": self._breakers[name].state} for name in chain]}

    # -- scheduled messages (issue 12) -------------------------------------------------------
    def _schedule(self, message: Message, chain: tuple[str, ...], pinned: str | None, due: datetime,
                  idempotency_key: str | None, sender: str | None, text: str) -> Receipt:
        bound = None if idempotency_key is None else fingerprint(message.to, text, sender, message.reference)
        # The journal's backend column keeps the caller's pin (None: the routes decide when due).
        earlier = self.journal.begin(message, idempotency_key, attempt=pinned, fingerprint=bound, send_at=due)
        if earlier is not None:
            if earlier.phase == "scheduled":
                return self._scheduled_receipt(earlier.id, earlier.backend or chain[0], earlier.to, earlier.segments,
                                               earlier.encoding, earlier.sender, earlier.reference,
                                               earlier.created_at, replayed=True)
            return self._replay(earlier, idempotency_key)
        return self._scheduled_receipt(message.id, chain[0], message.to, message.segments, message.encoding,
                                       message.sender, message.reference, datetime.now(timezone.utc))

    @staticmethod
    def _scheduled_receipt(message_id: str, backend: str, to: str, segments: int, encoding: str,
                           sender: str | None, reference: str | None, created_at: datetime | None,
                           replayed: bool = False) -> Receipt:
        return Receipt(id=message_id, backend=backend, provider_id="", status=Status.SCHEDULED, to=to,
                       segments=segments, encoding=encoding, sender=sender, reference=reference,
                       created_at=created_at, replayed=replayed)

    def cancel(self, message_id: str) -> MessageRecord:
        """Cancel a scheduled message before it is sent; returns its record (``canceled``).

        ``NotFound`` for an unknown id; ``InvalidMessage(reason="not_scheduled")`` for a
        message that is not (or no longer) scheduled — one already being sent included.
        """
        record = self.journal.get(message_id)
        if record is None:
            raise NotFound(f"no message with id {message_id!r}")
        if not self.journal.cancel(message_id):
            current = self.journal.get(message_id) or record
            raise InvalidMessage(f"message {message_id} is not scheduled (it is {current.status}): nothing to"
                                 " cancel", reason="not_scheduled", message_id=message_id)
        return self.journal.get(message_id) or record

    def dispatch(self, *, now: datetime | None = None, limit: int = 100) -> list[Receipt | SmsBridgeError]:
        """Send the scheduled messages that are due, each exactly once.

        Every due message is claimed first (one conditional UPDATE in the journal): with
        several processes on one store, each message is sent by exactly one of them.  A
        claimed message is sent like any other (routes, failover, journal); its result —
        a Receipt, or the error it raised — is in the returned list.
        """
        results: list[Receipt | SmsBridgeError] = []
        for record in self.journal.due(now, limit=limit):
            pinned = record.backend if record.backend in self._backends else None
            try:
                chain = (pinned,) if pinned else routing.choose(self.config.routes, self.config.default, record.to,
                                                               _region(record.to))
                for name in chain:
                    self._check_complete(name)
            except SmsBridgeError as exc:
                exc.message_id = record.id
                results.append(exc)
                if self.journal.claim(record.id):
                    self.journal.finished_with_error(record.id, None, unknown=False, error=str(exc))
                continue
            if not self.journal.claim(record.id, attempt=chain[0]):
                continue  # another process (or thread) claimed it first
            extra = dict(record.extra)
            if record.gateway_client is not None:
                extra["gateway_client"] = record.gateway_client
            if record.face is not None:
                extra["face"] = record.face
            message = Message(to=record.to, text=record.text, id=record.id, sender=record.sender,
                              reference=record.reference, encoding=record.encoding, segments=record.segments,
                              extra=extra)
            try:
                results.append(self._deliver(message, chain, journaled=chain[0]))
            except SmsBridgeError as exc:
                results.append(exc)
        return results

    def _prepare(self, to: str, text: str, *, sender: str | None, backend: str | None,
                 reference: str | None, extra: Mapping[str, Any] | None,
                 ) -> tuple[Message, tuple[str, ...], _Original]:
        """The message as the chain's first backend sends it, the chain, and the original.

        Routing reads the number as parsed with ``defaults.default_region`` (or the explicit
        backend's).  Each backend of the chain then gets the *original* message (the caller's
        text after the ``before_send`` hooks, the caller's sender, the number as typed)
        adapted to its own ``default_region``, ``transliterate``, ``max_segments`` and
        ``sender`` (:meth:`_for_backend`); the first backend's version is journaled, and a
        message the first backend cannot take is refused before anything is journaled.
        """
        from . import numbers
        from . import text as text_mod

        if backend is not None:
            self.backend(backend)
        if not isinstance(text, str):
            raise InvalidMessage(f"message text must be a string, not {type(text).__name__}", reason="bad_text")
        region = (self._backends[backend].settings if backend else self.config.defaults)["default_region"]
        e164 = numbers.parse_number(to, region)
        chain = (backend,) if backend else routing.choose(self.config.routes, self.config.default, e164,
                                                        numbers.region_of(e164))
        for name in chain:
            self._check_complete(name)
        settings = self._backends[chain[0]].settings
        # The first backend's checks run before the hooks too, as they always have: an empty or
        # broken text never reaches a plugin.
        text_mod.check(text_mod.transliterate(text) if settings["transliterate"] else text, settings["max_segments"])
        info = text_mod.analyse(text)
        if sender not in (None, ""):  # a sender= the route's backends cannot carry is refused, not dropped
            for name in chain:
                if not self._backends[name].sets_sender and not self._backends[name].settings.get("ignore_sender"):
                    raise InvalidMessage(f"backend {name!r} cannot set a sender (its provider has no sender field):"
                                         f" send without sender=, or set ignore_sender: true on backend {name!r}",
                                         reason="sender_unsupported")
        neutral = Message(to=e164, text=text, id=new_message_id(), sender=_check_sender(sender),
                          reference=reference, encoding=info.encoding, segments=info.segments,
                          extra=dict(extra or {}))
        original = _Original(self._before_send(neutral, chain), typed_to=to, routed_to=e164)
        return self._for_backend(original, chain[0]), chain, original

    def _before_send(self, message: Message, chain: tuple[str, ...] = ()) -> Message:
        # pluggy calls each plugin in turn; each sees the previous one's result (hookspecs).
        # ``bridge`` and ``route`` reach only implementations that name them (the opt-out list).
        for plugin_name, call in plugins.each_impl("smsbridge_before_send"):
            for result in call(message=message, bridge=self, route=chain):
                if not isinstance(result, Message):
                    raise InvalidMessage(f"plugin {plugin_name!r} returned {type(result).__name__} from"
                                         " smsbridge_before_send, not a Message", reason="vetoed")
                message = replace(result, id=message.id)
        return message

    def _for_backend(self, original: _Original, name: str) -> Message:
        """The original message as backend ``name`` sends it: its region, transliteration,
        segment limit and sender.  Raises InvalidMessage / InvalidNumber when it cannot."""
        from . import numbers
        from . import text as text_mod

        settings = self._backends[name].settings
        message = original.message
        to = message.to
        if to == original.routed_to and settings["default_region"] != self.config.defaults["default_region"]:
            to = numbers.parse_number(original.typed_to, settings["default_region"])
        body = text_mod.transliterate(message.text) if settings["transliterate"] else message.text
        info = text_mod.check(body, settings["max_segments"])
        sender = _check_sender(message.sender if message.sender is not None else settings.get("sender"))
        if not self._backends[name].sets_sender:  # its provider has no sender field (receipt.sender None)
            sender = None
        return replace(message, to=to, text=body, sender=sender, encoding=info.encoding, segments=info.segments)

    def _deliver(self, message: Message, chain: tuple[str, ...], journaled: str | None = None,
                 original: _Original | None = None) -> Receipt:
        with self._in_flight_lock:
            self._in_flight.add(message.id)
        try:
            return self._try_chain(message, chain, journaled, original)
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(message.id)

    def _try_chain(self, message: Message, chain: tuple[str, ...], journaled: str | None = None,
                   original: _Original | None = None) -> Receipt:
        """``journaled``: the first backend, when ``journal.begin`` already recorded its attempt.

        ``message`` is the first backend's version; a fallback gets ``original`` adapted to its
        own settings, and is skipped (journaled, not called) when it cannot take it.
        """
        last: SmsBridgeError | None = None
        unfit: SmsBridgeError | None = None
        for index, name in enumerate(chain):
            backend = self._backends[name]
            breaker = self._breakers[name]
            recorded = index == 0 and name == journaled
            if not breaker.allow():
                last = ProviderUnavailable("skipped: circuit breaker open after repeated failures",
                                           backend=name)
                if not recorded:
                    self.journal.attempt(message.id, name)
                self.journal.attempt(message.id, name, outcome="skipped (circuit open)")
                continue
            attempt = message
            if index > 0 and original is not None:
                try:
                    attempt = self._for_backend(original, name)
                except (InvalidMessage, InvalidNumber) as exc:
                    unfit = exc
                    self.journal.attempt(message.id, name)
                    self.journal.attempt(message.id, name, outcome=f"skipped: {exc}")
                    continue
            attempt = self._with_webhook(attempt, name)
            limiter = self._limiters.get(name)
            if limiter is not None:
                limiter.wait()
            if not recorded:
                self.journal.attempt(message.id, name)
            try:
                accepted = backend.send(attempt)
            except SmsBridgeError as exc:
                error = exc
            except Exception as exc:  # a plugin bug after the request may have left: assume the worst
                log.exception("backend %r raised an unexpected error", name)
                error = DeliveryUnknown(f"backend raised {type(exc).__name__}: {exc}", backend=name)
            else:
                breaker.success()
                return self._accepted(attempt, name, accepted)
            error.message_id = message.id
            if isinstance(error, ProviderError) and error.backend is None:
                error.backend = name
            if error.retry_safe:
                breaker.failure()
                self.journal.attempt(message.id, name, outcome=f"not accepted: {error}")
                last = error
                continue
            if isinstance(error, DeliveryUnknown):
                breaker.release()
            else:
                breaker.success()  # the provider answered: it is alive
            return self._fail(attempt, name, error)
        # Every backend refused before accepting, or could not take the message: the caller
        # learns the provider's refusal first (the text was fine for the first backend).
        final = last if last is not None else unfit
        assert final is not None
        final.message_id = message.id
        return self._fail(message, chain[-1], final)

    def _with_webhook(self, message: Message, name: str) -> Message:
        """With ``gateway.public_url`` set, tell the backend where its provider should post
        delivery reports (``extra["webhook_url"]``, issue 15); a caller's own
        ``status_callback`` still wins, in the backend."""
        url = webhook_url((self.config.gateway or {}).get("public_url"), name)
        if url is None:
            return message
        return replace(message, extra={**message.extra, "webhook_url": url})

    def _accepted(self, message: Message, name: str, accepted: Any) -> Receipt:
        self.journal.accepted(message.id, name, accepted.provider_id, accepted.status, accepted.segments)
        claim_reports(self, message.id, name, str(accepted.provider_id))  # issue 15: early webhooks
        receipt = Receipt(id=message.id, backend=name, provider_id=str(accepted.provider_id),
                          status=accepted.status, to=message.to,
                          segments=accepted.segments or message.segments, encoding=message.encoding,
                          sender=message.sender, reference=message.reference,
                          created_at=datetime.now(timezone.utc))
        self._observe("smsbridge_after_send", message=message, receipt=receipt)
        return receipt

    def _fail(self, message: Message, name: str, error: SmsBridgeError) -> Receipt:
        # ``failed`` means "certainly not accepted" and gives the idempotency key up for a
        # re-send: only an error that proves it (retry-safe, or the message itself refused
        # as invalid) may say so.  Every other error is ``unknown`` (SPEC §7, issue 11).
        unknown = not (error.retry_safe or isinstance(error, (InvalidMessage, InvalidNumber)))
        self.journal.finished_with_error(message.id, name, unknown=unknown, error=str(error),
                                         code=getattr(error, "code", None))
        self._observe("smsbridge_send_failed", message=message, error=error)
        raise error

    def _replay(self, record: MessageRecord, key: str | None) -> Receipt:
        """The earlier send with the same idempotency key: its receipt, or why there is none.

        An earlier send still in progress (another thread or process claimed the key first)
        is waited for, up to the longest its backends may take; then its result is returned,
        or a ``DeliveryUnknown`` that says it is still being sent.
        """
        if record.phase == "sending":
            chain_timeout = min(sum(float(b.settings.get("timeout") or 10.0) for b in self._backends.values()),
                                120.0) + 1.0
            # A row left "sending" longer than any send can take is a crashed process's: no wait.
            age = time.time() - record.updated_at.timestamp() if record.updated_at else 0.0
            if chain_timeout > age and getattr(self._nowait, "on", False):
                raise WouldWait(record.id)  # begin() wrote nothing: the caller retries where it may wait
            record = self.journal.wait_settled(record.id, max(0.0, chain_timeout - age)) or record
            if record.phase == "sending":
                raise DeliveryUnknown(f"a message with idempotency key {key!r} is being sent right now (by"
                                      " another thread or process, or one that stopped); its outcome is not"
                                      " known yet: ask 'smsbridge status' later", backend=record.backend,
                                      message_id=record.id)
            if record.phase == "failed":
                raise ProviderError(f"a message with idempotency key {key!r} was just sent by another thread or"
                                    f" process and failed: {record.error}", backend=record.backend,
                                    message_id=record.id, code=record.error_code, pre_acceptance=True)
        if record.phase in ("accepted", "scheduled"):  # scheduled: the same message, still waiting for its time
            return Receipt(id=record.id, backend=record.backend or "", provider_id=record.provider_id or "",
                           status=record.status, to=record.to, segments=record.segments,
                           encoding=record.encoding, sender=record.sender, reference=record.reference,
                           created_at=record.created_at, replayed=True)
        raise DeliveryUnknown(f"a message with idempotency key {key!r} was already handed to a provider and its"
                              " outcome is unknown; run 'smsbridge reconcile' before sending it again",
                              backend=record.backend, message_id=record.id)

    def _observe(self, hook: str, **kwargs: Any) -> None:
        """Run observer hooks; a failing observer is logged, never raised (hookspecs)."""
        for plugin_name, call in plugins.each_impl(hook):
            try:
                call(**kwargs, bridge=self)  # pluggy passes each the arguments it accepts
            except Exception:
                log.exception("plugin %r failed in %s", plugin_name, hook)

    def send_many(self, items: Iterable[Any], *, concurrency: int = 8,
                  progress: Callable[[Any], None] | None = None) -> list[Receipt | SmsBridgeError]:
        """Send many messages concurrently; one result per item, in input order.

        ``items`` are ``(to, text)`` pairs or mappings with ``to``, ``text`` and optionally
        ``sender``, ``backend``, ``reference``, ``idempotency_key``.  A failed item gives the
        :class:`SmsBridgeError` it raised instead of a Receipt.  ``progress``, if given, is
        called with each result as it is produced.  See :meth:`send_iter` for streaming.
        """
        return list(self.send_iter(items, concurrency=concurrency, progress=progress))

    def send_iter(self, items: Iterable[Any], *, concurrency: int = 8,
                  progress: Callable[[Any], None] | None = None) -> Iterator[Receipt | SmsBridgeError]:
        """Like :meth:`send_many`, but a generator: input is read lazily, at most a bounded
        window of items is in flight, so a million-row input runs in constant memory.

        No head-of-line blocking (issue 18): ``concurrency`` sends are kept in flight, and
        a new one starts as soon as *any* finishes, not only the oldest.  Results still come
        out in input order through a reorder buffer: a slow reply holds back the results
        behind it, not the sends.  The buffer is bounded (``256 × concurrency`` items in
        flight or waiting for an older one), so memory stays constant; only a send stalled
        for longer than that many others take pauses new sends.  (256, not 64: at c=16 a
        2 s reply outlasted 1,024 fast ones on loopback and stalled the run; benchmarks/
        issue18.py's slow-reply row.  A waiting result is a Receipt, well under 1 KiB.)
        """
        if concurrency < 1:
            raise InvalidMessage("concurrency must be at least 1")
        window = 256 * concurrency
        finished: queue.SimpleQueue[int] = queue.SimpleQueue()
        futures: dict[int, Future[Receipt | SmsBridgeError]] = {}
        ready: dict[int, Receipt | SmsBridgeError] = {}

        def report(index: int) -> Callable[[Future[Receipt | SmsBridgeError]], None]:
            return lambda _future: finished.put(index)

        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="smsbridge-send") as pool:
            source = iter(items)
            exhausted = False
            submitted = emitted = in_flight = 0
            while True:
                while not exhausted and in_flight < concurrency and submitted - emitted < window:
                    try:
                        item = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    future = pool.submit(self._send_item, item)
                    futures[submitted] = future
                    future.add_done_callback(report(submitted))
                    submitted += 1
                    in_flight += 1
                if emitted == submitted:
                    return
                index = finished.get()
                in_flight -= 1
                ready[index] = futures.pop(index).result()
                while emitted in ready:
                    result = ready.pop(emitted)
                    emitted += 1
                    if progress is not None:
                        progress(result)
                    yield result

    def _send_item(self, item: Any) -> Receipt | SmsBridgeError:
        try:
            if isinstance(item, Mapping):
                unknown = set(item) - {"to", "text", "sender", "backend", "reference", "idempotency_key", "extra"}
                if unknown:
                    raise InvalidMessage(f"unknown field(s) in item: {', '.join(sorted(map(str, unknown)))}")
                if "to" not in item or "text" not in item:
                    raise InvalidMessage("each item needs 'to' and 'text'")
                return self.send(item["to"], item["text"], sender=item.get("sender") or None,
                                 backend=item.get("backend") or None, reference=item.get("reference") or None,
                                 idempotency_key=item.get("idempotency_key") or None, extra=item.get("extra"))
            to, text = item
            return self.send(to, text)
        except SmsBridgeError as exc:
            return exc
        except (TypeError, ValueError):
            return InvalidMessage(f"an item must be (to, text) or a mapping with 'to' and 'text', not {item!r:.60}")

    # -- looking up ------------------------------------------------------------------------
    def _record(self, message_id: str) -> MessageRecord:
        record = self.journal.get(message_id) if isinstance(message_id, str) else None
        if record is None:
            raise NotFound(f"no message with id {message_id!r} in the journal")
        return record

    def status(self, message_id: str) -> StatusReport:
        """The message's current status: asked of the provider where it can say, else the journal's."""
        return self._status_of(self._record(message_id))

    def refreshed(self, message_id: str) -> MessageRecord:
        """:meth:`record` after :meth:`status`: the journal's record once the provider has
        been asked for a fresher status — what a gateway fetch answers.  One journal read
        when there is nothing to ask (a final status, a message never accepted), instead of
        one for the status and one for the record (issue 18)."""
        record = self._record(message_id)
        if self._askable(record) is None:
            return record
        self._status_of(record)
        return self._record(message_id)

    def _askable(self, record: MessageRecord) -> Backend | None:
        """The backend to ask for the record's status, or ``None``: the journal's is final."""
        if record.phase == "accepted" and not record.status.final and record.provider_id and record.backend:
            backend = self._backends.get(record.backend)
            if backend is not None and "status" in backend.capabilities:
                return backend
        return None

    def _status_of(self, record: MessageRecord) -> StatusReport:
        message_id = record.id
        backend = self._askable(record)
        if backend is not None:
            assert record.provider_id is not None
            try:
                report = backend.status(record.provider_id)
            except Exception as exc:  # any failure (404 too): the journal still knows (issue 11)
                log.info("status of %s from %s failed, answering from the journal: %s", message_id,
                         record.backend, _describe_error(exc))
            else:
                if report.description:
                    report = replace(report, description=redaction.redact(report.description))
                self._learn(message_id, report)
                known = self.journal.get(message_id)
                if known is not None and known.status != report.status:  # a webhook knew more
                    return StatusReport(id=message_id, status=known.status, updated_at=known.updated_at,
                                        raw=None)
                return StatusReport(id=message_id, status=report.status, updated_at=report.updated_at,
                                    description=report.description, raw=report.raw)
        return StatusReport(id=message_id, status=record.status, updated_at=record.updated_at,
                            description=self._describe(record), raw=None)

    def _learn(self, message_id: str, report: StatusReport) -> None:
        # Forward only (issue 15): a poll racing a delivery-report webhook must not put a
        # message back to an earlier status, nor replace a final one.
        old = self.journal.advance_status(message_id, report.status, RANK, at=report.updated_at,
                                          description=report.description)
        if old is not None and old != report.status:
            self._observe("smsbridge_status_changed", message_id=message_id, old=old, new=report.status,
                          report=replace(report, id=message_id))

    def _describe(self, record: MessageRecord) -> str | None:
        phase = record.phase
        if phase == "sending":
            with self._in_flight_lock:
                if record.id in self._in_flight:
                    return "being sent now"
            return ("journaled, but the process stopped before the provider answered: it may or may not "
                    "have been sent; run 'smsbridge reconcile'")
        if phase in ("failed", "unknown"):
            return redaction.redact(record.error) if record.error else record.error
        return None

    def history(self, message_id: str) -> list[StatusEvent]:
        """The message's status changes, oldest first (the provider's where it keeps them)."""
        record = self._record(message_id)
        backend = self._backends.get(record.backend or "")
        if record.phase == "accepted" and record.provider_id and backend is not None \
                and "history" in backend.capabilities:
            try:
                return [replace(e, description=redaction.redact(e.description)) if e.description else e
                        for e in backend.history(record.provider_id)]
            except Exception as exc:  # any failure (404 too): the journal still knows (issue 11)
                log.info("history of %s from %s failed, answering from the journal: %s", message_id,
                         record.backend, _describe_error(exc))
        return self.journal.events(message_id)

    def record(self, message_id: str) -> MessageRecord:
        """The journal's record of a message (text, backend, attempts, ...)."""
        return self._record(message_id)

    def journaled(self, *, status: str | None = None, limit: int = 100, offset: int = 0) -> list[MessageRecord]:
        """Journaled messages, newest first; ``status`` filters (``unknown``, ``failed``, ...)."""
        if status is not None and status not in {s.value for s in Status}:
            raise InvalidMessage(f"unknown status {status!r}; one of: {', '.join(s.value for s in Status)}")
        return self.journal.records(status=status, limit=limit, offset=offset)

    def reconcile(self) -> list[StatusReport]:
        """Ask providers about every ``unknown`` message they can look up; update the journal.

        A message whose provider now reports it is marked accepted with that status; one
        the provider certainly does not have becomes ``failed`` (safe to send again), but
        only once the backend's ``reconcile_grace`` (seconds after it was journaled) has
        passed: providers' searches lag behind their sends.  Messages no backend can look
        up stay ``unknown``.  Returns a report per message examined; an ``unknown`` one's
        description says why it could not be settled.
        """
        reports: list[StatusReport] = []
        for record in list(self.journal.iter_records(status=Status.UNKNOWN.value)):
            with self._in_flight_lock:
                if record.id in self._in_flight:
                    continue
            phase = record.phase
            if phase == "accepted":
                reports.append(self.status(record.id))
                continue
            if not record.attempts:  # journaled, but no backend was ever called
                self.journal.finished_with_error(record.id, None, unknown=False,
                                                 error="reconciled: never handed to a backend")
                reports.append(StatusReport(id=record.id, status=Status.FAILED,
                                            description="never handed to a backend; safe to send again"))
                continue
            reports.append(self._reconcile_one(record))
        return reports

    def _reconcile_one(self, record: MessageRecord) -> StatusReport:
        from . import lookup as lookup_rules

        def unknown(why: str) -> StatusReport:
            return StatusReport(id=record.id, status=Status.UNKNOWN, description=redaction.redact(why))

        backend = self._backends.get(record.backend or "")
        if backend is None:
            return unknown(f"backend {record.backend!r} is not configured any more; cannot look it up")
        if "lookup" not in backend.capabilities:
            plugin = self.config.backends[backend.name]["plugin"]
            return unknown(f"backend {backend.name!r} (plugin {plugin}) cannot look messages up: its provider"
                           " offers no search; check the provider's dashboard")
        if backend.settings.missing:
            return unknown(f"backend {backend.name!r} is incomplete ({', '.join(backend.settings.missing)} empty)")
        extra: dict[str, Any] = {lookup_rules.CLAIMED: self._claimed_near(record, backend.name)}
        if record.created_at:
            extra[lookup_rules.JOURNALED_AT] = record.created_at
        message = Message(to=record.to, text=record.text, id=record.id, sender=record.sender,
                          reference=record.reference, encoding=record.encoding, segments=record.segments,
                          extra=extra)
        try:
            found = backend.lookup(message)
        except Exception as exc:  # any failure: the message stays unknown, and the report says why
            return unknown(f"look-up failed: {_describe_error(exc)}")
        if found is not None:
            self.journal.accepted(record.id, backend.name, found.provider_id, found.status, found.segments)
            claim_reports(self, record.id, backend.name, str(found.provider_id))  # issue 15: early webhooks
            return self.status(record.id)
        grace = backend.settings.get("reconcile_grace")
        if grace is None:
            grace = float(getattr(backend, "reconcile_grace", lookup_rules.DEFAULT_GRACE))
        age = (datetime.now(timezone.utc) - record.created_at).total_seconds() if record.created_at else None
        if age is not None and age < grace:
            return unknown(f"not found yet; {backend.name!r} waits {grace:g} s after sending before 'not found'"
                           f" means failed (providers' searches lag): run reconcile again in {grace - age:.0f} s")
        self.journal.finished_with_error(record.id, backend.name, unknown=False,
                                         error="reconciled: the provider has no such message")
        return StatusReport(id=record.id, status=Status.FAILED, description="the provider has no such message")

    def _claimed_near(self, record: MessageRecord, backend: str) -> frozenset[str]:
        """Provider ids journaled for other messages to ``record.to`` through ``backend``
        around the time ``record`` was (see :data:`smsbridge.lookup.CLAIMED`)."""
        from . import lookup as lookup_rules

        start = record.created_at - lookup_rules.CLOCK_SKEW - lookup_rules.MAX_SEND_DELAY \
            if record.created_at else None
        ids: set[str] = set()
        offset = 0
        while True:
            page = self.journal.records(to=record.to, limit=500, offset=offset)  # newest first
            for other in page:
                if other.id != record.id and other.backend == backend and other.provider_id:
                    ids.add(other.provider_id)
            if len(page) < 500 or (start is not None and page[-1].created_at is not None
                                   and page[-1].created_at < start):
                return frozenset(ids)
            offset += len(page)

    # -- issue 15: inbound SMS ---------------------------------------------------------------
    def inbound(self, since: datetime | None = None, limit: int = 100) -> list[InboundMessage]:
        """Inbound SMS in the order received: the latest ``limit``, or the first ``limit``
        received after ``since`` (a datetime; keep the last one's ``received_at`` to follow)."""
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return self.journal.inbound(since=since, limit=limit)

    def receive(self, message: InboundMessage) -> bool:
        """Take in one inbound SMS: journal it and fire ``smsbridge_inbound``.  ``False`` (and
        nothing fired) when the same provider message came in before (a webhook retry)."""
        if not self.journal.add_inbound(message):
            return False
        self._observe("smsbridge_inbound", message=message)
        return True

    def opt_outs(self) -> list[dict[str, Any]]:
        """The opt-out list (numbers that answered STOP), oldest first: ``number``, ``at``,
        ``backend``, ``keyword``."""
        return self.journal.opt_outs()

    def opt_out(self, number: str) -> bool:
        """Put ``number`` on the opt-out list by hand; ``False`` when it already was."""
        return self.journal.opt_out(self.normalise_number(number), keyword="(manual)")

    def opt_in(self, number: str) -> bool:
        """Take ``number`` off the opt-out list; ``False`` when it was not on it."""
        return self.journal.opt_in(self.normalise_number(number))

    def normalise_number(self, number: str) -> str:
        """``number`` in E.164 (national numbers read in ``defaults.default_region``);
        ``InvalidNumber`` when it is none."""
        from . import numbers

        return numbers.parse_number(number, self.config.defaults["default_region"])

    # -- account ---------------------------------------------------------------------------
    def balance(self, backend: str | None = None) -> Balance:
        """The credit balance of ``backend`` (default: the ``default`` backend)."""
        return self.backend(backend or self.config.default).balance()

    def monthly_stats(self, backend: str | None = None) -> list[MonthlyStat]:
        """Messages per month, domestic and foreign, from ``backend`` (default: ``default``)."""
        return self.backend(backend or self.config.default).monthly_stats()


def _register_gateway_secrets(config: config_mod.Config, registry: plugins.Registry) -> None:
    """Mask the credentials gateway callers log in with: their face's secret options, and
    any key that looks secret (``password``, ``*_token``, ``*_key``)."""
    clients = (config.gateway or {}).get("clients")
    if not isinstance(clients, Mapping):
        return
    for faces in clients.values():
        if not isinstance(faces, Mapping):
            continue
        for face, values in faces.items():
            if not isinstance(values, Mapping):
                continue
            shim = registry.http_shims.get(str(face))
            specs = (shim.extra.get("clients") if shim is not None else None) or {}
            for key, value in values.items():
                spec = specs.get(key)
                if getattr(spec, "secret", False) or validation.looks_secret(str(key)):
                    redaction.register_secret(value)


def _describe_error(exc: BaseException) -> str:
    """An error for a log line: smsbridge's own text, or the type and text of a plugin bug."""
    return str(exc) if isinstance(exc, SmsBridgeError) else f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class _Original:
    """A message before any backend's settings were applied (see :meth:`Bridge._for_backend`)."""

    message: Message  # the caller's text and sender, after the before_send hooks
    typed_to: str     # the number as the caller typed it
    routed_to: str    # that number read with the routing region

MAX_LEAD = timedelta(days=366)
"""How far ahead a message may be scheduled."""


def _due_time(send_at: Any) -> datetime | None:
    """``send_at`` as an aware UTC datetime, or ``None`` when it is absent or has come."""
    if send_at is None:
        return None
    if not isinstance(send_at, datetime):
        raise InvalidMessage(f"send_at must be a datetime, not {type(send_at).__name__}", reason="bad_request")
    due = send_at if send_at.tzinfo else send_at.replace(tzinfo=timezone.utc)
    now = datetime.now(timezone.utc)
    if due - now > MAX_LEAD:
        raise InvalidMessage(f"send_at {due.isoformat()} is more than {MAX_LEAD.days} days ahead",
                             reason="bad_request")
    return due if due > now else None


def _region(e164: str) -> str | None:
    from . import numbers

    return numbers.region_of(e164)


def _check_sender(sender: Any) -> str | None:
    """A sender is a phone number (up to 15 digits, optional +) or up to 11 GSM letters/digits."""
    if sender is None or sender == "":
        return None
    if not isinstance(sender, str):
        raise InvalidMessage(f"sender must be a string, not {type(sender).__name__}", reason="bad_sender")
    import re

    if re.fullmatch(r"\+?\d{3,15}", sender) or re.fullmatch(r"[A-Za-z0-9 .\-_&]{1,11}", sender) \
            and re.search(r"[A-Za-z]", sender):
        return sender
    raise InvalidMessage(f"invalid sender {sender!r}: use a phone number or at most 11 letters/digits",
                         reason="bad_sender")
