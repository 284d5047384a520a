"""Rate limits and circuit breakers shared by every process on one PostgreSQL journal.

With ``store: postgresql://…`` a backend's ``rate_limit: 10`` means 10 messages per second
for the whole fleet (every ``serve`` worker, every host, every bulk run and Celery worker
on that database), and a breaker opened by one process is open in all of them.  They need
nothing beyond the journal's database: one row per backend in ``rate_limits`` and in
``breakers``, updated atomically (docs/decisions.md, "Issue 13: fleet-wide rate limits and
breakers").  With SQLite (one host) each process keeps its own, as before.

:class:`FleetRateLimiter` and :class:`FleetBreaker` have the interfaces of
:class:`smsbridge.ratelimit.RateLimiter` and :class:`smsbridge.breaker.CircuitBreaker`.
"""
from __future__ import annotations

import time
from typing import Any, Protocol

__all__ = ["FleetBreaker", "FleetRateLimiter", "FleetStore", "shares_limits"]


class FleetStore(Protocol):
    """What a journal offers to share limits (:class:`smsbridge.journal_pg.PgJournal`)."""

    def reserve_slot(self, backend: str, interval: float) -> tuple[float, float]: ...
    def breaker_allow(self, backend: str, cooldown: float, probe_timeout: float = 120.0) -> bool: ...
    def breaker_success(self, backend: str) -> None: ...
    def breaker_failure(self, backend: str, threshold: int) -> None: ...
    def breaker_release(self, backend: str) -> None: ...
    def breaker_state(self, backend: str, cooldown: float) -> str: ...


def shares_limits(journal: Any) -> bool:
    """Does this journal keep rate limits and breakers for a fleet?"""
    return all(hasattr(journal, name) for name in ("reserve_slot", "breaker_allow", "breaker_failure"))


class FleetRateLimiter:
    """``rate`` sends per second for ``backend`` across every process on ``store``: each
    send reserves the next free slot (the database's clock) and sleeps until it."""

    def __init__(self, store: FleetStore, backend: str, rate: float) -> None:
        self.store = store
        self.backend = backend
        self.interval = 1.0 / rate

    def wait(self) -> None:
        slot, now = self.store.reserve_slot(self.backend, self.interval)
        if slot > now:
            time.sleep(slot - now)


class FleetBreaker:
    """The circuit breaker of SPEC §7 with its state in the database: ``failures``
    consecutive certain failures anywhere in the fleet open it everywhere; after
    ``cooldown`` seconds exactly one process gets the probe."""

    def __init__(self, store: FleetStore, backend: str, failures: int = 5, cooldown: float = 30.0) -> None:
        self.store = store
        self.backend = backend
        self.threshold = max(1, failures)
        self.cooldown = cooldown

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        return self.store.breaker_state(self.backend, self.cooldown)

    def allow(self) -> bool:
        return self.store.breaker_allow(self.backend, self.cooldown)

    def success(self) -> None:
        self.store.breaker_success(self.backend)

    def failure(self) -> None:
        self.store.breaker_failure(self.backend, self.threshold)

    def release(self) -> None:
        self.store.breaker_release(self.backend)
