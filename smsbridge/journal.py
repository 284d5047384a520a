"""The message journal (SPEC §7): every message written down before it leaves.

A row is inserted with phase ``sending`` *before* any backend is called, and updated
after: ``accepted`` (with the provider's id), ``failed`` (certainly not accepted) or
``unknown`` (maybe accepted: any error that does not prove the provider refused).  A row
still ``sending`` when no process is sending it is what a crash leaves behind; it reads
as status ``unknown`` with a description that says so, and ``smsbridge reconcile`` /
``journal`` find it.  A scheduled message waits in phase ``scheduled`` until it is
claimed (:meth:`Journal.claim`) and sent, or cancelled (:meth:`Journal.cancel`).

Idempotency: a key is bound to a fingerprint of its payload (:func:`fingerprint`: to,
text, sender, reference).  :meth:`Journal.begin` claims a key atomically across
processes (``BEGIN IMMEDIATE``: the check and the insert happen under SQLite's write
lock), so a second claimant sees the first's row, never an ``IntegrityError``; another
payload under a claimed key is :class:`~smsbridge.errors.IdempotencyConflict`.

Lists are indexed queries: client, face, created and sent time, recipient and sender
are columns, and :meth:`Journal.records` pages by keyset (``before``/``after`` cursors
from :meth:`Journal.cursor`), so a page costs the same with a thousand rows or a
million (docs/architecture.md, "The journal").

Durability: SQLite in WAL mode with ``synchronous=NORMAL``: a committed row survives a
process crash (SIGKILL); only a power loss can drop the last transactions.  That is the
setting that keeps the journal's cost per send small (docs/performance.md); set
``SMSBRIDGE_JOURNAL_SYNC=FULL`` to fsync every commit.

The journal also keeps *aliases*: provider-shaped ids the gateway hands to callers
(Twilio ``SM…``), each mapped to the smsbridge id, so a status fetched through any face
agrees.  Without a ``store`` path the journal lives in memory for the process.

Schema versions (``PRAGMA user_version``): 0 is the first wave's schema; 1 adds the
``client``, ``face``, ``sent_at``, ``send_at`` and ``fingerprint`` columns and the list
indexes.  An older file is migrated in place when it is opened; a newer one is refused.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from . import journal_statements as statements
from .errors import ConfigError, InvalidMessage
from .model import InboundMessage, Message, MessageRecord, Status, StatusEvent

__all__ = ["Journal", "PHASES", "SCHEMA_VERSION", "fingerprint"]

PHASES = ("sending", "accepted", "failed", "unknown", "scheduled", "canceled")
"""Where a journaled send stands (``MessageRecord.phase``)."""

SCHEMA_VERSION = 1
"""The schema this code writes (``PRAGMA user_version``)."""

_TABLES = """
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    to_number TEXT NOT NULL,
    text TEXT NOT NULL,
    sender TEXT,
    reference TEXT,
    idempotency_key TEXT,
    backend TEXT,
    provider_id TEXT,
    status TEXT NOT NULL,
    phase TEXT NOT NULL,
    segments INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    error_code TEXT,
    error TEXT,
    attempts TEXT NOT NULL DEFAULT '[]',
    extra TEXT NOT NULL DEFAULT '{}',
    client TEXT,
    face TEXT,
    sent_at REAL,
    send_at REAL,
    fingerprint TEXT
);
CREATE INDEX IF NOT EXISTS messages_reference ON messages(reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS messages_key ON messages(idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
    message_id TEXT NOT NULL,
    at REAL NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    description TEXT
);
CREATE INDEX IF NOT EXISTS events_message ON events(message_id);
CREATE TABLE IF NOT EXISTS aliases (
    kind TEXT NOT NULL,
    alias TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (kind, alias)
);
CREATE INDEX IF NOT EXISTS aliases_message ON aliases(message_id, kind);
"""

# Schema 1: the new columns (added to a schema-0 file) and one index per list query.
# Every index ends in (created_at, id): the keyset order of every page.  Each index costs
# every send a write, so only the lists commands and faces run have one, and the
# per-client ones are partial: a send outside the gateway (no client) pays for none.
_V1_COLUMNS = (("client", "TEXT"), ("face", "TEXT"), ("sent_at", "REAL"), ("send_at", "REAL"),
               ("fingerprint", "TEXT"))
_V1_INDEXES = """
DROP INDEX IF EXISTS messages_created;
CREATE INDEX IF NOT EXISTS messages_by_created ON messages(created_at, id);
CREATE INDEX IF NOT EXISTS messages_by_status ON messages(status, created_at, id);
CREATE INDEX IF NOT EXISTS messages_by_client ON messages(client, created_at, id);
CREATE INDEX IF NOT EXISTS messages_by_client_to ON messages(client, to_number, created_at, id)
    WHERE client IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_client_sender ON messages(client, sender, created_at, id)
    WHERE client IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_client_face ON messages(client, face, created_at, id)
    WHERE client IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_due ON messages(phase, send_at) WHERE send_at IS NOT NULL;
"""

_ALIAS_INSERT = "INSERT OR REPLACE INTO aliases (kind, alias, message_id) VALUES (?,?,?)"

_CLAIM_POLL = 0.02  # seconds between looks at a row another process is sending


def fingerprint(to: str, text: str, sender: str | None, reference: str | None) -> str:
    """The payload an idempotency key is bound to: a hash of (to, text, sender, reference).

    ``to`` should be the normalised (E.164) number, so that ``06301234567`` and
    ``+36301234567`` are one payload.
    """
    blob = json.dumps([to, text, sender, reference], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=timezone.utc)


def _now() -> float:
    # Microsecond precision, like datetime: a record's created_at round-trips exactly, and a
    # message's sent_at is never earlier than its created_at (round is monotonic).
    return round(time.time(), 6)


def _epoch(value: datetime | float | int | None, name: str) -> float | None:
    """A bound of a time filter as epoch seconds; a naive datetime is taken as UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        return float(value)
    raise InvalidMessage(f"{name} must be a datetime or epoch seconds, not {value!r:.40}", reason="bad_request")


class PendingAliases:
    """Aliases the next ``begin()`` on this thread writes with its message (both journals).

    A subclass sets ``self._pending = threading.local()`` and calls :meth:`_take_aliases`
    inside ``begin``'s transaction.
    """

    _pending: threading.local

    @contextlib.contextmanager
    def aliasing(self, kind: str, alias_for: Any) -> Iterator[None]:
        """Within this block, the next :meth:`begin` on this thread also writes the alias
        ``(kind, alias_for(message_id))`` in the message's own transaction.

        Why: a gateway face shows a provider-shaped id derived from the smsbridge id
        (Twilio's ``SM…`` sid); writing it with the ``sending`` row saves a statement, a
        commit and a worker-thread hop per create (issue 18), and the alias can never be
        missing for a journaled message.  A replayed send (``begin`` returned an earlier
        record) writes nothing; the caller writes the alias with :meth:`alias` if it must.
        """
        pending = getattr(self._pending, "aliases", None)
        self._pending.aliases = (pending or []) + [(kind, alias_for)]
        try:
            yield
        finally:
            self._pending.aliases = pending

    def _take_aliases(self, message_id: str) -> list[tuple[str, str, str]]:
        pending = getattr(self._pending, "aliases", None)
        if not pending:
            return []
        self._pending.aliases = None  # the next begin only
        return [(kind, alias_for(message_id), message_id) for kind, alias_for in pending]


class Journal(PendingAliases):
    """SQLite-backed journal; safe to share between threads of one process, and between
    processes on one file."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        # Reentrant: the gateway holds it around a whole send on its event loop (nowait_lock).
        self._lock = threading.RLock()
        self._pending = threading.local()  # aliases the next begin() on this thread writes (aliasing())
        target = path or ":memory:"
        self.in_memory = target == ":memory:"
        """No file: no other process can open this journal, so its only wait is ``nowait_lock``."""
        self.nowait_lock: threading.RLock | None = self._lock if self.in_memory else None
        """The one lock an in-memory journal's calls can wait on, else ``None``.  Why: the
        gateway runs a send on its event loop when nothing in it can wait (issue 18,
        :meth:`Bridge.hold_nowait`); holding this lock, taken without waiting, makes every
        journal call of that send wait-free.  A journal on disk can wait on another
        process's write lock (issue 12: storage never blocks the loop), so it has none; nor
        has the PostgreSQL journal (a network)."""
        # In memory, this object is the only writer, so it knows when a table is empty: a
        # send skips the look-ups of parked reports and opt-outs then (None: on disk, ask).
        self._parked: int | None = 0 if self.in_memory else None
        self._opted: int | None = 0 if self.in_memory else None
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=30)
        if path:
            # New files only (a no-op on an existing one): each commit appends every page it
            # touched to the WAL, checksummed; a send touches ~3 pages per commit, and 2 KiB
            # pages cut the journal's cost per send by ~20% against the 4 KiB default
            # (docs/performance.md, "Journal cost").
            self._db.execute("PRAGMA page_size=2048")
            self._retry_locked("PRAGMA journal_mode=WAL")
            sync = os.environ.get("SMSBRIDGE_JOURNAL_SYNC", "NORMAL").upper()
            self._db.execute(f"PRAGMA synchronous={'FULL' if sync == 'FULL' else 'NORMAL'}")
        try:  # SQLite's JSON functions (built in since 3.38, usually compiled in before)
            self._db.execute("SELECT json_insert('[]', '$[#]', json('{}'))").fetchone()
            self._json1 = True
        except sqlite3.OperationalError:
            self._json1 = False
        self._migrate()
        self._db.executescript(_INBOUND_SCHEMA)  # issue 15: inbound SMS, opt-outs, early reports
        self._db.executescript(_NOTICES_SCHEMA)  # issue 13: which status changes were notified

    def _retry_locked(self, statement: str, patience: float = 30.0) -> None:
        """Run ``statement``, waiting while another process holds the lock it needs.

        Switching a new file to WAL needs an exclusive lock, and SQLite answers "database
        is locked" at once (no busy wait) when several processes create one store together
        (two ``bulk`` runs started at once).
        """
        deadline = time.monotonic() + patience
        while True:
            try:
                self._db.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    # -- schema --------------------------------------------------------------------------
    def _migrate(self) -> None:
        """Create the schema, or bring an older file up to :data:`SCHEMA_VERSION`.

        Under the write lock (``BEGIN IMMEDIATE``), so two processes opening one old file
        migrate it once.
        """
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise ConfigError(f"store {self.path!r} has journal schema {version}, newer than this smsbridge"
                              f" understands ({SCHEMA_VERSION}); upgrade smsbridge", path="store")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                for statement in _TABLES.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                have = {row[1] for row in self._db.execute("PRAGMA table_info(messages)")}
                for column, kind in _V1_COLUMNS:
                    if column not in have:
                        self._db.execute(f"ALTER TABLE messages ADD COLUMN {column} {kind}")
                if "client" not in have:
                    self._backfill_v1()
                for statement in _V1_INDEXES.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _backfill_v1(self) -> None:
        """Schema 0 → 1: client and face move out of ``extra`` into columns; accepted rows
        get a ``sent_at`` (when their acceptance was recorded)."""
        rows = self._db.execute("SELECT id, extra, phase, updated_at FROM messages").fetchall()
        for message_id, extra_json, phase, updated in rows:
            try:
                extra = json.loads(extra_json or "{}")
            except ValueError:
                extra = {}
            client = extra.pop("gateway_client", None) if isinstance(extra, dict) else None
            face = extra.pop("face", None) if isinstance(extra, dict) else None
            sent_at = None
            if phase == "accepted":
                found = self._db.execute("SELECT min(at) FROM events WHERE message_id=? AND description LIKE"
                                         " 'accepted by %'", (message_id,)).fetchone()
                sent_at = found[0] if found and found[0] is not None else updated
            self._db.execute("UPDATE messages SET client=?, face=?, sent_at=?, extra=? WHERE id=?",
                             (client, face, sent_at, json.dumps(extra, default=str), message_id))

    @contextlib.contextmanager
    def _transaction(self, mode: str = "") -> Iterator[None]:
        """One commit for several statements (called with ``_lock`` held): with a store on
        disk every commit is a WAL append, the journal's main cost per send.  ``mode``
        ``IMMEDIATE`` takes the write lock before the first read (check-then-write)."""
        self._db.execute(f"BEGIN {mode}")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- writing -------------------------------------------------------------------------
    def begin(self, message: Message, idempotency_key: str | None = None, *,
              attempt: str | None = None, fingerprint: str | None = None,
              send_at: datetime | float | None = None) -> MessageRecord | None:
        """Record a message about to be handed to a backend (phase ``sending``).

        With an ``idempotency_key`` already journaled (and not certainly failed), nothing is
        written and the earlier record is returned: the caller must not send again (its
        ``phase`` says whether it was accepted, is unknown, or is being sent right now).
        A ``failed`` or ``canceled`` earlier record gives its key up to the new message.
        When both the earlier row and this call carry a ``fingerprint`` and they differ,
        :class:`IdempotencyConflict` is raised and nothing is written.  The check and the
        insert are one transaction under the write lock: atomic across processes.

        ``attempt`` names the backend about to be tried, recorded as by :meth:`attempt` in
        the same write (one commit per send fewer: docs/performance.md).  ``send_at``
        journals a scheduled message instead (phase ``scheduled``, status ``scheduled``),
        to be claimed when due (:meth:`due`, :meth:`claim`).
        """
        values = statements.begin_row(message, idempotency_key, attempt=attempt, fingerprint=fingerprint,
                                      due=_epoch(send_at, "send_at"), now=_now())
        insert = statements.INSERT_MESSAGE
        aliases = self._take_aliases(message.id)
        with self._lock:
            if idempotency_key is None:
                if not aliases:
                    self._db.execute(insert, values)
                    return None
                with self._transaction():  # the message and its aliases: one commit (issue 18)
                    self._db.execute(insert, values)
                    self._db.executemany(_ALIAS_INSERT, aliases)
                return None
            with self._transaction("IMMEDIATE"):
                row = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE idempotency_key=?",
                                       (idempotency_key,)).fetchone()
                if row is not None:
                    if statements.earlier_stands(row, idempotency_key, fingerprint):
                        return self._record(row)
                    self._db.execute("UPDATE messages SET idempotency_key=NULL WHERE id=?", (row[0],))
                self._db.execute(insert, values)
                if aliases:
                    self._db.executemany(_ALIAS_INSERT, aliases)
        return None


    def wait_settled(self, message_id: str, timeout: float) -> MessageRecord | None:
        """The record once it has left phase ``sending`` (polled up to ``timeout`` seconds),
        else as it stands: how a second claimant of a key learns the first one's result."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.get(message_id)
            if record is None or record.phase != "sending" or time.monotonic() >= deadline:
                return record
            time.sleep(_CLAIM_POLL)

    def attempt(self, message_id: str, backend: str, outcome: str | None = None) -> None:
        """Note that ``backend`` was tried (and, once known, how it ended)."""
        if outcome is None and self._json1:
            # The common case, once per send: append in SQL, one statement, no read-back.
            now = _now()
            entry = json.dumps({"backend": backend, "at": now})
            with self._lock:
                self._db.execute("UPDATE messages SET backend=?, attempts=json_insert(attempts, '$[#]', json(?)),"
                                 " updated_at=? WHERE id=?", (backend, entry, now, message_id))
            return
        with self._lock:
            row = self._db.execute("SELECT attempts FROM messages WHERE id=?", (message_id,)).fetchone()
            if row is None:
                return
            attempts = json.loads(row[0])
            if outcome is None:
                attempts.append({"backend": backend, "at": _now()})
            elif attempts and attempts[-1]["backend"] == backend:
                attempts[-1]["outcome"] = outcome
            self._db.execute("UPDATE messages SET backend=?, attempts=?, updated_at=? WHERE id=?",
                             (backend, json.dumps(attempts), _now(), message_id))

    def accepted(self, message_id: str, backend: str, provider_id: str, status: Status,
                 segments: int | None = None) -> None:
        """The provider accepted the message: phase ``accepted``, ``sent_at`` now (kept if set)."""
        update, event = statements.accepted_args(message_id, backend, provider_id, status, segments, _now())
        with self._lock, self._transaction():
            self._db.execute(statements.ACCEPTED, update)
            self._db.execute(statements.ACCEPTED_EVENT, event)

    def finished_with_error(self, message_id: str, backend: str | None, *, unknown: bool, error: str,
                            code: str | None = None) -> None:
        """The send ended in an error: ``unknown`` (maybe accepted) or ``failed`` (certainly not)."""
        update, event = statements.finished_args(message_id, backend, unknown=unknown, error=error, code=code,
                                                 now=_now())
        with self._lock, self._transaction():
            self._db.execute(statements.FINISHED, update)
            self._db.execute(statements.ERROR_EVENT, event)

    def set_status(self, message_id: str, status: Status, *, at: datetime | None = None,
                   code: str | None = None, description: str | None = None, phase: str | None = None) -> Status | None:
        """Record a newly learnt status; returns the previous one (``None`` if no such id)."""
        now = _now()
        when = at.timestamp() if at else now
        with self._lock:
            row = self._db.execute("SELECT status FROM messages WHERE id=?", (message_id,)).fetchone()
            if row is None:
                return None
            old = Status(row[0])
            if old != status or phase:
                self._db.execute("UPDATE messages SET status=?, updated_at=?, phase=COALESCE(?, phase) WHERE id=?",
                                 (status.value, now, phase, message_id))
            if old != status:
                self._db.execute(
                    "INSERT INTO events (message_id, at, status, code, description) VALUES (?,?,?,?,?)",
                    (message_id, when, status.value, code, description))
            return old

    # -- scheduled messages --------------------------------------------------------------
    def due(self, now: datetime | float | None = None, *, limit: int = 100) -> list[MessageRecord]:
        """Scheduled messages whose ``send_at`` has come, earliest first (index ``messages_due``)."""
        bound = _epoch(now, "now") if now is not None else time.time()
        with self._lock:
            rows = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE phase='scheduled' AND"
                                    " send_at IS NOT NULL AND send_at<=? ORDER BY send_at LIMIT ?",
                                    (bound, limit)).fetchall()
        return [self._record(r) for r in rows]

    def claim(self, message_id: str, *, attempt: str | None = None) -> bool:
        """Move a scheduled message to ``sending``; True for exactly one claimant, whatever the
        number of threads or processes asking (one conditional UPDATE)."""
        now = _now()
        attempts = json.dumps([{"backend": attempt, "at": now}]) if attempt is not None else "[]"
        with self._lock:
            cursor = self._db.execute("UPDATE messages SET phase='sending', status=?, updated_at=?, attempts=?,"
                                      " backend=COALESCE(?, backend) WHERE id=? AND phase='scheduled'",
                                      (Status.UNKNOWN.value, now, attempts, attempt, message_id))
        return cursor.rowcount == 1

    def cancel(self, message_id: str) -> bool:
        """Cancel a scheduled message not yet claimed; True when this call cancelled it."""
        now = _now()
        with self._lock, self._transaction():
            cursor = self._db.execute("UPDATE messages SET phase='canceled', status=?, updated_at=? WHERE id=?"
                                      " AND phase='scheduled'", (Status.CANCELED.value, now, message_id))
            if cursor.rowcount == 1:
                self._db.execute("INSERT INTO events (message_id, at, status, description) VALUES (?,?,?,?)",
                                 (message_id, now, Status.CANCELED.value, "canceled before it was sent"))
        return cursor.rowcount == 1

    def claim_due(self, now: datetime | float | None = None, *, limit: int = 100,
                  attempt: str | None = None) -> list[MessageRecord]:
        """Claim (``scheduled`` → ``sending``) up to ``limit`` due messages at once, earliest
        first, under the write lock: each row goes to exactly one claimant (issue 13; the
        PostgreSQL journal does it with ``FOR UPDATE SKIP LOCKED``)."""
        bound = _epoch(now, "now") if now is not None else time.time()
        stamp = _now()
        attempts = json.dumps([{"backend": attempt, "at": stamp}]) if attempt is not None else "[]"
        with self._lock, self._transaction("IMMEDIATE"):
            ids = [r[0] for r in self._db.execute("SELECT id FROM messages WHERE phase='scheduled' AND send_at IS NOT"
                                                  " NULL AND send_at<=? ORDER BY send_at LIMIT ?", (bound, limit))]
            self._db.executemany("UPDATE messages SET phase='sending', status=?, updated_at=?, attempts=?,"
                                 " backend=COALESCE(?, backend) WHERE id=?",
                                 [(Status.UNKNOWN.value, stamp, attempts, attempt, i) for i in ids])
            rows = [self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE id=?", (i,)).fetchone() for i in ids]
        return [self._record(r) for r in rows]

    # -- issue 14: the sandbox inbox forces outcomes and clears messages -------------------
    def force_status(self, message_id: str, status: Status, *, code: str | None = None,
                     description: str | None = None) -> bool:
        """Set a status as a simulator's operator decides it (the inbox's deliver/fail/expire
        buttons): also over a final one, with ``code``/``description`` kept as the record's
        error for failed-like statuses and as the event's raw word.  False if no such id."""
        now = time.time()
        failed = status in (Status.FAILED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED)
        with self._lock, self._transaction():
            cur = self._db.execute("UPDATE messages SET status=?, updated_at=?, error_code=?, error=? WHERE id=?",
                                   (status.value, now, code if failed else None, description if failed else None,
                                    message_id))
            if cur.rowcount == 0:
                return False
            self._db.execute("INSERT INTO events (message_id, at, status, code, description) VALUES (?,?,?,?,?)",
                             (message_id, now, status.value, code, description))
        return True

    def delete(self, message_id: str | None = None) -> int:
        """Forget one message (or, with no id, every message) with its events and aliases;
        returns how many messages went."""
        where, args = ("WHERE message_id=?", (message_id,)) if message_id is not None else ("", ())
        with self._lock, self._transaction():
            self._db.execute(f"DELETE FROM events {where}", args)
            self._db.execute(f"DELETE FROM aliases {where}", args)
            self._db.execute(f"DELETE FROM notices {where}", args)
            cur = self._db.execute(f"DELETE FROM messages {'WHERE id=?' if message_id is not None else ''}", args)
        return cur.rowcount

    # -- aliases -------------------------------------------------------------------------
    def alias(self, kind: str, alias: str, message_id: str) -> None:
        with self._lock:
            self._db.execute(_ALIAS_INSERT, (kind, alias, message_id))

    def resolve(self, kind: str, alias: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT message_id FROM aliases WHERE kind=? AND alias=?",
                                   (kind, alias)).fetchone()
        return row[0] if row else None

    def aliases_of(self, message_id: str, kind: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT alias FROM aliases WHERE message_id=? AND kind=?",
                                   (message_id, kind)).fetchone()
        return row[0] if row else None

    # -- reading -------------------------------------------------------------------------
    _COLUMNS = ("id, to_number, text, status, backend, provider_id, sender, reference, segments, encoding,"
                " created_at, updated_at, error_code, error, phase, extra, attempts, client, face, sent_at,"
                " send_at, fingerprint")

    def _record(self, row: tuple[Any, ...]) -> MessageRecord:
        return MessageRecord(id=row[0], to=row[1], text=row[2], status=Status(row[3]), backend=row[4],
                             provider_id=row[5], sender=row[6], reference=row[7], segments=row[8],
                             encoding=row[9], created_at=_ts(row[10]), updated_at=_ts(row[11]),
                             error_code=row[12], error=row[13], extra=json.loads(row[15] or "{}"),
                             phase=row[14], attempts=tuple(json.loads(row[16] or "[]")),
                             gateway_client=row[17], face=row[18], sent_at=_ts(row[19]), send_at=_ts(row[20]))

    def get(self, message_id: str) -> MessageRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE id=?", (message_id,)).fetchone()
        return self._record(row) if row else None

    def by_key(self, idempotency_key: str) -> MessageRecord | None:
        """The message holding this idempotency key, if any."""
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE idempotency_key=?",
                                   (idempotency_key,)).fetchone()
        return self._record(row) if row else None

    def by_key_prefix(self, prefix: str, *, limit: int | None = None) -> list[MessageRecord]:
        """Messages whose idempotency key starts with ``prefix`` (non-empty), in key order:
        an index range of the unique key index, not a scan."""
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        with self._lock:
            rows = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE idempotency_key >= ? AND"
                                    " idempotency_key < ? ORDER BY idempotency_key LIMIT ?",
                                    (prefix, upper, -1 if limit is None else limit)).fetchall()
        return [self._record(r) for r in rows]

    def by_reference(self, reference: str) -> MessageRecord | None:
        """The newest message sent with this ``reference`` (the idempotency key of a send)."""
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE reference=?"
                                   " ORDER BY created_at DESC LIMIT 1", (reference,)).fetchone()
        return self._record(row) if row else None

    @staticmethod
    def cursor(record: MessageRecord) -> str:
        """An opaque keyset cursor for ``record``: pass it as ``before=`` (or ``after=``) to
        :meth:`records` to get the page that follows it."""
        micros = round(record.created_at.timestamp() * 1_000_000) if record.created_at else 0
        return f"{micros}:{record.id}"

    @staticmethod
    def _parse_cursor(cursor: str, name: str) -> tuple[float, str]:
        micros, sep, message_id = str(cursor).partition(":")
        if not sep or not message_id or not micros.isdigit():
            raise InvalidMessage(f"{name}: not a journal cursor: {str(cursor)[:40]!r}", reason="bad_request")
        return int(micros) / 1_000_000, message_id

    def records(self, *, status: str | None = None, phase: str | None = None, to: str | None = None,
                sender: str | None = None, client: str | None = None, face: str | None = None,
                created_after: datetime | float | None = None, created_before: datetime | float | None = None,
                sent_after: datetime | float | None = None, sent_before: datetime | float | None = None,
                text_contains: str | None = None, limit: int = 100, before: str | None = None,
                after: str | None = None, oldest_first: bool = False, offset: int = 0,
                visible_to: str | None = None) -> list[MessageRecord]:
        """Journaled messages matching every filter given, newest first (``oldest_first``:
        oldest first), ordered by ``(created_at, id)``.

        ``*_after`` bounds are inclusive, ``*_before`` exclusive (datetimes, naive = UTC, or
        epoch seconds); ``sent_*`` is when the provider accepted the message (rows never
        accepted have no sent time and never match).  ``text_contains`` is a plain
        substring.  ``before``/``after`` are cursors from :meth:`cursor`: only rows strictly
        older / newer than that row.  Page with ``before=cursor(page[-1])`` (newest first)
        or ``after=cursor(page[-1]), oldest_first=True``: each page is an index range, so
        it costs the same at any depth.  ``offset`` still works (it walks the skipped rows).
        ``client`` matches the gateway client exactly; ``visible_to`` matches that client's
        messages *and* those sent outside the gateway (no client), the gateway's visibility
        rule, as two index ranges merged.
        """
        if visible_to is not None:
            if client is not None:
                raise TypeError("records(): give client= or visible_to=, not both")
            mine = self.records(status=status, phase=phase, to=to, sender=sender, client=visible_to, face=face,
                                created_after=created_after, created_before=created_before, sent_after=sent_after,
                                sent_before=sent_before, text_contains=text_contains, limit=limit + offset,
                                before=before, after=after, oldest_first=oldest_first)
            public = self._select(self._where(status=status, phase=phase, to=to, sender=sender, client=None,
                                              no_client=True, face=face, created_after=created_after,
                                              created_before=created_before, sent_after=sent_after,
                                              sent_before=sent_before, text_contains=text_contains,
                                              before=before, after=after), oldest_first, limit + offset, 0)
            merged = sorted(mine + public, key=lambda r: (r.created_at or _EPOCH0, r.id), reverse=not oldest_first)
            return merged[offset:offset + limit]
        where = self._where(status=status, phase=phase, to=to, sender=sender, client=client, no_client=False,
                            face=face, created_after=created_after, created_before=created_before,
                            sent_after=sent_after, sent_before=sent_before, text_contains=text_contains,
                            before=before, after=after)
        return self._select(where, oldest_first, limit, offset)

    def _where(self, *, status: str | None, phase: str | None, to: str | None, sender: str | None,
               client: str | None, no_client: bool, face: str | None, created_after: Any, created_before: Any,
               sent_after: Any, sent_before: Any, text_contains: str | None, before: str | None,
               after: str | None) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("status", status), ("phase", phase), ("client", client), ("to_number", to),
                              ("sender", sender), ("face", face)):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value.value if isinstance(value, Status) else value)
        if no_client:
            where.append("client IS NULL")
        bounds = (("created_at>=?", created_after, "created_after"), ("created_at<?", created_before, "created_before"),
                  ("sent_at>=?", sent_after, "sent_after"), ("sent_at<?", sent_before, "sent_before"),
                  # created_at <= sent_at always: a sent-before bound is a created-before bound too,
                  # which turns the walk of the (…, created_at, id) index into a range.
                  ("created_at<?", sent_before, "sent_before"))
        for clause, value, name in bounds:
            bound = _epoch(value, name)
            if bound is not None:
                where.append(clause)
                args.append(bound)
        if text_contains:
            where.append("instr(text, ?) > 0")
            args.append(text_contains)
        for cursor, op, name in ((before, "<", "before"), (after, ">", "after")):
            if cursor is not None:
                at, message_id = self._parse_cursor(cursor, name)
                # The row's own stored time when it still exists (exact), else the cursor's.
                where.append(f"(created_at, id) {op} (COALESCE((SELECT m.created_at FROM messages m"
                             " WHERE m.id=?), ?), ?)")
                args.extend((message_id, at, message_id))
        return where, args

    def _select(self, where: tuple[list[str], list[Any]], oldest_first: bool, limit: int,
                offset: int) -> list[MessageRecord]:
        clauses, args = where
        sql = self._sql(clauses, oldest_first) + " LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, limit, offset)).fetchall()
        return [self._record(r) for r in rows]

    def _sql(self, clauses: list[str], oldest_first: bool) -> str:
        order = "ASC" if oldest_first else "DESC"
        sql = f"SELECT {self._COLUMNS} FROM messages"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return sql + f" ORDER BY created_at {order}, id {order}"

    def query_plan(self, **filters: Any) -> list[str]:
        """SQLite's ``EXPLAIN QUERY PLAN`` for :meth:`records` with these filters (tests and
        benchmarks check that every list is an index range, never ``SCAN messages``)."""
        oldest_first = bool(filters.pop("oldest_first", False))
        clauses, args = self._where(no_client=bool(filters.pop("no_client", False)), **{
            name: filters.pop(name, None) for name in (
                "status", "phase", "to", "sender", "client", "face", "created_after", "created_before",
                "sent_after", "sent_before", "text_contains", "before", "after")})
        if filters:
            raise TypeError(f"unknown filter(s): {', '.join(filters)}")
        with self._lock:
            rows = self._db.execute("EXPLAIN QUERY PLAN " + self._sql(clauses, oldest_first) + " LIMIT ? OFFSET ?",
                                    (*args, 100, 0)).fetchall()
        return [row[-1] for row in rows]

    def iter_records(self, **filters: Any) -> Iterator[MessageRecord]:
        """All matching records, oldest first, fetched in keyset pages of 500."""
        after: str | None = None
        while True:
            page = self.records(limit=500, after=after, oldest_first=True, **filters)
            yield from page
            if len(page) < 500:
                return
            after = self.cursor(page[-1])

    def events(self, message_id: str) -> list[StatusEvent]:
        with self._lock:
            rows = self._db.execute("SELECT status, at, code, description FROM events WHERE message_id=?"
                                    " ORDER BY at, rowid", (message_id,)).fetchall()
        return [StatusEvent(status=Status(r[0]), at=_ts(r[1]), code=r[2], description=r[3]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- issue 15: inbound SMS ---------------------------------------------------------------
    def add_inbound(self, message: InboundMessage) -> bool:
        """Journal an inbound SMS; ``False`` (nothing written) when the same provider id came
        in through the same backend before: providers retry webhooks, a retry is no new SMS."""
        raw = json.dumps(_plain(message.raw), default=str)
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO inbound (id, received_at, from_number, to_number, text, backend,"
                " provider_id, raw) VALUES (?,?,?,?,?,?,?,?)",
                (message.id, message.received_at.timestamp(), message.from_, message.to, message.text,
                 message.backend, message.provider_id, raw))
        return cursor.rowcount == 1

    def inbound(self, *, since: datetime | None = None, limit: int = 100) -> list[InboundMessage]:
        """Inbound SMS in the order received: the first ``limit`` after ``since``, or the
        latest ``limit`` when ``since`` is ``None``."""
        columns = "id, received_at, from_number, to_number, text, backend, provider_id, raw"
        with self._lock:
            if since is None:
                rows = self._db.execute(f"SELECT {columns} FROM inbound ORDER BY received_at DESC, rowid DESC"
                                        " LIMIT ?", (limit,)).fetchall()[::-1]
            else:
                rows = self._db.execute(f"SELECT {columns} FROM inbound WHERE received_at > ?"
                                        " ORDER BY received_at, rowid LIMIT ?", (since.timestamp(), limit)).fetchall()
        return [InboundMessage(id=r[0], received_at=_ts(r[1]) or datetime.now(timezone.utc), from_=r[2], to=r[3],
                               text=r[4], backend=r[5], provider_id=r[6], raw=json.loads(r[7]) if r[7] else None)
                for r in rows]

    # -- issue 15: opt-outs ------------------------------------------------------------------
    def opt_out(self, number: str, *, backend: str | None = None, keyword: str | None = None) -> bool:
        """Put ``number`` on the opt-out list; ``False`` when it already was."""
        with self._lock:
            cursor = self._db.execute("INSERT OR IGNORE INTO optouts (number, at, backend, keyword) VALUES (?,?,?,?)",
                                      (number, time.time(), backend, keyword))
            if self._opted is not None:
                self._opted += cursor.rowcount
        return cursor.rowcount == 1

    def opt_in(self, number: str) -> bool:
        """Take ``number`` off the opt-out list; ``False`` when it was not on it."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM optouts WHERE number=?", (number,))
            if self._opted is not None:
                self._opted = max(0, self._opted - cursor.rowcount)
        return cursor.rowcount == 1

    def opted_out(self, number: str) -> bool:
        if self._opted == 0:  # in memory and nobody opted out: no look-up (once per send)
            return False
        with self._lock:
            return self._db.execute("SELECT 1 FROM optouts WHERE number=?", (number,)).fetchone() is not None

    def opt_outs(self) -> list[dict[str, Any]]:
        """The opt-out list, oldest first: ``number``, ``at`` (datetime), ``backend``, ``keyword``."""
        with self._lock:
            rows = self._db.execute("SELECT number, at, backend, keyword FROM optouts ORDER BY at, rowid").fetchall()
        return [{"number": r[0], "at": _ts(r[1]), "backend": r[2], "keyword": r[3]} for r in rows]

    # -- issue 15: delivery reports from webhooks -------------------------------------------
    def find_sent(self, backend: str, provider_id: str) -> str | None:
        """The id of the message ``backend`` accepted as ``provider_id`` (newest), if any."""
        with self._lock:
            row = self._db.execute("SELECT id FROM messages WHERE provider_id=? AND backend=? AND phase='accepted'"
                                   " ORDER BY created_at DESC LIMIT 1", (provider_id, backend)).fetchone()
        return row[0] if row else None

    def advance_status(self, message_id: str, status: Status, rank: Mapping[Status, int], *,
                       at: datetime | None = None, code: str | None = None,
                       description: str | None = None) -> Status | None:
        """Move an accepted message to ``status`` only forwards: not from a final status, not
        to a lower ``rank`` (a late ``sent`` after ``delivered``), not to the same status.
        Returns the previous status when it moved, else ``None``; atomic (one lock, one commit)."""
        now = time.time()
        with self._lock, self._transaction():
            row = self._db.execute("SELECT status FROM messages WHERE id=? AND phase='accepted'",
                                   (message_id,)).fetchone()
            if row is None:
                return None
            old = Status(row[0])
            if old == status or old.final or rank.get(status, 0) < rank.get(old, 0):
                return None
            self._db.execute("UPDATE messages SET status=?, updated_at=? WHERE id=?", (status.value, now, message_id))
            self._db.execute("INSERT INTO events (message_id, at, status, code, description) VALUES (?,?,?,?,?)",
                             (message_id, at.timestamp() if at else now, status.value, code, description))
            return old

    def park_report(self, backend: str, provider_id: str | None, message_id: str | None, report: str) -> bool:
        """Keep a delivery report whose message is not (yet) journaled as accepted; ``report``
        is its JSON.  ``False`` when the very same report is already kept (a retry)."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO early_reports (backend, provider_id, message_id, report, at)"
                " VALUES (?,?,?,?,?)", (backend, provider_id or "", message_id or "", report, time.time()))
            if self._parked is not None:
                self._parked += cursor.rowcount
        return cursor.rowcount == 1

    def claim_reports(self, message_id: str, backend: str, provider_id: str | None) -> list[str]:
        """Take (and delete) the kept reports for this message, oldest first."""
        if self._parked == 0:  # in memory and none kept: no look-up (once per send)
            return []
        with self._lock:  # once per send: a read on an (almost always) empty table, no commit
            rows = self._db.execute(
                "SELECT rowid, report FROM early_reports WHERE (message_id=? AND message_id != '')"
                " OR (backend=? AND provider_id=? AND provider_id != '') ORDER BY rowid",
                (message_id, backend, provider_id or "")).fetchall()
            if rows:  # claimed twice by two processes at once: applying a report twice is a no-op
                with self._transaction():
                    self._db.executemany("DELETE FROM early_reports WHERE rowid=?", [(r[0],) for r in rows])
                if self._parked is not None:
                    self._parked = max(0, self._parked - len(rows))
        return [r[1] for r in rows]

    # -- issue 13: one notification per status change, for a fleet of gateways -------------
    def claim_notice(self, message_id: str, key: str) -> bool:
        """True for the first caller (thread or process) to claim ``key`` for this message,
        False for every other: gateways that all watch one message post its status
        callback once (``key`` names the change, e.g. ``delivered#1``)."""
        with self._lock:
            cursor = self._db.execute("INSERT OR IGNORE INTO notices (message_id, key, at) VALUES (?,?,?)",
                                      (message_id, key, time.time()))
        return cursor.rowcount == 1


def _plain(value: Any) -> Any:
    """A webhook payload as JSON can keep it (bytes as text)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# Issue 15: inbound SMS (one row per provider message: a webhook retry is ignored), the
# opt-out list, and delivery reports that arrived before their message was journaled.
_INBOUND_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound (
    id TEXT PRIMARY KEY,
    received_at REAL NOT NULL,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    text TEXT NOT NULL,
    backend TEXT NOT NULL,
    provider_id TEXT,
    raw TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS inbound_provider ON inbound(backend, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS inbound_received ON inbound(received_at);
CREATE INDEX IF NOT EXISTS messages_provider ON messages(provider_id) WHERE provider_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS early_reports (
    backend TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    report TEXT NOT NULL,
    at REAL NOT NULL,
    UNIQUE (backend, provider_id, message_id, report)
);
CREATE INDEX IF NOT EXISTS early_reports_provider ON early_reports(backend, provider_id);
CREATE INDEX IF NOT EXISTS early_reports_message ON early_reports(message_id);
CREATE TABLE IF NOT EXISTS optouts (
    number TEXT PRIMARY KEY,
    at REAL NOT NULL,
    backend TEXT,
    keyword TEXT
);
"""


_EPOCH0 = datetime.fromtimestamp(0, tz=timezone.utc)

# Issue 13: the status changes of a message some gateway has notified (claim_notice).
_NOTICES_SCHEMA = """
CREATE TABLE IF NOT EXISTS notices (
    message_id TEXT NOT NULL,
    key TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (message_id, key)
);
"""
