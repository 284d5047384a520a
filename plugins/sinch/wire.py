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

The module follows the core wire convention (:mod:`smsbridge.wire`): the status words,
time format, id shape and error codes are data (``STATUSES``, ``TIMES``, ``ID_SHAPE``,
``REPLY_ERRORS``, ``ERROR_REPLIES``) and the conventional functions are bound from them,
so the backend and the gateway face read and write Sinch's words through one table.
Sinch-only pieces (delivery-report codes, ULID batch ids, paths, batch and report JSON)
keep their own names.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from smsbridge import errors, ids
from smsbridge import wire as convention
from smsbridge.model import Status
from smsbridge.wire import ErrorReplies, ReplyErrors, Rule, StatusWords, bind

__all__ = [
    # the convention (smsbridge.wire.CONVENTION)
    "STATUSES", "TIMES", "ID_SHAPE", "REPLY_ERRORS", "ERROR_REPLIES", "WireError", "to_status", "from_status",
    "format_time", "parse_time", "provider_id_for", "message_id_in", "error_from_reply", "reply_for_error",
    "build_send", "parse_send_request", "parse_send_reply",
    # Sinch's own
    "DEFAULT_BASE_URL", "REGIONS", "DELIVERY_REPORTS", "SendRequest", "ParsedBatch", "ParsedReport",
    "status_code", "new_id", "is_id", "error_body",
    "base_url_for_region", "batches_path", "batch_path", "report_path", "recipient_report_path",
    "batch_json", "parse_batch", "list_json", "summary_report_json", "recipient_report_json", "parse_report",
]

DEFAULT_BASE_URL = "https://{region}.sms.api.sinch.com"
REGIONS = ("us", "eu", "au", "br", "ca")
DELIVERY_REPORTS = ("none", "summary", "full", "per_recipient", "per_recipient_final")

# --------------------------------------------------------------------------- status words

STATUSES = StatusWords(
    incoming={"Queued": Status.QUEUED, "Dispatched": Status.SENT, "Delivered": Status.DELIVERED,
              "Failed": Status.UNDELIVERED, "Deleted": Status.FAILED, "Expired": Status.EXPIRED,
              "Rejected": Status.REJECTED, "Aborted": Status.REJECTED, "Cancelled": Status.REJECTED,
              "Unknown": Status.UNKNOWN},
    # a face writes each status's first word above, except:
    outgoing={Status.FAILED: "Failed", Status.SCHEDULED: "Queued", Status.CANCELED: "Aborted"},
)
"""Sinch's delivery-report statuses (the SDK's enum is upper case, the API docs capitalised:
matched case-insensitively); the face writes them capitalised."""

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


def status_code(status: Status | str) -> int:
    """The delivery-report ``code`` the face writes next to :func:`from_status`'s word."""
    return _STATUS_CODE.get(Status(status), 401)


# --------------------------------------------------------------------------- moments

TIMES = convention.ISO_MILLIS_Z
"""ISO 8601 with milliseconds and ``Z``: ``2019-08-24T14:15:22.123Z`` (read: any ISO 8601)."""

# --------------------------------------------------------------------------- ids

ID_SHAPE = ids.Ulid(salt="sinch:", foreign_salt="")
"""A message as a Sinch batch id: a ULID whose time part is the message's and whose
random bits carry the message id, so :func:`message_id_in` recovers it without a lookup."""

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_NUMBER_RE = re.compile(r"^\+?\d{3,15}$")


def new_id(now: float | None = None) -> str:
    """A fresh ULID (48-bit milliseconds + 80 random bits), for batches smsbridge did not
    derive from a message id."""
    ms = int((time.time() if now is None else now) * 1000)
    return ID_SHAPE.layout(f"{(ms << 80) | int.from_bytes(os.urandom(10), 'big'):032x}", "")


def is_id(value: str) -> bool:
    """Whether ``value`` has a batch id's form (26 upper-case Crockford characters)."""
    return isinstance(value, str) and bool(_ID_RE.match(value))


# --------------------------------------------------------------------------- refusals

