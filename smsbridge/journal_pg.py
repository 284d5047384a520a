"""The message journal on PostgreSQL (``store: postgresql://user:pass@host:port/db``).

The same contract as the SQLite journal (:class:`smsbridge.journal.Journal`, SPEC §7 and
docs/architecture.md, "The journal"), for a fleet of processes on several hosts sharing one
database:

- an idempotency key is claimed with ``INSERT ... ON CONFLICT (idempotency_key) DO
  NOTHING``: of any number of processes claiming one key at once exactly one inserts, the
  others wait for its commit and read its row (never a unique violation);
- a scheduled message is claimed by one conditional ``UPDATE`` over a row locked with
  ``FOR UPDATE SKIP LOCKED`` (:meth:`PgJournal.claim`, :meth:`PgJournal.claim_due`): two
  dispatchers never both take it, and neither waits for the other;
- lists are the same keyset queries as SQLite's (the very same ``WHERE`` builder), over
  the same indexes; ids and keys compare bytewise (``COLLATE "C"``), so a page boundary
  falls where it falls on SQLite.

Times are epoch seconds (``double precision``), as on SQLite, so records, cursors and
filters round-trip identically.  Connections come from a small pool; each statement
commits on its own unless several must be one (``transaction``).

Schema versions live in the table ``smsbridge_schema`` (one row).  :data:`SCHEMA_VERSION`
is the version this code writes; :data:`MIGRATIONS` takes a database from each older
version to the next, under a transaction-scoped advisory lock so that processes starting
together migrate once; a newer database is refused with a :class:`ConfigError`.
"""
from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, cast

from . import journal_statements as statements
from .errors import ConfigError
from .journal import Journal, PendingAliases, _epoch, _now, _plain, _ts
from .model import InboundMessage, Message, MessageRecord, Status, StatusEvent
from .store import redact_store, scrub

__all__ = ["MIGRATIONS", "PgJournal", "SCHEMA_VERSION"]

# Version 1: messages, events, aliases and the list indexes (the SQLite journal's schema 1).
_V1 = """
CREATE TABLE messages (
    id TEXT COLLATE "C" PRIMARY KEY,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    to_number TEXT COLLATE "C" NOT NULL,
    text TEXT NOT NULL,
    sender TEXT COLLATE "C",
    reference TEXT COLLATE "C",
    idempotency_key TEXT COLLATE "C" UNIQUE,
    backend TEXT,
    provider_id TEXT COLLATE "C",
    status TEXT NOT NULL,
    phase TEXT NOT NULL,
    segments INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    error_code TEXT,
    error TEXT,
    attempts TEXT NOT NULL DEFAULT '[]',
    extra TEXT NOT NULL DEFAULT '{}',
    client TEXT COLLATE "C",
    face TEXT COLLATE "C",
    sent_at DOUBLE PRECISION,
    send_at DOUBLE PRECISION,
    fingerprint TEXT
);
CREATE INDEX messages_reference ON messages(reference, created_at) WHERE reference IS NOT NULL;
CREATE INDEX messages_by_created ON messages(created_at, id);
CREATE INDEX messages_by_status ON messages(status, created_at, id);
CREATE INDEX messages_by_client ON messages(client, created_at, id);
CREATE INDEX messages_by_client_to ON messages(client, to_number, created_at, id) WHERE client IS NOT NULL;
CREATE INDEX messages_by_client_sender ON messages(client, sender, created_at, id) WHERE client IS NOT NULL;
CREATE INDEX messages_by_client_face ON messages(client, face, created_at, id) WHERE client IS NOT NULL;
CREATE INDEX messages_due ON messages(phase, send_at) WHERE send_at IS NOT NULL;
CREATE TABLE events (
    seq BIGSERIAL PRIMARY KEY,
    message_id TEXT COLLATE "C" NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    description TEXT
);
CREATE INDEX events_message ON events(message_id, at, seq);
CREATE TABLE aliases (
    kind TEXT COLLATE "C" NOT NULL,
    alias TEXT COLLATE "C" NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kind, alias)
);
CREATE INDEX aliases_message ON aliases(message_id, kind);
-- SQLite's instr(), so that both journals share one WHERE builder (text_contains).
CREATE OR REPLACE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS INTEGER
    LANGUAGE sql IMMUTABLE STRICT AS 'SELECT strpos(haystack, needle)';
"""

