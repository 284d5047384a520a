"""Issue 13: the ``store:`` setting picks the journal by its URL scheme; both journals
implement one interface, the same way; PostgreSQL's schema is versioned and migrated."""
from __future__ import annotations

import inspect
import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from click.testing import CliRunner

from smsbridge import Bridge, ConfigError, InboundMessage, Status
from smsbridge.cli import cli
from smsbridge.config import load
from smsbridge.journal import Journal
from smsbridge.journal_pg import MIGRATIONS, SCHEMA_VERSION, PgJournal
from smsbridge.model import Message
from smsbridge.store import JournalStore, open_journal, redact_store

SECRET = "s3cr3t-PaSS"


def write_config(tmp_path: Path, store: str) -> Path:
    path = tmp_path / "smsbridge.yaml"
    path.write_text("backends:\n  local:\n    plugin: sandbox\n    path: provider.sqlite3\n"
                    f"store: {json.dumps(store)}\n", encoding="utf-8")
    return path


def message(n: int, **extra: object) -> Message:
    return Message(to=f"+3630{n % 7:07d}", text=f"text {n}", id=f"sb_{n:06d}", extra=extra)


# -- the store setting ---------------------------------------------------------------------
def test_a_postgresql_url_is_not_a_file_path(tmp_path, free_port):
    url = f"postgresql://shop:{SECRET}@127.0.0.1:{free_port}/journal"
    config = load(write_config(tmp_path, url))
    assert config.store == url  # not resolved against the config's folder
    assert SECRET not in repr(config)
    with pytest.raises(ConfigError) as info:
        Bridge(config)  # nothing listens there
    assert str(info.value).startswith("store: cannot open the journal at postgresql://shop:***@127.0.0.1")
    assert SECRET not in str(info.value)
    assert not any("postgresql" in p.name for p in tmp_path.rglob("*"))  # no file named after the URL


@pytest.mark.parametrize("store", [f"redis://u:{SECRET}@127.0.0.1/0", f"mysql://root:{SECRET}@db/x",
                                   "sqlite://relative.db"])
def test_an_unknown_scheme_is_a_config_error_naming_the_key(tmp_path, store):
    with pytest.raises(ConfigError) as info:
        load(write_config(tmp_path, store))
    assert str(info.value).startswith("store: ") and "line 5" in str(info.value)
    assert SECRET not in str(info.value)
    result = CliRunner().invoke(cli, ["--config", str(write_config(tmp_path, store)), "config", "check"])
    assert result.exit_code != 0 and "Traceback" not in result.output and SECRET not in result.output
    assert "store" in result.output


def test_sqlite_urls_name_files(tmp_path):
    config = load(write_config(tmp_path, "sqlite:///journals/j.sqlite3"))
    assert config.store == str(tmp_path / "journals" / "j.sqlite3")
    absolute = tmp_path / "abs.sqlite3"
    assert load(write_config(tmp_path, f"sqlite:///{absolute}")).store == str(absolute)
    with Bridge(config) as bridge:
        assert isinstance(bridge.journal, Journal) and bridge.journal.path == config.store


def test_redaction():
    assert redact_store(f"postgresql://shop:{SECRET}@h:5432/db?sslmode=require") == \
        "postgresql://shop:***@h:5432/db?sslmode=require"
    assert redact_store(f"postgresql://h/db?user=shop&password={SECRET}") == "postgresql://h/db?user=shop&password=***"
    assert redact_store("postgresql://shop@h/db") == "postgresql://shop@h/db"
    assert redact_store("/var/lib/smsbridge/j.sqlite3") == "/var/lib/smsbridge/j.sqlite3"


def test_config_check_and_bridge_on_postgresql_show_no_password(tmp_path, postgres_url):
    parts = urlsplit(postgres_url)
    secret = parts.password or SECRET  # a private cluster trusts local users: any password will do
    user, _, host = parts.netloc.rpartition("@")
    with_password = urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}:{secret}@{host}"))
    config = write_config(tmp_path, with_password)
    result = CliRunner().invoke(cli, ["--config", str(config), "config", "check"])
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    shown = json.loads(CliRunner().invoke(cli, ["--config", str(config), "config", "check", "--json"]).output)
    assert shown["store"] == redact_store(with_password) and ":***@" in shown["store"]
    with Bridge.from_config(config) as bridge:
        assert isinstance(bridge.journal, PgJournal)
        assert secret not in repr(bridge) and secret not in repr(bridge.journal)
        assert secret not in str(bridge.journal.path) and ":***@" in str(bridge.journal.path)
        receipt = bridge.send("+36301234567", "over postgres")
    with Bridge.from_config(config) as again:  # another Bridge (process) reads what the first wrote
        assert again.record(receipt.id).text == "over postgres"


