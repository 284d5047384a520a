"""Issue 18's table, every row measured side by side in one run: ``python benchmarks/run.py --only issue18``.

| row | smsbridge | baseline | goal |
|---|---|---|---|
| send | ``Bridge.send`` (simplesms-rest) | a default ``requests.Session().post`` of the same form | ≤ 1.00× |
| shim | ``smsbridge.compat.twilio.Client`` over a twilio backend | the real ``twilio.rest.Client`` | ≤ 1.00× |
| c=64 | ``send_many(concurrency=64)``, 20 ms server | ``ThreadPoolExecutor(64)`` of raw posts | ≥ 1.0× (msg/s) |
| slow | ``send_many`` c=16, every 250th reply 2 s late | ``ThreadPoolExecutor(16).map`` of raw posts | ≤ 1.2× (time) |
| create | gateway Twilio create, c=16 | bare Starlette route, same uvicorn | ≥ 0.5× (req/s) |
| fetch | gateway Twilio fetch, c=16 | bare Starlette route | ≥ 0.8× (req/s) |
| floor | ``gateway_floor.py``: ``serve`` with its store calls stubbed | bare Starlette route | informational |
| journal | ``journal --status unknown`` on 1M rows | — | ≤ 5 ms, an index |
| RSS | gateway without a store, KiB per message | — | bounded, or a warning |

Sides alternate in rounds (the order rotates); each side's figure is its median; a ratio is
the median of per-round ratios.  Servers run in their own processes (own GIL).  The gateway
rows use ``benchmarks/loadgen.py`` (asyncio, 16 keep-alive connections) in its own process,
so ``wrk`` is not needed.
"""
from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from common import HERE, PYTHON, Figure, Mode, fixed_server, hu_numbers, interleaved, paired_ratio, venv_bin

__all__ = ["run", "send_row", "shim_row", "c64_row", "slow_row", "gateway_rows", "journal_row", "rss_row"]

TOKEN = "bench-token-0123456789"
AC = "AC" + "1" * 32
AUTH_TOKEN = "bench-token"
SECTION = "18. issue 18"


def _rest_bridge(base: str, *, timeout: float = 10) -> Any:
    from smsbridge import Bridge

    return Bridge.from_dict({"default": "primary", "backends": {"primary": {
        "plugin": "simplesms-rest", "username": "bench", "password": "bench-password", "domain": "bench.hu",
        "base_url": base + "/rest/SMSapi/", "timeout": timeout}}})


def _raw_post(base: str, pool: int = 10) -> Callable[[dict[str, str]], Any]:
    """A default ``requests.Session().post`` (pool sized for the concurrency), reading the JSON."""
    import requests

    session = requests.Session()
    if pool > 10:
        session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool))
    url = base + "/rest/SMSapi/sendSMS"
    auth = {"Authorization": f"Bearer {TOKEN}"}

    def post(form: dict[str, str]) -> Any:
        data = session.post(url, data=form, headers=auth, timeout=30).json()
        if not data.get("success"):
            raise RuntimeError(data)
        return data["response"]
    return post


def _forms(numbers: list[str], text: str = "Szia!") -> list[dict[str, str]]:
    return [{"country_code": n[1:3], "area_code": n[3:5], "number": n[5:], "message": text} for n in numbers]


# --------------------------------------------------------------------------- 1. send

def send_row(base: str, mode: Mode) -> Figure:
    numbers = hu_numbers(mode.pick(4000, 2000, 50))
    to = itertools.cycle(numbers)
    forms = itertools.cycle(_forms(numbers))
    post = _raw_post(base)
    with _rest_bridge(base) as bridge:
        timing = interleaved({"smsbridge": lambda: bridge.send(next(to), "Szia!"), "raw": lambda: post(next(forms))},
                             rounds=mode.pick(21, 9, 2), per_round=mode.pick(300, 150, 5),
                             warmup=mode.pick(200, 100, 3))
    return Figure(SECTION, "Bridge.send (simplesms-rest) vs default requests.Session().post",
                  timing["smsbridge"]["median"], timing["raw"]["median"], "us/send",
                  ratio=paired_ratio(timing, "smsbridge", "raw"), target="<= 1.00", extra=timing)


