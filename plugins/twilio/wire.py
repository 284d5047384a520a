"""Twilio's Programmable Messaging wire format, written once (shared/providers.md §1).

Pure functions, no I/O.  Both directions live here, so what the backend writes is what
the gateway face reads, and what the face renders is what the backend parses:

=====================  ==========================  ===========================
                       client side (backend.py)    server side (gateway.py)
=====================  ==========================  ===========================
create request         :func:`create_form`         :func:`parse_create_form`
message JSON           :func:`parse_message`       :func:`render_message`
list JSON              (SDK only)                  :func:`render_list`
error JSON             :func:`error_from_reply`    :func:`render_error`,
                                                   :func:`reply_for_error`
balance JSON           :func:`parse_balance`       :func:`render_balance`
status callback        :func:`parse_status_callback`  :func:`status_callback_form`,
                                                   :func:`signature`
=====================  ==========================  ===========================

Twilio quirks that are the contract (verified against twilio 9.13, providers.md §1):

- requests are ``application/x-www-form-urlencoded``; replies are JSON;
- dates are RFC 2822 (``"Wed, 18 Aug 2010 20:01:40 +0000"``); ``num_segments`` and
  ``num_media`` are *strings*; ``price`` is a string or null;
- create answers 201, list answers exactly 200 and needs its paging keys;
- an error body must never carry both ``type`` and ``title`` (the SDK would raise
  ``TwilioServiceException`` instead of ``TwilioRestException``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from smsbridge import ids
from smsbridge.errors import (
    AuthenticationError,
    DeliveryUnknown,
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
    "API_VERSION", "ACCOUNT_SID_RE", "MESSAGE_SID_RE",
    "messages_path", "message_path", "balance_path",
    "sid_for", "message_id_in_sid", "is_message_sid",
    "to_status", "from_status", "default_error_code",
    "create_form", "CreateRequest", "parse_create_form", "WireError",
    "render_message", "parse_message", "ParsedMessage",
    "render_list", "page_window",
    "render_error", "error_from_reply", "reply_for_error", "more_info",
    "render_balance", "parse_balance",
    "status_callback_form", "parse_status_callback", "signature",
    "rfc2822", "parse_rfc2822",
]

API_VERSION = "2010-04-01"
ACCOUNT_SID_RE = re.compile(r"^AC[0-9a-fA-F]{32}$")
MESSAGE_SID_RE = re.compile(r"^(?:SM|MM)[0-9a-f]{32}$")

# Twilio's documented ceiling for a message body (error 21617).
MAX_BODY_CHARS = 1600

# Error codes (https://www.twilio.com/docs/api/errors/<code>).
E_AUTHENTICATE = 20003
E_NOT_FOUND = 20404
E_METHOD_NOT_ALLOWED = 20004
E_INVALID_PARAMETER = 21200     # generic "invalid parameter" (used for unsupported options)
E_ACCOUNT_NOT_ACTIVE = 20005    # also what an account without funds gets
E_TOO_MANY_REQUESTS = 20429
E_INTERNAL = 20500
E_UNAVAILABLE = 20503
E_INVALID_TO = 21211
E_INVALID_FROM = 21212
E_TO_REQUIRED = 21604
E_FROM_REQUIRED = 21603
E_BODY_REQUIRED = 21602
E_BODY_TOO_LONG = 21617
E_MEDIA_UNSUPPORTED = 21620
E_FILTERED = 30007

_INVALID_NUMBER_CODES = frozenset({21211, 21214, 21217, 21401, 21407, 21421, 21604, 21614, 21635})
_INVALID_MESSAGE_CODES = frozenset({21212, 21602, 21603, 21606, 21617, 21619, 21620, 21659, 30007})
_CREDIT_CODES = frozenset({20005, 10001, 30002})
_THROTTLE_CODES = frozenset({20429, 14107, 30001})


# --------------------------------------------------------------------------- paths and ids

def messages_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"


def message_path(account_sid: str, sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"


def balance_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Balance.json"


SID_SHAPE = ids.PrefixedHex("SM", salt="", accept=("MM",), keep_hex=True)
"""A message as a Twilio sid: ``SM`` + 32 hex carrying the message id (:mod:`smsbridge.ids`)."""


def sid_for(message_id: str) -> str:
    """The Twilio-shaped sid (``SM`` + 32 hex) smsbridge shows for one of its messages.

    Deterministic, so the SDK shim and the gateway face show the *same* sid for the same
    message, and reversible by :func:`message_id_in_sid` without any lookup
    (:data:`SID_SHAPE` carries the id).  Ids smsbridge did not make are hashed; the
    gateway also stores every sid -> id alias in the journal, which covers them.
    """
    return SID_SHAPE.id_for(message_id)


def message_id_in_sid(sid: str) -> str | None:
    """The smsbridge id carried by a sid made by :func:`sid_for`, or None.

    A hashed sid (ids in another format) gives None: look it up in the journal's aliases.
    """
    return SID_SHAPE.message_id_in(sid)


def is_message_sid(value: str) -> bool:
    return isinstance(value, str) and bool(MESSAGE_SID_RE.match(value))


# --------------------------------------------------------------------------- status words

_TO_STATUS: dict[str, Status] = {
    "queued": Status.QUEUED, "accepted": Status.QUEUED, "scheduled": Status.SCHEDULED,
    "sending": Status.QUEUED, "receiving": Status.QUEUED,
    "sent": Status.SENT, "partially_delivered": Status.SENT,
    "delivered": Status.DELIVERED, "read": Status.DELIVERED, "received": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
    "canceled": Status.CANCELED,
}

# Twilio has no "expired", "rejected" or "unknown": expired means no handset got it in
# time (Twilio says undelivered), a provider refusal is Twilio's failed, and a message
# whose fate is unknown (DeliveryUnknown) is still in flight as far as a caller can tell.
_FROM_STATUS: dict[Status, str] = {
    Status.QUEUED: "queued", Status.SENT: "sent", Status.DELIVERED: "delivered",
    Status.UNDELIVERED: "undelivered", Status.FAILED: "failed",
    Status.EXPIRED: "undelivered", Status.REJECTED: "failed", Status.UNKNOWN: "sending",
    Status.SCHEDULED: "scheduled", Status.CANCELED: "canceled",
}


def to_status(word: str | None) -> Status:
    """Twilio's status word -> :class:`Status` (unknown words -> ``Status.UNKNOWN``)."""
    return _TO_STATUS.get(str(word or "").strip().lower(), Status.UNKNOWN)


