"""Per-backend rate limits (``rate_limit``: messages per second), shared by every caller.

A slot scheduler rather than a token bucket with bursts: each send reserves the next free
instant ``1/rate`` after the previous one and sleeps until it, so concurrent senders
(``send_many`` threads, gateway requests) together never exceed the rate.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """``clock`` and ``sleep`` are the time source and the wait (tests pass fakes)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate
        self._lock = threading.Lock()
        self._next = 0.0
        self._clock = clock
        self._sleep = sleep

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - self._clock()
        if delay > 0:
            self._sleep(delay)
