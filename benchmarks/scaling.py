"""Scaling past one process (issue 13): gateway workers and Celery campaign workers.

    python benchmarks/scaling.py [--store postgresql://…] [--requests 2000] [--rows 1500]

1. **Gateway req/s with 1, 2 and 4 ``serve --workers``** on one journal (PostgreSQL when
   ``--store`` names one, else a SQLite file): Twilio creates from 16 client threads.
2. **Campaign msgs/s with 1, 2 and 4 ``smsbridge worker`` processes** (8 threads each)
   against a fake provider whose every send takes 50 ms (the sandbox behind a gateway's
   Infobip face, ``chaos.latency``), over a real Redis.

Each figure is reported with its *scaling efficiency*: throughput with N processes over
N times the throughput of one.  On a machine with C cores, N > C cannot scale CPU-bound
work (the gateway); the campaign is latency-bound, so it scales until the provider or
the journal saturates.  A benchmark, not a test: nothing here asserts a speed.
"""
from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

AC = "AC" + "5" * 32
TOKEN = "bench-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/_smsbridge/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def _fresh_store(base: str | None, folder: Path, name: str) -> str:
    """A new, empty journal for one run: a database per run on PostgreSQL, else a file."""
    if not base:
        return str(folder / f"{name}.sqlite3")
    import psycopg

    database = f"bench_{name}_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database}")
        conn.execute(f"CREATE DATABASE {database}")
    head, _, _ = base.rpartition("/")
    return f"{head}/{database}"


def gateway_rps(workers: int, store: str, folder: Path, total: int, concurrency: int = 16) -> float:
    config = folder / f"gw-{workers}.yaml"
    config.write_text(yaml.safe_dump({
        "backends": {"local": {"plugin": "sandbox", "path": str(folder / f"provider-{workers}.sqlite3"),
                               "credit": 1e12}},
        "store": store, "gateway": {"clients": {"bench": {"twilio": {"account_sid": AC, "auth_token": TOKEN}}}}}))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "smsbridge.cli", "--config", str(config), "serve", "--port",
                             str(port), "--workers", str(workers)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url)
        endpoint = f"{url}/2010-04-01/Accounts/{AC}/Messages.json"
        counter = iter(range(total))
        lock = threading.Lock()

        def client() -> None:
            session = requests.Session()
            session.auth = (AC, TOKEN)
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                session.post(endpoint, data={"To": "+36301234567", "From": "+15017122661", "Body": f"b{n}"},
                             timeout=30).raise_for_status()

        # warm-up: every worker imports and opens its journal
        for _ in range(workers * 4):
            requests.post(endpoint, auth=(AC, TOKEN), data={"To": "+36301234567", "From": "+15017122661",
                                                             "Body": "warm"}, timeout=30)
        threads = [threading.Thread(target=client) for _ in range(concurrency)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return total / (time.perf_counter() - start)
    finally:
        proc.terminate()
        proc.wait(30)


def campaign_rate(workers: int, store: str, folder: Path, rows: int, redis_url: str) -> float:
    import redis

    from smsbridge.gateway.server import run_in_thread

    redis.Redis.from_url(redis_url).flushdb()
    provider = run_in_thread({"backends": {"local": {"plugin": "sandbox", "path": str(folder / f"camp-{workers}.sqlite3"),
                                                     "credit": 1e12, "chaos": {"latency": 0.05}}},
                              "gateway": {"clients": {"bench": {"infobip": {"api_key": "ib-bench"}}}}},
                             faces=["infobip"])
    config = folder / f"camp-{workers}.yaml"
    config.write_text(yaml.safe_dump({"backends": {"ib": {"plugin": "infobip", "api_key": "ib-bench",
                                                          "base_url": provider.url}},
                                      "store": store}))
    data = folder / f"camp-{workers}.csv"
    with data.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["to", "text"])
        for n in range(rows):
            writer.writerow([f"+3630{n:07d}", f"campaign {workers} row {n}"])
    env = {**os.environ, "SMSBRIDGE_CONFIG": str(config)}
    subprocess.run([sys.executable, "-m", "smsbridge.cli", "bulk", str(data), "--queue", redis_url], env=env,
                   check=True, capture_output=True)
    client = redis.Redis.from_url(redis_url)
    procs = [subprocess.Popen([sys.executable, "-m", "smsbridge.cli", "worker", "--queue", redis_url, "-c", "8",
                               "--loglevel", "WARNING"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        start = None
        while True:
            waiting, unacked = client.llen("smsbridge"), client.hlen("unacked")
            if start is None and waiting < rows:
                start = time.perf_counter()  # the first worker took a row: the clock starts
            if start is not None and waiting == 0 and unacked == 0:
                return rows / (time.perf_counter() - start)
            time.sleep(0.02)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        provider.stop()
        provider.bridge.close()


def _redis() -> Iterator[str]:
    from services import redis_server

    yield from redis_server()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="a postgresql:// URL (default: a SQLite file per run)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=1500)
    parser.add_argument("--only", choices=["gateway", "campaign"])
    args = parser.parse_args()
    kind = "PostgreSQL" if args.store else "SQLite"
    print(f"machine: {os.cpu_count()} cores; journal: {kind}")
    with tempfile.TemporaryDirectory(prefix="smsbridge-scaling-") as name:
        folder = Path(name)
        if args.only in (None, "gateway"):
            base = None
            for n in (1, 2, 4):
                rate = gateway_rps(n, _fresh_store(args.store, folder, f"gw{n}"), folder, args.requests)
                base = base or rate
                print(f"gateway  workers={n}: {rate:7.0f} req/s  efficiency {rate / (n * base):.2f}")
        if args.only in (None, "campaign"):
            redis = _redis()
            url = next(redis)
            try:
                base = None
                for n in (1, 2, 4):
                    rate = campaign_rate(n, _fresh_store(args.store, folder, f"camp{n}"), folder, args.rows, url)
                    base = base or rate
                    print(f"campaign workers={n}: {rate:7.0f} msg/s  efficiency {rate / (n * base):.2f}"
                          f"  (ideal per worker: 8 threads / 50 ms = 160 msg/s)")
            finally:
                redis.close()


if __name__ == "__main__":
    main()