def from_status(status: Status | str) -> str:
    """:class:`Status` -> the Twilio word a Twilio SDK user expects."""
    try:
        return _FROM_STATUS[Status(status)]
    except ValueError:
        return "sending"


def default_error_code(status: Status | str) -> int:
    """The Twilio error code shown for a failed message whose provider gave none.

    Twilio always pairs ``undelivered`` with a carrier code: 30003 (unreachable handset);
    ``failed`` with 30008 (unknown error).
    """
    try:
        st = Status(status)
    except ValueError:
        return 30008
    return 30003 if st in (Status.UNDELIVERED, Status.EXPIRED) else 30008


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


# --------------------------------------------------------------------------- dates

def rfc2822(moment: datetime | None) -> str | None:
    """``Wed, 18 Aug 2010 20:01:40 +0000`` (Twilio's date format), always UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0))


def parse_rfc2822(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


# --------------------------------------------------------------------------- create

class WireError(Exception):
    """A request the face must refuse: rendered with :func:`render_error`."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def create_form(to: str, body: str, *, sender: str | None = None, status_callback: str | None = None,
                messaging_service_sid: str | None = None, validity_period: int | None = None) -> dict[str, str]:
    """The form the Twilio SDK (and our backend) posts to ``Messages.json``."""
    form: dict[str, str] = {"To": to, "Body": body}
    if sender:
        form["From"] = sender
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if status_callback:
        form["StatusCallback"] = status_callback
    if validity_period is not None:
        form["ValidityPeriod"] = str(int(validity_period))
    return form


