"""A minimal HTTP/1.1 server with fixed replies, for measuring *client-side* overhead.

Why not the gateway: a benchmark of ``Bridge.send`` against ``smsbridge serve`` + sandbox
would time the gateway's own work (Starlette routing, a worker thread, the sandbox's
SQLite, the journal) on the same two cores as the client, and every microsecond the
server spends dilutes the client's overhead in the ratio.  This server answers in a few
tens of microseconds with a canned reply in the provider's wire shape, so both sides of a
comparison (smsbridge vs raw ``requests``, Twilio SDK vs raw ``requests``) pay the same
small, constant server cost and the difference between them is the client's.

It speaks just enough HTTP/1.1 for ``requests``/urllib3: keep-alive, ``Content-Length``
bodies, one request at a time per connection.  Replies by path:

- ``.../connect``       simpleSMS REST login (a token valid for an hour)
- ``.../sendSMS``       simpleSMS REST send (``{"success": true, ..., "response": {"sms_id": ...}}``)
- ``.../Messages.json`` Twilio's message-create reply (201)
- anything else         a simpleSMS-shaped empty success

``--latency S`` delays every reply by S seconds (without blocking other connections), to
simulate a provider's round trip for the bulk benchmark.

Run: ``python benchmarks/fixed_server.py [--latency 0.02]``; it prints ``PORT <n>`` and
serves on 127.0.0.1 until its stdin closes or it is terminated.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading

__all__ = ["REPLIES", "main", "start"]

_CONNECT = json.dumps({"success": True, "error": False,
                       "response": {"access_token": "bench-token-0123456789", "expires_in": 3600}}).encode()
_SEND = json.dumps({"success": True, "error": False, "response": {"sms_id": 1234567}}).encode()
_EMPTY = json.dumps({"success": True, "error": False, "response": {}}).encode()
# Twilio's create reply, as recorded in shared/providers.md §1 (all keys the SDK reads).
_TWILIO = json.dumps({
    "account_sid": "AC" + "1" * 32, "api_version": "2010-04-01", "body": "Szia!",
    "date_created": "Thu, 24 Aug 2023 05:01:45 +0000", "date_sent": None,
    "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000", "direction": "outbound-api", "error_code": None,
    "error_message": None, "from": "+15005550006", "messaging_service_sid": None, "num_media": "0",
    "num_segments": "1", "price": None, "price_unit": "USD", "sid": "SM" + "a" * 32, "status": "queued",
    "subresource_uris": {"media": "/2010-04-01/Accounts/AC11111111111111111111111111111111/Messages/"
                                  "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Media.json"},
    "to": "+36301234567",
    "uri": "/2010-04-01/Accounts/AC11111111111111111111111111111111/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json",
}).encode()


def _response(status: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\n\r\n").encode() + body


REPLIES = {
    b"connect": _response("200 OK", _CONNECT),
    b"sendSMS": _response("200 OK", _SEND),
    b"Messages.json": _response("201 Created", _TWILIO),
}
_DEFAULT = _response("200 OK", _EMPTY)


class _Protocol(asyncio.Protocol):
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            lower = head.lower()
            at = lower.find(b"content-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at)
                length = int(lower[at + 15:stop if stop >= 0 else None])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            path = head.split(b" ", 2)[1].split(b"?", 1)[0]
            reply = REPLIES.get(path.rsplit(b"/", 1)[-1], _DEFAULT)
            if self.latency:
                asyncio.get_running_loop().call_later(self.latency, self._write, reply)
            else:
                self._write(reply)

    def _write(self, reply: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(reply)


async def _serve(port: int, latency: float, ready: threading.Event | None = None,
                 out: list[int] | None = None) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(latency), "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    if out is not None:
        out.append(bound)
    if ready is not None:
        ready.set()
    else:
        print(f"PORT {bound}", flush=True)
        # Stop when the parent goes away (stdin closes), so no server outlives a run.
        await loop.run_in_executor(None, sys.stdin.read)
        server.close()
        return
    await asyncio.Event().wait()


def start(latency: float = 0.0) -> int:
    """Serve in a daemon thread of this process; returns the port (for tests and --quick runs)."""
    ready, out = threading.Event(), list[int]()
    threading.Thread(target=lambda: asyncio.run(_serve(0, latency, ready, out)), daemon=True,
                     name="fixed-server").start()
    ready.wait(10)
    return out[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.port, args.latency))
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
