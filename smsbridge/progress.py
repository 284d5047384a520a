"""A one-line progress bar for the CLI (``smsbridge bulk``): ``sending [####----] 420/2000``.

It writes to its own stream (stderr) and only when that stream is a terminal, so piped
or redirected runs get clean output and no bar.  When the command's own output goes to
the same terminal, :meth:`ProgressBar.clear` is called before each output line: the bar
is erased first and redrawn after, never mixed into a line of output.
"""
from __future__ import annotations

import time
from typing import IO

__all__ = ["ProgressBar"]

_WIDTH = 30
_INTERVAL = 0.05  # seconds between redraws: the terminal is not the bottleneck


class ProgressBar:
    """Counts ``done`` of ``total`` items; hidden unless ``stream`` is a terminal."""

    def __init__(self, total: int, stream: IO[str], *, label: str = "sending", enabled: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self._stream = stream
        self._label = label
        self.enabled = _isatty(stream) if enabled is None else enabled
        self._drawn = False
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last >= _INTERVAL or self.done >= self.total or not self._drawn):
            self._last = now
            self.draw()

    def draw(self) -> None:
        if not self.enabled:
            return
        filled = _WIDTH if self.total <= 0 else min(_WIDTH, _WIDTH * self.done // self.total)
        self._stream.write(f"\r\x1b[K{self._label} [{'#' * filled}{'-' * (_WIDTH - filled)}] {self.done}/{self.total}")
        self._stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Erase the bar (before other output on the same terminal); the next update redraws it."""
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False

    def close(self) -> None:
        self.clear()


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
