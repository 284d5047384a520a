"""Shared pieces of the benchmarks: the result row, interleaved timing, local servers.

Every figure is a *ratio measured in one run*: smsbridge and its baseline run in
alternating rounds against the same local server, so drift (CPU frequency, a noisy
neighbour, the page cache) hits both sides alike.  The per-call time of each side is the
median over rounds; the ratio is the median of the per-round ratios (each round's two
sides ran back to back, under the same outside load).
"""
from __future__ import annotations

import contextlib
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Figure", "Mode", "interleaved", "paired_ratio", "fixed_server", "hu_numbers", "machine", "HERE", "REPO", "PYTHON",
           "venv_bin"]

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PYTHON = sys.executable


def venv_bin(name: str) -> str:
    """An executable installed next to this Python (``smsbridge`` in the venv), else on PATH."""
    candidate = os.path.join(os.path.dirname(PYTHON), name)
    return candidate if os.path.exists(candidate) else name


@dataclass(frozen=True)
class Mode:
    """How long to measure: ``full`` (the documented figures), ``quick``, ``tiny`` (smoke test)."""

    name: str

    @property
    def full(self) -> bool:
        return self.name == "full"

    @property
    def tiny(self) -> bool:
        return self.name == "tiny"

    def pick(self, full: Any, quick: Any, tiny: Any) -> Any:
        return {"full": full, "quick": quick, "tiny": tiny}[self.name]


@dataclass
class Figure:
    """One row of the results table.

    ``value`` and ``baseline`` are in ``unit``; ``ratio`` is value/baseline.  ``target`` is
    written like ``"<= 1.05"`` or ``">= 0.5"``; ``met`` is None when there is no target.
    """

    section: str
    name: str
    value: float
    baseline: float | None
    unit: str
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            self.ratio = self.value / self.baseline
        if self.target and self.ratio is not None and self.met is None:
            op, _, bound = self.target.partition(" ")
            limit = float(bound)
            self.met = self.ratio <= limit if op == "<=" else self.ratio >= limit

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def interleaved(functions: Mapping[str, Callable[[], Any]], *, rounds: int, per_round: int,
                warmup: int = 20) -> dict[str, dict[str, Any]]:
    """Time each function in alternating rounds; per call, in microseconds.

    Returns ``{name: {"median": us, "min": us, "rounds": [us, ...]}}``.  The order of the
    functions is rotated every round, so neither side always runs first.
    """
    names = list(functions)
    for name in names:
        for _ in range(warmup):
            functions[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            fn = functions[name]
            start = time.perf_counter()
            for _ in range(per_round):
                fn()
            samples[name].append((time.perf_counter() - start) / per_round * 1e6)
    return {name: {"median": statistics.median(s), "min": min(s), "rounds": [round(x, 2) for x in s]}
            for name, s in samples.items()}


def paired_ratio(timing: Mapping[str, Mapping[str, Any]], side: str, baseline: str) -> float:
    """The median of per-round ratios: each round's pair ran back to back, so a burst of
    outside load that slows one round cancels out instead of skewing either median."""
    return statistics.median(a / b for a, b in zip(timing[side]["rounds"], timing[baseline]["rounds"]))


def hu_numbers(count: int, seed: int = 7) -> list[str]:
    """Distinct valid Hungarian mobile numbers (so no per-number cache flatters a figure)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(f"+36{rng.choice(('20', '30', '70'))}{rng.randrange(2000000, 9999999)}")
    return sorted(seen)


@contextlib.contextmanager
def fixed_server(latency: float = 0.0) -> Iterator[str]:
    """``benchmarks/fixed_server.py`` in a subprocess (its own core and GIL); yields its base URL."""
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "fixed_server.py"), "--latency", str(latency)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"fixed_server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        with contextlib.suppress(Exception):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def machine() -> dict[str, Any]:
    """The context every figure depends on."""
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    mem = ""
    with contextlib.suppress(OSError):
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) // 1024} MiB"
    versions = {}
    for module in ("requests", "urllib3", "phonenumbers", "starlette", "uvicorn", "twilio", "zeep"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[module] = version(module)
    import sqlite3

    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "os": f"{platform.system()} {platform.release()}", "cpu": cpu, "cores": os.cpu_count(),
            "memory": mem, "sqlite": sqlite3.sqlite_version, "packages": versions}
