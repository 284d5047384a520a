"""MessageBird's legacy SMS REST API (``rest.messagebird.com``), written once.

Pure functions, no I/O: the backend (client side) and the gateway face (server side)
both build and read MessageBird payloads here.  Shapes follow shared/providers.md §3:

- auth: ``Authorization: AccessKey <key>``; JSON both ways;
- send ``POST /messages`` -> **201** message JSON; fetch ``GET /messages/{id}``; list
  ``GET /messages?limit=&offset=&status=``; ``GET /balance``;
- ids are 32 lower-case hex characters; ``recipients.items[].recipient`` is a JSON *number*;
  dates are RFC 3339 (``2016-05-03T14:26:57+00:00``);
- every error is ``{"errors": [{"code", "description", "parameter"}]}`` and, because the
  SDK parses only 200/201/204/401/404/405/422, a face answers errors with 401, 404 or 422;
- delivery reports are an HTTP **GET** to ``reportUrl`` with ``id, reference, recipient,
  status, statusDatetime`` (+ ``statusReason``, ``statusErrorCode``) in the query.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
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
from smsbridge.gateway.faces import scheme_credential
from smsbridge.model import Status

__all__ = [
    "AUTH_SCHEME", "DEFAULT_BASE_URL", "WireError", "SendRequest", "ParsedMessage",
    "STATUS_FROM_WIRE", "status_from_wire", "status_to_wire", "new_id", "is_id", "id_for",
    "message_id_in_id",
    "auth_header", "parse_auth_header", "msisdn", "e164",
    "build_send", "parse_send_request", "message_json", "parse_message", "list_json",
    "parse_list", "balance_json", "parse_balance", "errors_json", "parse_errors",
    "error_for_reply", "error_for_exception", "report_query", "parse_report",
    "format_datetime", "parse_datetime",
]

AUTH_SCHEME = "AccessKey"
DEFAULT_BASE_URL = "https://rest.messagebird.com"

# Error codes (MessageBird docs): 2 bad access key, 9 missing/incorrect params (incl.
# "no (correct) recipients found"), 10 invalid params, 20 not found, 21 bad request,
# 25 not enough balance, 98 API not found, 99 internal error.
CODE_AUTH = 2
CODE_MISSING = 9
CODE_INVALID = 10
CODE_NOT_FOUND = 20
CODE_BAD_REQUEST = 21
CODE_NO_BALANCE = 25
CODE_INTERNAL = 99

# Recipient status words -> smsbridge (providers.md §3.2 "Mapping").
STATUS_FROM_WIRE: Mapping[str, Status] = {
    "scheduled": Status.QUEUED,
    "sent": Status.SENT,
    "buffered": Status.SENT,
    "delivered": Status.DELIVERED,
    "expired": Status.EXPIRED,
    "delivery_failed": Status.UNDELIVERED,
}
_STATUS_TO_WIRE: Mapping[Status, str] = {
    Status.QUEUED: "sent",  # accepted for immediate sending: MessageBird says "sent" at once
    Status.SENT: "sent",
    Status.DELIVERED: "delivered",
    Status.UNDELIVERED: "delivery_failed",
    Status.FAILED: "delivery_failed",
    Status.REJECTED: "delivery_failed",
    Status.EXPIRED: "expired",
    Status.UNKNOWN: "buffered",
    Status.SCHEDULED: "scheduled",
    Status.CANCELED: "delivery_failed",
}
# statusReason for final non-delivered states (newer docs' DLR fields).
_STATUS_REASON: Mapping[Status, str] = {
    Status.FAILED: "unknown error from carrier",
    Status.REJECTED: "rejected by carrier",
    Status.UNDELIVERED: "unknown subscriber",
}

_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_DIGITS_RE = re.compile(r"^\d{3,15}$")


class WireError(Exception):
    """A request a MessageBird face must refuse: ``http_status`` + one MessageBird error."""

    def __init__(self, code: int, description: str, parameter: str | None = None, *,
                 http_status: int = 422) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameter = parameter
        self.http_status = http_status

    def as_json(self) -> dict[str, Any]:
        return errors_json([(self.code, self.description, self.parameter)])


@dataclass(frozen=True)
class SendRequest:
    """A ``POST /messages`` body as a face reads it (numbers already E.164)."""

    originator: str
    body: str
    recipients: tuple[str, ...]
    reference: str | None = None
    report_url: str | None = None
    datacoding: str | None = None
    validity: int | None = None
    type: str = "sms"
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedMessage:
    """A message JSON as a client reads it; ``status`` is the first recipient's."""

    id: str
    status: Status
    status_word: str | None
    status_at: datetime | None
    created_at: datetime | None
    recipients: tuple[tuple[str, str | None], ...]
    raw: Mapping[str, Any]
    body: str | None = None
    reference: str | None = None