@dataclass(frozen=True)
class CreateRequest:
    """A parsed create request: what the face hands to the Bridge."""

    to: str
    body: str
    sender: str | None = None
    status_callback: str | None = None
    messaging_service_sid: str | None = None


def _one(form: Mapping[str, Any], key: str) -> str | None:
    """A single form value; repeated keys keep the last, like Twilio's frontend."""
    value = form.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None:
        return None
    return str(value)


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def parse_create_form(form: Mapping[str, Any]) -> CreateRequest:
    """Read a create form; raise :class:`WireError` with Twilio's own code when unusable.

    The number itself is validated by the Bridge (``InvalidNumber`` -> 21211), so here
    only presence is checked.  ``MediaUrl`` (MMS) is refused honestly: smsbridge sends
    SMS only.
    """
    for key in ("To", "From", "Body", "StatusCallback", "MessagingServiceSid"):
        value = _one(form, key)
        if value is not None and not _encodable(value):
            # only reachable from Python (the SDK shim): a form body is decoded strictly
            raise WireError(400, E_INVALID_PARAMETER, f"Invalid {key}: not valid Unicode text.")
    to = (_one(form, "To") or "").strip()
    if not to:
        raise WireError(400, E_TO_REQUIRED, "A 'To' phone number is required.")
    sender = (_one(form, "From") or "").strip() or None
    service = (_one(form, "MessagingServiceSid") or "").strip() or None
    if _one(form, "MediaUrl"):
        raise WireError(400, E_MEDIA_UNSUPPORTED,
                        "Media messages (MediaUrl) are not supported by this gateway; send SMS only.")
    body = _one(form, "Body")
    if body is None or body == "":
        raise WireError(400, E_BODY_REQUIRED, "Message body is required.")
    if len(body) > MAX_BODY_CHARS:
        raise WireError(400, E_BODY_TOO_LONG, "The concatenated message body exceeds the 1600 character limit.")
    callback = (_one(form, "StatusCallback") or "").strip() or None
    if callback and not callback.lower().startswith(("http://", "https://")):
        raise WireError(400, 21609, "The StatusCallback URL is not a valid URL.")
    return CreateRequest(to=to, body=body, sender=sender, status_callback=callback,
                         messaging_service_sid=service)


# --------------------------------------------------------------------------- message JSON

def render_message(*, account_sid: str, sid: str, to: str, body: str, status: Status | str,
                   sender: str | None = None, segments: int = 1, created_at: datetime | None = None,
                   updated_at: datetime | None = None, sent_at: datetime | None = None,
                   error_code: int | str | None = None, error_message: str | None = None,
                   messaging_service_sid: str | None = None, price: str | None = None,
                   price_unit: str = "USD") -> dict[str, Any]:
    """Twilio's message JSON, every key the SDK reads, with Twilio's value types."""
    word = from_status(status)
    created = created_at or updated_at
    updated = updated_at or created_at
    if sent_at is None and word in ("sent", "delivered", "undelivered", "read"):
        sent_at = updated
    code = _int_or_none(error_code)
    if code is None and word in ("failed", "undelivered"):
        code = default_error_code(status)
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": rfc2822(created),
        "date_sent": rfc2822(sent_at),
        "date_updated": rfc2822(updated),
        "direction": "outbound-api",
        "error_code": code,
        "error_message": error_message if code is not None or word in ("failed", "undelivered") else None,
        "from": sender,
        "messaging_service_sid": messaging_service_sid,
        "num_media": "0",
        "num_segments": str(int(segments or 1)),
        "price": price,
        "price_unit": price_unit,
        "sid": sid,
        "status": word,
        "subresource_uris": {
            "media": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}/Media.json",
        },
        "to": to,
        "uri": message_path(account_sid, sid),
    }


