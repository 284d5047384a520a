"""Every ``docs/walkthrough-*.md`` runs end to end, as a reader would follow it.

In a fresh folder, in the page's order:

- a ```` ```yaml ```` or ```` ```python ```` block whose first line is ``# file: NAME``
  is written to ``NAME``;
- a ```` ```console ```` block is a transcript: each ``$ command`` runs in bash (with this
  venv's ``smsbridge`` and ``python`` first on ``PATH``), and the lines after it, up to the
  next ``$``, must be its stdout, line for line (``…`` matches anything within a line).
  ``command &`` starts a background job (a ``serve --port N`` is waited for until it
  listens); ``kill %N`` stops the N-th background job, as in an interactive shell.

The ports the page uses are replaced by free ones, so runs never collide.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("walkthrough-*.md"))
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.S | re.M)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"background job exited with {proc.returncode}: {err}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def line_pattern(expected: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if part == "…" else re.escape(part) for part in re.split("(…)", expected)))


def transcript(text: str) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_walkthrough(page: Path, tmp_path: Path) -> None:
    text = page.read_text(encoding="utf-8")
    ports = sorted(set(re.findall(r"--port (\d+)", text)))
    assert ports, "a walk-through runs its own simulators"
    for port in ports:
        text = re.sub(rf"\b{port}\b", str(free_port()), text)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("SMSBRIDGE_CONFIG", "SIMPLESMS_PASSWORD", "TWILIO_AUTH_TOKEN", "TWILIO_REGION", "TWILIO_EDGE"):
        env.pop(name, None)
    jobs: list[subprocess.Popen[str]] = []
    ran = 0
    try:
        for lang, body in BLOCK.findall(text):
            first = body.splitlines()[0] if body else ""
            if lang in ("yaml", "python") and first.startswith("# file: "):
                (tmp_path / first[len("# file: "):].strip()).write_text(body, encoding="utf-8")
                continue
            if lang != "console":
                continue
            for command, expected in transcript(body):
                ran += 1
                if command.endswith("&"):
                    proc = subprocess.Popen(["bash", "-c", command[:-1].strip()], cwd=tmp_path, env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                            start_new_session=True)
                    jobs.append(proc)
                    port = re.search(r"--port (\d+)", command)
                    if port:
                        wait_listening(int(port.group(1)), proc)
                    continue
                kill = re.fullmatch(r"kill %(\d+)", command.strip())
                if kill:
                    job = jobs[int(kill.group(1)) - 1]
                    job.terminate()
                    job.wait(timeout=30)
                    continue
                result = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True,
                                        text=True, timeout=120)
                assert result.returncode == 0, f"$ {command}\n{result.stdout}{result.stderr}"
                got = result.stdout.splitlines()
                assert len(got) == len(expected) and all(
                    line_pattern(e).fullmatch(g) for e, g in zip(expected, got, strict=True)), \
                    f"$ {command}\nexpected:\n" + "\n".join(expected) + "\ngot:\n" + "\n".join(got)
    finally:
        for job in jobs:
            if job.poll() is None:
                job.terminate()
                try:
                    job.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    job.kill()
    assert ran >= 5
