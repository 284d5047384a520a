"""Where a ``Bridge.send`` spends its own CPU time (the profile behind docs/performance.md §1).

The HTTP round trip is taken out (the backend's transport returns a canned reply), so
what is left is smsbridge's per-send work: number validation, text analysis, journal,
hooks, the simpleSMS backend's form building and reply parsing.

    python benchmarks/profile_send.py            # per-component timings (timeit)
    python benchmarks/profile_send.py --cprofile # plus a cProfile listing
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import timeit
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import fixed_server, hu_numbers  # noqa: E402
from send_overhead import _bridge  # noqa: E402


def _us(fn: Callable[[], Any], n: int = 20000) -> float:
    fn()
    return timeit.timeit(fn, number=n) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    numbers = hu_numbers(6000)
    with fixed_server() as base:
        bridge = _bridge(base)
        bridge.send(numbers[0], "warm-up")
        backend = bridge._backends["primary"]
        reply = backend.transport.request("POST", "sendSMS", data={}, headers={"Authorization": "Bearer x"})
    reply._content = reply.content
    backend.transport.request = lambda method, path, **kwargs: reply  # no network from here on

    from smsbridge import numbers as numbers_mod
    from smsbridge import text
    from smsbridge.journal import Journal
    from smsbridge.model import Message, Status

    fresh = itertools.cycle(numbers)
    counter = itertools.count()
    memory = Journal(None)

    def journal_pair() -> None:
        mid = f"sb_{next(counter)}"
        memory.begin(Message(to="+36301234567", text="Szia!", id=mid, encoding="gsm7", segments=1), attempt="p")
        memory.accepted(mid, "p", "1", Status.QUEUED, 1)

    def numbers_fresh() -> None:
        e164 = numbers_mod.parse_number(next(fresh), "HU")
        numbers_mod.region_of(e164)
        numbers_mod.split_number(e164)

    message = Message(to=numbers[1], text="Szia!", id="sb_x", encoding="gsm7", segments=1)
    rows = [
        ("Bridge.send, whole (new recipient each time)", lambda: bridge.send(next(fresh), "Szia!")),
        ("  numbers: parse + region + split (new recipient)", numbers_fresh),
        ("  journal: begin + accepted (in memory)", journal_pair),
        ("  simplesms-rest backend.send (split cached)", lambda: backend.send(message)),
        ("  text.check", lambda: text.check("Szia!", 6)),
        ("  response.json() (the raw client does this too)", reply.json),
    ]
    print(f"{'per call':>10}  what")
    for name, fn in rows:
        if name.startswith("  numbers"):
            numbers_mod._PARSED.clear()
            numbers_mod._SPLIT.clear()
        print(f"{_us(fn):8.1f} us  {name}")
    if args.cprofile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20000):
            bridge.send(next(fresh), "Szia!")
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
