"""A small HTTP/1.1 load generator (the stand-in for ``wrk`` when it is not installed).

    python benchmarks/loadgen.py --url http://127.0.0.1:8080/path --connections 16 --seconds 5 \
        [--method POST --body-template 'To=%2B3630{n}&From=...' --header 'Authorization: Basic ...']
    python benchmarks/loadgen.py ... --paths-file sids.txt      # GET, cycling over these paths

It runs in its own process (own GIL), keeps ``--connections`` keep-alive connections busy
(one request in flight per connection, like ``wrk -c``) with asyncio protocols and no HTTP
library, and prints one JSON line: ``{"requests", "seconds", "rps", "non_2xx", "errors"}``.
``{n}`` in the body template is a per-request counter, so every request has a new recipient.
``--count N`` stops after N requests instead of after ``--seconds``.

Its per-request cost is a few tens of microseconds, a fraction of the servers it loads
(a bare Starlette route answers in ~100 µs), so it is not the bottleneck; the figure it
feeds is a ratio of two servers loaded the same way anyway.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from typing import Any
from urllib.parse import urlsplit

__all__ = ["main"]


class _Conn(asyncio.Protocol):
    def __init__(self, state: _State) -> None:
        self.state = state
        self.buf = b""
        self.need = -1
        self.transport: Any = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self._next()

    def _next(self) -> None:
        request = self.state.next_request()
        if request is None:
            self.transport.close()
            return
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.need < 0:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buf[:end]
                self.status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                self.need = end + 4 + length
            if len(self.buf) < self.need:
                return
            self.buf = self.buf[self.need:]
            self.need = -1
            self.state.finished(self.status)
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.need >= 0 or exc is not None:
            self.state.errors += 1
        if not self.done.done():
            self.done.set_result(None)


class _State:
    def __init__(self, host: str, path: str, method: str, body: str | None, headers: list[str],
                 paths: list[str] | None, seconds: float, count: int | None) -> None:
        self.prefix = f"{method} ".encode()
        self.host, self.method, self.body, self.headers = host, method, body, headers
        self.paths = itertools.cycle(paths) if paths else itertools.repeat(path)
        self.counter = itertools.count()
        self.deadline = time.perf_counter() + seconds
        self.count = count
        self.sent = self.answered = self.non_2xx = self.errors = 0
        extra = "".join(f"{h}\r\n" for h in headers)
        self.head = f"Host: {host}\r\nConnection: keep-alive\r\n{extra}"

    def next_request(self) -> bytes | None:
        if self.count is not None:
            if self.sent >= self.count:
                return None
        elif time.perf_counter() >= self.deadline:
            return None
        self.sent += 1
        n = next(self.counter)
        path = next(self.paths)
        if self.body is None:
            return f"{self.method} {path} HTTP/1.1\r\n{self.head}\r\n".encode()
        body = self.body.replace("{n}", str(2000000 + n % 7000000)).encode()
        return (f"{self.method} {path} HTTP/1.1\r\n{self.head}Content-Type: application/x-www-form-urlencoded"
                f"\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    def finished(self, status: int) -> None:
        self.answered += 1
        if not 200 <= status < 300:
            self.non_2xx += 1


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    url = urlsplit(args.url)
    paths = None
    if args.paths_file:
        with open(args.paths_file, encoding="utf-8") as fh:
            paths = [line.strip() for line in fh if line.strip()]
    state = _State(url.netloc, url.path + (f"?{url.query}" if url.query else ""), args.method, args.body_template,
                   args.header, paths, args.seconds, args.count)
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    conns = []
    for _ in range(args.connections):
        _, proto = await loop.create_connection(lambda: _Conn(state), url.hostname, url.port)
        conns.append(proto)
    await asyncio.gather(*(c.done for c in conns))
    elapsed = time.perf_counter() - start
    return {"requests": state.answered, "seconds": elapsed, "rps": state.answered / elapsed,
            "non_2xx": state.non_2xx, "errors": state.errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="HTTP/1.1 keep-alive load generator")
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--count", type=int)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body-template")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--paths-file")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_run(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