# -- one interface, two journals ------------------------------------------------------------
def test_both_journals_implement_the_interface(tmp_path, postgres_url):
    sqlite, pg = open_journal(str(tmp_path / "j.sqlite3")), open_journal(postgres_url)
    try:
        assert isinstance(sqlite, Journal) and isinstance(pg, PgJournal)
        assert isinstance(sqlite, JournalStore) and isinstance(pg, JournalStore)
        public = {name for name in dir(Journal) if not name.startswith("_")}
        assert public <= set(dir(PgJournal)), public - set(dir(PgJournal))
        protocol = {name for name in dir(JournalStore) if not name.startswith("_")}
        assert protocol - {"path"} <= public, protocol - public
        for name in protocol - {"path"}:  # the same parameters, named the same
            assert list(inspect.signature(getattr(Journal, name)).parameters) == \
                list(inspect.signature(getattr(PgJournal, name)).parameters), name
    finally:
        sqlite.close()
        pg.close()


def test_inbound_optouts_and_early_reports(open_store):
    journal = open_store()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    sms = InboundMessage(id="in_1", from_="+36301234567", to="+36209999999", text="STOP", received_at=when,
                         backend="local", provider_id="p-1", raw={"b": b"x"})
    assert journal.add_inbound(sms) is True
    assert journal.add_inbound(InboundMessage(id="in_2", from_=sms.from_, to=sms.to, text="STOP", received_at=when,
                                              backend="local", provider_id="p-1")) is False  # a webhook retry
    assert [m.id for m in journal.inbound()] == ["in_1"] and journal.inbound()[0].raw == {"b": "x"}
    assert journal.inbound(since=when) == []
    assert journal.opt_out("+36301234567", keyword="STOP") is True and journal.opt_out("+36301234567") is False
    assert journal.opted_out("+36301234567") and [o["keyword"] for o in journal.opt_outs()] == ["STOP"]
    assert journal.opt_in("+36301234567") is True and not journal.opted_out("+36301234567")
    assert journal.park_report("local", "p9", None, '{"s": 1}') is True
    assert journal.park_report("local", "p9", None, '{"s": 1}') is False
    assert journal.park_report("local", "p9", None, '{"s": 2}' + " " * 5000) is True  # long reports too
    journal.begin(message(1))
    journal.accepted("sb_000001", "local", "p9", Status.QUEUED)
    assert journal.find_sent("local", "p9") == "sb_000001"
    assert [json.loads(r) for r in journal.claim_reports("sb_000001", "local", "p9")] == [{"s": 1}, {"s": 2}]
    assert journal.claim_reports("sb_000001", "local", "p9") == []
    rank = {Status.QUEUED: 1, Status.SENT: 2, Status.DELIVERED: 3}
    assert journal.advance_status("sb_000001", Status.DELIVERED, rank) is Status.QUEUED
    assert journal.advance_status("sb_000001", Status.SENT, rank) is None  # never backwards
    assert [e.status for e in journal.events("sb_000001")] == [Status.QUEUED, Status.DELIVERED]
    journal.alias("twilio", "SM1", "sb_000001")
    journal.alias("twilio", "SM1", "sb_000001")
    assert journal.resolve("twilio", "SM1") == "sb_000001" and journal.aliases_of("sb_000001", "twilio") == "SM1"
    assert journal.claim_notice("sb_000001", "delivered#1") is True  # one gateway of the fleet notifies
    assert journal.claim_notice("sb_000001", "delivered#1") is False
    assert open_store().claim_notice("sb_000001", "delivered#1") is False  # nor does another process
    assert journal.force_status("sb_000001", Status.FAILED, code="30008", description="forced") is True
    assert journal.get("sb_000001").error == "forced"
    assert journal.delete("sb_000001") == 1 and journal.get("sb_000001") is None
    assert journal.resolve("twilio", "SM1") is None


def test_due_messages_are_claimed_once_by_concurrent_dispatchers(open_store):
    journal = open_store()
    due = datetime.now(timezone.utc) - timedelta(seconds=5)
    for i in range(120):
        journal.begin(message(i), send_at=due + timedelta(milliseconds=i))
    journal.begin(message(999), send_at=due + timedelta(days=1))  # not due
    claimed: list[str] = []
    lock = threading.Lock()
    dispatchers = [open_store() for _ in range(4)]  # four processes' journals

    def dispatch(j: JournalStore) -> None:
        while page := j.claim_due(limit=7, attempt="local"):
            with lock:
                claimed.extend(r.id for r in page)
            assert all(r.phase == "sending" and r.attempts[0]["backend"] == "local" for r in page)

    threads = [threading.Thread(target=dispatch, args=(j,)) for j in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed) == [f"sb_{i:06d}" for i in range(120)]  # each exactly once
    assert [r.id for r in journal.records(phase="scheduled")] == ["sb_000999"]