# --------------------------------------------------------------------------- 2. shim

def shim_row(base: str, mode: Mode) -> Figure:
    from twilio.rest import Client as SdkClient

    from smsbridge import Bridge
    from smsbridge.compat.twilio import Client as ShimClient

    sdk = SdkClient(AC, AUTH_TOKEN)
    sdk.api.base_url = base  # providers.md §1.3 (A)
    bridge = Bridge.from_dict({"default": "tw", "backends": {"tw": {
        "plugin": "twilio", "account_sid": AC, "auth_token": AUTH_TOKEN, "base_url": base}}})
    shim = ShimClient(AC, AUTH_TOKEN, bridge=bridge)
    numbers = hu_numbers(mode.pick(2000, 1000, 20))
    a, b = itertools.cycle(numbers), itertools.cycle(numbers)
    with bridge:
        timing = interleaved({
            "shim": lambda: shim.messages.create(to=next(a), from_="+15005550006", body="Szia!").sid,
            "sdk": lambda: sdk.messages.create(to=next(b), from_="+15005550006", body="Szia!").sid},
            rounds=mode.pick(15, 7, 2), per_round=mode.pick(200, 100, 5), warmup=mode.pick(100, 50, 3))
    return Figure(SECTION, "Twilio shim (compat.twilio over a twilio backend) vs the real Twilio SDK",
                  timing["shim"]["median"], timing["sdk"]["median"], "us/send",
                  ratio=paired_ratio(timing, "shim", "sdk"), target="<= 1.00", extra=timing)


# --------------------------------------------------------------------------- 3. c=64

def c64_row(mode: Mode) -> Figure:
    count = mode.pick(3000, 1200, 128)
    rounds = mode.pick(3, 2, 1)
    numbers = hu_numbers(count)
    items = [(n, "Szia!") for n in numbers]
    forms = _forms(numbers)
    rates: dict[str, list[float]] = {"smsbridge": [], "threads": []}
    failed = 0
    with fixed_server(latency=0.02) as base, _rest_bridge(base, timeout=30) as bridge, \
            ThreadPoolExecutor(64) as pool:
        post = _raw_post(base, pool=64)
        list(pool.map(post, forms[:64]))  # open the 64 connections outside the timing
        bridge.send_many(items[:64], concurrency=64)
        for r in range(rounds):
            for side in (["smsbridge", "threads"] if r % 2 == 0 else ["threads", "smsbridge"]):
                start = time.perf_counter()
                if side == "smsbridge":
                    failed += sum(isinstance(x, Exception) for x in bridge.send_many(items, concurrency=64))
                else:
                    list(pool.map(post, forms))
                rates[side].append(count / (time.perf_counter() - start))
    ratio = statistics.median(s / t for s, t in zip(rates["smsbridge"], rates["threads"], strict=True))
    return Figure(SECTION, "send_many c=64, 20 ms server, vs ThreadPoolExecutor(64) of raw posts",
                  statistics.median(rates["smsbridge"]), statistics.median(rates["threads"]), "msg/s",
                  ratio=ratio, target=">= 1.0",
                  note=f"{count} messages x{rounds} rounds" + (f"; {failed} FAILED" if failed else ""),
                  extra=rates)


# --------------------------------------------------------------------------- 4. slow replies

