"""The message journal (SPEC §7): every message written down before it leaves.

A row is inserted with phase ``sending`` *before* any backend is called, and updated
after: ``accepted`` (with the provider's id), ``failed`` (certainly not accepted) or
``unknown`` (maybe accepted: a :class:`~smsbridge.errors.DeliveryUnknown`).  A row still
``sending`` when no process is sending it is what a crash leaves behind; it reads as
status ``unknown`` with a description that says so, and ``smsbridge reconcile`` /
``journal`` find it.

Durability: SQLite in WAL mode with ``synchronous=NORMAL``: a committed row survives a
process crash (SIGKILL); only a power loss can drop the last transactions.  That is the
setting that keeps the journal's cost per send small (docs/performance.md); set
``SMSBRIDGE_JOURNAL_SYNC=FULL`` to fsync every commit.

The journal also keeps *aliases*: provider-shaped ids the gateway hands to callers
(Twilio ``SM…``), each mapped to the smsbridge id, so a status fetched through any face
agrees.  Without a ``store`` path the journal lives in memory for the process.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from datetime import datetime, timezone
from typing import Any, Iterator

from .model import Message, MessageRecord, Status, StatusEvent

__all__ = ["Journal", "PHASES"]

PHASES = ("sending", "accepted", "failed", "unknown")

_SCHEMA = """
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
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS messages_reference ON messages(reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS messages_key ON messages(idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_created ON messages(created_at);
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


def _ts(dt: float | None) -> datetime | None:
    return None if dt is None else datetime.fromtimestamp(dt, tz=timezone.utc)


class Journal:
    """SQLite-backed journal; safe to share between threads of one process."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        target = path or ":memory:"
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=30)
        if path:
            # New files only (a no-op on an existing one): each commit appends every page it
            # touched to the WAL, checksummed; a send touches ~3 pages per commit, and 2 KiB
            # pages cut the journal's cost per send by ~20% against the 4 KiB default
            # (docs/performance.md, "Journal cost").
            self._db.execute("PRAGMA page_size=2048")
            self._db.execute("PRAGMA journal_mode=WAL")
            sync = os.environ.get("SMSBRIDGE_JOURNAL_SYNC", "NORMAL").upper()
            self._db.execute(f"PRAGMA synchronous={'FULL' if sync == 'FULL' else 'NORMAL'}")
        self._db.executescript(_SCHEMA)
        try:  # SQLite's JSON functions (built in since 3.38, usually compiled in before)
            self._db.execute("SELECT json_insert('[]', '$[#]', json('{}'))").fetchone()
            self._json1 = True
        except sqlite3.OperationalError:
            self._json1 = False

    # -- writing -------------------------------------------------------------------------
    def begin(self, message: Message, idempotency_key: str | None = None, *,
              attempt: str | None = None) -> MessageRecord | None:
        """Record a message about to be handed to a backend (phase ``sending``).

        With an ``idempotency_key`` already journaled (and not certainly failed), nothing is
        written and the earlier record is returned: the caller must not send again.  A
        ``failed`` earlier record gives its key up to the new message.  ``attempt`` names
        the backend about to be tried, recorded as by :meth:`attempt` in the same write
        (one commit per send fewer: docs/performance.md).
        """
        now = time.time()
        attempts = json.dumps([{"backend": attempt, "at": now}]) if attempt is not None else "[]"
        with self._lock:
            if idempotency_key is not None:
                row = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE idempotency_key=?",
                                       (idempotency_key,)).fetchone()
                if row is not None:
                    if row[14] != "failed":
                        return self._record(row)
                    self._db.execute("UPDATE messages SET idempotency_key=NULL WHERE id=?", (row[0],))
            self._db.execute(
                "INSERT INTO messages (id, created_at, updated_at, to_number, text, sender, reference,"
                " idempotency_key, backend, status, phase, segments, encoding, attempts, extra)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (message.id, now, now, message.to, message.text, message.sender, message.reference,
                 idempotency_key, attempt, Status.UNKNOWN.value, "sending", message.segments, message.encoding,
                 attempts, json.dumps(dict(message.extra), default=str) if message.extra else "{}"))
        return None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One commit for several statements (called with ``_lock`` held): with a store on
        disk every commit is a WAL append, the journal's main cost per send."""
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def attempt(self, message_id: str, backend: str, outcome: str | None = None) -> None:
        """Note that ``backend`` was tried (and, once known, how it ended)."""
        if outcome is None and self._json1:
            # The common case, once per send: append in SQL, one statement, no read-back.
            now = time.time()
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
                attempts.append({"backend": backend, "at": time.time()})
            elif attempts and attempts[-1]["backend"] == backend:
                attempts[-1]["outcome"] = outcome
            self._db.execute("UPDATE messages SET backend=?, attempts=?, updated_at=? WHERE id=?",
                             (backend, json.dumps(attempts), time.time(), message_id))

    def accepted(self, message_id: str, backend: str, provider_id: str, status: Status,
                 segments: int | None = None) -> None:
        now = time.time()
        with self._lock, self._transaction():
            self._db.execute(
                "UPDATE messages SET phase='accepted', backend=?, provider_id=?, status=?, updated_at=?,"
                " segments=COALESCE(?, segments), error=NULL, error_code=NULL WHERE id=?",
                (backend, provider_id, status.value, now, segments, message_id))
            self._db.execute("INSERT INTO events (message_id, at, status, description) VALUES (?,?,?,?)",
                             (message_id, now, status.value, f"accepted by {backend}"))

    def finished_with_error(self, message_id: str, backend: str | None, *, unknown: bool, error: str,
                            code: str | None = None) -> None:
        """The send ended in an error: ``unknown`` (maybe accepted) or ``failed`` (certainly not)."""
        now = time.time()
        status = Status.UNKNOWN if unknown else Status.FAILED
        with self._lock, self._transaction():
            self._db.execute(
                "UPDATE messages SET phase=?, backend=COALESCE(?, backend), status=?, error=?, error_code=?,"
                " updated_at=? WHERE id=?",
                ("unknown" if unknown else "failed", backend, status.value, error, code, now, message_id))
            self._db.execute(
                "INSERT INTO events (message_id, at, status, code, description) VALUES (?,?,?,?,?)",
                (message_id, now, status.value, code, error))

    def set_status(self, message_id: str, status: Status, *, at: datetime | None = None,
                   code: str | None = None, description: str | None = None, phase: str | None = None) -> Status | None:
        """Record a newly learnt status; returns the previous one (``None`` if no such id)."""
        now = time.time()
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

    # -- aliases -------------------------------------------------------------------------
    def alias(self, kind: str, alias: str, message_id: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO aliases (kind, alias, message_id) VALUES (?,?,?)",
                             (kind, alias, message_id))

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
                " created_at, updated_at, error_code, error, phase, extra, attempts")

    def _record(self, row: tuple[Any, ...]) -> MessageRecord:
        extra = json.loads(row[15] or "{}")
        extra["phase"] = row[14]
        extra["attempts"] = json.loads(row[16] or "[]")
        return MessageRecord(id=row[0], to=row[1], text=row[2], status=Status(row[3]), backend=row[4],
                             provider_id=row[5], sender=row[6], reference=row[7], segments=row[8],
                             encoding=row[9], created_at=_ts(row[10]), updated_at=_ts(row[11]),
                             error_code=row[12], error=row[13], extra=extra)

    def get(self, message_id: str) -> MessageRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE id=?", (message_id,)).fetchone()
        return self._record(row) if row else None

    def by_idempotency_key(self, key: str) -> MessageRecord | None:
        """The message journaled under this idempotency key (a campaign row), if any."""
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE idempotency_key=?",
                                   (key,)).fetchone()
        return self._record(row) if row else None

    def by_reference(self, reference: str) -> MessageRecord | None:
        """The newest message sent with this ``reference`` (the idempotency key of a send)."""
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM messages WHERE reference=?"
                                   " ORDER BY created_at DESC LIMIT 1", (reference,)).fetchone()
        return self._record(row) if row else None

    def records(self, *, status: str | None = None, phase: str | None = None, limit: int = 100,
                offset: int = 0, to: str | None = None, sender: str | None = None,
                oldest_first: bool = False) -> list[MessageRecord]:
        where, args = [], []
        for column, value in (("status", status), ("phase", phase), ("to_number", to), ("sender", sender)):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        sql = f"SELECT {self._COLUMNS} FROM messages"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY created_at {'ASC' if oldest_first else 'DESC'}, rowid LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, limit, offset)).fetchall()
        return [self._record(r) for r in rows]

    def iter_records(self, **filters: Any) -> Iterator[MessageRecord]:
        """All matching records, oldest first, fetched in pages."""
        offset = 0
        while True:
            page = self.records(limit=500, offset=offset, oldest_first=True, **filters)
            yield from page
            if len(page) < 500:
                return
            offset += len(page)

    def events(self, message_id: str) -> list[StatusEvent]:
        with self._lock:
            rows = self._db.execute("SELECT status, at, code, description FROM events WHERE message_id=?"
                                    " ORDER BY at, rowid", (message_id,)).fetchall()
        return [StatusEvent(status=Status(r[0]), at=_ts(r[1]), code=r[2], description=r[3]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