@dataclass(frozen=True)
class ParsedMessage:
    """What the backend keeps from a message JSON."""

    sid: str
    status: Status
    word: str
    segments: int | None
    to: str | None
    sender: str | None
    error_code: str | None
    error_message: str | None
    created_at: datetime | None
    updated_at: datetime | None
    body: str | None = None
    sent_at: datetime | None = None


def parse_message(payload: Any) -> ParsedMessage:
    """Read a message JSON (create or fetch reply). Raises ProviderError when it is not one."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("sid"), str) or not payload["sid"]:
        raise ProviderError("Twilio replied without a message sid")
    word = str(payload.get("status") or "")
    segments: int | None
    try:
        segments = int(str(payload.get("num_segments")))
    except ValueError:
        segments = None
    code = payload.get("error_code")
    return ParsedMessage(
        sid=payload["sid"], status=to_status(word), word=word, segments=segments,
        to=payload.get("to"), sender=payload.get("from"),
        error_code=None if code in (None, "") else str(code),
        error_message=payload.get("error_message"),
        created_at=parse_rfc2822(payload.get("date_created")),
        updated_at=parse_rfc2822(payload.get("date_updated")),
        body=payload.get("body") if isinstance(payload.get("body"), str) else None,
        sent_at=parse_rfc2822(payload.get("date_sent")),
    )


def list_query(to: str, *, sent_after: datetime | None = None, page_size: int = 100) -> dict[str, str]:
    """The query of a message list to one recipient, sent at or after ``sent_after``
    (Twilio's ``DateSent>`` filter, as the SDK's ``date_sent_after`` sends it)."""
    query = {"To": to, "PageSize": str(page_size)}
    if sent_after is not None:
        query["DateSent>"] = sent_after.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return query


def parse_list(payload: Any) -> tuple[list[ParsedMessage], str | None]:
    """``(messages, next_page_uri)`` of a list reply; raises ProviderError when it is none."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("messages"), list):
        raise ProviderError("Twilio's list reply has no messages")
    found = []
    for item in payload["messages"]:
        try:
            found.append(parse_message(item))
        except ProviderError:
            continue
    next_uri = payload.get("next_page_uri")
    return found, next_uri if isinstance(next_uri, str) and next_uri else None


# --------------------------------------------------------------------------- list JSON

def page_window(query: Mapping[str, Any], *, default_size: int = 50, max_size: int = 1000) -> tuple[int, int]:
    """``(page, page_size)`` from a list query; bad values raise :class:`WireError` 400."""
    def number(key: str, default: int, low: int, high: int) -> int:
        raw = _one(query, key)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise WireError(400, E_INVALID_PARAMETER, f"{key} must be an integer.") from None
        if not low <= value <= high:
            raise WireError(400, E_INVALID_PARAMETER, f"{key} must be between {low} and {high}.")
        return value

    size = number("PageSize", default_size, 1, max_size)
    page = number("Page", 0, 0, 10_000_000)
    return page, size


