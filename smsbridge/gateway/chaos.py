"""Per-request chaos at the gateway: rehearse provider failures from any language.

A caller adds the header ``X-Smsbridge-Chaos`` to a request (like Mailpit's chaos mode,
for SMS).  Values, comma-separated:

- ``fail`` — refuse before doing anything: HTTP 503 in the face's error shape
  (clients see ``ProviderUnavailable``; nothing was sent);
- ``status=NNN`` — the same with another status (e.g. ``429``);
- ``latency=S`` — wait S seconds before handling the request;
- ``lost`` — handle the request (the message *is* sent), then never answer: the reply is
  "lost" until the client gives up (clients see ``DeliveryUnknown``).

The gateway-wide ``gateway.chaos`` config could come later; the sandbox backend has its
own ``chaos:`` options for library-level rehearsal.
"""
from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["ChaosMiddleware", "HEADER"]

HEADER = b"x-smsbridge-chaos"
LOST_FOR = 3600.0  # seconds the reply is withheld: far beyond any sane client timeout


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
                plan["latency"] = max(0.0, min(60.0, float(arg)))
            elif key == "lost":
                plan["lost"] = True
        except ValueError:
            continue
    return plan


class ChaosMiddleware:
    """Pure ASGI middleware; requests without the header pass straight through."""

    def __init__(self, app: Any, gateway: Any) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = next((v for k, v in scope.get("headers", []) if k == HEADER), None)
        if raw is None:
            await self.app(scope, receive, send)
            return
        plan = parse(raw.decode("latin-1"))
        if plan.get("latency"):
            await asyncio.sleep(plan["latency"])
        if plan.get("status"):
            from starlette.requests import Request

            response = self.gateway.render_error(Request(scope, receive), plan["status"],
                                                 "service unavailable (smsbridge chaos)")
            await response(scope, receive, send)
            return
        if plan.get("lost"):
            async def swallow(message: dict[str, Any]) -> None:
                return None

            await self.app(scope, receive, swallow)  # the work is done; the reply goes nowhere
            await asyncio.sleep(LOST_FOR)
            return
        await self.app(scope, receive, send)
