"""Scheduled messages end to end (issue 12, item 4): ``send(send_at=)``, ``cancel``,
``dispatch`` claimed once across processes, ``smsbridge send --at`` / ``dispatch``."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from smsbridge import Bridge, InvalidMessage, NotFound, Status

SMSBRIDGE = [sys.executable, "-m", "smsbridge.cli"]

DISPATCHER = """
import json, sys, time
from smsbridge import Bridge
until = float(sys.argv[2])
sent = []
with Bridge.from_config(sys.argv[1]) as bridge:
    while time.time() < until:
        sent += [r.id for r in bridge.dispatch() if hasattr(r, "provider_id")]
        time.sleep(0.02)
print(json.dumps(sent))
"""


def config(tmp_path: Path) -> dict:
    return {"backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "p.sqlite3")}},
            "store": str(tmp_path / "j.sqlite3")}


def sandbox_count(tmp_path: Path, text: str) -> int:
    with sqlite3.connect(tmp_path / "p.sqlite3") as db:
        try:
            return db.execute("SELECT COUNT(*) FROM sms WHERE text=?", (text,)).fetchone()[0]
        except sqlite3.OperationalError:  # nothing sent yet: no table
            return 0


def test_send_at_journals_and_cancel_rules(tmp_path):
    with Bridge.from_dict(config(tmp_path)) as bridge:
        later = bridge.send("+36301234567", "next week", send_at=datetime.now(timezone.utc) + timedelta(days=7))
        assert later.status is Status.SCHEDULED and bridge.status(later.id).status is Status.SCHEDULED
        assert bridge.dispatch() == []  # not before its time
        assert bridge.cancel(later.id).status is Status.CANCELED
        with pytest.raises(InvalidMessage) as again:
            bridge.cancel(later.id)
        assert again.value.reason == "not_scheduled"
        with pytest.raises(NotFound):
            bridge.cancel("sb_nosuchmessage")
        sent = bridge.send("+36301234567", "now")
        with pytest.raises(InvalidMessage) as not_scheduled:
            bridge.cancel(sent.id)
        assert not_scheduled.value.reason == "not_scheduled"
        with pytest.raises(InvalidMessage):
            bridge.send("+36301234567", "too far", send_at=datetime.now(timezone.utc) + timedelta(days=400))
        past = bridge.send("+36301234567", "already due", send_at=datetime(2020, 1, 1))
        assert past.status is not Status.SCHEDULED  # a time that has come: sent at once
    assert sandbox_count(tmp_path, "next week") == 0


def test_a_scheduled_message_is_sent_once_by_two_dispatching_processes_and_not_before(tmp_path):
    path = tmp_path / "smsbridge.yaml"
    path.write_text(yaml.safe_dump(config(tmp_path)), encoding="utf-8")
    with Bridge.from_config(path) as bridge:
        due = bridge.send("+36301234567", "due soon", send_at=datetime.now(timezone.utc) + timedelta(seconds=2))
        held = bridge.send("+36301234567", "due later", send_at=datetime.now(timezone.utc) + timedelta(hours=1))
    until = time.time() + 4.5
    procs = [subprocess.Popen([sys.executable, "-c", DISPATCHER, str(path), str(until)], stdout=subprocess.PIPE,
                              text=True) for _ in range(2)]
    # Before its time: both dispatchers run and nothing has been sent.
    time.sleep(0.5)
    early = sandbox_count(tmp_path, "due soon")
    outputs = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert early == 0
    assert sorted(outputs[0] + outputs[1]) == [due.id]  # exactly one process sent it
    assert sandbox_count(tmp_path, "due soon") == 1 and sandbox_count(tmp_path, "due later") == 0
    with Bridge.from_config(path) as bridge:  # the schedule survives the processes
        assert bridge.status(held.id).status is Status.SCHEDULED
        assert bridge.record(due.id).phase == "accepted"


def test_cli_send_at_and_dispatch(tmp_path):
    path = tmp_path / "smsbridge.yaml"
    path.write_text(yaml.safe_dump(config(tmp_path)), encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*SMSBRIDGE, "--config", str(path), *args], capture_output=True, text=True, timeout=60)

    at = (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat()
    scheduled = run("send", "+36301234567", "from the cli", "--at", at, "--json")
    assert scheduled.returncode == 0, scheduled.stderr
    receipt = json.loads(scheduled.stdout)
    assert receipt["status"] == "scheduled"
    bad = run("send", "+36301234567", "x", "--at", "tomorrow-ish")
    assert bad.returncode != 0 and "--at" in bad.stderr and "Traceback" not in bad.stderr
    time.sleep(1.2)
    dispatched = run("dispatch", "--json")
    assert dispatched.returncode == 0, dispatched.stderr
    assert [r["id"] for r in json.loads(dispatched.stdout)] == [receipt["id"]]
    assert run("dispatch").stdout.strip() == "nothing due"
    assert sandbox_count(tmp_path, "from the cli") == 1