def slow_row(mode: Mode) -> Figure:
    import requests
    from send_many_bench import _SlowHandler, _SlowServer

    server = _SlowServer(("127.0.0.1", 0), _SlowHandler)
    server.delay = mode.pick(2.0, 2.0, 0.2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    count = mode.pick(2000, 1000, 100)
    rounds = mode.pick(2, 1, 1)
    texts = [("slow" if i % 250 == 249 else "fast") + f" {i}" for i in range(count)]
    times: dict[str, list[float]] = {"smsbridge": [], "threads": []}
    failed = 0
    try:
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))

        def raw(text: str) -> Any:
            return session.post(url + "/rest/SMSapi/sendSMS", data={"to": "+36301234567", "text": text},
                                timeout=30).json()

        with ThreadPoolExecutor(16) as pool, _rest_bridge(url, timeout=30) as bridge:
            list(pool.map(raw, texts[:16]))
            bridge.send_many([("+36301234567", t) for t in texts[:16]], concurrency=16)
            for r in range(rounds):
                for side in (["smsbridge", "threads"] if r % 2 == 0 else ["threads", "smsbridge"]):
                    start = time.perf_counter()
                    if side == "smsbridge":
                        results = bridge.send_many([("+36301234567", t) for t in texts], concurrency=16)
                        failed += sum(isinstance(x, Exception) for x in results)
                    else:
                        list(pool.map(raw, texts))
                    times[side].append(time.perf_counter() - start)
    finally:
        server.shutdown()
        server.server_close()
    ratio = statistics.median(s / t for s, t in zip(times["smsbridge"], times["threads"], strict=True))
    return Figure(SECTION, f"send_many c=16, every 250th reply {server.delay:g} s late, vs ThreadPoolExecutor.map",
                  statistics.median(times["smsbridge"]), statistics.median(times["threads"]), "s",
                  ratio=ratio, target="<= 1.2",
                  note=f"{count} messages x{rounds} rounds (server in-process, threaded)"
                  + (f"; {failed} FAILED" if failed else ""), extra=times)


# --------------------------------------------------------------------------- 5/6. gateway

def _gateway_config(path: str) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"""\
default: local
backends:
  local: {{plugin: sandbox, credit: 1e12}}
store: ":memory:"
gateway:
  clients:
    bench:
      twilio: {{account_sid: {AC}, auth_token: {AUTH_TOKEN}}}
""")
    return path


@contextlib.contextmanager
def _server(argv: list[str], port: int, stderr: Any = subprocess.DEVNULL,
            env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[Any]]:
    from gateway_rps import _wait_listening

    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr, cwd=HERE, env=env)
    try:
        _wait_listening(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (``/proc/<pid>/stat``): a server's CPU per request is
    robust to outside load where its req/s is not."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(url: str, auth: str, *, seconds: float = 0, count: int | None = None, create: bool = True,
          paths_file: str | None = None) -> dict[str, Any]:
    argv = [PYTHON, os.path.join(HERE, "loadgen.py"), "--url", url, "--connections", "16",
            "--seconds", str(seconds), "--header", f"Authorization: {auth}", "--header", "Accept: application/json"]
    if count is not None:
        argv += ["--count", str(count)]
    if create:
        argv += ["--method", "POST", "--body-template", "To=%2B3630{n}&From=%2B15005550006&Body=Szia%21"]
    if paths_file:
        argv += ["--paths-file", paths_file]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _sids(base: str, auth: str, count: int) -> list[str]:
    """Create ``count`` messages one by one; their fetch paths."""
    import requests

    session = requests.Session()
    paths = []
    for i in range(count):
        reply = session.post(f"{base}/2010-04-01/Accounts/{AC}/Messages.json", headers={"Authorization": auth},
                             data={"To": f"+3630{2000000 + i}", "From": "+15005550006", "Body": "Szia!"}, timeout=10)
        reply.raise_for_status()
        paths.append(f"/2010-04-01/Accounts/{AC}/Messages/{reply.json()['sid']}.json")
    return paths


