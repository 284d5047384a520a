"""Routing: which backends, in which order, may carry a message (SPEC §3).

Routes are tried top to bottom and the first match wins; its ``backends`` list is the
failover chain.  No match means the ``default`` backend alone.  An explicit
``backend=`` on a send bypasses routing (a chain of one).
"""
from __future__ import annotations

from .config import Route

__all__ = ["choose"]


def choose(routes: list[Route], default: str, e164: str, region: str | None) -> tuple[str, ...]:
    """The ordered backend names for a recipient."""
    for route in routes:
        if route.matches(e164, region):
            return route.backends
    return (default,)
