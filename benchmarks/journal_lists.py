"""Journal list queries at 1k vs 100k rows (issue 12 item 3, issue 18 item 5).

A list page must cost the same whatever the journal holds: each figure is the median time
of one query on a journal of ``large`` rows against the same query on ``small`` rows
(target ratio <= 1.5).  The queries are the ones commands and gateway faces run:

- a gateway client's newest page (``records(visible_to=client, limit=50)``) and its page
  deep into the list (keyset cursor ``before=``);
- the same with a recipient filter and a sent-date bound;
- ``smsbridge journal --status unknown`` (``records(status="unknown")``).

    python benchmarks/journal_lists.py [--quick]
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from common import Figure, Mode  # noqa: E402

from smsbridge.journal import Journal  # noqa: E402
from smsbridge.model import Message, Status  # noqa: E402

__all__ = ["run", "fill"]

CLIENTS = ("acme", "globex", "initech", None)


def fill(journal: Journal, rows: int) -> None:
    """``rows`` messages over four clients (one of them outside the gateway) and 20
    recipients, most accepted, every 10th unknown (so that every query fills its page of 50
    at 1k rows too: like is compared with like); one transaction."""
    journal._db.execute("BEGIN")
    for i in range(rows):
        client = CLIENTS[i % len(CLIENTS)]
        extra = {"gateway_client": client, "face": "twilio"} if client else {}
        message = Message(to=f"+3630{i % 20:07d}", text=f"message {i}", id=f"sb_{i:012d}", extra=extra)
        journal.begin(message, attempt="b0")
        if i % 10 != 3:
            journal._db.execute("UPDATE messages SET phase='accepted', status=?, sent_at=created_at WHERE id=?",
                                (Status.DELIVERED.value, message.id))
        else:
            journal._db.execute("UPDATE messages SET phase='unknown' WHERE id=?", (message.id,))
    journal._db.execute("COMMIT")


def _median_us(fn: Callable[[], Any], rounds: int, per_round: int) -> float:
    fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            fn()
        samples.append((time.perf_counter() - start) / per_round * 1e6)
    return statistics.median(samples)


def _queries(journal: Journal) -> dict[str, Callable[[], Any]]:
    first = journal.records(visible_to="acme", limit=50)
    cursor = journal.cursor(first[-1]) if first else None
    return {
        "client's first page (50)": lambda: journal.records(visible_to="acme", limit=50),
        "client's next page (keyset)": lambda: journal.records(visible_to="acme", limit=50, before=cursor),
        "client + recipient + sent before now": lambda: journal.records(
            client="acme", to="+36300000004", sent_before=time.time(), limit=50),
        "journal --status unknown (50)": lambda: journal.records(status="unknown", limit=50),
    }


def run(mode: Mode) -> list[Figure]:
    small, large = mode.pick((1_000, 100_000), (1_000, 30_000), (200, 2_000))
    rounds, per_round = mode.pick((15, 50), (7, 30), (2, 3))
    timings: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="smsbridge-lists-") as tmp:
        for rows in (small, large):
            journal = Journal(os.path.join(tmp, f"j{rows}.sqlite3"))
            fill(journal, rows)
            timings[rows] = {name: _median_us(fn, rounds, per_round) for name, fn in _queries(journal).items()}
            journal.close()
    return [Figure("3b. journal lists", f"{name}, {large:,} vs {small:,} rows", timings[large][name],
                   timings[small][name], "us/query", target="<= 1.5")
            for name in timings[small]]


if __name__ == "__main__":
    for figure in run(Mode("quick" if "--quick" in sys.argv else "full")):
        print(f"{figure.name:60} {figure.value:9.1f} us vs {figure.baseline:9.1f} us  ratio {figure.ratio:.2f}"
              f"  {'met' if figure.met else 'NOT met'} ({figure.target})")
