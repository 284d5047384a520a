"""Per-backend rate limits (``rate_limit``: messages per second), shared by every caller.

A slot scheduler rather than a token bucket with bursts: each send reserves the next free
instant ``1/rate`` after the previous one and sleeps until it, so concurrent senders
(``send_many`` threads, gateway requests) together never exceed the rate.
"""
from __future__ import annotations

import threading
import time

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)