def gateway_rows(mode: Mode, http: str = "auto", *, plain_baseline: bool = False,
                 floor: bool = False) -> list[Figure]:
    """Both servers on the same uvicorn stack: ``auto`` (httptools + uvloop when the ``fast``
    extra is installed, as ``serve`` picks) or ``h11`` (``SMSBRIDGE_HTTP=h11`` for the
    gateway, ``--http h11`` for the baseline).  ``plain_baseline``: the gateway as ``serve``
    picks, the baseline as a plain ``pip install starlette uvicorn`` runs it (h11, the
    asyncio loop: the stack of the issue's own figures), informational.  ``floor``: the
    gateway side is ``gateway_floor.py`` (faces and framework, the send and the journal
    stubbed), informational: the most any change behind the faces could reach."""
    from gateway_rps import _free_port

    seconds = mode.pick(5, 2, 0.5)
    rounds = mode.pick(3, 2, 1)
    auth = "Basic " + base64.b64encode(f"{AC}:{AUTH_TOKEN}".encode()).decode()
    create_path = f"/2010-04-01/Accounts/{AC}/Messages.json"
    env = {**os.environ, "SMSBRIDGE_HTTP": "h11"} if http == "h11" else None
    rps: dict[str, list[float]] = {f"{side}-{op}": [] for side in ("gateway", "raw") for op in ("create", "fetch")}
    cpu: dict[str, list[float]] = {key: [] for key in rps}  # server CPU µs per answered request
    bad = 0
    with tempfile.TemporaryDirectory(prefix="smsbridge-gw18-") as tmp:
        config = _gateway_config(os.path.join(tmp, "gw.yaml"))
        gateway_argv = ([PYTHON, os.path.join(HERE, "gateway_floor.py"), "--config", config] if floor
                        else [venv_bin("smsbridge"), "--config", config, "serve"])
        sides = {"gateway": lambda port: [*gateway_argv, "--port", str(port)],
                 "raw": lambda port: [PYTHON, os.path.join(HERE, "raw_asgi.py"), "--port", str(port),
                                      *(["--http", "h11", "--loop", "asyncio"] if plain_baseline
                                        else ["--http", http])]}
        for r in range(rounds):
            for side in (["gateway", "raw"] if r % 2 == 0 else ["raw", "gateway"]):
                port = _free_port()
                with _server(sides[side](port), port, env=env) as proc:
                    base = f"http://127.0.0.1:{port}"
                    paths = os.path.join(tmp, f"paths-{side}.txt")
                    with open(paths, "w", encoding="utf-8") as fh:
                        fh.write("\n".join(_sids(base, auth, mode.pick(500, 200, 20))))
                    _load(base + create_path, auth, count=mode.pick(500, 200, 20))  # warm-up
                    for op in ("create", "fetch"):
                        before = _cpu_seconds(proc.pid)
                        got = _load(base + create_path, auth, seconds=seconds, create=op == "create",
                                    paths_file=None if op == "create" else paths)
                        used = _cpu_seconds(proc.pid) - before
                        bad += got["non_2xx"] + got["errors"]
                        rps[f"{side}-{op}"].append(got["rps"])
                        cpu[f"{side}-{op}"].append(used / max(got["requests"], 1) * 1e6)
    from smsbridge.gateway.server import http_implementation

    stack = "h11" if http == "h11" else http_implementation()
    side = "floor: the gateway with its send and journal stubbed (gateway_floor.py)" if floor else "gateway"
    if plain_baseline:  # only the goal rows (same fast stack, the real gateway) carry a target
        qualifier = " (gateway as serve picks, baseline on plain uvicorn: h11 + asyncio; informational)"
    elif http != "auto":
        qualifier = f" ({http}, informational)"
    else:
        qualifier = " (informational)" if floor else ""
    figures = []
    for op, target in (("create", ">= 0.5"), ("fetch", ">= 0.8")):
        g, raw = rps[f"gateway-{op}"], rps[f"raw-{op}"]
        figures.append(Figure(
            SECTION, f"{side} Twilio {op} vs bare Starlette, one process each, c=16{qualifier}",
            statistics.median(g), statistics.median(raw), "req/s",
            ratio=statistics.median(a / b for a, b in zip(g, raw, strict=True)), target=None if qualifier else target,
            note=f"uvicorn http={stack}" + ("; baseline h11 + asyncio" if plain_baseline else "")
            + ("; send, journal and numbers stubbed" if floor else "")
            + f"; loadgen.py -c16 {seconds:g}s x{rounds} rounds"
            + f"; server CPU per request: gateway {statistics.median(cpu[f'gateway-{op}']):.0f} us,"
            f" bare {statistics.median(cpu[f'raw-{op}']):.0f} us"
            + (f"; {bad} NON-2xx/errors" if bad else ""),
            extra={"gateway": g, "raw": raw, "gateway_cpu_us": cpu[f"gateway-{op}"], "raw_cpu_us": cpu[f"raw-{op}"]}))
    return figures


# --------------------------------------------------------------------------- 7. journal

