"""``smsbridge bulk`` in a real terminal (issue 16): Debian's tmux runs it, the test reads
the screen.  The progress bar counts rows ``n/2000`` on stderr, vanishes at the end, never
mixes into the result CSV, and the summary is right."""
from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROWS = 2000
BAR = re.compile(r"sending \[[#-]{30}\] (\d+)/(\d+)")
SUMMARY = f"{ROWS} sent, 0 already sent, 0 failed, 0 unknown (of {ROWS} rows)"

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None and os.environ.get("CI") != "true",
    reason="tmux is not installed (apt-get install -y tmux)")


class Terminal:
    """One tmux server of our own (its own socket), one 250x40 window."""

    def __init__(self, tmp_path: Path) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is not installed, and CI=true requires it")
        self.socket = f"smsbridge-test-{os.getpid()}-{tmp_path.name}"

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True,
                              timeout=30).stdout

    def start(self, command: str) -> None:
        # The pane stays open after the command (sleep) so the final screen can be read.
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "250", "-y", "40",
                  f"{command}; echo EXIT=$?; sleep 600")
        self.tmux("set-option", "-g", "history-limit", "10000")

    def screen(self, *, history: bool = False) -> list[str]:
        args = ["capture-pane", "-p", "-J", "-t", "t"] + (["-S", "-"] if history else [])
        return self.tmux(*args).splitlines()

    def wait_for(self, predicate, timeout: float = 240.0) -> list[str]:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.screen()
            if predicate(lines):
                return lines
            time.sleep(0.03)
        raise AssertionError("screen never matched:\n" + "\n".join(self.screen()))

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def terminal(tmp_path):
    term = Terminal(tmp_path)
    yield term
    term.close()


def prepare(tmp_path: Path, latency: float) -> str:
    (tmp_path / "smsbridge.yaml").write_text(
        "backends:\n  local:\n    plugin: sandbox\n    path: provider.sqlite3\n    credit: 1000000\n"
        f"    chaos: {{latency: {latency}}}\nstore: journal.sqlite3\n", encoding="utf-8")
    with open(tmp_path / "big.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["to", "text"])
        writer.writerows((f"+3630{i:07d}", f"row {i}") for i in range(ROWS))
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in {"PATH": os.environ.get("PATH", ""),
                                                       "PYTHONPATH": os.environ.get("PYTHONPATH", "")}.items())
    python = shlex.quote(sys.executable)
    return f"cd {shlex.quote(str(tmp_path))} && env -u SMSBRIDGE_CONFIG {env} {python} -m smsbridge.cli"


def provider_count(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "provider.sqlite3") as conn:
        return int(conn.execute("SELECT count(*) FROM sms").fetchone()[0])


def test_bar_counts_rows_and_results_go_to_out(tmp_path, terminal):
    smsbridge = prepare(tmp_path, latency=0.01)
    terminal.start(f"{smsbridge} bulk big.csv --out out.csv --concurrency 4")

    def mid_run(lines: list[str]) -> bool:
        return any((m := BAR.search(line)) and 0 < int(m.group(1)) < ROWS for line in lines)

    seen = terminal.wait_for(mid_run)
    bar = next(m for line in seen if (m := BAR.search(line)))
    assert bar.group(2) == str(ROWS)                     # n/TOTAL with the real total, from the start
    final = terminal.wait_for(lambda lines: any(line.startswith("EXIT=") for line in lines))
    text = [line for line in final if line.strip()]
    assert text[-2:] == [SUMMARY, "EXIT=0"], final
    assert not any(BAR.search(line) for line in final)   # the bar vanished
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["row"] for r in rows] == [str(i) for i in range(1, ROWS + 1)]
    assert {r["result"] for r in rows} == {"sent"} and "\x1b" not in (tmp_path / "out.csv").read_text()
    assert provider_count(tmp_path) == ROWS


def test_results_on_the_terminal_are_not_interleaved_with_the_bar(tmp_path, terminal):
    smsbridge = prepare(tmp_path, latency=0.002)
    terminal.start(f"{smsbridge} bulk big.csv --concurrency 8")
    terminal.wait_for(lambda lines: any(line.startswith("EXIT=") for line in lines))
    lines = [line for line in terminal.screen(history=True) if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith("row,to,result,"))
    csv_lines, tail = lines[start + 1:start + 1 + ROWS], lines[start + 1 + ROWS:]
    row = re.compile(r"^(\d+),\+3630\d{7},sent,sb_[0-9a-f]+,local,\d+,queued,1,,bulk:c:[0-9a-f]{32}:1$")
    assert [int(m.group(1)) for m in map(row.match, csv_lines) if m] == list(range(1, ROWS + 1)), \
        [line for line in csv_lines if not row.match(line)][:5]
    assert tail == [SUMMARY, "EXIT=0"], tail
    assert provider_count(tmp_path) == ROWS
