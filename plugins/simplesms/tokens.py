"""simpleSMS ``connect``: the bearer token and its ``expires_in`` (SPEC §5), both ways."""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from .codes import CONNECT, MalformedReply
from .dates import TIMES
from .replies import ok_reply, parse_reply
from .values import first_of, shorten

__all__ = ["parse_expires", "parse_token", "token_reply"]


def parse_expires(value: Any, now: datetime) -> datetime:
    """When a token expires, from ``expires_in`` (SPEC §5), as an aware datetime.

    Accepts ``"YYYY-MM-DD HH:MM:SS"`` (naive = Budapest time), ISO 8601 (with ``T``,
    fractions, ``Z`` or an offset), or a number of seconds (int, float or a numeric
    string) counted from ``now``.  A number too large to be a lifetime (more than ten
    years of seconds) is read as a Unix timestamp.  Raises :class:`MalformedReply`.
    """
    now = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    if isinstance(value, bool):
        raise MalformedReply("expires_in is a boolean")
    seconds: float | None = None
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        seconds = float(value)
    if seconds is not None:
        if not math.isfinite(seconds) or seconds < 0:
            raise MalformedReply("expires_in is not a usable number of seconds")
        if seconds > _TEN_YEARS:
            try:
                return datetime.fromtimestamp(seconds, tz=timezone.utc)
            except (OverflowError, OSError, ValueError):
                raise MalformedReply("expires_in is out of range") from None
        return now + timedelta(seconds=seconds)
    parsed = TIMES.parse(value)
    if parsed is None:
        raise MalformedReply(f"unreadable expires_in: {shorten(str(value))!r}")
    return parsed


_TEN_YEARS = 10 * 366 * 86400


def parse_token(data: Any, *, now: datetime | None = None, backend: str | None = None) -> tuple[str, datetime | None]:
    """``(access_token, expires)`` from a connect reply, top-level or inside ``response``.

    Error replies raise their error (:data:`.error_map.REPLY_ERRORS`, operation ``connect``).
    ``expires`` is ``None`` when the reply gives none or an unreadable one: the token is
    then used until the provider says it expired.  Raises :class:`MalformedReply` when
    there is no token.
    """
    now = now or datetime.now(timezone.utc)
    response = parse_reply(data, operation=CONNECT, backend=backend)
    places = [response] if isinstance(response, Mapping) else []
    if isinstance(data, Mapping):
        places.append(data)
    token = expires_raw = None
    for place in places:
        if token is None:
            candidate = first_of(place, ("access_token", "accessToken", "token"))
            if isinstance(candidate, (str, int)) and not isinstance(candidate, bool) and str(candidate).strip():
                token = str(candidate).strip()
        if expires_raw is None:
            expires_raw = first_of(place, ("expires_in", "expiresIn", "expires", "expires_at", "expiration"))
    if token is None:
        raise MalformedReply("the connect reply holds no access_token")
    expires = None
    if expires_raw is not None and expires_raw != "":
        try:
            expires = parse_expires(expires_raw, now)
        except MalformedReply:
            expires = None
    return token, expires



def token_reply(token: str, expires: datetime) -> dict[str, Any]:
    """A connect reply.  ``access_token`` / ``expires_in`` (the expiry date, Budapest time)
    appear both at the top level and inside ``response``: SPEC §5 allows either reading,
    so a client written for either one works."""
    fields = {"access_token": token, "expires_in": TIMES.format(expires)}
    return {**ok_reply(dict(fields)), **fields}
