"""The neutral model: what crosses the public API and the backend seam (SPEC §2).

Every result is a frozen dataclass; nothing provider-specific appears here except the
provider's own words, kept verbatim in ``raw`` / ``description`` fields.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "Status",
    "Message",
    "Accepted",
    "Receipt",
    "StatusReport",
    "StatusEvent",
    "Balance",
    "MonthlyStat",
    "MessageRecord",
    "FINAL_STATUSES",
    "InboundMessage",
]


class Status(str, enum.Enum):
    """Where a message is; every provider vocabulary maps onto these words."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    SCHEDULED = "scheduled"  # held until its send_at (by the provider or by smsbridge)
    CANCELED = "canceled"    # a scheduled message cancelled before it left

    def __str__(self) -> str:  # "queued", not "Status.QUEUED", in f-strings and the CLI
        return self.value

    @property
    def final(self) -> bool:
        """True once the status can no longer change (delivered, failed, ...)."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({Status.DELIVERED, Status.UNDELIVERED, Status.FAILED, Status.EXPIRED,
                            Status.REJECTED, Status.CANCELED})


@dataclass(frozen=True)
class Message:
    """One outbound SMS as a backend receives it: already validated and normalised.

    ``to`` is E.164; ``text`` is what will be sent (after transliteration);
    ``encoding``/``segments`` were computed for that text; ``id`` is smsbridge's
    journaled id; ``extra`` carries caller hints a backend may use (e.g. a status
    callback URL) and must ignore when it does not know them.
    """

    to: str
    text: str
    id: str = ""
    sender: str | None = None
    reference: str | None = None
    encoding: str = "gsm7"
    segments: int = 1
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Accepted:
    """What a backend returns when the provider accepted a message."""

    provider_id: str
    status: Status = Status.QUEUED
    segments: int | None = None
    raw: Any = None


@dataclass(frozen=True)
class Receipt:
    """The result of a successful send (SPEC §2)."""

    id: str
    backend: str
    provider_id: str
    status: Status
    to: str
    segments: int
    encoding: str
    sender: str | None = None
    reference: str | None = None
    created_at: datetime | None = None
    #: True when nothing was sent now: an earlier send's receipt, returned for a repeated
    #: idempotency key (``smsbridge bulk`` counts these as "already sent").
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "backend": self.backend, "provider_id": self.provider_id,
            "status": self.status.value, "to": self.to, "segments": self.segments,
            "encoding": self.encoding, "sender": self.sender, "reference": self.reference,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass(frozen=True)
class StatusReport:
    """The current status of a message. ``raw`` is the provider's own word or payload."""

    id: str
    status: Status
    updated_at: datetime | None = None
    description: str | None = None
    raw: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status.value,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "description": self.description, "raw": _jsonable(self.raw)}


@dataclass(frozen=True)
class StatusEvent:
    """One status change in a message's history."""

    status: Status
    at: datetime | None = None
    code: str | None = None
    description: str | None = None
    comment: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "at": self.at.isoformat() if self.at else None,
                "code": self.code, "description": self.description, "comment": self.comment}


@dataclass(frozen=True)
class InboundMessage:
    """An SMS received from a provider (SPEC §9), normalised from its inbound webhook.

    ``from_`` is the sender (E.164 where the provider gives a number), ``to`` the number
    or short code it was sent to, ``backend`` the configured backend it came in through,
    ``provider_id`` the provider's own id and ``raw`` the webhook payload as received.
    """

    id: str
    from_: str
    to: str
    text: str
    received_at: datetime
    backend: str
    provider_id: str | None = None
    raw: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "from": self.from_, "to": self.to, "text": self.text,
                "received_at": self.received_at.isoformat(), "backend": self.backend,
                "provider_id": self.provider_id, "raw": _jsonable(self.raw)}


@dataclass(frozen=True)
class Balance:
    """An account balance; ``unit`` is e.g. ``"credit"`` or a currency code."""

    amount: Decimal
    unit: str
    backend: str

    def as_dict(self) -> dict[str, Any]:
        return {"amount": str(self.amount), "unit": self.unit, "backend": self.backend}


@dataclass(frozen=True)
class MonthlyStat:
    """Messages sent in one month (``YYYY-MM``), domestic and foreign."""

    month: str
    domestic: int
    foreign: int

    def as_dict(self) -> dict[str, Any]:
        return {"month": self.month, "domestic": self.domestic, "foreign": self.foreign}


def _jsonable(value: Any) -> Any:
    """Best effort: make a provider payload printable as JSON (``--json`` output)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime,)):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class MessageRecord:
    """A journaled message as the store keeps it; what gateway faces render replies from.

    ``status`` is the last known status; ``error`` is the text of the error a failed
    send raised (``None`` otherwise).  Gateway faces turn this into the provider's reply
    shape (Twilio message JSON, Plivo message object, ...).

    The journal's own bookkeeping is typed, never hidden in ``extra``: ``phase`` is where
    the send stands (``sending``, ``accepted``, ``failed``, ``unknown``, ``scheduled``,
    ``canceled``; see :data:`smsbridge.journal.PHASES`), ``attempts`` the backends tried
    in order (each ``{"backend", "at"[, "outcome"]}``), ``gateway_client``/``face`` the
    gateway client and face that sent it (``None`` outside the gateway), ``sent_at`` when
    a provider accepted it and ``send_at`` when a scheduled message is due.  ``extra``
    holds only the caller's own hints (and a face's private data).
    """

    id: str
    to: str
    text: str
    status: Status
    backend: str | None = None
    provider_id: str | None = None
    sender: str | None = None
    reference: str | None = None
    segments: int = 1
    encoding: str = "gsm7"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    error_code: str | None = None
    error: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    phase: str = "accepted"
    attempts: tuple[Mapping[str, Any], ...] = ()
    gateway_client: str | None = None
    face: str | None = None
    sent_at: datetime | None = None
    send_at: datetime | None = None
