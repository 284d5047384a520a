"""Per-request chaos at the gateway: rehearse provider failures from any language.

Only when the config asks for it — ``gateway.chaos: true``, meant for the simulator (a
gateway in front of the sandbox backend) — and only for requests that authenticated as
a configured client: a stranger's header changes nothing, and neither the health check
nor a 401 is ever affected.  A caller adds the header ``X-Smsbridge-Chaos`` (like
Mailpit's chaos mode, for SMS).  Values, comma-separated:

- ``fail`` — refuse before doing anything: HTTP 503 in the face's error shape
  (clients see ``ProviderUnavailable``; nothing was sent);
- ``status=NNN`` — the same with another status (400..599, e.g. ``429``);
- ``latency=S`` — wait S seconds (at most 60) before the reply goes out;
- ``lost`` — handle the request (the message *is* sent), then never answer: the
  connection is held until the client gives up (or :data:`LOST_FOR` seconds), and the
  reply itself is dropped at once, so a held request costs a connection and a few
  hundred bytes.  At most :data:`MAX_LOST` requests are held at a time; beyond that the
  connection is closed without an answer.

The sandbox backend has its own ``chaos:`` options for library-level rehearsal.
"""
from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GatewayMiddleware", "ChaosMiddleware", "HEADER", "RequestContext", "current", "parse",
           "LOST_FOR", "MAX_LOST"]

HEADER = b"x-smsbridge-chaos"
LOST_FOR = 120.0
"""Seconds a "lost" reply's connection is held at most (clients give up much sooner)."""
MAX_LOST = 256
"""Requests held "lost" at a time at most."""


def parse(value: str) -> dict[str, Any]:
    plan: dict[str, Any] = {}
    for part in value.split(","):
        key, _, arg = part.strip().partition("=")
        key = key.strip().lower()
        try:
            if key == "fail":
                plan["status"] = 503
            elif key == "status":
                plan["status"] = max(400, min(599, int(arg)))
            elif key == "latency":
                latency = float(arg)
                if latency == latency:  # not NaN
                    plan["latency"] = max(0.0, min(60.0, latency))
            elif key == "lost":
                plan["lost"] = True
        except ValueError:
            continue
    return plan


@dataclass
class RequestContext:
    """What the gateway knows about the request being handled (one per request)."""

    peer: str | None
    chaos: dict[str, Any] = field(default_factory=dict)
    client: Any = None  # the GatewayClient once one authenticated


_CURRENT: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("smsbridge_request", default=None)


def current() -> RequestContext | None:
    """The request being handled on this task, if any."""
    return _CURRENT.get()


class GatewayMiddleware:
    """Pure ASGI middleware: the request context, :class:`~.errors.GatewayAbort`, chaos."""

    def __init__(self, app: Any, gateway: Any) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from .errors import GatewayAbort

        peer = scope.get("client")
        context = RequestContext(peer=str(peer[0]) if peer else None)
        if self.gateway.chaos:
            raw = next((v for k, v in scope.get("headers", []) if k == HEADER), None)
            if raw is not None:
                context.chaos = parse(raw.decode("latin-1"))
        token = _CURRENT.set(context)
        started = False
        swallowed = False

        async def reply(message: dict[str, Any]) -> None:
            nonlocal started, swallowed
            chaos = context.chaos if context.client is not None else {}
            if chaos.get("lost"):
                swallowed = True
                return  # the work is done; the reply goes nowhere
            if message["type"] == "http.response.start":
                started = True
                if chaos.get("latency"):
                    await asyncio.sleep(chaos["latency"])
            await send(message)

        try:
            # Without a chaos plan there is nothing to delay or swallow: the reply goes
            # straight out, no wrapper per message (issue 18); an abort is raised only
            # before a reply starts (authentication, throttling).
            await self.app(scope, receive, reply if context.chaos else send)
        except GatewayAbort as abort:
            if started:
                raise RuntimeError("a gateway abort after the reply started") from None
            await self._abort(scope, receive, send, abort)
            return
        finally:
            _CURRENT.reset(token)
        if swallowed and not await self._hold(receive):
            # Still no answer: a reply that starts and never ends makes the server drop
            # the connection (a plain return would make it answer 500).
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})

    async def _abort(self, scope: dict[str, Any], receive: Any, send: Any, abort: Any) -> None:
        from starlette.requests import Request

        response = self.gateway.render_error(Request(scope, receive), abort.status, abort.detail)
        for key, value in abort.headers.items():
            response.headers[key] = value
        await response(scope, receive, send)

    async def _hold(self, receive: Any) -> bool:
        """Keep a "lost" reply's connection open until the client goes (bounded in time
        and number); True when the client went."""
        if self.gateway.lost_held >= MAX_LOST:
            return False
        self.gateway.lost_held += 1
        async def until_gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        try:
            await asyncio.wait_for(until_gone(), LOST_FOR)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            self.gateway.lost_held -= 1


ChaosMiddleware = GatewayMiddleware  # the earlier name
