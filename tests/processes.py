"""Helpers for tests that run real ``smsbridge serve`` processes: a free port, a bounded
poll, the gateway's health check."""
from __future__ import annotations

import socket
import time
from collections.abc import Callable

import requests

__all__ = ["free_port", "wait_until", "healthy"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    """Poll until ``condition()``: a generous liveness bound, not a speed figure."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def healthy(url: str) -> bool:
    """True once the gateway at ``url`` answers its health check."""
    try:
        return requests.get(url + "/_smsbridge/health", timeout=2).ok
    except requests.RequestException:
        return False