class WireError(convention.WireError):
    """A request a Sinch face refuses, answered as ``{"code", "text"}`` with ``status``;
    ``code`` is Sinch's string code and the text starts with the field at fault."""


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
    """The ``POST /batches`` JSON the official SDK sends (an ``mt_text`` batch), so the
    backend's requests and the SDK's read the same at the face."""
    numbers = [to] if isinstance(to, str) else list(to)
    payload: dict[str, Any] = {"to": numbers, "body": body, "type": "mt_text",
                               "delivery_report": delivery_report}
    optional = {"from": sender, "callback_url": callback_url, "client_reference": client_reference}
    payload.update((key, value) for key, value in optional.items() if value)
    return payload


def parse_send_request(data: Any) -> SendRequest:
    """A ``POST /batches`` body read at the face; anything Sinch would refuse raises
    :class:`WireError` with Sinch's code and a text naming the field at fault."""
    if not isinstance(data, Mapping):
        raise WireError("The JSON body must be an object", code="syntax_invalid_json")
    to = data.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to:
        raise WireError("to: must contain at least one recipient", code="syntax_constraint_violation", field="to")
    if len(to) > 1000:
        raise WireError("to: too many recipients (maximum 1000)", code="syntax_constraint_violation", field="to")
    numbers = []
    for item in to:
        if not isinstance(item, str) or not _NUMBER_RE.match(item.strip()):
            raise WireError(f"to: invalid MSISDN {str(item)[:20]!r}",
                            code="syntax_invalid_parameter_format", field="to")
        numbers.append("+" + item.strip().lstrip("+"))
    mtype = data.get("type") or "mt_text"
    if mtype != "mt_text":
        raise WireError(f"type: {str(mtype)[:20]} is not supported", code="syntax_constraint_violation", field="type")
    body = data.get("body")
    if not isinstance(body, str) or body == "":
        raise WireError("body: must not be empty", code="syntax_constraint_violation", field="body")
    sender = data.get("from")
    if sender is not None and (not isinstance(sender, str) or not sender.strip()):
        raise WireError("from: invalid originator", code="syntax_invalid_parameter_format", field="from")
    report = data.get("delivery_report") or "none"
    if report not in DELIVERY_REPORTS:
        raise WireError("delivery_report: unknown type",
                        code="syntax_invalid_parameter_format", field="delivery_report")
    callback = data.get("callback_url")
    if callback is not None and (not isinstance(callback, str)
                                 or not callback.startswith(("http://", "https://"))):
        raise WireError("callback_url: must be a URL", code="syntax_invalid_parameter_format", field="callback_url")
    ref = data.get("client_reference")
    if ref is not None and not isinstance(ref, str):
        raise WireError("client_reference: must be a string",
                        code="syntax_invalid_parameter_format", field="client_reference")
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


def parse_send_reply(data: Any, *, backend: str | None = None) -> ParsedBatch:
    """Sinch's 201 to a send, read.  A success without a readable batch means Sinch took
    the request and we cannot tell what it did: :class:`DeliveryUnknown`, never re-sent."""
    try:
        return parse_batch(data)
    except errors.ProviderError:
        raise errors.DeliveryUnknown("Sinch accepted the request but its reply has no batch id",
                                     backend=backend) from None


