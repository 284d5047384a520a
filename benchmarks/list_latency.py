"""List latency at the gateway against the journal's size (issue 12, item 3).

Fills a journal with N rows (mostly other clients' messages), then times the Twilio
face's list for a client with 20 messages, for a client with none, and for
``Page=10000000``, at 1k and 100k rows.  The rule is a ratio: a list is an index range,
so 100k rows must cost at most 1.5x what 1k rows cost.

    python benchmarks/list_latency.py [--small 1000] [--large 100000] [--requests 60]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from smsbridge.gateway.server import run_in_thread

SID, TOKEN = "AC" + "1" * 32, "tok-123"
EMPTY_SID, EMPTY_TOKEN = "AC" + "3" * 32, "empty-token"


def build(directory: Path, rows: int) -> dict:
    config = {
        "backends": {"local": {"plugin": "sandbox", "path": str(directory / "p.sqlite3")}},
        "store": str(directory / "j.sqlite3"),
        "gateway": {"clients": {"shop": {"twilio": {"account_sid": SID, "auth_token": TOKEN}},
                                "empty": {"twilio": {"account_sid": EMPTY_SID, "auth_token": EMPTY_TOKEN}}}},
    }
    from smsbridge import Bridge

    with Bridge.from_dict(config) as bridge:
        db = bridge.journal._db
        now = time.time() - rows
        batch = []
        for n in range(rows):
            client = "shop" if n % max(1, rows // 20) == 0 else f"noise-{n % 50}"
            batch.append((f"sb_{uuid.uuid4().hex[:24]}", now + n, now + n, "+36301234567", f"m{n}", "+15017122661",
                          "sandbox", "p", "delivered", "accepted", 1, "gsm7", "[]", "{}", client, "twilio", now + n))
        db.execute("BEGIN")
        db.executemany("INSERT INTO messages (id, created_at, updated_at, to_number, text, sender, backend,"
                       " provider_id, status, phase, segments, encoding, attempts, extra, client, face, sent_at)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
        db.execute("COMMIT")
    return config


def timed(session: requests.Session, url: str, auth: tuple[str, str], params: dict, count: int) -> float:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        reply = session.get(url, params=params, auth=auth, timeout=30)
        samples.append(time.perf_counter() - start)
        assert reply.status_code == 200, reply.text
    return statistics.median(samples)


def measure(rows: int, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        server = run_in_thread(build(Path(tmp), rows))
        try:
            with requests.Session() as session:
                out = {}
                for name, sid, token, params in (
                        ("own 20", SID, TOKEN, {"PageSize": 20}),
                        ("none", EMPTY_SID, EMPTY_TOKEN, {"PageSize": 20}),
                        ("Page=10000000", SID, TOKEN, {"PageSize": 20, "Page": 10_000_000}),
                        ("DateSent<2020", SID, TOKEN, {"PageSize": 20, "DateSent<": "2020-01-01"})):
                    url = f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json"
                    timed(session, url, (sid, token), params, 5)  # warm up
                    out[name] = timed(session, url, (sid, token), params, count)
                return out
        finally:
            server.stop()
            server.bridge.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    small, large = measure(args.small, args.requests), measure(args.large, args.requests)
    report = {name: {"small_ms": round(small[name] * 1000, 2), "large_ms": round(large[name] * 1000, 2),
                     "ratio": round(large[name] / small[name], 2)} for name in small}
    print(json.dumps({"rows": [args.small, args.large], "median_latency": report}, indent=2))
    worst = max(item["ratio"] for item in report.values())
    print(f"worst ratio {worst} (rule: <= 1.5)", file=sys.stderr)
    return 0 if worst <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
