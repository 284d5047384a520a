"""Where a gateway request spends its time (the profile behind docs/performance.md, issue 18).

Drives the ASGI apps in process, without sockets or uvicorn, one request at a time: the
bare Starlette endpoint (``raw_asgi.py``) and the gateway's Twilio face, for a create
(``POST …/Messages.json``, a new recipient each time) and a fetch (``GET
…/Messages/{Sid}.json``, cycling over messages created first).  The gateway's config is
the benchmark's (``benchmarks/issue18.py``): the in-memory sandbox, ``store: ":memory:"``.

Each figure is given twice: **CPU** (``time.process_time``, every thread of the process,
so a worker-thread hop is counted with its wake-ups) and wall time.  CPU per request is
what to compare between runs on a shared machine: other processes' load moves wall time,
hardly CPU.  ``hops`` is how many calls per request went to a worker thread
(``Gateway.store_calls``).

    python benchmarks/profile_gateway.py [-n 2000] [--cprofile create|fetch|send]
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

AC = "AC" + "1" * 32
PATH = f"/2010-04-01/Accounts/{AC}/Messages.json"
AUTH = b"Basic " + base64.b64encode(f"{AC}:bench-token".encode())
CONFIG = {"default": "local", "backends": {"local": {"plugin": "sandbox", "credit": 1e12}}, "store": ":memory:",
          "gateway": {"clients": {"bench": {"twilio": {"account_sid": AC, "auth_token": "bench-token"}}}}}

One = Callable[[], Awaitable[bytes]]


def _request(app: Any, method: str, path: str, body: bytes, expect: int) -> One:
    headers = [(b"host", b"127.0.0.1"), (b"authorization", AUTH), (b"accept", b"application/json")]
    if method == "POST":
        headers += [(b"content-type", b"application/x-www-form-urlencoded"),
                    (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80)}

    async def one() -> bytes:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        status: list[int] = []
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app({**scope, "state": {}}, receive, send)
        if status != [expect]:
            raise RuntimeError(f"answered {status}: {b''.join(chunks)[:300]!r}")
        return b"".join(chunks)
    return one


def creates(app: Any) -> One:
    counter = itertools.count()

    async def one() -> bytes:
        body = f"To=%2B3630{2000000 + next(counter)}&From=%2B15005550006&Body=Szia%21".encode()
        return await _request(app, "POST", PATH, body, 201)()
    return one


async def fetches(app: Any, count: int = 500) -> One:
    make = creates(app)
    sids = [json.loads(await make())["sid"] for _ in range(count)]
    ones = itertools.cycle([_request(app, "GET", f"/2010-04-01/Accounts/{AC}/Messages/{sid}.json", b"", 200)
                            for sid in sids])

    async def one() -> bytes:
        return await next(ones)()
    return one


REPEAT = 3


async def measure(one: One, n: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per call of ``one``, after a warm-up: the least of :data:`REPEAT`
    runs of ``n`` calls (other processes' load only ever adds)."""
    for _ in range(min(200, n)):
        await one()
    best = (float("inf"), float("inf"))
    for _ in range(REPEAT):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(n):
            await one()
        best = min(best, ((time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6))
    return best


def _hops(gateway: Any) -> dict[str, int]:
    return dict(getattr(gateway, "store_calls", None) or {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cprofile", choices=("create", "fetch", "send"))
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()

    import raw_asgi

    from smsbridge import Bridge
    from smsbridge.gateway import app as gateway_app

    bridge = Bridge.from_dict(CONFIG)
    app = gateway_app.build_app(bridge)  # every installed face, as serve builds it
    gateway = app.state.gateway

    def row(label: str, cpu_wall: tuple[float, float], hops: str = "") -> None:
        print(f"{cpu_wall[0]:8.1f} us CPU {cpu_wall[1]:8.1f} us wall  {label}{hops}")

    async def run() -> None:
        row("bare Starlette create (fixed reply)",
            await measure(_request(raw_asgi.app, "POST", PATH, b"To=x", 201), args.n))
        row("bare Starlette fetch (fixed reply)",
            await measure(_request(raw_asgi.app, "GET", f"/2010-04-01/Accounts/{AC}/Messages/SMx.json", b"", 200),
                          args.n))
        create = creates(app)
        await create()
        before = _hops(gateway)
        got = await measure(create, args.n)
        after = _hops(gateway)
        per = {k: round((after.get(k, 0) - before.get(k, 0)) / (REPEAT * args.n + min(200, args.n)), 2) for k in after}
        row("gateway Twilio create", got, f"  {per}" if per else "")
        fetch = await fetches(app)
        before = _hops(gateway)
        got = await measure(fetch, args.n)
        after = _hops(gateway)
        per = {k: round((after.get(k, 0) - before.get(k, 0)) / (REPEAT * args.n + min(200, args.n)), 2) for k in after}
        row("gateway Twilio fetch", got, f"  {per}" if per else "")
        numbers = (f"+3630{2000000 + i}" for i in itertools.count(500000))

        async def send() -> bytes:
            bridge.send(next(numbers), "Szia!")
            return b""
        row("of a create: Bridge.send alone (sandbox, journal in memory)", await measure(send, args.n))
        if args.cprofile:
            import cProfile
            import pstats

            one = {"create": create, "fetch": fetch, "send": send}[args.cprofile]
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                await one()
            profiler.disable()
            pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "tottime")).print_stats(int(os.environ.get("ROWS", "45")))
    asyncio.run(run())
    bridge.close()


if __name__ == "__main__":
    main()
