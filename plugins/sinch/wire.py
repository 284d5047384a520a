"""Sinch SMS REST API (XMS, ``/xms/v1/{service_plan_id}/…``), written once.

Pure functions, no I/O (shared/providers.md §5):

- auth: ``Authorization: Bearer <api_token>``; JSON both ways;
- send ``POST /batches`` -> **201** batch JSON (``id`` a 26-character ULID, ``type``
  ``mt_text``, ISO 8601 ``Z`` dates); fetch ``GET /batches/{id}``; list ``GET /batches``
  -> ``{"count","page","page_size","batches"}`` (pages count from 0);
- status lives in delivery reports: ``GET /batches/{id}/delivery_report`` (summary/full)
  and ``GET /batches/{id}/delivery_report/{msisdn}`` (per recipient), with statuses
  ``Queued, Dispatched, Delivered, Failed, Expired, Rejected, Aborted, Cancelled, Deleted,
  Unknown`` and a numeric ``code``;
- errors ``{"code": "syntax_constraint_violation", "text": …}`` (400/401/403/404);
- callbacks: JSON POST to ``callback_url`` of the same report shapes.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from smsbridge import ids
from smsbridge.errors import (
    AuthenticationError,
    InsufficientCredit,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    SmsBridgeError,
)
from smsbridge.model import Status

__all__ = [
    "DEFAULT_BASE_URL", "REGIONS", "WireError", "SendRequest", "ParsedBatch", "ParsedReport",
    "STATUS_FROM_WIRE", "status_from_wire", "status_to_wire", "status_code", "new_id", "is_id",
    "id_for", "message_id_in_id",
    "base_url_for_region", "batches_path", "batch_path", "report_path", "recipient_report_path",
    "build_send", "parse_send_request", "batch_json", "parse_batch", "list_json",
    "summary_report_json", "recipient_report_json", "parse_report", "error_json",
    "error_for_reply", "error_for_exception", "format_time", "parse_time",
]

DEFAULT_BASE_URL = "https://{region}.sms.api.sinch.com"
REGIONS = ("us", "eu", "au", "br", "ca")

STATUS_FROM_WIRE: Mapping[str, Status] = {
    "queued": Status.QUEUED,
    "dispatched": Status.SENT,
    "delivered": Status.DELIVERED,
    "failed": Status.UNDELIVERED,
    "deleted": Status.FAILED,
    "expired": Status.EXPIRED,
    "rejected": Status.REJECTED,
    "aborted": Status.REJECTED,
    "cancelled": Status.REJECTED,
    "unknown": Status.UNKNOWN,
}
_STATUS_TO_WIRE: Mapping[Status, str] = {
    Status.QUEUED: "Queued",
    Status.SENT: "Dispatched",
    Status.DELIVERED: "Delivered",
    Status.UNDELIVERED: "Failed",
    Status.FAILED: "Failed",
    Status.EXPIRED: "Expired",
    Status.REJECTED: "Rejected",
    Status.UNKNOWN: "Unknown",
    Status.SCHEDULED: "Queued",
    Status.CANCELED: "Aborted",
}
# Delivery-report codes (Sinch "Delivery report error codes"): 400 Queued, 401 Dispatched,
# 406 internal expiry, 408 internal reject; 0 is the SMSC's "delivered"; 404 stands for an
# operator failure here.
_STATUS_CODE: Mapping[Status, int] = {
    Status.QUEUED: 400,
    Status.SENT: 401,
    Status.DELIVERED: 0,
    Status.UNDELIVERED: 404,
    Status.FAILED: 404,
    Status.EXPIRED: 406,
    Status.REJECTED: 408,
    Status.UNKNOWN: 401,
    Status.SCHEDULED: 400,
    Status.CANCELED: 408,
}

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_NUMBER_RE = re.compile(r"^\+?\d{3,15}$")
DELIVERY_REPORTS = ("none", "summary", "full", "per_recipient", "per_recipient_final")


class WireError(Exception):
    """A request a Sinch face must refuse: ``{"code","text"}`` with ``http_status``."""

    def __init__(self, http_status: int, code: str, text: str) -> None:
        super().__init__(text)
        self.http_status = http_status
        self.code = code
        self.text = text

    def as_json(self) -> dict[str, str]:
        return error_json(self.code, self.text)


@dataclass(frozen=True)
class SendRequest:
    to: tuple[str, ...]
    body: str
    sender: str | None
    delivery_report: str = "none"
    callback_url: str | None = None
    client_reference: str | None = None


@dataclass(frozen=True)
class ParsedBatch:
    id: str
    to: tuple[str, ...]
    canceled: bool
    created_at: datetime | None
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class ParsedReport:
    """A delivery report (summary, full or per recipient) reduced to one status."""

    batch_id: str
    status: Status
    status_word: str | None
    code: int | None
    at: datetime | None
    recipient: str | None
    raw: Mapping[str, Any]


def status_from_wire(word: str | None) -> Status:
    return STATUS_FROM_WIRE.get((word or "").strip().lower(), Status.UNKNOWN)


def status_to_wire(status: Status | str) -> str:
    return _STATUS_TO_WIRE.get(Status(status), "Unknown")


def status_code(status: Status | str) -> int:
    return _STATUS_CODE.get(Status(status), 401)


def new_id(now: float | None = None) -> str:
    """A ULID: 48-bit milliseconds + 80 random bits, Crockford base 32, 26 characters."""
    ms = int((time.time() if now is None else now) * 1000)
    return _ulid((ms << 80) | int.from_bytes(os.urandom(10), "big"))


def is_id(value: str) -> bool:
    return isinstance(value, str) and bool(_ID_RE.match(value))


def _ulid(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


BATCH_ID_SHAPE = ids.Ulid(salt="sinch:", foreign_salt="")
"""A message as a Sinch batch id: a ULID whose time is the message's (:mod:`smsbridge.ids`)."""


