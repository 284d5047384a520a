"""Plivo's words for what every provider has: status words, moments, ids, numbers, paths.

Data, not code (:mod:`smsbridge.wire` does the reading and writing): the backend, the SDK
shim, the gateway face and the webhooks all use these, so a word the face writes is one
the backend and the official SDK read.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from smsbridge import ids
from smsbridge.model import Status
from smsbridge.wire import StatusWords, TimeFormat

__all__ = ["DEFAULT_BASE_URL", "STATUSES", "error_code_for", "TIMES", "ID_SHAPE", "new_uuid", "is_uuid",
           "is_auth_id", "digits_of", "sender_digits", "account_path", "message_path", "message_detail_path"]

DEFAULT_BASE_URL = "https://api.plivo.com"

# -- status words --------------------------------------------------------------------------------

STATUSES = StatusWords(
    incoming={
        "queued": Status.QUEUED, "sent": Status.SENT, "delivered": Status.DELIVERED,
        "read": Status.DELIVERED, "received": Status.DELIVERED, "undelivered": Status.UNDELIVERED,
        "failed": Status.FAILED, "rejected": Status.REJECTED, "expired": Status.EXPIRED,
    },
    # Only words the SDK's list filter (``message_state=``) accepts: Plivo has no
    # "expired", "unknown", "scheduled" or "canceled" state.
    outgoing={
        Status.QUEUED: "queued", Status.SENT: "sent", Status.DELIVERED: "delivered",
        Status.UNDELIVERED: "undelivered", Status.FAILED: "failed", Status.REJECTED: "rejected",
        Status.EXPIRED: "undelivered", Status.UNKNOWN: "queued", Status.SCHEDULED: "queued",
        Status.CANCELED: "failed",
    })
"""Plivo's ``message_state`` / callback ``Status`` words, both ways."""

# Plivo SMS error codes (docs "Message error codes") for final non-delivered states.
_ERROR_CODE: Mapping[Status, str] = {
    Status.UNDELIVERED: "70",   # destination permanently unavailable
    Status.FAILED: "1000",      # unknown error
    Status.REJECTED: "100",     # prohibited by carrier
    Status.EXPIRED: "420",      # message expired
}


def error_code_for(status: Status | str) -> str | None:
    """Plivo's ``error_code`` for a final non-delivered status (``None`` otherwise), so a
    caller's Plivo code sees why a message failed as it would from Plivo."""
    return _ERROR_CODE.get(Status(status))


# -- moments -------------------------------------------------------------------------------------

TIMES = TimeFormat("%Y-%m-%d %H:%M:%S%.f+00:00")
"""Plivo's ``message_time`` style: ``2024-05-01 10:11:12.123456+00:00`` (``isoformat`` with
a space: no fraction when the microseconds are zero)."""

# -- ids -----------------------------------------------------------------------------------------

ID_SHAPE = ids.Uuid4(salt="plivo:")
"""A message as a Plivo message UUID (version 4 shape) carrying the message id and a check
(:mod:`smsbridge.ids`): deterministic, so UUIDs already handed out keep resolving."""

_AUTH_ID_RE = re.compile(r"^(MA|SA)[A-Za-z0-9]{18}$")
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_uuid() -> str:
    """A fresh UUID4, as Plivo's ``api_id`` of every reply."""
    return str(uuid.uuid4())


def is_uuid(value: str) -> bool:
    return isinstance(value, str) and bool(_UUID_RE.match(value))


def is_auth_id(value: str) -> bool:
    """``MA``/``SA`` + 18 characters: the SDK refuses any other auth id before sending."""
    return bool(_AUTH_ID_RE.match(value or ""))


# -- numbers -------------------------------------------------------------------------------------

_SANITIZE_RE = re.compile(r"[\s/\-.+()]")


def digits_of(number: str) -> str:
    """A number as Plivo writes it: digits only (``src``/``dst``/``to_number``)."""
    return _SANITIZE_RE.sub("", number)


def sender_digits(sender: str | None) -> str | None:
    """A sender as Plivo writes it: a number (digits, perhaps after ``+``) as digits,
    anything else (an alphanumeric sender) as it is."""
    return digits_of(sender) if sender and sender.lstrip("+").isdigit() else sender


# -- paths (every one ends with "/") -------------------------------------------------------------

def account_path(auth_id: str) -> str:
    return f"v1/Account/{auth_id}/"


def message_path(auth_id: str) -> str:
    return f"v1/Account/{auth_id}/Message/"


def message_detail_path(auth_id: str, message_uuid: str) -> str:
    return f"v1/Account/{auth_id}/Message/{message_uuid}/"
