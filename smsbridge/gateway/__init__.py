"""``smsbridge serve``: one ASGI app serving every registered HTTP shim (SPEC §6).

The core here knows nothing of any provider: plugins contribute faces through the
``smsbridge_http_shims`` hook, each a factory returning Starlette routes at its
provider's own paths.  This package needs the ``server`` extra (starlette, uvicorn);
``clients`` and ``http`` helpers are importable without it where noted.
"""
from __future__ import annotations

from typing import Any

__all__ = ["Gateway", "GatewayClient", "BadRequest", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "Gateway":
        from .app import Gateway
        return Gateway
    if name == "create_app":
        from .app import create_app
        return create_app
    if name == "GatewayClient":
        from .clients import GatewayClient
        return GatewayClient
    if name == "BadRequest":
        from .http import BadRequest
        return BadRequest
    raise AttributeError(name)