def id_for(message_id: str) -> str:
    """The batch id (a ULID) smsbridge shows for one of its messages: its time part is the
    message's, its random bits carry the message id, so :func:`message_id_in_id` recovers
    it without a lookup."""
    return BATCH_ID_SHAPE.id_for(message_id)


def message_id_in_id(batch_id: str) -> str | None:
    """The smsbridge id carried by :func:`id_for`'s batch id, or ``None``."""
    return BATCH_ID_SHAPE.message_id_in(batch_id)


def format_time(when: datetime | None) -> str | None:
    """ISO 8601 with milliseconds and ``Z``: ``2019-08-24T14:15:22.123Z``."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# -- paths -------------------------------------------------------------------------------------

def base_url_for_region(region: str) -> str:
    return DEFAULT_BASE_URL.format(region=region)


def batches_path(plan: str) -> str:
    return f"xms/v1/{plan}/batches"


def batch_path(plan: str, batch_id: str) -> str:
    return f"xms/v1/{plan}/batches/{batch_id}"


def report_path(plan: str, batch_id: str) -> str:
    return f"xms/v1/{plan}/batches/{batch_id}/delivery_report"


def recipient_report_path(plan: str, batch_id: str, recipient: str) -> str:
    return f"xms/v1/{plan}/batches/{batch_id}/delivery_report/{recipient}"


# -- send -----------------------------------------------------------------------------------------

def build_send(to: str | Sequence[str], body: str, sender: str | None, *,
               delivery_report: str = "per_recipient_final", callback_url: str | None = None,
               client_reference: str | None = None) -> dict[str, Any]:
    numbers = [to] if isinstance(to, str) else list(to)
    payload: dict[str, Any] = {"to": numbers, "body": body, "type": "mt_text",
                               "delivery_report": delivery_report}
    if sender:
        payload["from"] = sender
    if callback_url:
        payload["callback_url"] = callback_url
    if client_reference:
        payload["client_reference"] = client_reference
    return payload


def parse_send_request(data: Any) -> SendRequest:
    if not isinstance(data, Mapping):
        raise WireError(400, "syntax_invalid_json", "The JSON body must be an object")
    to = data.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to:
        raise WireError(400, "syntax_constraint_violation", "to: must contain at least one recipient")
    if len(to) > 1000:
        raise WireError(400, "syntax_constraint_violation", "to: too many recipients (maximum 1000)")
    numbers = []
    for item in to:
        if not isinstance(item, str) or not _NUMBER_RE.match(item.strip()):
            raise WireError(400, "syntax_invalid_parameter_format",
                            f"to: invalid MSISDN {str(item)[:20]!r}")
        numbers.append("+" + item.strip().lstrip("+"))
    mtype = data.get("type") or "mt_text"
    if mtype != "mt_text":
        raise WireError(400, "syntax_constraint_violation", f"type: {str(mtype)[:20]} is not supported")
    body = data.get("body")
    if not isinstance(body, str) or body == "":
        raise WireError(400, "syntax_constraint_violation", "body: must not be empty")
    sender = data.get("from")
    if sender is not None and (not isinstance(sender, str) or not sender.strip()):
        raise WireError(400, "syntax_invalid_parameter_format", "from: invalid originator")
    report = data.get("delivery_report") or "none"
    if report not in DELIVERY_REPORTS:
        raise WireError(400, "syntax_invalid_parameter_format", "delivery_report: unknown type")
    callback = data.get("callback_url")
    if callback is not None and (not isinstance(callback, str)
                                 or not callback.startswith(("http://", "https://"))):
        raise WireError(400, "syntax_invalid_parameter_format", "callback_url: must be a URL")
    ref = data.get("client_reference")
    if ref is not None and not isinstance(ref, str):
        raise WireError(400, "syntax_invalid_parameter_format", "client_reference: must be a string")
    return SendRequest(to=tuple(numbers), body=body, sender=sender.strip() if sender else None,
                       delivery_report=report, callback_url=callback or None,
                       client_reference=ref or None)


# -- batches ----------------------------------------------------------------------------------------

def _msisdn(number: str) -> str:
    return number.strip().lstrip("+")


def batch_json(*, id: str, to: Sequence[str], sender: str | None, body: str, created_at: datetime | None,
               modified_at: datetime | None = None, delivery_report: str = "none",
               callback_url: str | None = None, client_reference: str | None = None,
               canceled: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": id,
        "to": [_msisdn(n) for n in to],
        "from": sender,
        "canceled": canceled,
        "body": body,
        "type": "mt_text",
        "created_at": format_time(created_at),
        "modified_at": format_time(modified_at or created_at),
        "delivery_report": delivery_report,
        "expire_at": None,
        "flash_message": False,
        "feedback_enabled": False,
    }
    if callback_url:
        data["callback_url"] = callback_url
    if client_reference:
        data["client_reference"] = client_reference
    return {k: v for k, v in data.items() if v is not None}


def parse_batch(data: Any) -> ParsedBatch:
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise ProviderError("Sinch reply has no batch id")
    raw_to = data.get("to")
    to = raw_to if isinstance(raw_to, list) else []
    return ParsedBatch(id=data["id"], to=tuple("+" + _msisdn(str(n)) for n in to),
                       canceled=bool(data.get("canceled")), created_at=parse_time(data.get("created_at")),
                       raw=data)


def list_json(batches: list[dict[str, Any]], *, page: int, page_size: int, count: int) -> dict[str, Any]:
    return {"count": count, "page": page, "page_size": len(batches) if batches else page_size,
            "batches": batches}


# -- delivery reports ----------------------------------------------------------------------------------

def summary_report_json(batch_id: str, recipients: Iterable[tuple[str, Status | str]], *, full: bool = False,
                        client_reference: str | None = None) -> dict[str, Any]:
    """``delivery_report_sms``: one entry per status, with ``recipients`` when ``full``."""
    groups: dict[tuple[int, str], list[str]] = {}
    total = 0
    for number, status in recipients:
        total += 1
        groups.setdefault((status_code(status), status_to_wire(status)), []).append(_msisdn(number))
    statuses = []
    for (code, word), numbers in groups.items():
        entry: dict[str, Any] = {"code": code, "count": len(numbers), "status": word}
        if full:
            entry["recipients"] = numbers
        statuses.append(entry)
    report: dict[str, Any] = {"type": "delivery_report_sms", "batch_id": batch_id, "statuses": statuses,
                              "total_message_count": total}
    if client_reference:
        report["client_reference"] = client_reference
    return report


def recipient_report_json(batch_id: str, recipient: str, status: Status | str, *, at: datetime | None,
                          created_at: datetime | None = None, client_reference: str | None = None,
                          parts: int | None = None, encoding: str | None = None) -> dict[str, Any]:
    """``recipient_delivery_report_sms`` (retrieval and per_recipient callbacks)."""
    report: dict[str, Any] = {
        "type": "recipient_delivery_report_sms",
        "batch_id": batch_id,
        "recipient": _msisdn(recipient),
        "code": status_code(status),
        "status": status_to_wire(status),
        "at": format_time(at or created_at or datetime.now(timezone.utc)),
        "operator_status_at": format_time(at) if at else None,
        "client_reference": client_reference,
        "number_of_message_parts": parts,
        "encoding": {"gsm7": "GSM", "ucs2": "UNICODE"}.get(encoding or ""),
    }
    return {k: v for k, v in report.items() if v is not None}


def parse_report(data: Any) -> ParsedReport:
    """Either report shape -> one status (for a batch of one recipient, the only one)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("batch_id"), str):
        raise ProviderError("Sinch delivery report has no batch_id")
    if data.get("type") == "recipient_delivery_report_sms" or "recipient" in data:
        word = data.get("status") if isinstance(data.get("status"), str) else None
        code = data.get("code") if isinstance(data.get("code"), int) else None
        recipient = data.get("recipient")
        return ParsedReport(batch_id=data["batch_id"], status=status_from_wire(word), status_word=word,
                            code=code, at=parse_time(data.get("at")),
                            recipient=("+" + _msisdn(recipient)) if isinstance(recipient, str) else None,
                            raw=data)
    statuses = [s for s in data.get("statuses") or [] if isinstance(s, Mapping)]
    if not statuses:
        # No status yet: the batch is accepted and waiting.
        return ParsedReport(batch_id=data["batch_id"], status=Status.QUEUED, status_word=None, code=None,
                            at=None, recipient=None, raw=data)
    # The least advanced status wins for multi-recipient batches; one recipient has one.
    order = [Status.QUEUED, Status.SENT, Status.UNKNOWN, Status.DELIVERED, Status.UNDELIVERED,
             Status.FAILED, Status.EXPIRED, Status.REJECTED]
    best = min(statuses, key=lambda s: order.index(status_from_wire(s.get("status"))))
    word = best.get("status") if isinstance(best.get("status"), str) else None
    return ParsedReport(batch_id=data["batch_id"], status=status_from_wire(word), status_word=word,
                        code=best.get("code") if isinstance(best.get("code"), int) else None, at=None,
                        recipient=None, raw=data)


