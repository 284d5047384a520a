"""A fleet of gateways on one journal behaves as one gateway (issue 13).

Two real ``smsbridge serve`` processes (and one ``serve --workers 2``) share a store: a
SQLite file here, a PostgreSQL database in the ``store`` parameter's second run.  The
official Twilio SDK creates a message through one and fetches it through the other; a
status callback arrives once; a scheduled message is dispatched once although every
process runs a dispatch loop.  The "provider" is the sandbox, shared by path: its rows
are what was sent.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from processes import serve_fleet
from processes import wait_until as _wait

AC = "AC" + "7" * 32
TOKEN = "fleet-auth-token"
HU = "+36301234567"
SENDER = "+15017122661"




@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "fleet.sqlite3")
    url: str = request.getfixturevalue("postgres_url")  # a fresh database (tests/conftest.py)
    return url


@pytest.fixture
def fleet(tmp_path: Path, store: str) -> Iterator[Callable[..., list[str]]]:
    """``fleet(*worker_counts)`` starts one ``serve`` per count on one config; returns URLs."""
    config = tmp_path / "smsbridge.yaml"
    config.write_text(yaml.safe_dump({
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "provider.sqlite3"),
                               "delivery_delay": 0.2}},
        "store": store,
        "gateway": {"clients": {"shop": {"twilio": {"account_sid": AC, "auth_token": TOKEN}}},
                    "poll_interval": 0.05, "dispatch_interval": 0.05},
    }))
    with serve_fleet(config, tmp_path) as start:
        yield start


def _twilio(url: str) -> Any:
    from twilio.rest import Client

    client = Client(AC, TOKEN)
    client.api.base_url = url
    return client


def _sent(tmp_path: Path) -> list[tuple[str, str]]:
    path = tmp_path / "provider.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return db.execute("SELECT to_number, text FROM sms ORDER BY id").fetchall()
        except sqlite3.OperationalError:
            return []


def test_a_message_created_through_one_gateway_is_fetched_through_another(fleet: Any, tmp_path: Path) -> None:
    first, second = fleet(1, 1)
    created = _twilio(first).messages.create(to=HU, from_=SENDER, body="fleet hello")
    fetched = _twilio(second).messages(created.sid).fetch()
    assert (fetched.sid, fetched.body, fetched.to) == (created.sid, "fleet hello", HU)
    listed = _twilio(second).messages.list(limit=20)
    assert [m.sid for m in listed] == [created.sid]
    assert _sent(tmp_path) == [(HU, "fleet hello")]


def test_workers_of_one_serve_resolve_each_others_ids(fleet: Any, tmp_path: Path) -> None:
    (url,) = fleet(2)
    client = _twilio(url)
    sids = [client.messages.create(to=HU, from_=SENDER, body=f"worker {n}").sid for n in range(12)]
    # Each request may land on either worker: every id resolves in both.
    for sid in sids:
        for _ in range(3):
            assert client.messages(sid).fetch().sid == sid
    assert sorted(text for _, text in _sent(tmp_path)) == sorted(f"worker {n}" for n in range(12))


def test_a_status_callback_is_delivered_once(fleet: Any, receiver: Any) -> None:
    first, second = fleet(1, 1)
    created = _twilio(first).messages.create(to=HU, from_=SENDER, body="call me back",
                                             status_callback=receiver.url + "/cb")
    _wait(lambda: any((r["params"] or {}).get("MessageStatus") == "delivered" for r in receiver.requests),
          "the delivered callback")
    _twilio(second).messages(created.sid).fetch()  # the other process looks at it too
    time.sleep(0.5)  # room for a duplicate to arrive, were there one (counted, not timed)
    words = [(r["params"] or {}).get("MessageStatus") for r in receiver.requests]
    assert words.count("delivered") == 1, words


def test_a_scheduled_message_is_dispatched_once_by_the_fleet(fleet: Any, tmp_path: Path) -> None:
    fleet(1, 1, 2)  # four dispatch loops on one journal
    config = tmp_path / "smsbridge.yaml"
    at = (datetime.now(timezone.utc) + timedelta(seconds=2)).isoformat()
    scheduled = subprocess.run([sys.executable, "-m", "smsbridge.cli", "--config", str(config), "send", HU,
                                "fleet scheduled", "--at", at], capture_output=True, text=True, timeout=60,
                               env={**os.environ})
    assert scheduled.returncode == 0, scheduled.stderr
    assert _sent(tmp_path) == []  # not before its time
    _wait(lambda: _sent(tmp_path) != [], "the scheduled message to go out")
    time.sleep(1.0)  # every loop gets several more turns (counted below, not timed)
    assert _sent(tmp_path) == [(HU, "fleet scheduled")]
