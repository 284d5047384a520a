"""The sandbox backend: a simulated provider that behaves like a real one, offline.

What it simulates, and how to steer it from the config::

    local:
      plugin: sandbox
      path: smsbridge-sandbox.sqlite3   # omitted: in memory, gone with the process
      credit: 1000                      # starting balance; each segment costs 1 credit
      delivery_delay: 0                 # seconds per step queued -> sent -> delivered
      undeliverable: ["+36301111111"]   # these numbers end 'undelivered'
      chaos:                            # rehearse failover (see docs/reliability.md)
        failure_rate: 0.0               # share of sends refused (ProviderUnavailable)
        lost_reply_rate: 0.0            # accepted, but the reply is "lost" (DeliveryUnknown)
        latency: 0.0                    # seconds added to every call
        seed: null                      # fixed seed: a repeatable sequence of outcomes

Status moves are computed when asked, from the time of sending: ``queued`` at once,
``sent`` after one ``delivery_delay``, ``delivered`` (or ``undelivered``) after two,
each step recorded in the history with its own time.  With the default delay of 0 a
message reads as delivered on the first look-up.  Monthly statistics count a message as
domestic when the recipient's country is the backend's ``default_region``.
"""
from __future__ import annotations

import random
import sqlite3
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from smsbridge.backend import Backend, Option
from smsbridge.errors import DeliveryUnknown, InsufficientCredit, NotFound, ProviderUnavailable
from smsbridge.model import Accepted, Balance, Message, MonthlyStat, Status, StatusEvent, StatusReport

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_ref TEXT,
    to_number TEXT NOT NULL,
    sender TEXT,
    text TEXT NOT NULL,
    segments INTEGER NOT NULL,
    domestic INTEGER NOT NULL,
    created_at REAL NOT NULL,
    final TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sms_ref ON sms(client_ref);
