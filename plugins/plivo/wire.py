"""Plivo's Message API (``/v1/Account/{auth_id}/Message/``), written once.

Pure functions, no I/O (shared/providers.md §4):

- auth: HTTP Basic ``auth_id:auth_token``; ``auth_id`` is ``MA``/``SA`` + 18 characters
  (the SDK refuses anything else before sending); JSON request bodies, every path ends
  with ``/``;
- send -> **202** ``{"api_id","message":"message(s) queued","message_uuid":[uuid]}``;
  fetch -> message object (``message_state``, ``units``, ``error_code`` "000"…); list ->
  ``{"api_id","meta":{limit,next,offset,previous,total_count},"objects":[…]}``;
  account -> ``cash_credits`` as a string;
- errors ``{"api_id","error"}`` with the HTTP status choosing the SDK's exception class;
- status callback: form POST (or GET query) to ``url`` with ``MessageUUID, To, From,
  Status, Units, ErrorCode, …``.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from smsbridge.model import Status

__all__ = [
    "DEFAULT_BASE_URL", "WireError", "SendRequest", "ParsedMessage", "STATUS_FROM_WIRE",
    "status_from_wire", "status_to_wire", "new_uuid", "is_uuid", "is_auth_id", "uuid_for",
    "message_id_in_uuid", "error_code_for",
    "account_path", "message_path", "message_detail_path", "build_send", "parse_send_request",
    "send_reply", "parse_send_reply", "message_object", "parse_message", "list_reply",
    "account_reply", "parse_account", "error_json", "error_for_reply", "error_for_exception",
    "callback_params", "parse_callback", "signature_v3", "format_time", "parse_time",
]

DEFAULT_BASE_URL = "https://api.plivo.com"

STATUS_FROM_WIRE: Mapping[str, Status] = {
    "queued": Status.QUEUED,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.DELIVERED,
    "received": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
    "rejected": Status.REJECTED,
    "expired": Status.EXPIRED,
}
_STATUS_TO_WIRE: Mapping[Status, str] = {
    Status.QUEUED: "queued",
    Status.SENT: "sent",
    Status.DELIVERED: "delivered",
    Status.UNDELIVERED: "undelivered",
    Status.FAILED: "failed",
    Status.REJECTED: "rejected",
    Status.EXPIRED: "undelivered",
    Status.UNKNOWN: "queued",
    Status.SCHEDULED: "queued",
    Status.CANCELED: "failed",
}
# Plivo SMS error codes (docs "Message error codes") for final non-delivered states.
_ERROR_CODE: Mapping[Status, str] = {
    Status.UNDELIVERED: "70",   # destination permanently unavailable
    Status.FAILED: "1000",      # unknown error
    Status.REJECTED: "100",     # prohibited by carrier
    Status.EXPIRED: "420",      # message expired
}

_AUTH_ID_RE = re.compile(r"^(MA|SA)[A-Za-z0-9]{18}$")
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SANITIZE_RE = re.compile(r"[\s/\-.+()]")


class WireError(Exception):
    """A request a Plivo face must refuse with ``{"api_id","error"}`` and ``http_status``."""

    def __init__(self, http_status: int, error: str) -> None:
        super().__init__(error)
        self.http_status = http_status
        self.error = error


@dataclass(frozen=True)
class SendRequest:
    src: str | None
    dst: tuple[str, ...]
    text: str
    url: str | None = None
    method: str = "POST"
    type: str = "sms"
    powerpack_uuid: str | None = None


@dataclass(frozen=True)
class ParsedMessage:
    uuid: str
    status: Status
    state: str | None
    to: str | None
    units: int | None
    error_code: str | None
    time: datetime | None
    raw: Mapping[str, Any]


def status_from_wire(word: str | None) -> Status:
    return STATUS_FROM_WIRE.get((word or "").strip().lower(), Status.UNKNOWN)


def status_to_wire(status: Status | str) -> str:
    return _STATUS_TO_WIRE.get(Status(status), "queued")


def error_code_for(status: Status | str) -> str | None:
    """Plivo's ``error_code`` for a final non-delivered status (``None`` otherwise)."""
    return _ERROR_CODE.get(Status(status))