def render_list(messages: list[dict[str, Any]], *, account_sid: str, page: int, page_size: int,
                has_more: bool, filters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Twilio's list JSON: records under ``messages`` plus every paging key.

    ``next_page_uri`` is a path from the domain root (the SDK joins it to its base URL)
    and ``null`` on the last page.
    """
    base = messages_path(account_sid)
    kept = {k: v for k, v in (filters or {}).items() if v not in (None, "")}

    def uri(p: int) -> str:
        return base + "?" + urlencode({**kept, "PageSize": page_size, "Page": p})

    start = page * page_size
    return {
        "messages": messages,
        "end": start + max(len(messages) - 1, 0),
        "first_page_uri": uri(0),
        "next_page_uri": uri(page + 1) if has_more else None,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": uri(page - 1) if page > 0 else None,
        "start": start,
        "uri": uri(page),
    }


# --------------------------------------------------------------------------- errors

def more_info(code: int) -> str:
    return f"https://www.twilio.com/docs/errors/{code}"


def render_error(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's error JSON. Never ``type`` + ``title`` (providers.md §1.1)."""
    return {"code": int(code), "message": message, "more_info": more_info(int(code)), "status": int(status)}


def error_from_reply(http_status: int, payload: Any, *, backend: str | None = None,
                     sending: bool = False) -> SmsBridgeError:
    """The smsbridge error for a Twilio error reply (any status >= 400).

    Twilio creates nothing on a 4xx, so every 4xx is a refusal before acceptance; a 5xx
    on a send may follow acceptance (``DeliveryUnknown``), except 503 (refused).
    """
    code: int | None = None
    text = ""
    if isinstance(payload, Mapping):
        try:
            raw_code = payload.get("code")
            code = int(raw_code) if raw_code is not None else None
        except (TypeError, ValueError):
            code = None
        text = str(payload.get("message") or "")
    text = text or f"HTTP {http_status}"
    shown = code if code is not None else http_status
    if http_status == 401 or code == E_AUTHENTICATE:
        return AuthenticationError(f"Twilio refused the credentials: {text}", code=shown, backend=backend)
    if http_status in (429, 503) or code in _THROTTLE_CODES or code == E_UNAVAILABLE:
        return ProviderUnavailable(f"Twilio is not accepting messages now: {text}", code=shown, backend=backend)
    if code in _CREDIT_CODES:
        return InsufficientCredit(f"Twilio account cannot pay: {text}", code=shown, backend=backend)
    if code in _INVALID_NUMBER_CODES:
        return InvalidNumber(text)
    if code in _INVALID_MESSAGE_CODES:
        return InvalidMessage(text)
    if http_status == 404 or code == E_NOT_FOUND:
        return NotFound(text)
    if http_status >= 500:
        if sending:
            return DeliveryUnknown(f"Twilio answered HTTP {http_status} to a send: {text}",
                                   code=shown, backend=backend)
        return ProviderUnavailable(f"Twilio answered HTTP {http_status}: {text}", code=shown, backend=backend)
    return ProviderError(text, code=shown, backend=backend, pre_acceptance=True)


def reply_for_error(error: BaseException, *, to: str | None = None) -> tuple[int, dict[str, Any]]:
    """``(http_status, body)`` a Twilio face answers for an smsbridge error.

    The mapping is the inverse of :func:`error_from_reply`, so a Twilio backend talking
    to a Twilio face gets the error class the face's Bridge raised.  Upstream
    credential trouble is the gateway's, not the caller's: it is a 503, never a 401.
    """
    def reply(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
        return status, render_error(status, code, message)

    message = str(getattr(error, "message", None) or error)
    if isinstance(error, WireError):
        return reply(error.status, error.code, error.message)
    if isinstance(error, InvalidNumber):
        shown = to if to is not None else "given"
        return reply(400, E_INVALID_TO, f"The 'To' number {shown} is not a valid phone number.")
    if isinstance(error, InvalidMessage):
        lowered = message.lower()
        if "segment" in lowered or "too long" in lowered:
            return reply(400, E_BODY_TOO_LONG, f"The message body is too long: {message}")
        if "sender" in lowered or "from" in lowered:
            return reply(400, E_INVALID_FROM, f"The 'From' number is not valid: {message}")
        if "empty" in lowered:
            return reply(400, E_BODY_REQUIRED, "Message body is required.")
        return reply(400, E_FILTERED, f"Message filtered: {message}")
    if isinstance(error, NotFound):
        return reply(404, E_NOT_FOUND, "The requested resource was not found")
    if isinstance(error, InsufficientCredit):
        return reply(400, E_ACCOUNT_NOT_ACTIVE, "Account not active: insufficient funds to send the message.")
    if isinstance(error, DeliveryUnknown):
        where = f" (smsbridge id {error.message_id})" if getattr(error, "message_id", None) else ""
        return reply(502, E_INTERNAL, f"The message may have been sent; its delivery is unknown{where}.")
    if isinstance(error, (ProviderUnavailable, AuthenticationError)):
        return reply(503, E_UNAVAILABLE, "Service unavailable: no provider accepted the message; try again later.")
    if isinstance(error, ProviderError):
        if error.retry_safe:
            return reply(400, E_FILTERED, f"The provider refused the message: {message}")
        return reply(502, E_INTERNAL, f"The provider answered with an error: {message}")
    if isinstance(error, SmsBridgeError):
        return reply(400, E_INVALID_PARAMETER, message)
    return reply(500, E_INTERNAL, "Internal error")


# --------------------------------------------------------------------------- balance

def render_balance(account_sid: str, amount: Decimal | str | float, currency: str) -> dict[str, Any]:
    value = Decimal(str(amount))
    return {"account_sid": account_sid, "balance": f"{value:.2f}" if value == value.quantize(Decimal("0.01"))
            else str(value), "currency": currency}


def parse_balance(payload: Any) -> tuple[Decimal, str]:
    if not isinstance(payload, Mapping):
        raise ProviderError("Twilio balance reply is not a JSON object")
    try:
        amount = Decimal(str(payload.get("balance")))
    except (InvalidOperation, ValueError):
        raise ProviderError(f"Twilio balance is not a number: {payload.get('balance')!r}") from None
    return amount, str(payload.get("currency") or "USD")


# --------------------------------------------------------------------------- status callbacks

def status_callback_form(*, account_sid: str, sid: str, status: Status | str, to: str,
                         sender: str | None = None, error_code: int | str | None = None,
                         messaging_service_sid: str | None = None,
                         done_at: datetime | None = None) -> dict[str, str]:
    """The form Twilio POSTs to a message's ``StatusCallback`` on each status change."""
    word = from_status(status)
    form = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "MessageSid": sid,
        "MessageStatus": word,
        "SmsSid": sid,
        "SmsStatus": word,
        "To": to,
        "From": sender or "",
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if word in ("failed", "undelivered"):
        code = _int_or_none(error_code)
        form["ErrorCode"] = str(code if code is not None else default_error_code(status))
    if word in ("delivered", "undelivered") and done_at is not None:
        if done_at.tzinfo is None:
            done_at = done_at.replace(tzinfo=timezone.utc)
        form["RawDlrDoneDate"] = done_at.astimezone(timezone.utc).strftime("%y%m%d%H%M")
    return form


def parse_status_callback(form: Mapping[str, Any]) -> tuple[str, Status, str | None]:
    """``(sid, status, error_code)`` from a status callback form."""
    sid = _one(form, "MessageSid") or _one(form, "SmsSid") or ""
    word = _one(form, "MessageStatus") or _one(form, "SmsStatus")
    return sid, to_status(word), _one(form, "ErrorCode")


def signature(auth_token: str, url: str, params: Mapping[str, Any] | Iterable[tuple[str, str]]) -> str:
    """``X-Twilio-Signature``: base64(HMAC-SHA1(token, url + sorted name+value pairs)).

    Same algorithm as ``twilio.request_validator.RequestValidator.compute_signature``.
    """
    grouped: dict[str, set[str]] = {}
    for key, value in (params.items() if isinstance(params, Mapping) else params):
        values = value if isinstance(value, (list, tuple)) else [value]
        grouped.setdefault(str(key), set()).update("" if one is None else str(one) for one in values)
    data = url
    for key in sorted(grouped):
        for one in sorted(grouped[key]):
            data += key + one
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