# -- statuses and ids ------------------------------------------------------------------

def status_from_wire(word: str | None) -> Status:
    return STATUS_FROM_WIRE.get((word or "").strip().lower(), Status.UNKNOWN)


def status_to_wire(status: Status | str) -> str:
    return _STATUS_TO_WIRE.get(Status(status), "buffered")


def new_id() -> str:
    """A MessageBird-shaped message id: 32 lower-case hex characters."""
    return secrets.token_hex(16)


def is_id(value: str) -> bool:
    return isinstance(value, str) and bool(_ID_RE.match(value))


ID_SHAPE = ids.GroupedHex((32,), salt="messagebird:", foreign_salt="")
"""A message as a MessageBird id: 32 hex carrying the message id (:mod:`smsbridge.ids`)."""


def id_for(message_id: str) -> str:
    """The MessageBird-shaped id smsbridge shows for one of its messages (32 hex).

    Deterministic, so the SDK shim and the gateway face agree, and reversible by
    :func:`message_id_in_id` without a lookup.  Other ids are hashed (the gateway also
    keeps every id -> message alias in the journal).
    """
    return ID_SHAPE.id_for(message_id)


def message_id_in_id(mb_id: str) -> str | None:
    """The smsbridge id carried by :func:`id_for`'s id, or ``None``."""
    return ID_SHAPE.message_id_in(mb_id)


# -- numbers, dates, auth ----------------------------------------------------------------

def msisdn(number: str) -> str:
    """E.164 ``+31612345678`` -> MessageBird's ``31612345678``."""
    return number.strip().lstrip("+")


def e164(recipient: Any) -> str:
    """A recipient as MessageBird writes it (number or string, with or without ``+``)."""
    text = str(recipient).strip()
    return "+" + text.lstrip("+")