# Version 2: inbound SMS, early delivery reports, opt-outs (issue 15); notified status
# changes, the fleet-wide rate limits and circuit breakers (issue 13).
_V2 = """
CREATE TABLE inbound (
    seq BIGSERIAL UNIQUE,
    id TEXT COLLATE "C" PRIMARY KEY,
    received_at DOUBLE PRECISION NOT NULL,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    text TEXT NOT NULL,
    backend TEXT NOT NULL,
    provider_id TEXT,
    raw TEXT
);
CREATE UNIQUE INDEX inbound_provider ON inbound(backend, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX inbound_received ON inbound(received_at, seq);
CREATE INDEX messages_provider ON messages(provider_id) WHERE provider_id IS NOT NULL;
CREATE TABLE early_reports (
    seq BIGSERIAL PRIMARY KEY,
    backend TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    report TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
CREATE UNIQUE INDEX early_reports_once ON early_reports(backend, provider_id, message_id, md5(report));
CREATE INDEX early_reports_provider ON early_reports(backend, provider_id);
CREATE INDEX early_reports_message ON early_reports(message_id);
CREATE TABLE optouts (
    seq BIGSERIAL UNIQUE,
    number TEXT PRIMARY KEY,
    at DOUBLE PRECISION NOT NULL,
    backend TEXT,
    keyword TEXT
);
CREATE TABLE notices (
    message_id TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (message_id, key)
);
CREATE TABLE rate_limits (
    backend TEXT PRIMARY KEY,
    next_slot DOUBLE PRECISION NOT NULL
);
CREATE TABLE breakers (
    backend TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    opened_at DOUBLE PRECISION,
    probe_until DOUBLE PRECISION
);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2)
"""``MIGRATIONS[n]`` takes a database from schema ``n`` to ``n + 1`` (0: empty)."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema this code writes (``smsbridge_schema.version``)."""

_LOCK_KEY = 0x736D7362  # "smsb": the advisory lock migrations hold
_CLAIM_POLL = 0.02


_q = statements.pg  # the shared WHERE builder's SQL, and the statements both journals run:
_INSERT_MESSAGE, _ACCEPTED, _ACCEPTED_EVENT, _FINISHED, _ERROR_EVENT = (
    _q(sql) for sql in (statements.INSERT_MESSAGE, statements.ACCEPTED, statements.ACCEPTED_EVENT,
                        statements.FINISHED, statements.ERROR_EVENT))



_ALIAS_UPSERT = ("INSERT INTO aliases (kind, alias, message_id) VALUES (%s,%s,%s) ON CONFLICT (kind, alias)"
                 " DO UPDATE SET message_id=EXCLUDED.message_id")

class _Pool:
    """A few autocommit connections shared by the threads of one process (psycopg_pool
    would be one more dependency for ~30 lines).  A broken connection is dropped."""

    def __init__(self, url: str, size: int = 8) -> None:
        self.url = url
        self.size = size
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()
        self._closed = False
        self._pid = os.getpid()
        self._inherited: list[Any] = []

    def _after_fork(self) -> None:
        """In a forked child (a prefork Celery or uvicorn worker) the parent's connections
        share its sockets: never use them, and never close them either (closing would end
        the parent's sessions) -- keep them referenced, and open new ones."""
        with self._lock:
            if self._pid == os.getpid():
                return
            while True:
                try:
                    self._inherited.append(self._idle.get_nowait())
                except queue.Empty:
                    break
            self._made = 0
            self._pid = os.getpid()

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            raise ConfigError(f"cannot open the journal at {redact_store(self.url)}: {scrub(str(exc), self.url)}",
                              path="store") from None

    def _acquire(self) -> Any:
        """An idle connection, else a new one while fewer than ``size`` exist, else wait
        for one (looking again now and then: a connection that broke frees its place)."""
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                pass
            else:
                if not (conn.closed or conn.broken):
                    return conn
                with self._lock:
                    self._made -= 1
                continue
            with self._lock:
                make = self._made < self.size
                if make:
                    self._made += 1
            if make:
                try:
                    return self._connect()
                except BaseException:
                    with self._lock:
                        self._made -= 1
                    raise
            try:
                conn = self._idle.get(timeout=0.2)
            except queue.Empty:
                continue
            self._idle.put(conn)  # looked at again at the top of the loop

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        if self._pid != os.getpid():
            self._after_fork()
        conn = self._acquire()
        pid = self._pid
        try:
            yield conn
        finally:
            if pid != os.getpid():  # forked while in use: the parent's, leave it be
                self._inherited.append(conn)
            elif conn.closed or conn.broken or self._closed:
                with contextlib.suppress(Exception):
                    conn.close()
                with self._lock:
                    self._made -= 1
                if conn.broken and not self._closed:
                    self._drop_idle()  # a server restart or a network cut took the others too
            else:
                self._idle.put(conn)

    def _drop_idle(self) -> None:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(Exception):
                conn.close()
            with self._lock:
                self._made -= 1

    def close(self) -> None:
        self._closed = True
        self._drop_idle()