def new_uuid() -> str:
    return str(uuid.uuid4())


def is_uuid(value: str) -> bool:
    return isinstance(value, str) and bool(_UUID_RE.match(value))


UUID_SHAPE = ids.Uuid4(salt="plivo:")
"""A message as a Plivo message UUID (version 4 shape) carrying the message id (:mod:`smsbridge.ids`)."""


def uuid_for(message_id: str) -> str:
    """The Plivo message UUID (version 4 shape) smsbridge shows for one of its messages.

    Deterministic and reversible by :func:`message_id_in_uuid`: the UUID's free digits
    carry the message id and a check.
    """
    return UUID_SHAPE.id_for(message_id)


def message_id_in_uuid(value: str) -> str | None:
    """The smsbridge id carried by :func:`uuid_for`'s UUID, or ``None``."""
    return UUID_SHAPE.message_id_in(value)


def is_auth_id(value: str) -> bool:
    return bool(_AUTH_ID_RE.match(value or ""))


def format_time(when: datetime | None) -> str | None:
    """Plivo's ``message_time`` style: ``2024-05-01 10:11:12.123456+00:00``."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(sep=" ")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# -- paths -------------------------------------------------------------------------------------

def account_path(auth_id: str) -> str:
    return f"v1/Account/{auth_id}/"


def message_path(auth_id: str) -> str:
    return f"v1/Account/{auth_id}/Message/"


def message_detail_path(auth_id: str, message_uuid: str) -> str:
    return f"v1/Account/{auth_id}/Message/{message_uuid}/"


# -- send -----------------------------------------------------------------------------------------

def _digits(number: str) -> str:
    return _SANITIZE_RE.sub("", number)


def digits_of(number: str) -> str:
    """A number as Plivo writes it: digits only (``src``/``dst``/``to_number``)."""
    return _digits(number)


def build_send(src: str, dst: str | Sequence[str], text: str, *, url: str | None = None,
               method: str = "POST") -> dict[str, Any]:
    """The JSON body of a send, as the SDK writes it (note ``log`` is the *string* "true")."""
    numbers = [dst] if isinstance(dst, str) else list(dst)
    body: dict[str, Any] = {"src": _digits(src) if src.lstrip("+").isdigit() else src,
                            "dst": "<".join(_digits(n) for n in numbers), "text": text,
                            "type": "sms", "method": method, "log": "true", "trackable": False}
    if url:
        body["url"] = url
    return body


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def parse_send_request(data: Any) -> SendRequest:
    """Read a send body (JSON object or form fields); numbers come back E.164."""
    if not isinstance(data, Mapping):
        raise WireError(400, "invalid JSON body: expected an object")
    src = data.get("src")
    powerpack = data.get("powerpack_uuid")
    if src in (None, "") and powerpack in (None, ""):
        raise WireError(400, "src parameter not present")
    if src not in (None, "") and not isinstance(src, (str, int)):
        raise WireError(400, "src parameter is invalid")
    dst = data.get("dst")
    if isinstance(dst, int) and not isinstance(dst, bool):
        dst = str(dst)
    if not isinstance(dst, str) or not dst.strip():
        raise WireError(400, "dst parameter not present")
    numbers = []
    for part in dst.split("<"):
        digits = _digits(part)
        if not digits:
            continue
        if not digits.isdigit() or not 3 <= len(digits) <= 15:
            raise WireError(400, f"invalid dst parameter: {part.strip()[:20]}")
        numbers.append("+" + digits)
    if not numbers:
        raise WireError(400, "dst parameter not present")
    if len(numbers) > 1000:
        raise WireError(400, "too many destination numbers")
    mtype = data.get("type") or "sms"
    if mtype != "sms":
        raise WireError(400, f"type {str(mtype)[:20]} is not supported")
    text = data.get("text")
    if not isinstance(text, str) or text == "":
        raise WireError(400, "text parameter not present")
    url = data.get("url")
    if url in ("", None):
        url = None
    elif not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise WireError(400, "url parameter is invalid")
    method = data.get("method") or "POST"
    if not isinstance(method, str) or method.upper() not in ("GET", "POST"):
        raise WireError(400, "method parameter must be GET or POST")
    src_text = None if src in (None, "") else str(src).strip()
    if src_text is not None:
        digits = _digits(src_text)
        src_text = "+" + digits if digits.isdigit() else src_text
    return SendRequest(src=src_text, dst=tuple(numbers), text=text, url=url, method=method.upper(),
                       type=mtype, powerpack_uuid=str(powerpack) if powerpack else None)


def send_reply(api_id: str, uuids: Sequence[str], invalid: Sequence[str] = ()) -> dict[str, Any]:
    reply: dict[str, Any] = {"api_id": api_id, "message": "message(s) queued",
                             "message_uuid": list(uuids)}
    if invalid:
        reply["invalid_number"] = [_digits(n) for n in invalid]
    return reply


def parse_send_reply(data: Any) -> list[str]:
    uuids = data.get("message_uuid") if isinstance(data, Mapping) else None
    if isinstance(uuids, str):
        uuids = [uuids]
    if not isinstance(uuids, list) or not uuids or not all(isinstance(u, str) for u in uuids):
        raise ProviderError("Plivo reply has no message_uuid")
    return list(uuids)


# -- message objects ------------------------------------------------------------------------------

def message_object(*, auth_id: str, message_uuid: str, to: str, sender: str | None,
                   status: Status | str, time: datetime | None, units: int = 1,
                   error_code: str | None = None, rate: str = "0.00500",
                   country_iso2: str | None = None) -> dict[str, Any]:
    amount = Decimal(rate) * units
    return {
        "api_id": None,
        "error_code": error_code if error_code is not None else (error_code_for(status) or "000"),
        "from_number": _digits(sender) if sender and sender.lstrip("+").isdigit() else sender,
        "message_direction": "outbound",
        "message_state": status_to_wire(status),
        "message_time": format_time(time),
        "message_type": "sms",
        "message_uuid": message_uuid,
        "resource_uri": "/" + message_detail_path(auth_id, message_uuid),
        "to_number": _digits(to),
        "total_amount": f"{amount:.5f}",
        "total_rate": rate,
        "units": units,
        "destination_country_iso2": country_iso2,
        "powerpack_id": None,
        "requester_ip": "127.0.0.1",
        "is_domestic": False,
        "replaced_sender": "",
        "tendlc_campaign_id": None,
        "tendlc_registration_status": None,
        "conversation_id": "",
        "conversation_origin": "",
        "conversation_expiration_timestamp": "",
    }


def parse_message(data: Any) -> ParsedMessage:
    if not isinstance(data, Mapping) or not isinstance(data.get("message_uuid"), str):
        raise ProviderError("Plivo reply has no message_uuid")
    units = data.get("units")
    try:
        units = int(units) if units is not None else None
    except (TypeError, ValueError):
        units = None
    code = data.get("error_code")
    to = data.get("to_number")
    return ParsedMessage(uuid=data["message_uuid"], status=status_from_wire(data.get("message_state")),
                         state=data.get("message_state"), to=("+" + str(to)) if to else None,
                         units=units, error_code=None if code in (None, "", "000") else str(code),
                         time=parse_time(data.get("message_time")), raw=data)


def list_query(dst: str, *, after: datetime | None, before: datetime | None, limit: int = 20,
               offset: int = 0) -> dict[str, str]:
    """A message list to ``dst`` within a time window (``message_time__gte``/``__lte``, UTC,
    as the SDK's ``message_time__gte=`` sends it), outbound only."""
    query = {"to_number": _digits(dst), "message_direction": "outbound", "limit": str(limit),
             "offset": str(offset)}
    if after is not None:
        query["message_time__gte"] = after.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if before is not None:
        query["message_time__lte"] = before.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return query


def parse_list(data: Any) -> tuple[list[ParsedMessage], bool]:
    """``(messages, more)`` of a list reply (``more``: ``meta.next`` is set).
    Raises ProviderError when the reply is no list."""
    if not isinstance(data, Mapping) or not isinstance(data.get("objects"), list):
        raise ProviderError("Plivo's list reply has no objects")
    found = []
    for item in data["objects"]:
        try:
            found.append(parse_message(item))
        except ProviderError:
            continue
    meta = data.get("meta")
    return found, isinstance(meta, Mapping) and bool(meta.get("next"))


def sender_of(parsed: ParsedMessage) -> str | None:
    """The ``from_number`` of a listed message, as digits (or the alphanumeric sender)."""
    value = parsed.raw.get("from_number")
    return str(value) if value not in (None, "") else None


def list_reply(api_id: str, auth_id: str, objects: list[dict[str, Any]], *, limit: int, offset: int,
               total: int) -> dict[str, Any]:
    base = "/" + message_path(auth_id)
    nxt = f"{base}?limit={limit}&offset={offset + limit}" if offset + limit < total else None
    prev = f"{base}?limit={limit}&offset={max(offset - limit, 0)}" if offset > 0 else None
    return {"api_id": api_id,
            "meta": {"limit": limit, "next": nxt, "offset": offset, "previous": prev,
                     "total_count": total},
            "objects": objects}


# -- account ----------------------------------------------------------------------------------------

def account_reply(api_id: str, auth_id: str, cash_credits: Decimal | str, *, name: str = "smsbridge",
                  unit: str = "USD") -> dict[str, Any]:
    try:
        credits = f"{Decimal(str(cash_credits)):.5f}"
    except InvalidOperation:
        credits = str(cash_credits)
    return {
        "account_type": "standard", "address": "", "api_id": api_id, "auth_id": auth_id,
        "auto_recharge": False, "billing_mode": "prepaid", "cash_credits": credits, "city": "",
        "name": name, "resource_uri": "/" + account_path(auth_id), "state": "",
        "timezone": "UTC", "currency": unit,
    }


def parse_account(data: Any) -> Decimal:
    credits = data.get("cash_credits") if isinstance(data, Mapping) else None
    try:
        return Decimal(str(credits))
    except (InvalidOperation, ValueError):
        raise ProviderError("Plivo account reply has no readable cash_credits") from None


# -- errors -------------------------------------------------------------------------------------------

def error_json(api_id: str, error: str) -> dict[str, Any]:
    return {"api_id": api_id, "error": error}


def error_for_reply(http_status: int, data: Any, *, backend: str | None = None) -> SmsBridgeError:
    """The smsbridge error a Plivo error reply proves (the HTTP status decides, as in the SDK)."""
    text = data.get("error") if isinstance(data, Mapping) else None
    if isinstance(text, Mapping):  # some endpoints nest {"error": {"field": "reason"}}
        text = "; ".join(f"{k}: {v}" for k, v in text.items())
    text = str(text or f"Plivo answered HTTP {http_status}")
    lowered = text.lower()
    if http_status == 401:
        return AuthenticationError(text, code=401, backend=backend)
    if http_status == 402 or "insufficient" in lowered or "credit" in lowered:
        return InsufficientCredit(text, code=http_status, backend=backend)
    if http_status == 404:
        return NotFound(text)
    if http_status == 400 and "dst" in lowered:
        return InvalidNumber(text)
    if http_status == 400 and ("text" in lowered or "src" in lowered):
        return InvalidMessage(text)
    if http_status in (429, 503):
        return ProviderUnavailable(text, code=http_status, backend=backend)
    return ProviderError(text, code=http_status, backend=backend)


def error_for_exception(exc: BaseException) -> WireError:
    """How a Plivo face reports an smsbridge error: the status picks the SDK's class."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, InvalidNumber):
        return WireError(400, f"invalid dst parameter: {message}")
    if isinstance(exc, InvalidMessage):
        return WireError(400, message)
    if isinstance(exc, NotFound):
        return WireError(404, "not found")
    if isinstance(exc, InsufficientCredit):
        return WireError(402, "insufficient credit")
    if isinstance(exc, ProviderUnavailable):
        return WireError(503, "service unavailable: " + message)
    return WireError(500, "server error: " + message)


# -- status callbacks --------------------------------------------------------------------------------

def callback_params(*, message_uuid: str, to: str, sender: str | None, status: Status | str,
                    units: int = 1, at: datetime | None = None, queued_at: datetime | None = None,
                    rate: str = "0.00500") -> dict[str, str]:
    """The form fields of a status callback to the ``url`` given at send."""
    now = at or datetime.now(timezone.utc)
    params = {
        "MessageUUID": message_uuid,
        "To": _digits(to),
        "From": (_digits(sender) if sender and sender.lstrip("+").isdigit() else sender) or "",
        "Type": "sms",
        "Status": status_to_wire(status),
        "Units": str(units),
        "TotalRate": rate,
        "TotalAmount": f"{Decimal(rate) * units:.5f}",
        "MCC": "", "MNC": "",
        "ParentMessageUUID": message_uuid,
        "PartInfo": f"1 of {units}" if units > 1 else "",
        "Sequence": "1",
        "MessageTime": (format_time(queued_at or now) or "").replace("+00:00", ""),
        "QueuedTime": (format_time(queued_at or now) or "").replace("+00:00", ""),
        "SentTime": (format_time(now) or "").replace("+00:00", ""),
        "DeliveryReportTime": (format_time(now) or "").replace("+00:00", ""),
    }
    code = error_code_for(status)
    if code:
        params["ErrorCode"] = code
    return params


def signature_v3(method: str, url: str, params: Mapping[str, str], nonce: str, auth_token: str) -> str:
    """``X-Plivo-Signature-V3`` for a callback, as ``plivo.utils.signature_v3`` checks it:
    base64(HMAC-SHA256(auth_token, base + "." + nonce)) where, for POST, base is the URL
    (query sorted) + "?" + the sorted ``name+value`` pairs, and for GET the URL with the
    parameters merged into its sorted query."""
    import base64
    from urllib.parse import parse_qs, urlsplit, urlunsplit

    parts = urlsplit(url)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = {k: v for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

    def sorted_query(items: Mapping[str, Any]) -> str:
        out = []
        for key in sorted(items):
            value = items[key]
            if isinstance(value, list):
                out.append("&".join(f"{key}={v}" for v in sorted(value)))
            else:
                out.append(f"{key}={value}")
        return "&".join(out)

    if method.upper() == "GET":
        merged: dict[str, Any] = dict(params)
        merged.update(query)
        qs = sorted_query(merged)
        base = bare + ("?" + qs if qs else "")
    else:
        qs = sorted_query(query)
        base = bare
        if params:
            base += "?" + qs + ("." if qs else "")
        elif qs:
            base += "?" + qs
        base += "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), f"{base}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def parse_callback(params: Mapping[str, str]) -> tuple[str, Status, str | None]:
    """(MessageUUID, status, ErrorCode) from a status callback."""
    mid = params.get("MessageUUID")
    if not mid:
        raise WireError(400, "MessageUUID missing")
    code = params.get("ErrorCode") or None
    return mid, status_from_wire(params.get("Status")), code