CREATE TABLE IF NOT EXISTS account (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_INSERT_SMS = ("INSERT INTO sms (client_ref, to_number, sender, text, segments, domestic, created_at, final)"
               " VALUES (?,?,?,?,?,?,?,?)")

_CHAOS_KEYS = {"failure_rate": float, "lost_reply_rate": float, "latency": float, "seed": int}


class SandboxBackend(Backend):
    """A provider simulator; thread-safe; several processes may share one ``path``."""

    options = {
        "path": Option(str, path=True, help="SQLite file; omitted: in memory"),
        "credit": Option(float, default=1000.0, help="starting balance in credits"),
        "delivery_delay": Option(float, default=0.0, help="seconds per status step"),
        "undeliverable": Option(list, default=[], help="numbers whose messages end undelivered"),
        "chaos": Option(dict, default={}, help="failure_rate, lost_reply_rate, latency, seed"),
    }
    capabilities = frozenset({"send", "status", "history", "balance", "stats", "lookup"})
    reconcile_grace = 0.0  # its look-up reads its own table: "not found" is certain at once

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        from smsbridge.errors import ConfigError

        chaos = dict(settings.get("chaos") or {})
        for key, value in chaos.items():
            if key not in _CHAOS_KEYS:
                raise ConfigError(f"unknown chaos option {key!r}; known: {', '.join(_CHAOS_KEYS)}",
                                  path=f"backends.{name}.chaos.{key}")
            if value is not None:
                try:
                    chaos[key] = _CHAOS_KEYS[key](value)
                except (TypeError, ValueError):
                    raise ConfigError(f"must be a number, not {value!r}", path=f"backends.{name}.chaos.{key}") from None
        self.chaos = chaos
        self._random = random.Random(chaos.get("seed"))
        self._lock = threading.RLock()  # reentrant: the gateway may hold it around a send (nowait_lock)
        self._db: sqlite3.Connection | None = None
        self._credit: Decimal | None = None  # the balance, kept here for an in-memory database only
        self._undeliverable = {str(n) for n in settings.get("undeliverable") or []}

    @property
    def blocking(self) -> bool:  # type: ignore[override]
        """Simulated latency makes the sandbox wait, and so does a ``path``: another process
        sharing the file may hold its write lock (SQLite waits up to 30 s for it)."""
        return bool(self.chaos.get("latency")) or bool(self.settings.get("path"))

    @property
    def nowait_lock(self) -> threading.RLock | None:
        """The one lock a non-blocking sandbox's calls can wait on (``None`` while it blocks):
        the gateway takes it without waiting before it runs a send on its event loop."""
        return None if self.blocking else self._lock

    # The database opens on first use, so `config check` never creates files.
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            path = self.settings.get("path") or ":memory:"
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            if path != ":memory:":
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO account (key, value) VALUES ('credit', ?)",
                       (str(Decimal(str(self.settings.get("credit", 1000.0)))),))
            if path == ":memory:":
                # No other connection can see an in-memory database: the balance is kept here
                # too, and a send is two statements instead of a five-statement transaction
                # that reads it back (issue 18).
                self._credit = Decimal(db.execute("SELECT value FROM account WHERE key='credit'").fetchone()[0])
            self._db = db
        return self._db

    def _chaos(self, operation: str) -> str | None:
        """Apply chaos to one call; returns ``"lost"`` when the reply should be lost."""
        latency = self.chaos.get("latency") or 0.0
        if latency:
            time.sleep(latency)
        with self._lock:
            roll = self._random.random()
        if roll < (self.chaos.get("failure_rate") or 0.0):
            raise ProviderUnavailable(f"sandbox chaos: {operation} refused (simulated outage)", backend=self.name)
        if operation == "send":
            roll -= self.chaos.get("failure_rate") or 0.0
            if 0 <= roll < (self.chaos.get("lost_reply_rate") or 0.0):
                return "lost"
        return None

    def send(self, message: Message) -> Accepted:
        outcome = self._chaos("send")
        from smsbridge import numbers

        region = self.settings.get("default_region")
        domestic = numbers.region_of(message.to) == region
        final = Status.UNDELIVERED if message.to in self._undeliverable else Status.DELIVERED
        row = (message.id or message.reference, message.to, message.sender, message.text,
               message.segments, int(domestic), time.time(), final.value)
        with self._lock:
            db = self._conn()
            if self._credit is not None:  # in memory: this object is the only writer (see _conn)
                credit = self._credit
                if credit < message.segments:
                    raise InsufficientCredit(f"sandbox account has {credit} credits, the message needs "
                                             f"{message.segments}", code="credit", backend=self.name)
                cur = db.execute(_INSERT_SMS, row)
                db.execute("UPDATE account SET value=? WHERE key='credit'", (str(credit - message.segments),))
                self._credit = credit - message.segments
            else:
                db.execute("BEGIN IMMEDIATE")
                try:
                    credit = Decimal(db.execute("SELECT value FROM account WHERE key='credit'").fetchone()[0])
                    if credit < message.segments:
                        raise InsufficientCredit(f"sandbox account has {credit} credits, the message needs "
                                                 f"{message.segments}", code="credit", backend=self.name)
                    db.execute("UPDATE account SET value=? WHERE key='credit'", (str(credit - message.segments),))
                    cur = db.execute(_INSERT_SMS, row)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        if outcome == "lost":
            raise DeliveryUnknown("sandbox chaos: the message was accepted but the reply was lost",
                                  backend=self.name)
        return Accepted(provider_id=str(cur.lastrowid), status=Status.QUEUED, segments=message.segments,
                        raw={"id": cur.lastrowid})

    def _row(self, provider_id: str) -> tuple[Any, ...]:
        try:
            key = int(provider_id)
        except (TypeError, ValueError):
            raise NotFound(f"sandbox has no message {provider_id!r}") from None
        with self._lock:
            row = self._conn().execute("SELECT created_at, final FROM sms WHERE id=?", (key,)).fetchone()
        if row is None:
            raise NotFound(f"sandbox has no message {provider_id!r}")
        return row

    def _timeline(self, created: float, final: str) -> list[tuple[Status, float]]:
        """The steps a message has gone through by now."""
        delay = float(self.settings.get("delivery_delay") or 0.0)
        steps = [(Status.QUEUED, created), (Status.SENT, created + delay), (Status(final), created + 2 * delay)]
        now = time.time()
        return [(status, at) for status, at in steps if at <= now or status is Status.QUEUED]

    def status(self, provider_id: str) -> StatusReport:
        self._chaos("status")
        created, final = self._row(provider_id)
        status, at = self._timeline(created, final)[-1]
        return StatusReport(id=provider_id, status=status, updated_at=_utc(at), description=status.value,
                            raw=status.value)

    def history(self, provider_id: str) -> list[StatusEvent]:
        self._chaos("history")
        created, final = self._row(provider_id)
        return [StatusEvent(status=status, at=_utc(at), code=status.value, description=f"sandbox: {status.value}")
                for status, at in self._timeline(created, final)]

    def lookup(self, message: Message) -> Accepted | None:
        self._chaos("lookup")
        with self._lock:
            row = self._conn().execute("SELECT id, segments FROM sms WHERE client_ref=? ORDER BY id DESC LIMIT 1",
                                       (message.id,)).fetchone()
        if row is None:
            return None
        return Accepted(provider_id=str(row[0]), status=Status.QUEUED, segments=row[1])

    def balance(self) -> Balance:
        self._chaos("balance")
        with self._lock:
            value = self._conn().execute("SELECT value FROM account WHERE key='credit'").fetchone()[0]
        return Balance(amount=Decimal(value), unit="credit", backend=self.name)

    def monthly_stats(self) -> list[MonthlyStat]:
        self._chaos("stats")
        with self._lock:
            rows = self._conn().execute(
                "SELECT strftime('%Y-%m', created_at, 'unixepoch') AS month, SUM(domestic), SUM(1 - domestic)"
                " FROM sms GROUP BY month ORDER BY month").fetchall()
        return [MonthlyStat(month=m, domestic=int(d), foreign=int(f)) for m, d, f in rows]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
                self._credit = None


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)
