"""The journal's cost per send on SQLite and on PostgreSQL, with 1 and 4 sending threads
and with 2 processes (issue 13).

One "send" is what ``Bridge.send`` asks of the journal for a message with an idempotency
key: ``begin`` (the key claim, with the first attempt), ``accepted`` (status and event).
Figures are journaled sends per second (higher is better).  PostgreSQL is
``$SMSBRIDGE_TEST_POSTGRES`` or a private cluster (tests/services.py), local, fsync off
for the private cluster: the figures show the journal's own cost, not a disk's.

    python benchmarks/journal_pg.py [--quick]
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

from smsbridge.model import Message, Status  # noqa: E402
from smsbridge.store import open_journal  # noqa: E402


def sends(store: str, count: int, tag: str) -> None:
    journal = open_journal(store)
    try:
        for i in range(count):
            message = Message(to="+36301234567", text=f"bench {i}", id=f"sb_{tag}_{i}")
            journal.begin(message, f"key-{tag}-{i}", attempt="local", fingerprint="f")
            journal.accepted(message.id, "local", f"p-{tag}-{i}", Status.QUEUED)
    finally:
        journal.close()


def threaded(store: str, threads: int, per_thread: int) -> float:
    open_journal(store).close()  # the schema exists before the clock starts
    journal = open_journal(store)
    run = uuid.uuid4().hex[:6]

    def work(n: int) -> None:
        for i in range(per_thread):
            message = Message(to="+36301234567", text=f"bench {i}", id=f"sb_{run}_{n}_{i}")
            journal.begin(message, f"key-{run}-{n}-{i}", attempt="local", fingerprint="f")
            journal.accepted(message.id, "local", f"p-{n}-{i}", Status.QUEUED)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    journal.close()
    return threads * per_thread / elapsed


def processes(store: str, count: int, per_process: int) -> float:
    open_journal(store).close()
    run = uuid.uuid4().hex[:6]
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=sends, args=(store, per_process, f"{run}{n}")) for n in range(count)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return count * per_process / (time.perf_counter() - start)


def fresh_database(server: str) -> str:
    import psycopg

    name = f"smsbridge_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    n = 200 if quick else 2000
    from services import postgres_server

    servers: Any = postgres_server()
    server = next(servers)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for label, make in (("sqlite", lambda: os.path.join(folder, f"{uuid.uuid4().hex}.sqlite3")),
                                ("postgresql", lambda: fresh_database(server))):
                rows.append((label, "1 thread", threaded(make(), 1, n)))
                rows.append((label, "4 threads", threaded(make(), 4, n // 4)))
                rows.append((label, "2 processes", processes(make(), 2, n // 2)))
    finally:
        servers.close()
    print(f"{'store':<12} {'senders':<12} {'sends/s':>9}")
    for label, senders, rate in rows:
        print(f"{label:<12} {senders:<12} {rate:>9.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
