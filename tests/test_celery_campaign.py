"""Campaigns on a real Celery with a real Redis: exactly once at the provider, even when a
worker is SIGKILLed mid-run (issue 13).

The "provider" is a real ``smsbridge serve`` in this process speaking Infobip's API over
the sandbox: every message it accepts is a sandbox row, counted here.  Two
``smsbridge worker`` processes share one journal and send a campaign enqueued by
``smsbridge bulk --queue``.  One worker is killed with SIGKILL mid-run and started again;
Redis hands its reserved tasks back after the (short, for the test) visibility timeout,
the journal refuses to send any row twice, and ``reconcile`` settles the rows the dead
worker left without a reply.
"""
from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from services import redis_server

ROWS = int(os.environ.get("SMSBRIDGE_TEST_CAMPAIGN_ROWS", "10000"))  # the issue asks for 10,000
CLIENTS = {"shop": {"infobip": {"api_key": "ib-key"}}}


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    pytest.importorskip("celery")
    yield from redis_server()


def _wait(condition: Callable[[], bool], what: str, workers: tuple[subprocess.Popen[bytes], ...] = (),
          seconds: float = 300.0, state: Callable[[], str] = str) -> None:
    """Poll until ``condition()``; the bound is a generous liveness rule, not a speed figure."""
    deadline = time.monotonic() + seconds
    while not condition():
        dead = [w.args for w in workers if w.poll() is not None]
        if dead:
            raise AssertionError(f"a worker exited while waiting for {what}: {dead}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {state()}")
        time.sleep(0.25)


def _provider_texts(path: Path) -> list[str]:
    """What the provider accepted (its sandbox rows; the table appears with the first send)."""
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return [row[0] for row in db.execute("SELECT text FROM sms")]
        except sqlite3.OperationalError:
            return []


def _journal_counts(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return dict(db.execute("SELECT phase, COUNT(*) FROM messages GROUP BY phase").fetchall())
        except sqlite3.OperationalError:
            return {}


def _queue_empty(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url)
    return client.llen("smsbridge") == 0 and client.hlen("unacked") == 0


def _queue_state(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url)
    return f"{client.llen('smsbridge')} waiting, {client.hlen('unacked')} unacked"


def _worker(config: Path, queue: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SMSBRIDGE_CONFIG": str(config)}
    return subprocess.Popen([sys.executable, "-m", "smsbridge.cli", "worker", "--queue", queue, "-c", "8",
                             "--loglevel", "WARNING"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _smsbridge(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMSBRIDGE_CONFIG": str(config)}
    return subprocess.run([sys.executable, "-m", "smsbridge.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def test_campaign_survives_a_killed_worker_exactly_once(tmp_path: Path, gateway: Any, redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    provider_db = tmp_path / "provider.sqlite3"
    provider = gateway({"backends": {"local": {"plugin": "sandbox", "path": str(provider_db), "credit": 1e9}},
                        "store": str(tmp_path / "provider-journal.sqlite3"),
                        "gateway": {"clients": CLIENTS}}, faces=["infobip"])
    journal = tmp_path / "campaign.sqlite3"
    config = tmp_path / "smsbridge.yaml"
    config.write_text(yaml.safe_dump({
        "backends": {"ib": {"plugin": "infobip", "api_key": "ib-key", "base_url": provider.url, "timeout": 30,
                           "reconcile_grace": 0}},  # the provider's look-up is exact: no grace needed
        "default": "ib", "store": str(journal)}))
    rows = tmp_path / "campaign.csv"
    with rows.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["to", "text"])
        for n in range(ROWS):
            writer.writerow([f"+3630{n:07d}", f"campaign row {n}"])
    queue = f"{redis_url}?visibility_timeout=5"

    enqueued = _smsbridge(config, "bulk", str(rows), "--queue", queue)
    assert enqueued.returncode == 0, enqueued.stderr
    assert f"{ROWS} rows queued" in enqueued.stderr

    logs = tmp_path / "workers.log"
    first, second = _worker(config, queue, logs), _worker(config, queue, logs)
    try:
        _wait(lambda: len(_provider_texts(provider_db)) >= ROWS // 4, "a quarter of the campaign", (first, second))
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        killed_at = len(_provider_texts(provider_db))
        assert killed_at < ROWS, "the worker was killed after the campaign had finished: nothing was tested"
        first = _worker(config, queue, logs)
        # The queue drains: the dead worker's reserved rows come back from Redis after the
        # visibility timeout (acks_late: a task leaves "unacked" only once it has run).
        _wait(lambda: _queue_empty(redis_url),
              "the queue to drain", (first, second),
              state=lambda: f"journal {_journal_counts(journal)}, provider {len(_provider_texts(provider_db))},"
                            f" queue {_queue_state(redis_url)}")
    finally:
        for proc in (first, second):
            proc.send_signal(signal.SIGTERM)
        for proc in (first, second):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()

    # Rows the killed worker had handed to the provider without reading the reply are
    # "sending"/"unknown": the provider's look-up settles them, never a second send.
    settled = _smsbridge(config, "reconcile")
    assert settled.returncode == 0, settled.stderr
    status = _smsbridge(config, "campaign", "status", str(rows), "--json")
    assert status.returncode == 0, status.stderr
    counts = yaml.safe_load(status.stdout)
    # A row that never left before the kill is "failed" after reconcile, and a row the
    # broker dropped with the killed worker is still "queued": a re-run of the same
    # command enqueues exactly those (and only those).
    if counts["failed"] or counts["queued"]:
        again = _smsbridge(config, "bulk", str(rows), "--queue", queue)
        assert again.returncode == 0, again.stderr
        assert f"{counts['failed'] + counts['queued']} rows queued" in again.stderr
        retry = _worker(config, queue, logs)
        try:
            _wait(lambda: _journal_counts(journal).get("accepted", 0) == ROWS and _queue_empty(redis_url),
                  "the re-run to finish", (retry,))
        finally:
            retry.send_signal(signal.SIGTERM)
            retry.wait(30)
        counts = yaml.safe_load(_smsbridge(config, "campaign", "status", str(rows), "--json").stdout)

    assert counts == {"queued": 0, "sent": ROWS, "failed": 0, "unknown": 0, "scheduled": 0}
    texts = _provider_texts(provider_db)
    assert len(texts) == ROWS, f"{len(texts) - ROWS} messages sent twice"
    assert sorted(texts) == sorted(f"campaign row {n}" for n in range(ROWS))
    # The journal agrees row by row: every row accepted once, under the id the provider
    # was given (Infobip's messageId is smsbridge's id).
    with sqlite3.connect(journal) as db:
        journaled = db.execute("SELECT text, id, provider_id FROM messages WHERE phase='accepted'").fetchall()
    assert sorted(text for text, _, _ in journaled) == sorted(texts)
    assert all(provider_id == message_id for _, message_id, provider_id in journaled)