def journal_row(mode: Mode) -> Figure:
    from smsbridge.journal import Journal

    rows = mode.pick(1_000_000, 1_000_000, 20_000)
    unknown_every = 1000  # 0.1% unknown: what reconcile leaves behind
    with tempfile.TemporaryDirectory(prefix="smsbridge-j18-") as tmp:
        path = os.path.join(tmp, "journal.sqlite3")
        Journal(path).close()  # the real schema and indexes
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        start = time.perf_counter()
        t0 = 1.7e9
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO messages (id, created_at, updated_at, to_number, text, status, phase, segments, encoding)"
            " VALUES (?,?,?,?,?,?,?,1,'gsm7')",
            ((f"m{i:09d}", t0 + i * 0.01, t0 + i * 0.01, f"+3630{2000000 + i % 7000000}", "Szia!",
              "unknown" if i % unknown_every == 0 else "delivered", "unknown" if i % unknown_every == 0 else "accepted")
             for i in range(rows)))
        db.execute("COMMIT")
        db.close()
        build = time.perf_counter() - start
        journal = Journal(path)
        try:
            plan = journal.query_plan(status="unknown")
            times = []
            for _ in range(mode.pick(21, 11, 3)):
                start = time.perf_counter()
                page = journal.records(status="unknown", limit=50)  # what `smsbridge journal --status unknown` runs
                times.append((time.perf_counter() - start) * 1000)
            assert len(page) == min(50, -(-rows // unknown_every)), len(page)
        finally:
            journal.close()
    indexed = not any(re.match(r"SCAN messages\b", step) and "INDEX" not in step for step in plan)
    value = statistics.median(times)
    return Figure(SECTION, f"journal --status unknown (limit 50), {rows:,} rows", value, None, "ms",
                  target=None, met=value <= 5 and indexed,
                  note=f"plan: {'; '.join(plan)}; built in {build:.1f} s; goal <= 5 ms with an index")


# --------------------------------------------------------------------------- 8. RSS

def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def rss_row(mode: Mode) -> Figure:
    from gateway_rps import _free_port

    auth = "Basic " + base64.b64encode(f"{AC}:{AUTH_TOKEN}".encode()).decode()
    warm, count = mode.pick(2000, 1000, 100), mode.pick(20000, 6000, 300)
    with tempfile.TemporaryDirectory(prefix="smsbridge-rss18-") as tmp:
        config = _gateway_config(os.path.join(tmp, "gw.yaml"))
        port = _free_port()
        log = open(os.path.join(tmp, "stderr.txt"), "w+", encoding="utf-8")
        with log, _server([venv_bin("smsbridge"), "--config", config, "serve", "--port", str(port)], port,
                          stderr=log) as proc:
            url = f"http://127.0.0.1:{port}/2010-04-01/Accounts/{AC}/Messages.json"
            _load(url, auth, count=warm)
            before = _rss_kib(proc.pid)
            _load(url, auth, count=count)
            after = _rss_kib(proc.pid)
            log.flush()
            log.seek(0)
            warned = [line.strip() for line in log if "memory" in line.lower()]
    per = max(after - before, 0) / count
    bounded = per < 0.05  # under ~50 bytes a message over this run: no per-message growth
    return Figure(SECTION, "gateway RSS growth without a store (in-memory journal + sandbox)", per * 1024 or 1e-9,
                  None, "B/msg", met=bounded or bool(warned),
                  note=f"{before} -> {after} KiB over {count} creates; "
                       + (f"warning: {warned[0][:160]!r}" if warned else "NO warning"))


# --------------------------------------------------------------------------- all

def run(mode: Mode) -> list[Figure]:
    with fixed_server() as base:
        figures = [send_row(base, mode), shim_row(base, mode)]
    figures.append(c64_row(mode))
    figures.append(slow_row(mode))
    figures += gateway_rows(mode)
    if mode.full:  # the issue's own stack, for comparison with its table
        figures += gateway_rows(mode, http="h11")
        figures += gateway_rows(mode, plain_baseline=True)
        figures += gateway_rows(mode, floor=True)  # what the faces and the framework cost alone
        figures += gateway_rows(mode, http="h11", floor=True)
    figures.append(journal_row(mode))
    figures.append(rss_row(mode))
    return figures


if __name__ == "__main__":
    import sys

    from run import format_table

    print(format_table(run(Mode("quick" if "--quick" in sys.argv else "full"))))
