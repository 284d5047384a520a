"""MessageBird's payloads, written once: send requests, message JSON, lists, balance, reports.

Pure functions, no I/O: the backend (client side), the gateway face and the SDK shim
(server side) build and read MessageBird payloads here (shared/providers.md §3):

- send ``POST /messages`` -> **201** message JSON; fetch ``GET /messages/{id}``; list
  ``GET /messages?limit=&offset=&status=``; ``GET /balance``;
- ``recipients.items[].recipient`` is a JSON *number*;
- delivery reports are an HTTP **GET** to ``reportUrl`` with ``id, reference, recipient,
  status, statusDatetime`` (+ ``statusReason``, ``statusErrorCode``) in the query.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from smsbridge.errors import ProviderError
from smsbridge.model import Status
from smsbridge.wire import amount_in, readable

from .error_codes import CODE_BAD_REQUEST, CODE_INVALID, CODE_MISSING, WireError
from .vocabulary import DEFAULT_BASE_URL, STATUS_REASON, STATUSES, TIMES, e164, msisdn

__all__ = ["SendRequest", "ParsedMessage", "build_send", "parse_send_request", "parse_send_reply", "message_json",
           "parse_message", "list_json", "parse_list", "list_query", "parse_list_page", "balance_json",
           "parse_balance", "report_query", "parse_report"]

_DIGITS_RE = re.compile(r"^\d{3,15}$")


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


def _no_recipients() -> WireError:
    return WireError("no (correct) recipients found", code=CODE_MISSING, field="recipients")


def _recipients(value: Any) -> list[str]:
    if isinstance(value, (int,)) and not isinstance(value, bool):
        items: list[Any] = [value]
    elif isinstance(value, str):
        items = [p for p in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise _no_recipients()
    numbers = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise _no_recipients()
        text = str(item).strip()
        if not text:
            continue
        digits = text[1:] if text.startswith("+") else text
        if not _DIGITS_RE.match(digits):
            raise _no_recipients()
        numbers.append("+" + digits)
    if not numbers:
        raise _no_recipients()
    if len(numbers) > 50:  # the API's documented per-request maximum
        raise WireError("too many recipients (maximum 50)", code=CODE_INVALID, field="recipients")
    return numbers


def parse_send_request(data: Any) -> SendRequest:
    """Read a ``POST /messages`` body (JSON object, or form fields as a dict of strings)."""
    if not isinstance(data, Mapping):
        raise WireError("Request body must be a JSON object", code=CODE_BAD_REQUEST)
    originator = data.get("originator")
    if originator is None or (isinstance(originator, str) and not originator.strip()):
        raise WireError("originator is required", code=CODE_MISSING, field="originator")
    if not isinstance(originator, (str, int)) or isinstance(originator, bool):
        raise WireError("originator is invalid", code=CODE_INVALID, field="originator")
    originator = str(originator).strip()
    if len(originator) > 17 or (not originator.lstrip("+").isdigit() and len(originator) > 11):
        raise WireError("originator is too long", code=CODE_INVALID, field="originator")
    body = data.get("body")
    if not isinstance(body, str) or body == "":
        raise WireError("body is required", code=CODE_MISSING, field="body")
    recipients = _recipients(data.get("recipients"))
    mtype = data.get("type") or "sms"
    if mtype not in ("sms", "flash"):
        raise WireError(f"type {str(mtype)[:20]!r} is not supported", code=CODE_INVALID, field="type")
    reference = data.get("reference")
    if reference is not None and not isinstance(reference, (str, int)):
        raise WireError("reference is invalid", code=CODE_INVALID, field="reference")
    report_url = data.get("reportUrl")
    if report_url is not None and (not isinstance(report_url, str)
                                   or not report_url.startswith(("http://", "https://"))):
        raise WireError("reportUrl is invalid", code=CODE_INVALID, field="reportUrl")
    datacoding = data.get("datacoding")
    if datacoding is not None and datacoding not in ("plain", "unicode", "auto"):
        raise WireError("datacoding is invalid", code=CODE_INVALID, field="datacoding")
    validity = data.get("validity")
    if validity is not None:
        try:
            validity = int(validity)
        except (TypeError, ValueError):
            raise WireError("validity is invalid", code=CODE_INVALID, field="validity") from None
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
        word = STATUSES.from_status(status)
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
            "statusDatetime": TIMES.format(when or created_at),
        }
        reason = STATUS_REASON.get(Status(status))
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
        "createdDatetime": TIMES.format(created_at),
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
            first_at = TIMES.parse(item.get("statusDatetime"))
    return ParsedMessage(id=data["id"], status=STATUSES.to_status(first_word), status_word=first_word,
                         status_at=first_at, created_at=TIMES.parse(data.get("createdDatetime")),
                         recipients=tuple(pairs), raw=data,
                         body=data.get("body") if isinstance(data.get("body"), str) else None,
                         reference=data.get("reference") if isinstance(data.get("reference"), str) else None)


def parse_send_reply(data: Any) -> ParsedMessage:
    """The reply to ``POST /messages`` (the message JSON); raises ProviderError without an id."""
    return parse_message(data)


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
    found = readable(data, "items", parse_message, "MessageBird")
    links = data.get("links")
    return found, isinstance(links, Mapping) and bool(links.get("next"))


# -- balance ----------------------------------------------------------------------------------

def balance_json(amount: Decimal | float, unit: str = "credits", payment: str = "prepaid") -> dict[str, Any]:
    return {"payment": payment, "type": unit, "amount": float(amount)}


def parse_balance(data: Any) -> tuple[Decimal, str]:
    amount = amount_in(data, "amount", "MessageBird")
    raw_unit = data.get("type")
    unit = raw_unit if isinstance(raw_unit, str) else "credits"
    return amount, unit


# -- delivery reports -------------------------------------------------------------------------

def report_query(*, id: str, recipient: str, status: Status | str, at: datetime | None,
                 reference: str | None = None, error_code: str | None = None,
                 message_part_count: int | None = None) -> dict[str, str]:
    """The query parameters of the delivery-report GET to ``reportUrl``."""
    query = {
        "id": id,
        "reference": reference or "",
        "recipient": msisdn(recipient),
        "status": STATUSES.from_status(status),
        "statusDatetime": TIMES.format(at or datetime.now(timezone.utc)) or "",
    }
    reason = STATUS_REASON.get(Status(status))
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
        raise WireError("id is required", code=CODE_MISSING, field="id")
    return (mid, e164(query.get("recipient", "")), STATUSES.to_status(query.get("status")),
            TIMES.parse(query.get("statusDatetime")))
