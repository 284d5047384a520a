"""Issue 13: one journal interface, two implementations, the same semantics.  Random
sequences of journal operations run on SQLite and on PostgreSQL side by side; every
answer (claims, conflicts, claims of due messages, records, lists and their pages, events)
must agree."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsbridge.errors import IdempotencyConflict
from smsbridge.journal import Journal
from smsbridge.journal_pg import PgJournal
from smsbridge.model import Message, MessageRecord, Status

PAST = datetime(2020, 1, 1, tzinfo=timezone.utc)
FUTURE = datetime(2099, 1, 1, tzinfo=timezone.utc)

sends = st.tuples(st.just("send"), st.sampled_from([None, "k1", "k2", "k3"]), st.sampled_from(["a", "b", "a b"]),
                  st.sampled_from(["+36301111111", "+36302222222"]), st.sampled_from([None, "acme", "globex"]),
                  st.sampled_from([None, PAST, FUTURE]))
on_message = st.tuples(st.sampled_from(["accept", "fail", "unknown", "claim", "cancel", "delivered", "alias"]),
                       st.integers(0, 30))
operations = st.lists(st.one_of(sends, on_message, st.just(("claim_due",))), min_size=1, max_size=25)


def shape(record: MessageRecord | None) -> Any:
    """A record without its clock readings (each journal stamps its own)."""
    if record is None:
        return None
    return (record.id, record.to, record.text, record.status, record.backend, record.provider_id, record.phase,
            record.gateway_client, record.face, record.error, record.send_at,
            [(a.get("backend"), a.get("outcome")) for a in record.attempts], record.sent_at is None)


def apply(journal: Any, ops: list[tuple[Any, ...]]) -> list[Any]:
    answers: list[Any] = []
    ids: list[str] = []
    for op in ops:
        if op[0] == "send":
            _, key, text, to, client, send_at = op
            message_id = f"sb_{len(ids):04d}"
            message = Message(to=to, text=text, id=message_id, extra={"gateway_client": client} if client else {})
            try:
                earlier = journal.begin(message, key, attempt=None if send_at else "b0", fingerprint=f"{to}|{text}",
                                        send_at=send_at)
            except IdempotencyConflict as exc:
                answers.append(("conflict", exc.message_id))
                continue
            ids.append(message_id)
            answers.append(("begin", shape(earlier)))
        elif op[0] == "claim_due":
            answers.append(("claim_due", [r.id for r in journal.claim_due(limit=3, attempt="b0")]))
        elif ids:
            name, index = op
            message_id = ids[index % len(ids)]
            if name == "accept":
                journal.accepted(message_id, "b0", f"p-{message_id}", Status.QUEUED)
            elif name in ("fail", "unknown"):
                journal.finished_with_error(message_id, "b0", unknown=name == "unknown", error=f"{name} error")
            elif name == "claim":
                answers.append(("claim", journal.claim(message_id, attempt="b1")))
            elif name == "cancel":
                answers.append(("cancel", journal.cancel(message_id)))
            elif name == "delivered":
                answers.append(("status", journal.set_status(message_id, Status.DELIVERED, description="dlr")))
            elif name == "alias":
                journal.alias("twilio", f"SM{index % 3}", message_id)
    answers.append(("get", [shape(journal.get(i)) for i in ids]))
    answers.append(("keys", [shape(journal.by_key(k)) for k in ("k1", "k2", "k3")]))
    answers.append(("aliases", [journal.resolve("twilio", f"SM{n}") for n in range(3)]))
    answers.append(("events", [[(e.status, e.description) for e in journal.events(i)] for i in ids]))
    for filters in ({}, {"status": "unknown"}, {"phase": "scheduled"}, {"client": "acme"}, {"visible_to": "acme"},
                    {"to": "+36301111111"}, {"text_contains": "a"}, {"sent_after": PAST}):
        answers.append((filters, [r.id for r in journal.records(limit=1000, **filters)]))
        pages, cursor = [], None
        while page := journal.records(limit=2, after=cursor, oldest_first=True, **filters):
            pages.append([r.id for r in page])
            cursor = journal.cursor(page[-1])
        answers.append(("pages", filters, pages))
    return answers


@pytest.fixture(scope="module")
def shared_pg(postgres_server_url: str) -> Any:
    """One database for every example (emptied between them): a database per example
    would cost more than the example."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"smsbridge_diff_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(postgres_server_url)
    journal = PgJournal(urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment)))
    yield journal
    journal.close()
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_sqlite_and_postgresql_answer_alike(shared_pg: PgJournal, ops: list[tuple[Any, ...]]) -> None:
    shared_pg.delete()
    sqlite = Journal()
    try:
        assert apply(shared_pg, ops) == apply(sqlite, ops)
    finally:
        sqlite.close()
