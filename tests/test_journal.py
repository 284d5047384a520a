"""The journal's record type, schema migration, list queries and their indexes."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from smsbridge.errors import ConfigError, InvalidMessage
from smsbridge.journal import SCHEMA_VERSION, Journal
from smsbridge.model import Message, Status

# The first wave's schema (user_version 0), as the code before schema 1 created it.
V0_SCHEMA = """
CREATE TABLE messages (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL, to_number TEXT NOT NULL,
    text TEXT NOT NULL, sender TEXT, reference TEXT, idempotency_key TEXT, backend TEXT, provider_id TEXT,
    status TEXT NOT NULL, phase TEXT NOT NULL, segments INTEGER NOT NULL, encoding TEXT NOT NULL,
    error_code TEXT, error TEXT, attempts TEXT NOT NULL DEFAULT '[]', extra TEXT NOT NULL DEFAULT '{}');
CREATE INDEX messages_reference ON messages(reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX messages_key ON messages(idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_created ON messages(created_at);
CREATE TABLE events (message_id TEXT NOT NULL, at REAL NOT NULL, status TEXT NOT NULL, code TEXT, description TEXT);
CREATE INDEX events_message ON events(message_id);
CREATE TABLE aliases (kind TEXT NOT NULL, alias TEXT NOT NULL, message_id TEXT NOT NULL, PRIMARY KEY (kind, alias));
CREATE INDEX aliases_message ON aliases(message_id, kind);
"""


def message(n: int, **extra: object) -> Message:
    return Message(to=f"+3630{n % 7:07d}", text=f"text {n}", id=f"sb_{n:06d}", sender="Shop" if n % 2 else None,
                   extra=extra)


def filled(n: int, *, clients: tuple[str | None, ...] = ("a", "b", None)) -> Journal:
    journal = Journal()
    for i in range(n):
        client = clients[i % len(clients)]
        journal.begin(message(i, **({"gateway_client": client, "face": "twilio"} if client else {})), attempt="b0")
        if i % 3 != 2:
            journal.accepted(f"sb_{i:06d}", "b0", f"p{i}", Status.QUEUED)
    return journal


def test_record_fields_are_typed_not_extra():
    journal = Journal()
    journal.begin(message(1, gateway_client="acme", face="twilio", status_callback="http://x"), "k1",
                  attempt="b0", fingerprint="f")
    record = journal.get("sb_000001")
    assert record.phase == "sending" and record.gateway_client == "acme" and record.face == "twilio"
    assert [a["backend"] for a in record.attempts] == ["b0"] and isinstance(record.attempts, tuple)
    assert dict(record.extra) == {"status_callback": "http://x"}  # journal bookkeeping is not in extra
    assert record.sent_at is None and record.send_at is None
    journal.accepted("sb_000001", "b0", "p1", Status.QUEUED)
    record = journal.get("sb_000001")
    assert record.phase == "accepted" and record.sent_at is not None and record.sent_at >= record.created_at


def test_old_journal_file_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(V0_SCHEMA)
    now = time.time()
    db.execute("INSERT INTO messages VALUES ('sb_old1', ?, ?, '+36301234567', 'hi', NULL, NULL, 'key-1', 'b0',"
               " 'p1', 'queued', 'accepted', 1, 'gsm7', NULL, NULL, ?, ?)",
               (now - 10, now - 5, json.dumps([{"backend": "b0", "at": now - 10}]),
                json.dumps({"gateway_client": "acme", "twilio": {"sid": "SM1"}})))
    db.execute("INSERT INTO events VALUES ('sb_old1', ?, 'queued', NULL, 'accepted by b0')", (now - 9,))
    db.execute("INSERT INTO messages VALUES ('sb_old2', ?, ?, '+36301234568', 'yo', NULL, NULL, NULL, 'b0',"
               " NULL, 'unknown', 'unknown', 1, 'gsm7', NULL, 'timeout', '[]', '{}')", (now - 4, now - 3))
    db.commit()
    db.close()
    journal = Journal(str(path))
    old = journal.get("sb_old1")
    assert old.gateway_client == "acme" and old.phase == "accepted" and old.extra == {"twilio": {"sid": "SM1"}}
    assert old.sent_at is not None and abs(old.sent_at.timestamp() - (now - 9)) < 1e-3
    assert [r.id for r in journal.records(client="acme")] == ["sb_old1"]
    assert [r.id for r in journal.records(status="unknown")] == ["sb_old2"]
    assert journal.by_key("key-1").id == "sb_old1"
    journal.begin(message(3, gateway_client="acme"))  # new rows go in beside the old ones
    assert [r.id for r in journal.records(client="acme")] == ["sb_000003", "sb_old1"]
    journal.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "messages_created" not in indexes and "messages_by_client" in indexes
    db.close()
    Journal(str(path)).close()  # opening a current file again changes nothing


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    Journal(str(path)).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(ConfigError, match="newer"):
        Journal(str(path))


# Every query a CLI command or a gateway face runs: (filters) as Journal.records takes them.
INDEXED_QUERIES = [
    {},                                                    # journal (newest first)
    {"status": "unknown"},                                 # journal --status, reconcile
    {"status": "unknown", "after": "1:sb_000001", "oldest_first": True},   # reconcile's keyset pages
    {"client": "a"},                                       # a face's list
    {"no_client": True},                                   # ... and the messages sent outside the gateway
    {"client": "a", "before": "1:sb_000001"},              # its next page
    {"client": "a", "to": "+36300000001"},
    {"client": "a", "sender": "Shop"},
    {"client": "a", "face": "twilio"},
    {"client": "a", "status": "delivered"},
    {"client": "a", "created_after": 1.0, "created_before": 2.0},
    {"client": "a", "sent_after": 1.0, "sent_before": 2.0},
    {"client": "a", "sent_before": datetime(2020, 1, 1, tzinfo=timezone.utc)},
    {"client": "a", "text_contains": "code"},
]


@pytest.mark.parametrize("filters", INDEXED_QUERIES, ids=lambda f: ",".join(f) or "all")
def test_every_list_query_uses_an_index(tmp_path, filters):
    journal = Journal(str(tmp_path / "j.sqlite3"))
    plan = journal.query_plan(**dict(filters))
    assert plan, plan
    assert not any(step.startswith("SCAN messages") and "USING" not in step for step in plan), plan
    assert any("USING INDEX messages_by" in step or "USING COVERING INDEX messages_by" in step
               for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan  # the order comes from the index


def test_keyset_pages_cover_every_row_once_in_order():
    journal = filled(53)
    seen, cursor = [], None
    while True:
        page = journal.records(limit=10, before=cursor)
        seen += page
        if len(page) < 10:
            break
        cursor = journal.cursor(page[-1])
    assert [r.id for r in seen] == [f"sb_{i:06d}" for i in reversed(range(53))]
    forward, cursor = [], None
    while page := journal.records(limit=7, after=cursor, oldest_first=True, client="a"):
        forward += page
        cursor = journal.cursor(page[-1])
    assert [r.id for r in forward] == [f"sb_{i:06d}" for i in range(0, 53, 3)]
    assert [r.id for r in journal.iter_records(status="unknown")] == [f"sb_{i:06d}" for i in range(2, 53, 3)]


def test_filters_combine():
    journal = filled(30)
    everything = journal.records(limit=1000)
    created = sorted(r.created_at for r in everything)
    middle = created[15]
    assert journal.records(created_after=middle, limit=1000) == [r for r in everything if r.created_at >= middle]
    assert journal.records(created_before=middle.timestamp(), limit=1000) == \
        [r for r in everything if r.created_at < middle]
    sent = [r for r in everything if r.sent_at]
    assert journal.records(sent_after=datetime(2000, 1, 1), limit=1000) == sent  # naive = UTC
    assert journal.records(sent_before=datetime.now(timezone.utc) + timedelta(days=1), limit=1000) == sent
    assert journal.records(sent_before=datetime(2020, 1, 1, tzinfo=timezone.utc)) == []
    assert {r.id for r in journal.records(client="b", sender="Shop", limit=1000)} == \
        {r.id for r in everything if r.gateway_client == "b" and r.sender == "Shop"}
    assert [r.id for r in journal.records(text_contains="text 2", limit=1000)] == \
        [r.id for r in everything if "text 2" in r.text]
    assert journal.records(face="twilio", limit=1000) == [r for r in everything if r.face == "twilio"]
    visible = journal.records(visible_to="a", limit=1000)
    assert visible == [r for r in everything if r.gateway_client in ("a", None)]
    assert journal.records(visible_to="a", limit=5, offset=3) == visible[3:8]
    with pytest.raises(InvalidMessage):
        journal.records(before="not a cursor")
    with pytest.raises(InvalidMessage):
        journal.records(created_after="yesterday")  # type: ignore[arg-type]


def test_scheduled_messages_are_claimed_once():
    journal = Journal()
    due = datetime.now(timezone.utc) - timedelta(seconds=1)
    journal.begin(message(1), send_at=due)
    journal.begin(message(2), send_at=due + timedelta(days=1))
    record = journal.get("sb_000001")
    assert (record.phase, record.status, record.send_at) == ("scheduled", Status.SCHEDULED, due)
    assert [r.id for r in journal.due()] == ["sb_000001"]
    assert journal.claim("sb_000001", attempt="b0") is True
    assert journal.claim("sb_000001") is False and journal.due() == []
    assert journal.cancel("sb_000002") is True and journal.cancel("sb_000002") is False
    assert journal.get("sb_000002").status is Status.CANCELED


OPENER = """
import sys, time
from smsbridge.journal import Journal
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.0005)
journal = Journal(sys.argv[1])
journal.get("x")
journal.close()
"""


def test_processes_creating_one_store_at_once_all_open_it(tmp_path):
    """Switching a new file to WAL is refused at once ("database is locked") while another
    process does the same: the journal waits instead of failing (two bulk runs at once)."""
    for attempt in range(5):
        path = tmp_path / f"new-{attempt}.sqlite3"
        start = time.time() + 1.0
        procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(path), str(start)], stderr=subprocess.PIPE,
                                  text=True) for _ in range(6)]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 6, errors
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()