def format_datetime(when: datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def auth_header(access_key: str) -> dict[str, str]:
    return {"Authorization": f"{AUTH_SCHEME} {access_key}"}


def parse_auth_header(value: str | None) -> str | None:
    """The access key from an ``Authorization: AccessKey <key>`` header, else ``None``."""
    return scheme_credential(value, AUTH_SCHEME)


# -- send ----------------------------------------------------------------------------------

def build_send(to: str | Sequence[str], body: str, originator: str, *, reference: str | None = None,
               report_url: str | None = None, datacoding: str | None = None) -> dict[str, Any]:
    """The JSON body of ``POST /messages`` (recipients as the SDK sends them: a comma string)."""
    numbers = [to] if isinstance(to, str) else list(to)
    payload: dict[str, Any] = {"originator": originator, "body": body,
                               "recipients": ",".join(msisdn(n) for n in numbers)}
    if reference:
        payload["reference"] = reference
    if report_url:
        payload["reportUrl"] = report_url
    if datacoding:
        payload["datacoding"] = datacoding
    return payload


def _recipients(value: Any) -> list[str]:
    if isinstance(value, (int,)) and not isinstance(value, bool):
        items: list[Any] = [value]
    elif isinstance(value, str):
        items = [p for p in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise WireError(CODE_MISSING, "no (correct) recipients found", "recipients")
    numbers = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise WireError(CODE_MISSING, "no (correct) recipients found", "recipients")
        text = str(item).strip()
        if not text:
            continue
        digits = text[1:] if text.startswith("+") else text
        if not _DIGITS_RE.match(digits):
            raise WireError(CODE_MISSING, "no (correct) recipients found", "recipients")
        numbers.append("+" + digits)
    if not numbers:
        raise WireError(CODE_MISSING, "no (correct) recipients found", "recipients")
    if len(numbers) > 50:  # the API's documented per-request maximum
        raise WireError(CODE_INVALID, "too many recipients (maximum 50)", "recipients")
    return numbers


def parse_send_request(data: Any) -> SendRequest:
    """Read a ``POST /messages`` body (JSON object, or form fields as a dict of strings)."""
    if not isinstance(data, Mapping):
        raise WireError(CODE_BAD_REQUEST, "Request body must be a JSON object", None)
    originator = data.get("originator")
    if originator is None or (isinstance(originator, str) and not originator.strip()):
        raise WireError(CODE_MISSING, "originator is required", "originator")
    if not isinstance(originator, (str, int)) or isinstance(originator, bool):
        raise WireError(CODE_INVALID, "originator is invalid", "originator")
    originator = str(originator).strip()
    if len(originator) > 17 or (not originator.lstrip("+").isdigit() and len(originator) > 11):
        raise WireError(CODE_INVALID, "originator is too long", "originator")
    body = data.get("body")
    if not isinstance(body, str) or body == "":
        raise WireError(CODE_MISSING, "body is required", "body")
    recipients = _recipients(data.get("recipients"))
    mtype = data.get("type") or "sms"
    if mtype not in ("sms", "flash"):
        raise WireError(CODE_INVALID, f"type {str(mtype)[:20]!r} is not supported", "type")
    reference = data.get("reference")
    if reference is not None and not isinstance(reference, (str, int)):
        raise WireError(CODE_INVALID, "reference is invalid", "reference")
    report_url = data.get("reportUrl")
    if report_url is not None and (not isinstance(report_url, str)
                                   or not report_url.startswith(("http://", "https://"))):
        raise WireError(CODE_INVALID, "reportUrl is invalid", "reportUrl")
    datacoding = data.get("datacoding")
    if datacoding is not None and datacoding not in ("plain", "unicode", "auto"):
        raise WireError(CODE_INVALID, "datacoding is invalid", "datacoding")
    validity = data.get("validity")
    if validity is not None:
        try:
            validity = int(validity)
        except (TypeError, ValueError):
            raise WireError(CODE_INVALID, "validity is invalid", "validity") from None
    known = {"originator", "body", "recipients", "type", "reference", "reportUrl", "datacoding",
             "validity"}
    extra = {k: v for k, v in data.items() if k not in known and v is not None}
    return SendRequest(originator=originator, body=body, recipients=tuple(recipients),
                       reference=None if reference in (None, "") else str(reference),
                       report_url=report_url or None, datacoding=datacoding,
                       validity=validity, type=mtype, extra=extra)


# -- message JSON ---------------------------------------------------------------------------

def message_json(*, id: str, originator: str | None, body: str,
                 recipients: Iterable[tuple[str, Status | str, datetime | None]],
                 created_at: datetime | None, reference: str | None = None,
                 datacoding: str = "plain", validity: int | None = None,
                 href_base: str = DEFAULT_BASE_URL, mtype: str = "sms") -> dict[str, Any]:
    """The message JSON of send/fetch/list: ``recipients`` are (E.164, status, when)."""
    items = []
    counts = {"sent": 0, "delivered": 0, "failed": 0}
    for number, status, when in recipients:
        word = status_to_wire(status)
        if word in ("sent", "buffered", "delivered", "delivery_failed", "expired"):
            counts["sent"] += 1
        if word == "delivered":
            counts["delivered"] += 1
        if word == "delivery_failed":
            counts["failed"] += 1
        digits = msisdn(number)
        item: dict[str, Any] = {
            "recipient": int(digits) if digits.isdigit() else digits,
            "status": word,
            "statusDatetime": format_datetime(when or created_at),
        }
        reason = _STATUS_REASON.get(Status(status))
        if reason:
            item["statusReason"] = reason
        items.append(item)
    return {
        "id": id,
        "href": f"{href_base.rstrip('/')}/messages/{id}",
        "direction": "mt",
        "type": mtype,
        "originator": originator,
        "body": body,
        "reference": reference,
        "validity": validity,
        "gateway": 10,
        "typeDetails": {},
        "datacoding": datacoding,
        "mclass": 1,
        "scheduledDatetime": None,
        "createdDatetime": format_datetime(created_at),
        "recipients": {
            "totalCount": len(items),
            "totalSentCount": counts["sent"],
            "totalDeliveredCount": counts["delivered"],
            "totalDeliveryFailedCount": counts["failed"],
            "items": items,
        },
    }


def parse_message(data: Any) -> ParsedMessage:
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise ProviderError("MessageBird reply has no message id")
    raw_recipients = data.get("recipients")
    recipients = raw_recipients if isinstance(raw_recipients, Mapping) else {}
    raw_items = recipients.get("items")
    items = raw_items if isinstance(raw_items, list) else []
    pairs = []
    first_word = None
    first_at = None
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        word = item.get("status") if isinstance(item.get("status"), str) else None
        pairs.append((e164(item.get("recipient", "")), word))
        if i == 0:
            first_word = word
            first_at = parse_datetime(item.get("statusDatetime"))
    return ParsedMessage(id=data["id"], status=status_from_wire(first_word), status_word=first_word,
                         status_at=first_at, created_at=parse_datetime(data.get("createdDatetime")),
                         recipients=tuple(pairs), raw=data,
                         body=data.get("body") if isinstance(data.get("body"), str) else None,
                         reference=data.get("reference") if isinstance(data.get("reference"), str) else None)


def list_json(items: list[dict[str, Any]], *, offset: int, limit: int, total: int,
              href_base: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    base = f"{href_base.rstrip('/')}/messages"

    def link(off: int) -> str:
        return f"{base}?offset={max(off, 0)}&limit={limit}"

    last = max(((total - 1) // limit) * limit, 0) if limit else 0
    return {
        "offset": offset, "limit": limit, "count": len(items), "totalCount": total,
        "links": {
            "first": link(0),
            "previous": link(offset - limit) if offset > 0 else None,
            "next": link(offset + limit) if offset + limit < total else None,
            "last": link(last),
        },
        "items": items,
    }


def parse_list(data: Any) -> list[ParsedMessage]:
    items = data.get("items") if isinstance(data, Mapping) else None
    return [parse_message(m) for m in items or [] if isinstance(m, Mapping)]


def list_query(*, limit: int, offset: int) -> dict[str, str]:
    """One page of ``GET /messages`` (newest first; MessageBird filters by status only)."""
    return {"limit": str(limit), "offset": str(offset)}


def parse_list_page(data: Any) -> tuple[list[ParsedMessage], bool]:
    """``(messages, more)`` of a list reply: ``more`` when ``links.next`` is set.
    Raises ProviderError when the reply is no list."""
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        raise ProviderError("MessageBird's list reply has no items")
    found = []
    for item in data["items"]:
        try:
            found.append(parse_message(item))
        except ProviderError:
            continue
    links = data.get("links")
    return found, isinstance(links, Mapping) and bool(links.get("next"))


# -- balance ----------------------------------------------------------------------------------

def balance_json(amount: Decimal | float, unit: str = "credits", payment: str = "prepaid") -> dict[str, Any]:
    return {"payment": payment, "type": unit, "amount": float(amount)}


def parse_balance(data: Any) -> tuple[Decimal, str]:
    if not isinstance(data, Mapping) or data.get("amount") is None:
        raise ProviderError("MessageBird balance reply has no amount")
    try:
        amount = Decimal(str(data["amount"]))
    except (InvalidOperation, ValueError):
        raise ProviderError("MessageBird balance reply has an unreadable amount") from None
    raw_unit = data.get("type")
    unit = raw_unit if isinstance(raw_unit, str) else "credits"
    return amount, unit


# -- errors -------------------------------------------------------------------------------------

def errors_json(errors: Iterable[tuple[int, str, str | None]]) -> dict[str, Any]:
    return {"errors": [{"code": c, "description": d, "parameter": p} for c, d, p in errors]}


def parse_errors(data: Any) -> list[tuple[int | None, str, str | None]]:
    errors = data.get("errors") if isinstance(data, Mapping) else None
    out = []
    for e in errors or []:
        if not isinstance(e, Mapping):
            continue
        code = e.get("code")
        out.append((code if isinstance(code, int) else None, str(e.get("description") or ""),
                    e.get("parameter") if isinstance(e.get("parameter"), str) else None))
    return out


def error_for_reply(http_status: int, data: Any, *, backend: str | None = None) -> SmsBridgeError:
    """The smsbridge error a MessageBird error reply proves."""
    errors = parse_errors(data)
    code, description, parameter = errors[0] if errors else (None, "", None)
    text = description or f"MessageBird answered HTTP {http_status}"
    if http_status == 401 or code == CODE_AUTH:
        return AuthenticationError(text, code=code if code is not None else http_status, backend=backend)
    if code == CODE_NO_BALANCE:
        return InsufficientCredit(text, code=code, backend=backend)
    if code == CODE_NOT_FOUND or (http_status == 404 and code is None):
        return NotFound(text)
    if parameter == "recipients" and code in (CODE_MISSING, CODE_INVALID):
        return InvalidNumber(text)
    if code in (CODE_MISSING, CODE_INVALID) and parameter in ("body", "originator"):
        return InvalidMessage(text)
    if http_status in (429, 503):
        return ProviderUnavailable(text, code=code if code is not None else http_status, backend=backend)
    # Other codes (21, 98, 99, unknown): the provider answered with an error; whether it
    # accepted anything is not documented, so not retry-safe.
    return ProviderError(text, code=code if code is not None else http_status, backend=backend)


def error_for_exception(exc: BaseException) -> WireError:
    """How a MessageBird face reports an smsbridge error (401/404/422 only, see module doc)."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, InvalidNumber):
        return WireError(CODE_MISSING, "no (correct) recipients found", "recipients")
    if isinstance(exc, InvalidMessage):
        parameter = "originator" if "sender" in message.lower() else "body"
        return WireError(CODE_INVALID, message, parameter)
    if isinstance(exc, NotFound):
        return WireError(CODE_NOT_FOUND, "message not found", None, http_status=404)
    if isinstance(exc, InsufficientCredit):
        return WireError(CODE_NO_BALANCE, "Not enough balance", None)
    # Upstream trouble (including the upstream refusing *our* credentials) is an internal
    # error from the caller's point of view.
    return WireError(CODE_INTERNAL, "Internal error: " + message, None)


# -- delivery reports -------------------------------------------------------------------------

def report_query(*, id: str, recipient: str, status: Status | str, at: datetime | None,
                 reference: str | None = None, error_code: str | None = None,
                 message_part_count: int | None = None) -> dict[str, str]:
    """The query parameters of the delivery-report GET to ``reportUrl``."""
    query = {
        "id": id,
        "reference": reference or "",
        "recipient": msisdn(recipient),
        "status": status_to_wire(status),
        "statusDatetime": format_datetime(at or datetime.now(timezone.utc)) or "",
    }
    reason = _STATUS_REASON.get(Status(status))
    if reason:
        query["statusReason"] = reason
    if error_code:
        query["statusErrorCode"] = str(error_code)
    if message_part_count:
        query["messagePartCount"] = str(message_part_count)
    return query


def parse_report(query: Mapping[str, str]) -> tuple[str, str, Status, datetime | None]:
    """(id, recipient E.164, status, when) from a delivery-report query."""
    mid = query.get("id")
    if not mid:
        raise WireError(CODE_MISSING, "id is required", "id")
    return (mid, e164(query.get("recipient", "")), status_from_wire(query.get("status")),
            parse_datetime(query.get("statusDatetime")))
