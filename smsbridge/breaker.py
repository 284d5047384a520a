"""A per-backend circuit breaker: a dead provider costs nothing per message (SPEC §7).

Closed: every send goes through.  After ``failures`` consecutive *certain* failures
(errors that prove the message was not accepted) it opens: sends skip the backend
without a network call.  After ``cooldown`` seconds one probe is let through
(half-open); its success closes the breaker, its failure opens it for another cool-down.
A ``DeliveryUnknown`` neither opens nor closes it: it proves nothing about the provider.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["CircuitBreaker"]


class CircuitBreaker:
    def __init__(self, failures: int = 5, cooldown: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = max(1, failures)
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """May a send try this backend now? Claims the single probe when half-open."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half-open" and not self._probing:
                self._probing = True
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                self._opened_at = self._clock()
            self._probing = False

    def release(self) -> None:
        """The probe ended without proof either way (e.g. DeliveryUnknown): let another probe through."""
        with self._lock:
            self._probing = False
