"""SPEC §7 in the core: circuit breaker, rate limits, reconciliation, chaos, crash safety."""
from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_bridge import chain_config, fake_plugin  # noqa: F401  (fixture)

from smsbridge import Bridge, DeliveryUnknown, ProviderUnavailable, Status
from smsbridge.breaker import CircuitBreaker


def test_breaker_opens_after_n_failures_and_probes_after_cooldown():
    now = [0.0]
    breaker = CircuitBreaker(failures=3, cooldown=10, clock=lambda: now[0])
    for _ in range(3):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 10.0
    assert breaker.state == "half-open"
    assert breaker.allow() and not breaker.allow()  # exactly one probe
    breaker.failure()
    assert breaker.state == "open"
    now[0] = 20.0
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed" and breaker.allow()


def test_dead_backend_costs_nothing_once_the_breaker_opens(tmp_path, fake_plugin):  # noqa: F811
    config = chain_config(tmp_path, "unavailable", "ok", breaker={"failures": 2, "cooldown": 0.3})
    with Bridge.from_dict(config) as bridge:
        for _ in range(6):
            assert bridge.send("+36301234567", "x").backend == "b1"
        assert [c[0] for c in fake_plugin.CALLS].count("b0") == 2
        assert bridge.describe_backends()[0]["breaker"] == "open"
        fake_plugin.OVERRIDE["b0"] = "ok"
        try:
            time.sleep(0.35)
            assert bridge.send("+36301234567", "x").backend == "b0"  # the half-open probe succeeds
            assert bridge.describe_backends()[0]["breaker"] == "closed"
        finally:
            fake_plugin.OVERRIDE.clear()


def test_rate_limit_is_honoured_by_send_many(sandbox_config):
    sandbox_config["backends"]["local"]["rate_limit"] = 20
    waits: list[float] = []
    with Bridge.from_dict(sandbox_config) as bridge:
        limiter = bridge._limiters["local"]
        limiter._clock, limiter._sleep = (lambda: 0.0), waits.append  # a stopped clock: count, don't time
        results = bridge.send_many([("+36301234567", f"m{i}") for i in range(11)], concurrency=8)
    assert all(r.status is Status.QUEUED for r in results)
    # 11 messages at 20/s from 8 threads: one at once, then each held for its own 1/20 s slot.
    assert sorted(round(w, 6) for w in waits) == [round(0.05 * k, 6) for k in range(1, 11)]


def test_lost_reply_is_unknown_then_reconciled(sandbox_config):
    sandbox_config["backends"]["local"]["chaos"] = {"lost_reply_rate": 1.0}
    with Bridge.from_dict(sandbox_config) as bridge:
        with pytest.raises(DeliveryUnknown) as info:
            bridge.send("+36301234567", "hello")
        message_id = info.value.message_id
        assert bridge.status(message_id).status is Status.UNKNOWN
        assert [r.id for r in bridge.journaled(status="unknown")] == [message_id]
        reports = bridge.reconcile()
        assert [(r.id, r.status) for r in reports] == [(message_id, Status.DELIVERED)]
        assert bridge.status(message_id).status is Status.DELIVERED
        assert bridge.journaled(status="unknown") == []


def test_chaos_failures_are_unavailable_and_fail_over(tmp_path):
    config = {"backends": {"flaky": {"plugin": "sandbox", "chaos": {"failure_rate": 1.0}},
                           "steady": {"plugin": "sandbox"}},
              "routes": [{"backends": ["flaky", "steady"]}]}
    with Bridge.from_dict(config) as bridge:
        assert bridge.send("+36301234567", "x").backend == "steady"
        with pytest.raises(ProviderUnavailable, match="simulated outage"):
            bridge.send("+36301234567", "x", backend="flaky")


def _sandbox_texts(db: Path) -> list[str]:
    """What the sandbox provider holds; nothing while the killed run has not created its table."""
    try:
        with sqlite3.connect(db) as conn:
            return [r[0] for r in conn.execute("SELECT text FROM sms")]
    except sqlite3.OperationalError as exc:  # "no such table": the file exists, the schema not yet
        if "no such table" not in str(exc):
            raise
        return []


def test_sigkill_mid_batch_loses_nothing_and_resume_sends_nothing_twice(tmp_path):
    rows = 200
    (tmp_path / "smsbridge.yaml").write_text(
        "backends:\n  local:\n    plugin: sandbox\n    path: provider.sqlite3\n    credit: 100000\n"
        "    chaos: {latency: 0.01}\nstore: journal.sqlite3\n", encoding="utf-8")
    with open(tmp_path / "batch.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["to", "text"])
        writer.writerows([("+36301234567", f"row-{i}") for i in range(rows)])
    env = {**os.environ}
    env.pop("SMSBRIDGE_CONFIG", None)
    cmd = [sys.executable, "-m", "smsbridge.cli", "bulk", "batch.csv", "--out", "out.csv", "--concurrency", "4"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    provider = tmp_path / "provider.sqlite3"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if provider.exists() and len(_sandbox_texts(provider)) >= 40:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    sent_before = _sandbox_texts(provider)
    assert 40 <= len(sent_before) < rows

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "smsbridge.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    journal = json.loads(cli("journal", "--json", "--limit", "100000").stdout)
    by_text = {}
    with Bridge.from_config(tmp_path / "smsbridge.yaml") as bridge:
        for entry in journal:
            by_text[bridge.record(entry["id"]).text] = entry
    # Every message the provider has is in the journal: none missing.
    assert set(sent_before) <= set(by_text)
    # The journal accounts for each: accepted ("queued" here), or unknown for the few in flight.
    assert {e["phase"] for e in journal} <= {"accepted", "sending"}
    unknown = [e for e in journal if e["status"] == "unknown"]
    assert all(e["phase"] == "sending" for e in unknown)

    reconciled = cli("reconcile", "--json")
    assert reconciled.returncode == 0, reconciled.stderr
    assert cli("journal", "--status", "unknown").stdout.strip() == "(journal is empty)"

    resumed = cli("bulk", "batch.csv", "--out", "out2.csv")
    assert resumed.returncode == 0, resumed.stderr
    texts = _sandbox_texts(provider)
    assert sorted(texts) == sorted(f"row-{i}" for i in range(rows))  # every row once, none twice
    with open(tmp_path / "out2.csv", encoding="utf-8") as fh:
        results = [r["result"] for r in csv.DictReader(fh)]
    # one result per row; the rows the killed run got out are "already-sent" (nothing sent now)
    assert len(results) == rows and set(results) <= {"sent", "already-sent"}
    assert results.count("already-sent") == len(sent_before)
