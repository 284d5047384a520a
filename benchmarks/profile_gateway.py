"""Where a gateway request spends its time (the profile behind docs/performance.md §5).

Drives the ASGI apps in process, without sockets or uvicorn, one request at a time:
the bare Starlette endpoint (``raw_asgi.py``), the gateway's Twilio face as it runs
(``Bridge.send`` in a worker thread), and the same with ``Bridge.send`` called inline
(what the worker-thread hand-off costs).  What uvicorn's HTTP handling adds on top is
the raw endpoint's wrk figure (``gateway_rps.py``) minus its in-process time here.

    python benchmarks/profile_gateway.py [--cprofile]
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

AC = "AC" + "1" * 32
PATH = f"/2010-04-01/Accounts/{AC}/Messages.json"
AUTH = b"Basic " + base64.b64encode(f"{AC}:bench-token".encode())
CONFIG = {"default": "local", "backends": {"local": {"plugin": "sandbox", "credit": 1e12}},
          "gateway": {"clients": {"bench": {"twilio": {"account_sid": AC, "auth_token": "bench-token"}}}}}


def _driver(app: Any) -> Any:
    counter = itertools.count()

    async def one() -> None:
        body = f"To=%2B3630{2000000 + next(counter)}&From=%2B15005550006&Body=Szia%21".encode()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": PATH, "raw_path": PATH.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"127.0.0.1"), (b"authorization", AUTH),
                             (b"content-type", b"application/x-www-form-urlencoded"),
                             (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80), "state": {}}
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        status: list[int] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [201]:
            raise RuntimeError(f"answered {status}")
    return one


async def _time(one: Any, n: int) -> float:
    for _ in range(200):
        await one()
    start = time.perf_counter()
    for _ in range(n):
        await one()
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("-n", type=int, default=3000)
    args = parser.parse_args()

    import raw_asgi

    from smsbridge import Bridge
    from smsbridge.gateway import app as gateway_app

    bridge = Bridge.from_dict(CONFIG)
    threaded = gateway_app.build_app(bridge, faces=["twilio"])

    async def run() -> None:
        print(f"{await _time(_driver(raw_asgi.app), args.n):8.1f} us  bare Starlette endpoint (fixed reply)")
        print(f"{await _time(_driver(threaded), args.n):8.1f} us  gateway, Twilio face (Bridge.send in a worker thread)")
        original = gateway_app.Gateway.send

        async def inline(self: Any, client: Any, to: str, text: str, **kw: Any) -> Any:
            alias = kw.pop("alias", None)
            kw.pop("face", None)
            receipt = self.bridge.send(to, text, backend=client.backend if client else None, **kw)
            if alias:
                self.bridge.journal.alias(alias[0], alias[1](receipt.id), receipt.id)
            return receipt
        gateway_app.Gateway.send = inline  # type: ignore[method-assign]
        try:
            inline_app = gateway_app.build_app(bridge, faces=["twilio"])
            print(f"{await _time(_driver(inline_app), args.n):8.1f} us  the same with Bridge.send inline (no thread hop)")
            if args.cprofile:
                import cProfile
                import pstats

                one = _driver(inline_app)
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.n):
                    await one()
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        finally:
            gateway_app.Gateway.send = original  # type: ignore[method-assign]
        import itertools as _it

        numbers = (f"+3630{2000000 + i}" for i in _it.count(500000))
        start = time.perf_counter()
        for _ in range(args.n):
            bridge.send(next(numbers), "Szia!")
        print(f"{(time.perf_counter() - start) / args.n * 1e6:8.1f} us  of which Bridge.send (sandbox, in memory)")
    asyncio.run(run())
    bridge.close()


if __name__ == "__main__":
    main()
