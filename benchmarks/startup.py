"""6. Start-up: ``python -c "import smsbridge"`` and ``smsbridge --help`` vs
``python -c "import twilio.rest"``.

Measured with hyperfine (``-N``: no shell in between; warm-up runs first, so the file
cache is warm) when it is installed, else by repeated ``subprocess`` runs (the median).
Each time includes the interpreter's own start-up (``python -c pass`` is listed, so the
import cost alone can be read off too).  The target compares whole commands, as a user
experiences them.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from common import PYTHON, Figure, Mode, venv_bin

__all__ = ["run", "time_commands"]


def _commands() -> dict[str, list[str]]:
    return {
        "import smsbridge": [PYTHON, "-c", "import smsbridge"],
        "import twilio.rest": [PYTHON, "-c", "import twilio.rest"],
        "smsbridge --help": [venv_bin("smsbridge"), "--help"],
        "python -c pass": [PYTHON, "-c", "pass"],
    }


def time_commands(commands: dict[str, list[str]], runs: int) -> tuple[dict[str, float], str]:
    """Median wall time (ms) of each command; and which tool measured it."""
    if shutil.which("hyperfine"):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "hyperfine.json")
            argv = ["hyperfine", "-N", "--warmup", "3", "--runs", str(runs), "--export-json", out, "--style", "none"]
            for name, cmd in commands.items():
                argv += ["-n", name, subprocess.list2cmdline(cmd)]
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
            with open(out) as fh:
                results = json.load(fh)["results"]
        return {r["command"]: r["median"] * 1000 for r in results}, f"hyperfine, {runs} runs, median"
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm-up
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    for _ in range(runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}, f"subprocess, {runs} runs, median"


def run(mode: Mode) -> list[Figure]:
    runs = mode.pick(30, 15, 2)
    ms, how = time_commands(_commands(), runs)
    bare = ms["python -c pass"]
    twilio = ms["import twilio.rest"]
    net = (ms["import smsbridge"] - bare) / max(1e-9, twilio - bare)
    return [
        Figure("6. start-up", 'python -c "import smsbridge" vs python -c "import twilio.rest"',
               ms["import smsbridge"], twilio, "ms", target="<= 0.5",
               note=f"{how}; python -c pass = {bare:.1f} ms; imports alone: {net:.2f}x"),
        Figure("6. start-up", 'smsbridge --help vs python -c "import twilio.rest"', ms["smsbridge --help"], twilio,
               "ms", note=how),
    ]
