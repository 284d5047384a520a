"""5. Gateway: requests/second of ``smsbridge serve`` (Twilio face + sandbox) under wrk,
against a bare Starlette endpoint on the same uvicorn that returns a fixed reply.

Both servers are started as their own processes the way a user would run them
(``smsbridge --config ... serve --port P``; ``python raw_asgi.py --port P``), one at a time,
and loaded by ``wrk`` (one thread, 16 keep-alive connections) with Twilio's message-create
request (``wrk_twilio_create.lua``: form POST, Basic auth, a new recipient each time).
Rounds alternate raw / gateway; each side's figure is the median of its rounds.

The gateway does per request what the real thing does: Basic-auth check against
``gateway.clients``, form parsing, Twilio validation, ``Bridge.send`` in a worker thread
(number parsing, journal, the sandbox's SQLite), the ``SM…`` alias, Twilio's reply JSON.
Journal and sandbox are in memory here (no ``store``); a second, informational row puts
both on disk.
"""
from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from typing import Any

from common import HERE, PYTHON, Figure, Mode, venv_bin

__all__ = ["run", "wrk_rps"]

AC = "AC" + "1" * 32
TOKEN = "bench-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen[Any], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _start(argv: list[str], port: int) -> subprocess.Popen[Any]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE)
    try:
        _wait_listening(port, proc)
    except Exception:
        proc.kill()
        proc.wait()
        raise
    return proc


def _stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _check(url: str, auth: str) -> None:
    """One request by hand: the server must answer 201 (so wrk measures successes)."""
    data = b"To=%2B36301234567&From=%2B15005550006&Body=Szia%21"
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        if reply.status != 201:
            raise RuntimeError(f"{url} answered {reply.status}")


def wrk_rps(url: str, auth: str, seconds: int, connections: int = 16) -> dict[str, Any]:
    """Run wrk once; requests/second and the count of non-2xx answers."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", os.path.join(HERE, "wrk_twilio_create.lua"), url],
                         capture_output=True, text=True, timeout=seconds + 30,
                         env={**os.environ, "WRK_AUTH": auth}, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    p50 = re.search(r"50%\s+(\S+)", out)
    return {"rps": rps, "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(0) if errors else "", "p50": p50.group(1) if p50 else ""}


def _gateway_config(path: str, tmp: str, on_disk: bool) -> str:
    sandbox = f", path: {os.path.join(tmp, 'sandbox.sqlite3')}" if on_disk else ""
    # ":memory:" explicitly: without `store:` the CLI (`serve`) would use the per-user journal.
    store = f"store: {os.path.join(tmp, 'journal.sqlite3')}\n" if on_disk else 'store: ":memory:"\n'
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"""\
default: local
backends:
  local: {{plugin: sandbox, credit: 1e12{sandbox}}}
{store}gateway:
  clients:
    bench:
      twilio: {{account_sid: {AC}, auth_token: {TOKEN}}}
""")
    return path


def run(mode: Mode) -> list[Figure]:
    if shutil.which("wrk") is None:
        return [Figure("5. gateway", "smsbridge serve (twilio + sandbox) vs raw uvicorn/starlette", float("nan"),
                       None, "req/s", note="SKIPPED: wrk not installed (apt-get install -y wrk)")]
    seconds = mode.pick(5, 3, 1)
    rounds = mode.pick(2, 1, 1)
    auth = "Basic " + base64.b64encode(f"{AC}:{TOKEN}".encode()).decode()
    path = f"/2010-04-01/Accounts/{AC}/Messages.json"
    samples: dict[str, list[dict[str, Any]]] = {"raw": [], "gateway": [], "gateway-disk": []}
    with tempfile.TemporaryDirectory(prefix="smsbridge-gw-") as tmp:
        sides = {
            "raw": lambda port: [PYTHON, os.path.join(HERE, "raw_asgi.py"), "--port", str(port)],
            "gateway": lambda port: [venv_bin("smsbridge"), "--config",
                                     _gateway_config(os.path.join(tmp, "mem.yaml"), tmp, False),
                                     "serve", "--port", str(port)],
        }
        if not mode.tiny:
            sides["gateway-disk"] = lambda port: [venv_bin("smsbridge"), "--config",
                                                  _gateway_config(os.path.join(tmp, "disk.yaml"), tmp, True),
                                                  "serve", "--port", str(port)]
        for _ in range(rounds):
            for name, argv in sides.items():
                port = _free_port()
                proc = _start(argv(port), port)
                try:
                    url = f"http://127.0.0.1:{port}{path}"
                    _check(url, auth)
                    samples[name].append(wrk_rps(url, auth, seconds))
                finally:
                    _stop(proc)
    rps = {name: statistics.median(s["rps"] for s in runs) for name, runs in samples.items() if runs}
    bad = {name: sum(s["non_2xx"] for s in runs) for name, runs in samples.items() if runs}
    note = f"wrk -t1 -c16 -d{seconds}s x{rounds}; p50 latency gateway {samples['gateway'][-1]['p50']}, " \
           f"raw {samples['raw'][-1]['p50']}"
    if any(bad.values()):
        note += f"; NON-2xx answers: {bad}"
    figures = [Figure("5. gateway", "smsbridge serve (twilio face + in-memory sandbox/journal) vs raw uvicorn",
                      rps["gateway"], rps["raw"], "req/s", target=">= 0.5", note=note, extra={"samples": samples})]
    if "gateway-disk" in rps:
        figures.append(Figure("5. gateway", "same, sandbox and journal on disk (informational)",
                              rps["gateway-disk"], rps["raw"], "req/s", extra={"samples": samples["gateway-disk"]}))
    return figures
