"""Failed-authentication throttling: per source address and per claimed client.

A caller guessing tokens gets a few tries and then a provider-shaped 429 with
``Retry-After`` for a while; so does anyone guessing one client's token from many
addresses.  Counting is a sliding window of failure times per key; memory is bounded
(:data:`MAX_KEYS` keys, the least recently failed forgotten first), so a flood of
addresses cannot grow it without limit.

The rule: once a key has ``limit`` failures within ``window`` seconds, every
authentication attempt under that key — right or wrong credentials alike, or the
429 would tell a guesser which guess was right — is refused until the oldest failure
leaves the window.  A success does not clear the count: interleaving one valid login
must not reset a guesser's budget.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

__all__ = ["FailureThrottle", "MAX_KEYS", "DEFAULT_LIMIT", "DEFAULT_WINDOW"]

MAX_KEYS = 10_000
DEFAULT_LIMIT = 20       # failures ...
DEFAULT_WINDOW = 60.0    # ... per this many seconds


class FailureThrottle:
    """Sliding-window failure counter; thread-safe; ``clock`` is injectable for tests."""

    def __init__(self, limit: int = DEFAULT_LIMIT, window: float = DEFAULT_WINDOW, *,
                 clock: Callable[[], float] | None = None) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock or time.monotonic
        self._failures: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: Hashable, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, *keys: Hashable) -> int | None:
        """Seconds to wait (rounded up, at least 1) if any key is blocked, else ``None``."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if times is not None and len(times) >= self.limit:
                    wait = max(wait, times[0] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, *keys: Hashable) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if times is None:
                    times = self._failures[key] = deque(maxlen=self.limit)
                self._failures.move_to_end(key)
                times.append(now)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def __len__(self) -> int:
        return len(self._failures)
