"""3. Journal cost: the same ``Bridge.send`` with an on-disk ``store`` vs the in-memory journal.

Three Bridges (simplesms-rest against the fixed-reply server) send in alternating rounds:
no ``store`` (the journal is an in-memory SQLite database), ``store`` with the default
durability (WAL + ``synchronous=NORMAL``: a committed row survives a process crash), and
``store`` with ``SMSBRIDGE_JOURNAL_SYNC=FULL`` (fsync on every commit: survives power
loss).  The journal files live in a temporary directory on the disk that holds $TMPDIR
(``--tmp`` / ``TMPDIR`` to choose another).  Each Bridge sends to its own numbers.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from common import Figure, Mode, fixed_server, hu_numbers, interleaved, paired_ratio
from send_overhead import _bridge, bridge_sender

__all__ = ["run", "measure"]


@contextlib.contextmanager
def _sync(value: str | None) -> Iterator[None]:
    old = os.environ.get("SMSBRIDGE_JOURNAL_SYNC")
    if value is None:
        os.environ.pop("SMSBRIDGE_JOURNAL_SYNC", None)
    else:
        os.environ["SMSBRIDGE_JOURNAL_SYNC"] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SMSBRIDGE_JOURNAL_SYNC", None)
        else:
            os.environ["SMSBRIDGE_JOURNAL_SYNC"] = old


def measure(base: str, mode: Mode) -> list[Figure]:
    numbers = hu_numbers(mode.pick(6000, 3000, 60))
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        with _sync(None):
            memory = _bridge(base)
            normal = _bridge(base, store=os.path.join(tmp, "normal.sqlite3"))
        with _sync("FULL"):
            full = _bridge(base, store=os.path.join(tmp, "full.sqlite3"))
        bridges: dict[str, Any] = {"memory": memory, "normal": normal, "full": full}
        try:
            third = len(numbers) // 3
            senders = {name: bridge_sender(b, numbers[i * third:(i + 1) * third])
                       for i, (name, b) in enumerate(bridges.items())}
            timing = interleaved(senders, rounds=mode.pick(15, 7, 2), per_round=mode.pick(300, 200, 5),
                                 warmup=mode.pick(200, 100, 3))
            sizes = {name: os.path.getsize(b.config.store) for name, b in bridges.items() if b.config.store}
        finally:
            for b in bridges.values():
                b.close()
    where = os.path.dirname(tmp)
    mem = timing["memory"]["median"]
    return [
        Figure("3. journal cost", "send with store on disk (WAL, synchronous=NORMAL) vs in-memory",
               timing["normal"]["median"], mem, "us/send", ratio=paired_ratio(timing, "normal", "memory"),
               target="<= 1.10",
               note=f"journal in {where}", extra={"timing": timing, "file_bytes": sizes}),
        Figure("3. journal cost", "send with store on disk, SMSBRIDGE_JOURNAL_SYNC=FULL vs in-memory",
               timing["full"]["median"], mem, "us/send", ratio=paired_ratio(timing, "full", "memory"),
               note="fsync per commit; informational",
               extra={"timing": timing}),
    ]


def run(mode: Mode) -> list[Figure]:
    with fixed_server() as base:
        return measure(base, mode)