# -- PostgreSQL schema versions -------------------------------------------------------------
def test_a_database_of_the_previous_schema_is_migrated(postgres_url):
    old = PgJournal(postgres_url, _upto=SCHEMA_VERSION - 1)  # as the previous smsbridge left it
    old.begin(message(1, gateway_client="acme"), "key-1", attempt="b0", fingerprint="f")
    old.accepted("sb_000001", "b0", "p1", Status.QUEUED)
    assert old.schema_version() == SCHEMA_VERSION - 1
    with pytest.raises(psycopg.errors.UndefinedTable):
        old.opt_outs()
    old.close()
    journal = PgJournal(postgres_url)
    assert journal.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
    assert journal.by_key("key-1").gateway_client == "acme"
    assert journal.find_sent("b0", "p1") == "sb_000001"  # the index the new schema adds
    assert journal.opt_out("+36301234567") and journal.opted_out("+36301234567")
    journal.close()
    PgJournal(postgres_url).close()  # opening a current database again changes nothing


def test_a_newer_postgresql_schema_is_refused(postgres_url):
    PgJournal(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE smsbridge_schema SET version=%s", (SCHEMA_VERSION + 1,))
    with pytest.raises(ConfigError, match="newer"):
        PgJournal(postgres_url)


OPENER = """
import sys, time
from smsbridge.store import open_journal
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.0005)
journal = open_journal(sys.argv[1])
journal.get("x")
journal.close()
"""


def test_processes_creating_one_database_at_once_migrate_it_once(postgres_url):
    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, postgres_url, str(start)], stderr=subprocess.PIPE,
                              text=True) for _ in range(5)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, errors
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT version FROM smsbridge_schema").fetchall() == [(SCHEMA_VERSION,)]


def test_no_log_record_carries_the_password(tmp_path, postgres_url, free_port, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    parts = urlsplit(postgres_url)
    secret = parts.password or SECRET
    user, _, host = parts.netloc.rpartition("@")
    good = urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}:{secret}@{host}"))
    with Bridge.from_config(write_config(tmp_path, good)) as bridge:
        bridge.send("+36301234567", "logged")
        bridge.journaled()
    bad = f"postgresql://shop:{SECRET}@127.0.0.1:{free_port}/journal"
    result = CliRunner().invoke(cli, ["--config", str(write_config(tmp_path, bad)), "journal"])
    assert result.exit_code != 0 and SECRET not in result.output and "Traceback" not in result.output
    assert "shop:***@127.0.0.1" in result.output
    text = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert secret not in text and SECRET not in text


def test_a_forked_child_opens_its_own_connections(postgres_url):
    import multiprocessing
    import os

    journal = PgJournal(postgres_url)
    journal.begin(message(1))  # the parent holds an idle connection now

    def child() -> None:
        journal.begin(message(2))
        found = journal.get("sb_000001") is not None
        journal.close()  # closes the child's connections only, not the parent's session
        os._exit(0 if found else 1)

    proc = multiprocessing.get_context("fork").Process(target=child)
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    assert [r.id for r in journal.records()] == ["sb_000002", "sb_000001"]  # the parent's session still works
    journal.close()


def test_journal_and_reconcile_commands_on_postgresql(tmp_path, postgres_url):
    config = write_config(tmp_path, postgres_url)
    with Bridge.from_config(config) as bridge:
        sent = bridge.send("+36301234567", "listed")
    runner = CliRunner()
    listed = runner.invoke(cli, ["--config", str(config), "journal", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [row["id"] for row in json.loads(listed.output)] == [sent.id]
    reconciled = runner.invoke(cli, ["--config", str(config), "reconcile"])
    assert reconciled.exit_code == 0, reconciled.output


def test_a_role_without_create_rights_gets_a_config_error(postgres_url):
    role = f"smsbridge_reader_{uuid.uuid4().hex[:8]}"  # roles are cluster-wide
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'reader-Secret-9'")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    parts = urlsplit(postgres_url)
    host = parts.netloc.rpartition("@")[2]
    reader = urlunsplit(parts._replace(netloc=f"{role}:reader-Secret-9@{host}"))
    try:
        with pytest.raises(ConfigError) as info:
            PgJournal(reader)
        assert str(info.value).startswith("store: cannot create or upgrade the journal's tables in")
        assert "permission denied" in str(info.value) and "reader-Secret-9" not in str(info.value)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP ROLE {role}")


def test_the_pool_survives_connections_the_server_dropped(postgres_url):
    journal = PgJournal(postgres_url)
    journal.begin(message(1))
    outcomes: list[str] = []

    def reader() -> None:
        for _ in range(2):  # a dropped connection fails its statement once, then is replaced
            try:
                journal.get("sb_000001")
                outcomes.append("ok")
                return
            except psycopg.OperationalError:
                continue
        outcomes.append("failed twice")

    def crowd() -> None:
        threads = [threading.Thread(target=reader) for _ in range(20)]  # more threads than connections
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)

    crowd()
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # the server drops every session
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                      " AND pid <> pg_backend_pid()")
    crowd()
    assert outcomes == ["ok"] * 40
    journal.close()
