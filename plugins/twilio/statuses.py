"""Twilio's status words, both ways, and the error code a failed message always shows."""
from __future__ import annotations

from typing import Any

from smsbridge.model import Status
from smsbridge.wire import StatusWords

from .api import E_UNKNOWN, E_UNREACHABLE

__all__ = ["STATUSES", "FAILED", "default_error_code", "shown_error_code"]

# Twilio has no "expired", "rejected" or "unknown": expired means no handset got it in
# time (Twilio says undelivered), a provider refusal is Twilio's failed, and a message
# whose fate is unknown (DeliveryUnknown) is still in flight as far as a caller can tell.
STATUSES = StatusWords(
    incoming={
        "queued": Status.QUEUED, "accepted": Status.QUEUED, "scheduled": Status.SCHEDULED,
        "sending": Status.QUEUED, "receiving": Status.QUEUED,
        "sent": Status.SENT, "partially_delivered": Status.SENT,
        "delivered": Status.DELIVERED, "read": Status.DELIVERED, "received": Status.DELIVERED,
        "undelivered": Status.UNDELIVERED, "failed": Status.FAILED, "canceled": Status.CANCELED,
    },
    outgoing={
        Status.QUEUED: "queued", Status.SENT: "sent", Status.DELIVERED: "delivered",
        Status.UNDELIVERED: "undelivered", Status.FAILED: "failed",
        Status.EXPIRED: "undelivered", Status.REJECTED: "failed", Status.UNKNOWN: "sending",
        Status.SCHEDULED: "scheduled", Status.CANCELED: "canceled",
    })

FAILED = frozenset({Status.FAILED, Status.UNDELIVERED, Status.REJECTED, Status.EXPIRED})
"""The statuses Twilio shows with an ``error_code``."""


def default_error_code(status: Status | str) -> int:
    """The Twilio error code shown for a failed message whose provider gave none.

    Twilio always pairs ``undelivered`` with a carrier code: 30003 (unreachable handset);
    ``failed`` with 30008 (unknown error).
    """
    try:
        st = Status(status)
    except ValueError:
        return E_UNKNOWN
    return E_UNREACHABLE if st in (Status.UNDELIVERED, Status.EXPIRED) else E_UNKNOWN


def shown_error_code(status: Status, code: Any) -> int | None:
    """A journaled error code as the Twilio ``error_code`` of a message in ``status``:
    only a failed message shows one, and only a 5-digit code is Twilio's (another
    provider's code would read as a wrong Twilio error)."""
    text = str(code or "")
    return int(text) if status in FAILED and text.isdigit() and len(text) == 5 else None


def int_or_none(value: Any) -> int | None:
    """An error code as Twilio's number (they are all digits), or ``None``."""
    text = "" if value is None else str(value).strip()
    return int(text) if text.isdigit() else None