class PgJournal(PendingAliases):
    """The PostgreSQL journal; safe to share between threads, processes and hosts."""

    _COLUMNS = Journal._COLUMNS
    _parse_cursor = staticmethod(Journal._parse_cursor)

    @staticmethod
    def cursor(record: MessageRecord) -> str:
        """The same opaque keyset cursor as the SQLite journal's (:meth:`Journal.cursor`)."""
        return Journal.cursor(record)

    def __init__(self, url: str, *, _upto: int | None = None) -> None:
        try:
            import psycopg
        except ImportError:
            raise ConfigError("store: a postgresql:// journal needs psycopg: pip install 'smsbridge[postgres]'",
                              path="store") from None
        self.url = url
        self.path = redact_store(url)  # what a message may show of the store
        self._pool = _Pool(url)
        self._pending = threading.local()  # aliases the next begin() on this thread writes (aliasing())
        try:
            self._migrate(SCHEMA_VERSION if _upto is None else _upto)
        except psycopg.Error as exc:  # e.g. no CREATE right on the schema (PostgreSQL 15's default)
            self._pool.close()
            raise ConfigError(f"cannot create or upgrade the journal's tables in {self.path}:"
                              f" {scrub(str(exc), url)}", path="store") from None

    def __repr__(self) -> str:
        return f"<PgJournal {self.path}>"

    # -- plumbing ------------------------------------------------------------------------
    def _run(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> Any:
        """One statement, committed; returns the cursor (read it before the next call)."""
        with self._pool.connection() as conn:
            cur = conn.execute(sql, args)
            rows = cur.fetchall() if cur.description else None
            return _Result(rows, cur.rowcount)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    def _migrate(self, target: int) -> None:
        with self._transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            conn.execute("CREATE TABLE IF NOT EXISTS smsbridge_schema (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM smsbridge_schema").fetchone()
            if row is None:
                # A database from before the versions table cannot exist: 0 means empty.
                conn.execute("INSERT INTO smsbridge_schema (version) VALUES (0)")
                version = 0
            else:
                version = int(row[0])
            if version > SCHEMA_VERSION:
                raise ConfigError(f"store {self.path} has journal schema {version}, newer than this smsbridge"
                                  f" understands ({SCHEMA_VERSION}); upgrade smsbridge", path="store")
            while version < target:
                conn.execute(MIGRATIONS[version])
                version += 1
                conn.execute("UPDATE smsbridge_schema SET version=%s", (version,))

    def schema_version(self) -> int:
        return int(self._run("SELECT version FROM smsbridge_schema").rows[0][0])

    def close(self) -> None:
        self._pool.close()

    # -- writing -------------------------------------------------------------------------
    def begin(self, message: Message, idempotency_key: str | None = None, *,
              attempt: str | None = None, fingerprint: str | None = None,
              send_at: datetime | float | None = None) -> MessageRecord | None:
        """As :meth:`Journal.begin`; the key is claimed by ``INSERT ... ON CONFLICT DO
        NOTHING``: a concurrent claimant waits for the first one's commit, then reads its row."""
        values = statements.begin_row(message, idempotency_key, attempt=attempt, fingerprint=fingerprint,
                                      due=_epoch(send_at, "send_at"), now=_now())
        insert = _INSERT_MESSAGE
        aliases = self._take_aliases(message.id)

        def write_aliases(conn: Any) -> None:
            for kind, alias, message_id in aliases:
                conn.execute(_ALIAS_UPSERT, (kind, alias, message_id))

        if idempotency_key is None:
            with self._transaction() as conn:
                conn.execute(insert, values)
                write_aliases(conn)
            return None
        while True:
            with self._transaction() as conn:
                if conn.execute(insert + " ON CONFLICT (idempotency_key) DO NOTHING", values).rowcount == 1:
                    write_aliases(conn)
                    return None
                row = conn.execute(f"SELECT {self._COLUMNS} FROM messages WHERE idempotency_key=%s FOR UPDATE",
                                   (idempotency_key,)).fetchone()
                if row is None:
                    continue  # the holder gave the key up between our two statements: claim again
                if statements.earlier_stands(row, idempotency_key, fingerprint):
                    return self._record(row)
                conn.execute("UPDATE messages SET idempotency_key=NULL WHERE id=%s", (row[0],))
                conn.execute(insert, values)
                write_aliases(conn)
                return None


    def wait_settled(self, message_id: str, timeout: float) -> MessageRecord | None:
        """The record once it has left phase ``sending`` (polled up to ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.get(message_id)
            if record is None or record.phase != "sending" or time.monotonic() >= deadline:
                return record
            time.sleep(_CLAIM_POLL)

    def attempt(self, message_id: str, backend: str, outcome: str | None = None) -> None:
        if outcome is None:
            now = _now()
            self._run("UPDATE messages SET backend=%s, attempts=(attempts::jsonb || %s::jsonb)::text,"
                      " updated_at=%s WHERE id=%s",
                      (backend, json.dumps([{"backend": backend, "at": now}]), now, message_id))
            return
        with self._transaction() as conn:
            row = conn.execute("SELECT attempts FROM messages WHERE id=%s FOR UPDATE", (message_id,)).fetchone()
            if row is None:
                return
            attempts = json.loads(row[0])
            if attempts and attempts[-1]["backend"] == backend:
                attempts[-1]["outcome"] = outcome
            conn.execute("UPDATE messages SET backend=%s, attempts=%s, updated_at=%s WHERE id=%s",
                         (backend, json.dumps(attempts), _now(), message_id))

    def accepted(self, message_id: str, backend: str, provider_id: str, status: Status,
                 segments: int | None = None) -> None:
        update, event = statements.accepted_args(message_id, backend, provider_id, status, segments, _now())
        with self._transaction() as conn:
            conn.execute(_ACCEPTED, update)
            conn.execute(_ACCEPTED_EVENT, event)

    def finished_with_error(self, message_id: str, backend: str | None, *, unknown: bool, error: str,
                            code: str | None = None) -> None:
        update, event = statements.finished_args(message_id, backend, unknown=unknown, error=error, code=code,
                                                 now=_now())
        with self._transaction() as conn:
            conn.execute(_FINISHED, update)
            conn.execute(_ERROR_EVENT, event)

    def set_status(self, message_id: str, status: Status, *, at: datetime | None = None,
                   code: str | None = None, description: str | None = None, phase: str | None = None) -> Status | None:
        now = _now()
        when = at.timestamp() if at else now
        with self._transaction() as conn:
            row = conn.execute("SELECT status FROM messages WHERE id=%s FOR UPDATE", (message_id,)).fetchone()
            if row is None:
                return None
            old = Status(row[0])
            if old != status or phase:
                conn.execute("UPDATE messages SET status=%s, updated_at=%s, phase=COALESCE(%s, phase) WHERE id=%s",
                             (status.value, now, phase, message_id))
            if old != status:
                conn.execute("INSERT INTO events (message_id, at, status, code, description)"
                             " VALUES (%s,%s,%s,%s,%s)", (message_id, when, status.value, code, description))
            return old

    # -- scheduled messages --------------------------------------------------------------
    def due(self, now: datetime | float | None = None, *, limit: int = 100) -> list[MessageRecord]:
        bound = _epoch(now, "now") if now is not None else time.time()
        rows = self._run(f"SELECT {self._COLUMNS} FROM messages WHERE phase='scheduled' AND send_at IS NOT NULL"
                         " AND send_at<=%s ORDER BY send_at LIMIT %s", (bound, limit)).rows
        return [self._record(r) for r in rows]

    def claim(self, message_id: str, *, attempt: str | None = None) -> bool:
        """``scheduled`` → ``sending`` for exactly one caller: the row is taken ``FOR UPDATE
        SKIP LOCKED``, so a second dispatcher passes it by instead of queueing behind."""
        now = _now()
        attempts = json.dumps([{"backend": attempt, "at": now}]) if attempt is not None else "[]"
        result = self._run(
            "UPDATE messages SET phase='sending', status=%s, updated_at=%s, attempts=%s,"
            " backend=COALESCE(%s, backend) WHERE id=(SELECT id FROM messages WHERE id=%s AND phase='scheduled'"
            " FOR UPDATE SKIP LOCKED) AND phase='scheduled'",
            (Status.UNKNOWN.value, now, attempts, attempt, message_id))
        return bool(result.rowcount == 1)

    def claim_due(self, now: datetime | float | None = None, *, limit: int = 100,
                  attempt: str | None = None) -> list[MessageRecord]:
        """Claim (``scheduled`` → ``sending``) up to ``limit`` due messages at once, earliest
        first; rows another dispatcher is claiming are skipped, not waited for."""
        bound = _epoch(now, "now") if now is not None else time.time()
        stamp = _now()
        attempts = json.dumps([{"backend": attempt, "at": stamp}]) if attempt is not None else "[]"
        rows = self._run(
            f"UPDATE messages SET phase='sending', status=%s, updated_at=%s, attempts=%s,"
            f" backend=COALESCE(%s, backend) WHERE id IN (SELECT id FROM messages WHERE phase='scheduled' AND"
            f" send_at IS NOT NULL AND send_at<=%s ORDER BY send_at LIMIT %s FOR UPDATE SKIP LOCKED)"
            f" RETURNING {self._COLUMNS}", (Status.UNKNOWN.value, stamp, attempts, attempt, bound, limit)).rows
        return sorted((self._record(r) for r in rows), key=lambda r: (r.send_at or _EPOCH0, r.id))

    def cancel(self, message_id: str) -> bool:
        now = _now()
        with self._transaction() as conn:
            cur = conn.execute("UPDATE messages SET phase='canceled', status=%s, updated_at=%s WHERE id=%s"
                               " AND phase='scheduled'", (Status.CANCELED.value, now, message_id))
            if cur.rowcount == 1:
                conn.execute("INSERT INTO events (message_id, at, status, description) VALUES (%s,%s,%s,%s)",
                             (message_id, now, Status.CANCELED.value, "canceled before it was sent"))
            return bool(cur.rowcount == 1)

    # -- the sandbox inbox --------------------------------------------------------------
    def force_status(self, message_id: str, status: Status, *, code: str | None = None,
                     description: str | None = None) -> bool:
        now = time.time()
        failed = status in (Status.FAILED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED)
        with self._transaction() as conn:
            cur = conn.execute("UPDATE messages SET status=%s, updated_at=%s, error_code=%s, error=%s WHERE id=%s",
                               (status.value, now, code if failed else None, description if failed else None,
                                message_id))
            if cur.rowcount == 0:
                return False
            conn.execute("INSERT INTO events (message_id, at, status, code, description) VALUES (%s,%s,%s,%s,%s)",
                         (message_id, now, status.value, code, description))
        return True

    def delete(self, message_id: str | None = None) -> int:
        where, args = ("WHERE message_id=%s", (message_id,)) if message_id is not None else ("", ())
        with self._transaction() as conn:
            conn.execute(f"DELETE FROM events {where}", args)
            conn.execute(f"DELETE FROM aliases {where}", args)
            conn.execute(f"DELETE FROM notices {where}", args)
            cur = conn.execute(f"DELETE FROM messages {'WHERE id=%s' if message_id is not None else ''}", args)
            return int(cur.rowcount)

    # -- aliases -------------------------------------------------------------------------
    def alias(self, kind: str, alias: str, message_id: str) -> None:
        self._run(_ALIAS_UPSERT, (kind, alias, message_id))

    def resolve(self, kind: str, alias: str) -> str | None:
        rows = self._run("SELECT message_id FROM aliases WHERE kind=%s AND alias=%s", (kind, alias)).rows
        return str(rows[0][0]) if rows else None

    def aliases_of(self, message_id: str, kind: str) -> str | None:
        rows = self._run("SELECT alias FROM aliases WHERE message_id=%s AND kind=%s LIMIT 1",
                         (message_id, kind)).rows
        return str(rows[0][0]) if rows else None

    # -- reading -------------------------------------------------------------------------
    # The list queries are the SQLite journal's own code (one WHERE builder, one ORDER BY,
    # one visible_to merge), run through this class's _select: the same filters, the same
    # pages, whatever either side changes.
    records = Journal.records
    iter_records = Journal.iter_records

    def _record(self, row: tuple[Any, ...]) -> MessageRecord:
        return Journal._record(cast(Journal, self), row)

    def _where(self, **filters: Any) -> tuple[list[str], list[Any]]:
        return Journal._where(cast(Journal, self), **filters)

    def _sql(self, clauses: list[str], oldest_first: bool) -> str:
        return Journal._sql(cast(Journal, self), clauses, oldest_first)

    def _select(self, where: tuple[list[str], list[Any]], oldest_first: bool, limit: int,
                offset: int) -> list[MessageRecord]:
        clauses, args = where
        rows = self._run(_q(self._sql(clauses, oldest_first) + " LIMIT ? OFFSET ?"), (*args, limit, offset)).rows
        return [self._record(r) for r in rows]

    def query_plan(self, **filters: Any) -> list[str]:
        """PostgreSQL's ``EXPLAIN`` for :meth:`records`, planned as for a big table
        (sequential scans and sorts priced out, which a small test table would otherwise
        favour): a ``Seq Scan`` or ``Sort`` left in the plan means no index serves it."""
        oldest_first = bool(filters.pop("oldest_first", False))
        clauses, args = self._where(no_client=bool(filters.pop("no_client", False)), **{
            name: filters.pop(name, None) for name in (
                "status", "phase", "to", "sender", "client", "face", "created_after", "created_before",
                "sent_after", "sent_before", "text_contains", "before", "after")})
        if filters:
            raise TypeError(f"unknown filter(s): {', '.join(filters)}")
        with self._transaction() as conn:
            conn.execute("SET LOCAL enable_seqscan = off")
            conn.execute("SET LOCAL enable_sort = off")
            conn.execute("SET LOCAL enable_bitmapscan = off")
            rows = conn.execute(_q("EXPLAIN " + self._sql(clauses, oldest_first) + " LIMIT ? OFFSET ?"),
                                (*args, 100, 0)).fetchall()
        return [str(row[0]).strip() for row in rows]

    def get(self, message_id: str) -> MessageRecord | None:
        rows = self._run(f"SELECT {self._COLUMNS} FROM messages WHERE id=%s", (message_id,)).rows
        return self._record(rows[0]) if rows else None

    def by_key(self, idempotency_key: str) -> MessageRecord | None:
        rows = self._run(f"SELECT {self._COLUMNS} FROM messages WHERE idempotency_key=%s", (idempotency_key,)).rows
        return self._record(rows[0]) if rows else None

    by_idempotency_key = by_key

    def by_key_prefix(self, prefix: str, *, limit: int | None = None) -> list[MessageRecord]:
        """Messages whose idempotency key starts with ``prefix`` (non-empty), in key order:
        a range of the unique key index (bytewise, ``COLLATE "C"``)."""
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = self._run(f"SELECT {self._COLUMNS} FROM messages WHERE idempotency_key >= %s AND idempotency_key < %s"
                         " ORDER BY idempotency_key LIMIT %s", (prefix, upper, limit)).rows
        return [self._record(r) for r in rows]

    def by_reference(self, reference: str) -> MessageRecord | None:
        rows = self._run(f"SELECT {self._COLUMNS} FROM messages WHERE reference=%s ORDER BY created_at DESC LIMIT 1",
                         (reference,)).rows
        return self._record(rows[0]) if rows else None

    def events(self, message_id: str) -> list[StatusEvent]:
        rows = self._run("SELECT status, at, code, description FROM events WHERE message_id=%s ORDER BY at, seq",
                         (message_id,)).rows
        return [StatusEvent(status=Status(r[0]), at=_ts(r[1]), code=r[2], description=r[3]) for r in rows]

    # -- inbound SMS ---------------------------------------------------------------------
    def add_inbound(self, message: InboundMessage) -> bool:
        raw = json.dumps(_plain(message.raw), default=str)
        result = self._run("INSERT INTO inbound (id, received_at, from_number, to_number, text, backend, provider_id,"
                           " raw) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                           (message.id, message.received_at.timestamp(), message.from_, message.to, message.text,
                            message.backend, message.provider_id, raw))
        return bool(result.rowcount == 1)

    def inbound(self, *, since: datetime | None = None, limit: int = 100) -> list[InboundMessage]:
        columns = "id, received_at, from_number, to_number, text, backend, provider_id, raw"
        if since is None:
            rows = self._run(f"SELECT {columns} FROM inbound ORDER BY received_at DESC, seq DESC LIMIT %s",
                             (limit,)).rows[::-1]
        else:
            rows = self._run(f"SELECT {columns} FROM inbound WHERE received_at > %s ORDER BY received_at, seq"
                             " LIMIT %s", (since.timestamp(), limit)).rows
        return [InboundMessage(id=r[0], received_at=_ts(r[1]) or datetime.now(timezone.utc), from_=r[2], to=r[3],
                               text=r[4], backend=r[5], provider_id=r[6], raw=json.loads(r[7]) if r[7] else None)
                for r in rows]

    # -- opt-outs ------------------------------------------------------------------------
    def opt_out(self, number: str, *, backend: str | None = None, keyword: str | None = None) -> bool:
        result = self._run("INSERT INTO optouts (number, at, backend, keyword) VALUES (%s,%s,%s,%s)"
                           " ON CONFLICT DO NOTHING", (number, time.time(), backend, keyword))
        return bool(result.rowcount == 1)

    def opt_in(self, number: str) -> bool:
        return bool(self._run("DELETE FROM optouts WHERE number=%s", (number,)).rowcount == 1)

    def opted_out(self, number: str) -> bool:
        return bool(self._run("SELECT 1 FROM optouts WHERE number=%s", (number,)).rows)

    def opt_outs(self) -> list[dict[str, Any]]:
        rows = self._run("SELECT number, at, backend, keyword FROM optouts ORDER BY at, seq").rows
        return [{"number": r[0], "at": _ts(r[1]), "backend": r[2], "keyword": r[3]} for r in rows]

    # -- delivery reports from webhooks -------------------------------------------------
    def find_sent(self, backend: str, provider_id: str) -> str | None:
        rows = self._run("SELECT id FROM messages WHERE provider_id=%s AND backend=%s AND phase='accepted'"
                         " ORDER BY created_at DESC LIMIT 1", (provider_id, backend)).rows
        return str(rows[0][0]) if rows else None

    def advance_status(self, message_id: str, status: Status, rank: Mapping[Status, int], *,
                       at: datetime | None = None, code: str | None = None,
                       description: str | None = None) -> Status | None:
        now = time.time()
        with self._transaction() as conn:
            row = conn.execute("SELECT status FROM messages WHERE id=%s AND phase='accepted' FOR UPDATE",
                               (message_id,)).fetchone()
            if row is None:
                return None
            old = Status(row[0])
            if old == status or old.final or rank.get(status, 0) < rank.get(old, 0):
                return None
            conn.execute("UPDATE messages SET status=%s, updated_at=%s WHERE id=%s", (status.value, now, message_id))
            conn.execute("INSERT INTO events (message_id, at, status, code, description) VALUES (%s,%s,%s,%s,%s)",
                         (message_id, at.timestamp() if at else now, status.value, code, description))
            return old

    def park_report(self, backend: str, provider_id: str | None, message_id: str | None, report: str) -> bool:
        result = self._run("INSERT INTO early_reports (backend, provider_id, message_id, report, at)"
                           " VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                           (backend, provider_id or "", message_id or "", report, time.time()))
        return bool(result.rowcount == 1)

    def claim_reports(self, message_id: str, backend: str, provider_id: str | None) -> list[str]:
        """Take (and delete) the kept reports, oldest first: one ``DELETE ... RETURNING``, so
        two processes claiming at once split them, never both apply one."""
        rows = self._run("DELETE FROM early_reports WHERE (message_id=%s AND message_id != '')"
                         " OR (backend=%s AND provider_id=%s AND provider_id != '') RETURNING seq, report",
                         (message_id, backend, provider_id or "")).rows
        return [r[1] for r in sorted(rows)]

    def claim_notice(self, message_id: str, key: str) -> bool:
        """True for the first process to claim ``key`` for this message (``INSERT ... ON
        CONFLICT DO NOTHING``): a status callback is posted by one gateway of the fleet."""
        result = self._run("INSERT INTO notices (message_id, key, at) VALUES (%s,%s,%s) ON CONFLICT DO NOTHING",
                           (message_id, key, time.time()))
        return bool(result.rowcount == 1)

    # -- fleet-wide rate limits and circuit breakers (issue 13) ---------------------------
    def reserve_slot(self, backend: str, interval: float) -> tuple[float, float]:
        """Reserve the next send slot of ``backend`` for the whole fleet, ``interval`` seconds
        after the previous one: returns ``(slot, now)``, both on the database's clock (one
        clock for every host); the caller sends ``slot - now`` seconds from now.  One atomic
        upsert of the backend's ``rate_limits`` row (docs/decisions.md, "Issue 13")."""
        rows = self._run(
            "WITH now AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS t)"
            " INSERT INTO rate_limits AS r (backend, next_slot) SELECT %s, now.t + %s FROM now"
            " ON CONFLICT (backend) DO UPDATE SET next_slot = GREATEST(r.next_slot, EXCLUDED.next_slot - %s) + %s"
            " RETURNING next_slot - %s, (SELECT t FROM now)",
            (backend, interval, interval, interval, interval)).rows
        return float(rows[0][0]), float(rows[0][1])

    def breaker_allow(self, backend: str, cooldown: float, probe_timeout: float = 120.0) -> bool:
        """May a send try ``backend`` now?  Closed (no row, or not opened): yes, one read.
        Open: no, until ``cooldown`` has passed; then exactly one process in the fleet gets
        the probe (one conditional UPDATE), held for ``probe_timeout`` seconds, after which a
        probe that never reported is presumed lost and another is let through."""
        rows = self._run("SELECT opened_at FROM breakers WHERE backend=%s", (backend,)).rows
        if not rows or rows[0][0] is None:
            return True
        won = self._run(
            "WITH now AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS t)"
            " UPDATE breakers SET probe_until = (SELECT t FROM now) + %s WHERE backend=%s AND opened_at IS NOT NULL"
            " AND (SELECT t FROM now) - opened_at >= %s"
            " AND (probe_until IS NULL OR probe_until <= (SELECT t FROM now))",
            (probe_timeout, backend, cooldown))
        return bool(won.rowcount == 1)

    def breaker_success(self, backend: str) -> None:
        # Guarded: a healthy backend's every send is a read of nothing, not a write.
        self._run("UPDATE breakers SET failures=0, opened_at=NULL, probe_until=NULL WHERE backend=%s AND"
                  " (failures <> 0 OR opened_at IS NOT NULL OR probe_until IS NOT NULL)", (backend,))

    def breaker_failure(self, backend: str, threshold: int) -> None:
        """A certain failure: counted for the fleet; the ``threshold``-th in a row, or a
        failed probe, opens the breaker for everyone."""
        self._run(
            "INSERT INTO breakers AS b (backend, failures, opened_at) VALUES (%s, 1,"
            " CASE WHEN 1 >= %s THEN extract(epoch FROM clock_timestamp()) END)"
            " ON CONFLICT (backend) DO UPDATE SET failures = b.failures + 1,"
            " opened_at = CASE WHEN b.probe_until IS NOT NULL OR b.failures + 1 >= %s"
            " THEN extract(epoch FROM clock_timestamp()) ELSE b.opened_at END, probe_until = NULL",
            (backend, threshold, threshold))

    def breaker_release(self, backend: str) -> None:
        self._run("UPDATE breakers SET probe_until=NULL WHERE backend=%s AND probe_until IS NOT NULL", (backend,))

    def breaker_state(self, backend: str, cooldown: float) -> str:
        rows = self._run("SELECT opened_at, extract(epoch FROM clock_timestamp()) FROM breakers WHERE backend=%s",
                         (backend,)).rows
        if not rows or rows[0][0] is None:
            return "closed"
        return "half-open" if float(rows[0][1]) - float(rows[0][0]) >= cooldown else "open"


class _Result:
    __slots__ = ("rows", "rowcount")

    def __init__(self, rows: list[Any] | None, rowcount: int) -> None:
        self.rows: list[Any] = rows or []
        self.rowcount = rowcount


_EPOCH0 = datetime.fromtimestamp(0, tz=timezone.utc)
