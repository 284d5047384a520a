"""What the sandbox inbox knows and does, whoever asks (the HTML pages or the REST API).

One :class:`Inbox` per gateway app.  It reads the journal (the messages, their events
and attempts), the gateway's webhook log (the callbacks sent) and its own memory (the
replies it made up), and it changes the simulation: forced outcomes, replies, chaos
settings and deletions.  Every change is published to the event stream that the live
list and ``GET /api/v1/events`` follow; messages sent by the faces (or by another
process sharing the store) are found by a poller that runs only while someone listens.

Everything here is in-process memory except what the journal keeps: replies and
callbacks are forgotten on restart, and with several workers each has its own.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from starlette.concurrency import run_in_threadpool

from ... import plugins
from ...errors import NotFound, ProviderError, SmsBridgeError
from ...model import InboundMessage, MessageRecord, Status
from ...text import GSM7_BASIC, GSM7_EXTENSION, analyse, split, transliterate

__all__ = ["Inbox", "Filters", "BadInput", "CHAOS_LIMITS", "FORCEABLE"]

log = logging.getLogger("smsbridge.gateway.inbox")

POLL_EVERY = 0.25   # seconds between looks at the journal while someone follows the stream
POLL_WINDOW = 100   # newest messages compared on each look
SCAN_LIMIT = 20000  # records a search walks at most (newest first)
REPLIES = 1000      # replies remembered
QUEUE = 200         # events buffered per listener before it is told to resync

CHAOS_LIMITS: dict[str, tuple[float, float]] = {"failure_rate": (0.0, 1.0), "lost_reply_rate": (0.0, 1.0),
                                                "latency": (0.0, 60.0)}
"""The chaos switches the inbox offers per simulator backend, with their ranges."""

FORCEABLE = {"deliver": Status.DELIVERED, "fail": Status.FAILED, "expire": Status.EXPIRED}
"""The inbox's buttons and the outcome each forces."""


class BadInput(SmsBridgeError):
    """A request the inbox refuses (HTTP 400), with the reason."""


@dataclass(frozen=True)
class Filters:
    """A search: every given field must match (substrings, case-insensitive, except
    ``status``, ``client``, ``face`` and ``backend``, which match exactly)."""

    q: str | None = None
    number: str | None = None
    text: str | None = None
    status: str | None = None
    client: str | None = None
    face: str | None = None
    backend: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        values = {key: (query.get(key) or "").strip() or None for key in
                  ("q", "number", "text", "status", "client", "face", "backend")}
        if values["status"] is not None and values["status"] not in {s.value for s in Status}:
            raise BadInput(f"unknown status {values['status']!r}; one of: {', '.join(s.value for s in Status)}")
        return cls(**values)

    def matches(self, summary: Mapping[str, Any]) -> bool:
        def has(value: Any, needle: str) -> bool:
            return needle.casefold() in str(value or "").casefold()

        if self.q and not any(has(summary[k], self.q) for k in ("id", "to", "from", "text", "client", "face")):
            return False
        if self.number:
            digits = self.number.replace(" ", "")
            if not (has(summary["to"], digits) or has(summary["from"], digits)):
                return False
        if self.text and not has(summary["text"], self.text):
            return False
        for key in ("status", "client", "face", "backend"):
            wanted = getattr(self, key)
            if wanted is not None and summary[key] != wanted:
                return False
        return True


