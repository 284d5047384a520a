"""What a backend's ``lookup`` (``smsbridge reconcile``) may rely on, and how it matches.

Most providers cannot be asked "do you have smsbridge message X?": they can only list
their messages, filtered by recipient and time.  So ``Bridge.reconcile`` hands
``Backend.lookup`` the journaled message with ``extra["journaled_at"]`` (the UTC time it
was journaled, just before it was handed to a provider), and a backend searches its
provider's list around that time:

- :func:`window` gives the time window a provider's record of the message must fall in:
  from a little before the journal entry (clocks differ) to an hour after it (the request
  left within the chain's timeouts; a later record is another message);
- :func:`in_window` tells whether a provider's timestamp falls in it (an unknown time
  matches, an unknown window matches everything);
- :func:`claimed` lists provider ids the journal already holds for *other* messages (to
  the same number, through the same backend): a match among them is not this message;
- :func:`same_text` compares a provider's copy of the text with the journaled one,
  forgiving line-end and transliteration differences providers introduce.

A ``None`` from ``lookup`` means "the provider has no such message"; the Bridge still
waits for ``reconcile_grace`` seconds after the message was journaled before it believes
that, because providers' searches lag behind their sends.  A lookup that could not search
the whole window must raise (``ProviderUnavailable``), never return ``None``.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Message

__all__ = ["JOURNALED_AT", "DEFAULT_GRACE", "CLAIMED", "claimed", "CLOCK_SKEW", "MAX_SEND_DELAY", "journaled_at",
           "window", "in_window", "same_text"]

JOURNALED_AT = "journaled_at"
"""The ``Message.extra`` key reconcile sets: when the message was journaled (aware, UTC)."""

DEFAULT_GRACE = 600.0
"""Seconds after journaling before a backend's "not found" means failed, unless the backend
class sets ``reconcile_grace`` (0 for one whose look-up is exact and immediate) or the
config sets ``reconcile_grace`` for it."""

CLOCK_SKEW = timedelta(minutes=5)
MAX_SEND_DELAY = timedelta(hours=1)

CLAIMED = "claimed_provider_ids"
"""The ``Message.extra`` key reconcile sets: provider ids the journal already holds for other
messages to the same number through the same backend.  A search that cannot tell two
messages apart (a provider that keeps no text; the same OTP text sent twice) must skip them."""


def claimed(message: Message) -> frozenset[str]:
    """Provider ids that belong to other journaled messages (:data:`CLAIMED`)."""
    value = (message.extra or {}).get(CLAIMED)
    return frozenset(str(v) for v in value) if isinstance(value, (set, frozenset, list, tuple)) else frozenset()


def journaled_at(message: Message) -> datetime | None:
    """When ``message`` was journaled, from ``extra["journaled_at"]`` (aware, UTC), else None."""
    value = (message.extra or {}).get(JOURNALED_AT)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def window(message: Message) -> tuple[datetime, datetime] | None:
    """``(earliest, latest)`` a provider's record of ``message`` may be stamped with."""
    at = journaled_at(message)
    if at is None:
        return None
    return at - CLOCK_SKEW, at + MAX_SEND_DELAY + CLOCK_SKEW


def in_window(moment: datetime | None, message: Message) -> bool:
    """True when ``moment`` (a provider's timestamp) fits :func:`window`, or either is unknown."""
    bounds = window(message)
    if bounds is None or moment is None:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return bounds[0] <= moment <= bounds[1]


def same_text(provider_text: object, journaled_text: str) -> bool:
    """True when a provider's copy of a message text is the journaled text.

    Line ends are compared as ``\\n`` and transliteration is forgiven (the journal keeps
    the first backend's version of the text; a fallback may have sent the original).
    """
    if not isinstance(provider_text, str):
        return False
    from .text import transliterate

    a = provider_text.replace("\r\n", "\n")
    b = journaled_text.replace("\r\n", "\n")
    return a == b or transliterate(a) == transliterate(b)