def parse_batch(data: Any) -> ParsedBatch:
    """A batch (a send's reply, a fetch, a list entry); no batch id is a :class:`ProviderError`."""
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise errors.ProviderError("Sinch reply has no batch id")
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
        groups.setdefault((status_code(status), from_status(status)), []).append(_msisdn(number))
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
        "status": from_status(status),
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
        raise errors.ProviderError("Sinch delivery report has no batch_id")
    if data.get("type") == "recipient_delivery_report_sms" or "recipient" in data:
        word = data.get("status") if isinstance(data.get("status"), str) else None
        code = data.get("code") if isinstance(data.get("code"), int) else None
        recipient = data.get("recipient")
        return ParsedReport(batch_id=data["batch_id"], status=to_status(word), status_word=word,
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
    best = min(statuses, key=lambda s: order.index(to_status(s.get("status"))))
    word = best.get("status") if isinstance(best.get("status"), str) else None
    return ParsedReport(batch_id=data["batch_id"], status=to_status(word), status_word=word,
                        code=best.get("code") if isinstance(best.get("code"), int) else None, at=None,
                        recipient=None, raw=data)


# -- errors -------------------------------------------------------------------------------------------

def error_body(http_status: int, code: Any, text: str, **context: Any) -> dict[str, str]:
    """Sinch's error body, ``{"code", "text"}`` (the HTTP status is the response's; a
    refusal without a code of its own reads as ``bad_request``)."""
    return {"code": str(code) if code is not None else "bad_request", "text": text}


def _read_error(data: Any) -> tuple[str | None, str | None]:
    code, text = data.get("code"), data.get("text")
    return (code if isinstance(code, str) else None), (text if isinstance(text, str) else None)


_NUMBER_CODES = frozenset({"syntax_invalid_parameter_format", "illegal_number_type"})
_MESSAGE_CODES = frozenset({"syntax_constraint_violation", "syntax_invalid_parameter_format"})
_CREDIT_CODES = ("insufficient_credit", "out_of_credit")


def _field_errors(http_status: int, code: Any, text: str, backend: str | None) -> errors.SmsBridgeError | None:
    """What the generic order cannot say: Sinch's syntax codes name the field at fault only
    as the text's ``"<field>: "`` prefix (``to`` is the number, ``body``/``from`` the
    message), and Sinch answers an account out of credit with **403**, which the generic
    order would read as a credential refusal."""
    if http_status == 401 or http_status >= 500:
        return None  # a credential refusal, or the never-send-twice rule for 5xx: the generic order
    field = text.split(":", 1)[0].strip().lower() if ":" in text else ""
    if code in _NUMBER_CODES and field == "to":
        return errors.InvalidNumber(text)
    if code in _MESSAGE_CODES and field in ("body", "from"):
        return errors.InvalidMessage(text)
    if code in _CREDIT_CODES:
        return errors.InsufficientCredit(f"Sinch account cannot pay: {text}", code=code, backend=backend)
    return None


REPLY_ERRORS = ReplyErrors(
    provider="Sinch", read=_read_error,
    auth=("unauthorized", "authentication_failed"),
    credit=_CREDIT_CODES,
    not_found=("not_found",),
    special=_field_errors,
)
"""Sinch's error reply ``{"code", "text"}`` -> the smsbridge error (a 5xx to a send is
:class:`DeliveryUnknown`: Sinch may have taken the batch)."""


def _field_of(exc: BaseException) -> str:
    return "from" if getattr(exc, "reason", None) in ("bad_sender", "sender_unsupported") else "body"


ERROR_REPLIES = ErrorReplies(
    body=error_body, internal="internal_error",
    rules=[
        Rule(errors.InvalidNumber, 400, "syntax_invalid_parameter_format", lambda e: f"to: {e}"),
        Rule(errors.InvalidMessage, 400, "syntax_constraint_violation", lambda e: f"send_at: {e}",
             reason="not_scheduled"),
        Rule(errors.InvalidMessage, 400, "syntax_constraint_violation", lambda e: f"{_field_of(e)}: {e}"),
        Rule(errors.IdempotencyConflict, 409, "conflict", "Idempotency-Key was already used for another request"),
        Rule(errors.NotFound, 404, "not_found", "Batch not found"),
        Rule(errors.InsufficientCredit, 403, "insufficient_credit", "Not enough credit to send the batch"),
        Rule(errors.ProviderUnavailable, 503, "service_unavailable"),
        Rule(Exception, 500, "internal_error"),  # any other smsbridge error: its own (redacted) message
    ])
"""An smsbridge error in Sinch's words (the gateway face's answers); each reads back
through :data:`REPLY_ERRORS` as the same error class."""
(to_status, from_status, format_time, parse_time, provider_id_for, message_id_in,
 error_from_reply, reply_for_error) = bind(STATUSES, TIMES, ID_SHAPE, REPLY_ERRORS, ERROR_REPLIES)