def _iso(value: datetime | float | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    return value.isoformat()


def _units(text: str, encoding: str) -> int:
    if encoding == "gsm7":
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def analysis(text: str) -> dict[str, Any]:
    """Encoding, the characters forcing UCS-2, the segments as sent, and what
    transliteration would save (``None`` when it changes nothing)."""
    info = analyse(text)
    forcing = [] if info.encoding == "gsm7" else sorted({c for c in text if c not in GSM7_BASIC
                                                         and c not in GSM7_EXTENSION})
    alternative = transliterate(text)
    alt = analyse(alternative)
    return {
        "encoding": info.encoding, "segments": info.segments, "units": info.units, "per_segment": info.per_segment,
        "ucs2_characters": forcing,
        "parts": [{"text": part, "units": _units(part, info.encoding)} for part in split(text)],
        "transliterated": None if alternative == text else {
            "text": alternative, "encoding": alt.encoding, "segments": alt.segments,
            "saving": info.segments - alt.segments},
    }


class Inbox:
    """The sandbox inbox of one gateway (``gateway.inbox``)."""

    def __init__(self, gateway: Any, *, password: str | None = None) -> None:
        self.gateway = gateway
        self.bridge = gateway.bridge
        self.password = password
        self.replies: deque[dict[str, Any]] = deque(maxlen=REPLIES)
        self._listeners: set[asyncio.Queue[tuple[str, Any]]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._seen: dict[str, tuple[str, str | None]] | None = None
        self._faces = set(plugins.registry().http_shims)

    # -- what is simulated ----------------------------------------------------------------
    def simulators(self) -> dict[str, Any]:
        """The configured backends that are simulators: those with runtime ``chaos`` settings
        (the sandbox).  The core names no plugin; a simulator is what it can do."""
        found = {}
        for name in self.bridge.backends():
            if self.bridge.backend_incomplete(name):
                continue
            backend = self.bridge.backend(name)
            if isinstance(getattr(backend, "chaos", None), dict):
                found[name] = backend
        return found

    # -- reading --------------------------------------------------------------------------
    def summary(self, record: MessageRecord) -> dict[str, Any]:
        # Faces stamp ``face``; records of faces that did not yet are known by their private key.
        face = record.face or next((k for k in record.extra if k in self._faces), None)
        client = record.gateway_client
        return {"id": record.id, "to": record.to, "from": record.sender, "text": record.text,
                "status": record.status.value, "phase": record.phase, "backend": record.backend,
                "provider_id": record.provider_id, "client": client, "face": face, "segments": record.segments,
                "encoding": record.encoding, "created_at": _iso(record.created_at),
                "updated_at": _iso(record.updated_at), "error_code": record.error_code, "error": record.error}

    def _refresh(self, records: list[MessageRecord]) -> list[MessageRecord]:
        """Ask the simulators for the statuses still moving, so a list never shows a
        delivered message as queued (worker thread)."""
        simulated = set(self.simulators())
        out = []
        for record in records:
            if (record.backend in simulated and not record.status.final and record.provider_id
                    and record.phase == "accepted"):
                try:
                    self.bridge.status(record.id)
                    record = self.bridge.record(record.id)
                except (ProviderError, NotFound) as exc:
                    log.debug("refreshing %s failed: %s", record.id, exc)
            out.append(record)
        return out

    def _search(self, filters: Filters, limit: int) -> list[dict[str, Any]]:
        """Newest first, a keyset page at a time; the client filter is the journal's index."""
        journal = self.bridge.journal
        found: list[dict[str, Any]] = []
        before: str | None = None
        scanned = 0
        while len(found) < limit and scanned < SCAN_LIMIT:
            # Statuses are refreshed before filtering, the journal's may be stale ("queued"):
            # the newest page only, so a search over an old journal asks the simulator little.
            page = journal.records(limit=500, before=before, client=filters.client)
            for record in self._refresh(page) if scanned == 0 else page:
                summary = self.summary(record)
                if filters.matches(summary):
                    found.append(summary)
                    if len(found) >= limit:
                        break
            if len(page) < 500:
                break
            scanned += len(page)
            before = journal.cursor(page[-1])
        return found

    async def messages(self, filters: Filters, limit: int = 50) -> list[dict[str, Any]]:
        """Matching messages, newest first."""
        return await run_in_threadpool(self._search, filters, limit)

    def _detail(self, message_id: str) -> dict[str, Any]:
        record = self.bridge.journal.get(message_id)
        if record is None:
            raise NotFound(f"no message with id {message_id!r}")
        record = self._refresh([record])[0]
        data = self.summary(record)
        data["analysis"] = analysis(record.text)
        # Lifecycle order first: a simulator's "delivered" can carry a time a hair before the
        # journal's "queued" (it is stamped when the sandbox stored the message).
        events = sorted(self.bridge.journal.events(message_id), key=lambda e: (_RANK.get(e.status, 3), e.at or 0))
        data["events"] = [{"status": e.status.value, "at": _iso(e.at), "code": e.code, "description": e.description}
                          for e in events]
        data["attempts"] = [{"backend": a.get("backend"), "at": _iso(a.get("at")), "outcome": a.get("outcome")}
                            for a in record.attempts]
        data["face_id"] = self.bridge.journal.aliases_of(message_id, data["face"]) if data["face"] else None
        data["callbacks"] = [dict(c, at=_iso(c["at"])) for c in list(self.gateway.callback_log)
                             if c.get("message_id") == message_id]
        data["replies"] = [r for r in list(self.replies) if r.get("in_reply_to") == message_id]
        data["reference"] = record.reference
        return data

    async def message(self, message_id: str) -> dict[str, Any]:
        """Everything about one message; :class:`NotFound` if the journal has no such id."""
        return await run_in_threadpool(self._detail, message_id)

    # -- changing -------------------------------------------------------------------------
    async def force(self, message_id: str, action: str, *, code: str | None = None,
                    description: str | None = None) -> dict[str, Any]:
        """``deliver``, ``fail`` or ``expire`` the message, as if the provider reported it."""
        status = FORCEABLE[action]
        if code is not None and (not isinstance(code, (str, int)) or not str(code).strip()
                                 or len(str(code)) > 32):
            raise BadInput("error_code must be a short string or number")
        code = None if code is None else str(code).strip()
        words = description or (f"sandbox inbox: {status.value}" + (f" (error {code})" if code else ""))
        done = await run_in_threadpool(self.bridge.journal.force_status, message_id, status, code=code,
                                       description=words)
        if not done:
            raise NotFound(f"no message with id {message_id!r}")
        detail = await self.message(message_id)
        self.publish("message", {k: v for k, v in detail.items() if k in _SUMMARY_KEYS})
        return detail

    async def reply(self, message_id: str, text: Any) -> dict[str, Any]:
        """An inbound SMS from the message's recipient, through the gateway's inbound path."""
        if not isinstance(text, str) or not text.strip():
            raise BadInput("text must be a non-empty string")
        record = await run_in_threadpool(self.bridge.journal.get, message_id)
        if record is None:
            raise NotFound(f"no message with id {message_id!r}")
        from ..inbound import new_inbound_id, receive_inbound

        summary = self.summary(record)
        message = InboundMessage(id=new_inbound_id(), from_=record.to, to=record.sender or "", text=text,
                                 received_at=datetime.now(timezone.utc), backend=record.backend or "",
                                 provider_id=None, raw={"in_reply_to": message_id,
                                                        "gateway_client": summary["client"],
                                                        "face": summary["face"]})
        await receive_inbound(self.gateway, message)
        entry = dict(message.as_dict(), in_reply_to=message_id, client=summary["client"], face=summary["face"])
        entry.pop("raw", None)
        self.replies.append(entry)
        self.publish("reply", entry)
        return entry

    async def delete(self, message_id: str | None = None) -> int:
        """Forget one message, or (no id) all of them and every reply: "clear all"."""
        count: int = await run_in_threadpool(self.bridge.journal.delete, message_id)
        if message_id is None:
            self.replies.clear()
            self.gateway.callback_log.clear()
            self.publish("cleared", {"deleted": count})
        else:
            if not count:
                raise NotFound(f"no message with id {message_id!r}")
            self.publish("deleted", {"id": message_id})
        if self._seen is not None:
            self._seen = {k: v for k, v in self._seen.items() if message_id is not None and k != message_id}
        return count

    # -- chaos ----------------------------------------------------------------------------
    def chaos(self) -> dict[str, dict[str, float]]:
        return {name: {key: float(backend.chaos.get(key) or 0.0) for key in CHAOS_LIMITS}
                for name, backend in self.simulators().items()}

    def set_chaos(self, settings: Any) -> dict[str, dict[str, float]]:
        """Change chaos switches: ``{backend: {failure_rate, lost_reply_rate, latency}}``;
        validated completely before anything changes."""
        simulators = self.simulators()
        if not isinstance(settings, Mapping):
            raise BadInput("expected a JSON object: {backend: {failure_rate, lost_reply_rate, latency}}")
        changes: list[tuple[Any, str, float]] = []
        for name, values in settings.items():
            if name not in simulators:
                raise BadInput(f"{name!r} is not a simulator backend; these are: {', '.join(simulators) or 'none'}")
            if not isinstance(values, Mapping):
                raise BadInput(f"{name}: expected an object of chaos settings")
            for key, value in values.items():
                if key not in CHAOS_LIMITS:
                    raise BadInput(f"{name}.{key}: unknown chaos setting; known: {', '.join(CHAOS_LIMITS)}")
                low, high = CHAOS_LIMITS[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                    raise BadInput(f"{name}.{key}: must be a number from {low:g} to {high:g}, not {value!r}")
                changes.append((simulators[name], key, float(value)))
        for backend, key, value in changes:
            backend.chaos[key] = value
        from .. import app

        if hasattr(self.gateway, "_inline") and hasattr(app, "_never_blocks"):
            # Latency makes the simulator wait: its calls must leave the event loop.
            self.gateway._inline = app._never_blocks(self.bridge)
        current = self.chaos()
        self.publish("chaos", current)
        return current

    # -- events ---------------------------------------------------------------------------
    def publish(self, kind: str, data: Any) -> None:
        for queue in list(self._listeners):
            try:
                queue.put_nowait((kind, data))
            except asyncio.QueueFull:  # a listener that does not read: it reloads instead
                with contextlib.suppress(asyncio.QueueEmpty):
                    while True:
                        queue.get_nowait()
                queue.put_nowait(("resync", {}))

    async def events(self, *, heartbeat: float = 15.0) -> AsyncIterator[bytes]:
        """Server-sent events until the listener goes (``message``, ``deleted``, ``cleared``,
        ``reply``, ``callback``, ``chaos``, ``resync``), with a comment line as heartbeat."""
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=QUEUE)
        self._loop = asyncio.get_running_loop()
        self._listeners.add(queue)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        try:
            yield b"retry: 1000\n: smsbridge inbox events\n\n"
            while True:
                try:
                    kind, data = await asyncio.wait_for(queue.get(), heartbeat)
                except asyncio.TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if kind == "closing":
                    return
                yield f"event: {kind}\ndata: {json.dumps(data, default=str)}\n\n".encode()
        finally:
            self._listeners.discard(queue)

    def _changes(self) -> list[dict[str, Any]]:
        records = self._refresh(self.bridge.journal.records(limit=POLL_WINDOW))
        now = {r.id: (r.status.value, _iso(r.updated_at)) for r in records}
        seen, self._seen = self._seen, now
        if seen is None:
            return []
        return [self.summary(r) for r in reversed(records) if seen.get(r.id) != now[r.id]]

    async def _poll(self) -> None:
        """While someone listens: publish messages that are new or changed in the journal."""
        self._seen = None
        while self._listeners:
            try:
                for summary in await run_in_threadpool(self._changes):
                    self.publish("message", summary)
            except Exception:
                log.exception("the inbox could not read the journal")
            await asyncio.sleep(POLL_EVERY)
        self._seen = None

    def end_streams(self) -> None:
        """End every event stream (thread-safe): a server stopping need not wait for browsers."""
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.publish, "closing", {})

    async def aclose(self) -> None:
        self.publish("closing", {})
        if self._poller is not None:
            self._poller.cancel()


_SUMMARY_KEYS = ("id", "to", "from", "text", "status", "phase", "backend", "provider_id", "client", "face",
                 "segments", "encoding", "created_at", "updated_at", "error_code", "error")


_RANK = {Status.SCHEDULED: 0, Status.QUEUED: 1, Status.SENT: 2, Status.UNKNOWN: 2}