# -- errors -------------------------------------------------------------------------------------------

def error_json(code: str, text: str) -> dict[str, str]:
    return {"code": code, "text": text}


def error_for_reply(http_status: int, data: Any, *, backend: str | None = None) -> SmsBridgeError:
    code = data.get("code") if isinstance(data, Mapping) else None
    code = code if isinstance(code, str) else None
    text = data.get("text") if isinstance(data, Mapping) and isinstance(data.get("text"), str) else None
    text = text or f"Sinch answered HTTP {http_status}"
    if http_status == 401 or code in ("unauthorized", "authentication_failed"):
        return AuthenticationError(text, code=code or http_status, backend=backend)
    if code in ("insufficient_credit", "out_of_credit") or (http_status == 402):
        return InsufficientCredit(text, code=code or http_status, backend=backend)
    if http_status == 404 or code == "not_found":
        return NotFound(text)
    if code in ("syntax_invalid_parameter_format", "illegal_number_type") and text.lower().startswith("to"):
        return InvalidNumber(text)
    if code in ("syntax_constraint_violation", "syntax_invalid_parameter_format") and \
            text.lower().startswith(("body", "from")):
        return InvalidMessage(text)
    if http_status in (429, 503):
        return ProviderUnavailable(text, code=code or http_status, backend=backend)
    return ProviderError(text, code=code or http_status, backend=backend)


def error_for_exception(exc: BaseException) -> WireError:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, InvalidNumber):
        return WireError(400, "syntax_invalid_parameter_format", f"to: {message}")
    if isinstance(exc, InvalidMessage):
        field = "from" if "sender" in message.lower() else "body"
        return WireError(400, "syntax_constraint_violation", f"{field}: {message}")
    if isinstance(exc, NotFound):
        return WireError(404, "not_found", "Batch not found")
    if isinstance(exc, InsufficientCredit):
        return WireError(403, "insufficient_credit", "Not enough credit to send the batch")
    if isinstance(exc, ProviderUnavailable):
        return WireError(503, "service_unavailable", message)
    return WireError(500, "internal_error", message)
