"""MessageBird's words and shapes, as data: status words, moments, ids, numbers, auth.

What the message, list and report payloads (:mod:`.messages`) are written in; gathered
under the convention's names by :mod:`.wire`.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from smsbridge import ids
from smsbridge.gateway.faces import scheme_credential
from smsbridge.model import Status
from smsbridge.wire import ISO_SECONDS, StatusWords

__all__ = ["AUTH_SCHEME", "DEFAULT_BASE_URL", "STATUSES", "STATUS_REASON", "TIMES", "ID_SHAPE", "new_id",
           "is_id", "msisdn", "e164", "auth_header", "parse_auth_header"]

AUTH_SCHEME = "AccessKey"
DEFAULT_BASE_URL = "https://rest.messagebird.com"

# Recipient status words -> smsbridge (providers.md §3.2 "Mapping"); a face writes the first
# word of each status, and these exceptions: a queued message is "sent" at once at
# MessageBird, and delivery_failed covers every failure.
STATUSES = StatusWords(
    incoming={"scheduled": Status.QUEUED, "sent": Status.SENT, "buffered": Status.SENT, "delivered": Status.DELIVERED,
              "expired": Status.EXPIRED, "delivery_failed": Status.UNDELIVERED},
    outgoing={Status.QUEUED: "sent", Status.UNKNOWN: "buffered", Status.SCHEDULED: "scheduled",
              **dict.fromkeys((Status.FAILED, Status.REJECTED, Status.CANCELED), "delivery_failed")},
)
"""MessageBird's recipient status words both ways; ``delivery_failed`` covers several
smsbridge statuses, which :data:`STATUS_REASON` tells apart."""

STATUS_REASON: Mapping[Status, str] = {
    Status.FAILED: "unknown error from carrier",
    Status.REJECTED: "rejected by carrier",
    Status.UNDELIVERED: "unknown subscriber",
}
"""``statusReason`` for final non-delivered states (newer docs' DLR fields)."""

TIMES = ISO_SECONDS
"""RFC 3339 to the second in UTC: ``2016-05-03T14:26:57+00:00``, as the API writes it."""

ID_SHAPE: ids.Shape = ids.GroupedHex((32,), salt="messagebird:", foreign_salt="")
"""A message as a MessageBird id: 32 lower-case hex carrying the message id
(:mod:`smsbridge.ids`), so the SDK shim and the gateway face agree without a lookup."""


def new_id() -> str:
    """A MessageBird-shaped id that carries no message id: 32 lower-case hex characters."""
    return secrets.token_hex(16)


def is_id(value: object) -> bool:
    """Whether ``value`` has the shape of a MessageBird id (a face answers 404 otherwise)."""
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def msisdn(number: str) -> str:
    """E.164 ``+31612345678`` -> MessageBird's ``31612345678``."""
    return number.strip().lstrip("+")


def e164(recipient: Any) -> str:
    """A recipient as MessageBird writes it (number or string, with or without ``+``)."""
    text = str(recipient).strip()
    return "+" + text.lstrip("+")


def auth_header(access_key: str) -> dict[str, str]:
    return {"Authorization": f"{AUTH_SCHEME} {access_key}"}


def parse_auth_header(value: str | None) -> str | None:
    """The access key from an ``Authorization: AccessKey <key>`` header, else ``None``."""
    return scheme_credential(value, AUTH_SCHEME)
