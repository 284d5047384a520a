"""simpleSMS dates: ``YYYY-MM-DD HH:MM:SS`` without an offset is Budapest time.

The provider is Hungarian and documents dates without a zone; ISO 8601 with an offset is
read as given.  Every parsed date is aware, in UTC.  Where no tz database is installed
(``zoneinfo`` without ``tzdata``, e.g. on Windows), a built-in CET/CEST rule stands in.

:data:`TIMES` is the core's :class:`~smsbridge.wire.TimeFormat` for it, with two things
the core's cannot say, both simpleSMS's alone: it *renders* in Budapest wall-clock time
(the core's renders in UTC), and it *reads* more than ISO 8601 and RFC 2822 (``.``
separators, one-digit months, Unix timestamps), as PHP services write dates.
Split from :mod:`.wire`, which re-exports these names.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from smsbridge.wire import TimeFormat

__all__ = ["budapest", "TIMES", "BudapestTime"]

def budapest() -> tzinfo:
    """Europe/Budapest (zoneinfo; a built-in CET/CEST rule where no tz database exists)."""
    global _BUDAPEST
    if _BUDAPEST is None:
        try:
            from zoneinfo import ZoneInfo

            _BUDAPEST = ZoneInfo("Europe/Budapest")
        except Exception:  # no system tz database and no tzdata package (Windows)
            _BUDAPEST = _CentralEurope()
    return _BUDAPEST


_BUDAPEST: tzinfo | None = None


class _CentralEurope(tzinfo):
    """CET/CEST by the EU rule (last Sunday of March/October, 01:00 UTC)."""

    def _dst_window(self, year: int) -> tuple[datetime, datetime]:
        def last_sunday(month: int) -> datetime:
            day = datetime(year, month, 31)
            return day - timedelta(days=(day.weekday() + 1) % 7)
        return last_sunday(3).replace(hour=1), last_sunday(10).replace(hour=1)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return timedelta(hours=1)
        start, end = self._dst_window(dt.year)
        # Local wall time: CEST starts at 02:00 CET (= 01:00 UTC), ends at 03:00 CEST; like
        # zoneinfo with fold=0, the skipped hour reads as CET, the repeated one as CEST.
        local = dt.replace(tzinfo=None)
        return timedelta(hours=2) if start + timedelta(hours=2) <= local < end + timedelta(hours=2) \
            else timedelta(hours=1)

    def dst(self, dt: datetime | None) -> timedelta:
        return self.utcoffset(dt) - timedelta(hours=1)

    def tzname(self, dt: datetime | None) -> str:
        return "CEST" if self.dst(dt) else "CET"

    def fromutc(self, dt: datetime) -> datetime:
        start, end = self._dst_window(dt.year)
        utc = dt.replace(tzinfo=None)
        offset = timedelta(hours=2) if start <= utc < end else timedelta(hours=1)
        return (utc + offset).replace(tzinfo=self)


_DATE_RE = re.compile(r"\s*(\d{4})[-.](\d{1,2})[-.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?"
                      r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$", re.IGNORECASE)


def _parse_date(value: Any) -> datetime | None:
    """An aware UTC datetime from a provider date, or ``None`` when absent or unreadable.

    ``YYYY-MM-DD HH:MM:SS`` (also ``.`` separated, ``T``, fractions; naive = Budapest),
    ISO 8601 with ``Z`` or an offset, a bare date, or a Unix timestamp (number).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=budapest())).astimezone(timezone.utc)
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc) if value > 0 else None
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    m = _DATE_RE.match(value)
    if not m:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                         int(round(float(fraction) * 1_000_000)) if fraction else 0)
    except ValueError:
        return None
    # Results are in UTC: an aware datetime inside Budapest's repeated autumn hour would
    # compare unequal to every other zone's (PEP 495).  In that hour a naive time is read
    # as its first occurrence (summer time), as zoneinfo does.
    if not zone:
        return naive.replace(tzinfo=budapest()).astimezone(timezone.utc)
    if zone.upper() == "Z":
        return naive.replace(tzinfo=timezone.utc)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset >= timedelta(hours=24):
        return None
    return naive.replace(tzinfo=timezone(sign * offset)).astimezone(timezone.utc)


class BudapestTime(TimeFormat):
    """A :class:`~smsbridge.wire.TimeFormat` whose ``pattern`` is applied in ``naive_zone``
    (Budapest), not in UTC, and whose reader is simpleSMS's tolerant one."""

    def format(self, when: datetime | None) -> str | None:
        """``when`` (aware, or naive = UTC) as Budapest wall-clock time in ``pattern``."""
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.astimezone(self.naive_zone).strftime(self.pattern)

    def parse(self, value: object) -> datetime | None:
        """``YYYY-MM-DD HH:MM:SS`` (also ``.`` separated, ``T``, fractions; naive = Budapest),
        ISO 8601 with ``Z`` or an offset, a bare date, or a Unix timestamp (number), aware
        in UTC; ``None`` when absent or unreadable."""
        return _parse_date(value)


TIMES = BudapestTime("%Y-%m-%d %H:%M:%S", naive_zone=budapest())
"""``2024-07-01 12:00:00``, Budapest time."""
