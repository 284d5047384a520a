"""Vonage's (Nexmo's) SMS API wire format, written once (shared/providers.md §2).

Pure functions, no I/O.  Both directions live here:

=====================  ===========================  ============================
                       client side (backend.py)     server side (gateway.py)
=====================  ===========================  ============================
send request           :func:`send_params`          :func:`parse_send_params`
credentials            :func:`sign` (signature)     :func:`credentials_from`,
                                                    :func:`check_signature`
send reply             :func:`parse_send_reply`     :func:`render_send_reply`,
                                                    :func:`render_send_error`,
                                                    :func:`reply_for_error`
balance                :func:`parse_balance`        :func:`render_balance`
delivery receipt       :func:`parse_dlr`            :func:`render_dlr`
message search (2.x)   -                            :func:`render_search_message`
=====================  ===========================  ============================

Vonage quirks that are the contract (providers.md §2, verified with vonage 4.9.1):

- ``/sms/json`` answers **HTTP 200** even for refusals; the per-message ``status``
  decides ("0" accepted, "4" bad credentials, "9" no credit, ...);
- every value in the reply is a string, and ``message-count`` is always present (the
  4.x SDK reads it unconditionally);
- a long text is split: one ``messages`` entry, with its own ``message-id``, per part;
- ``to`` travels as bare digits (no ``+``).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

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
    "SEND_PATH", "BALANCE_PATH", "SEARCH_PATH",
    "message_ids_for", "SEND_FIELDS",
    "send_params", "SendRequest", "encodable", "parse_send_params", "WireError",
    "Credentials", "credentials_from", "sign", "check_signature", "SIGNATURE_TOLERANCE",
    "render_send_reply", "render_send_error", "reply_for_error", "parse_send_reply", "SendResult",
    "error_for_status", "error_from_http", "http_error_body", "ERROR_TEXT",
    "render_balance", "parse_balance",
    "dlr_status_word", "render_dlr", "parse_dlr", "DLR_TO_STATUS",
    "render_search_message",
]

SEND_PATH = "/sms/json"
BALANCE_PATH = "/account/get-balance"
SEARCH_PATH = "/search/message"

# Every key the SDKs may send to /sms/json (vonage_sms.SmsMessage's wire aliases, plus
# the credential keys).  The 4.x SDK signs over *all* of the message keys, even the
# unset ones, as the text "None" (see check_signature).
SEND_FIELDS = ("to", "from", "text", "sig", "client-ref", "type", "ttl", "status-report-req", "callback",
               "message-class", "body", "udh", "protocol-id", "account-ref", "entity-id", "content-id",
               "trusted-number")

# Timestamps of signed requests must be this close to the server's clock (Vonage: 5 min).
SIGNATURE_TOLERANCE = 300

# Per-message status codes (Vonage SMS API docs, "Response codes").
ERROR_TEXT: dict[str, str] = {
    "1": "Throttled",
    "2": "Missing Parameters",
    "3": "Invalid Parameters",
    "4": "Bad Credentials",
    "5": "Internal Error",
    "6": "Invalid Message",
    "7": "Number Barred",
    "8": "Partner Account Barred",
    "9": "Partner Quota Violation",
    "10": "Too Many Existing Binds",
    "11": "Account Not Enabled For HTTP",
    "12": "Message Too Long",
    "14": "Invalid Signature",
    "15": "Invalid Sender Address",
    "22": "Invalid Network Code",
    "23": "Invalid Callback Url",
    "29": "Non-Whitelisted Destination",
    "32": "Signature And API Secret Disallowed",
    "33": "Number De-activated",
}


# --------------------------------------------------------------------------- ids

def message_ids_for(message_id: str, parts: int) -> list[str]:
    """Vonage-shaped ids (16 upper-case hex) for each part of one smsbridge message.

    Deterministic, so the SDK shim and the gateway face show the same ids for the same
    message; the gateway stores each as an alias of the smsbridge id.
    """
    parts = max(1, int(parts))
    return [hashlib.sha256(f"{message_id}:{i}".encode()).hexdigest()[:16].upper()
            for i in range(parts)]


# --------------------------------------------------------------------------- send request

class WireError(Exception):
    """A refusal the face renders: per-message ``status`` (HTTP 200) or, with
    ``http_status``, an HTTP-level error."""

    def __init__(self, status: str, text: str | None = None, *, http_status: int = 200) -> None:
        text = text or ERROR_TEXT.get(status, "Error")
        super().__init__(text)
        self.status = status
        self.text = text
        self.http_status = http_status


def send_params(to: str, text: str, *, sender: str, encoding: str = "gsm7", client_ref: str | None = None,
                callback: str | None = None, status_report: bool | None = None,
                ttl: int | None = None) -> dict[str, str]:
    """The form an SDK (and our backend) posts to ``/sms/json``; ``to`` as bare digits."""
    params = {"from": sender, "to": to[1:] if to.startswith("+") else to, "text": text}
    if encoding == "ucs2":
        params["type"] = "unicode"
    if client_ref:
        params["client-ref"] = client_ref
    if callback:
        params["callback"] = callback
    if status_report is not None:
        params["status-report-req"] = "1" if status_report else "0"
    if ttl is not None:
        params["ttl"] = str(int(ttl))
    return params


@dataclass(frozen=True)
class SendRequest:
    """A parsed ``/sms/json`` request."""

    to: str                       # E.164 (a "+" is added to Vonage's bare digits)
    text: str
    sender: str | None
    client_ref: str | None = None
    callback: str | None = None
    status_report: bool = True
    type: str = "text"
    account_ref: str | None = None


def _one(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _truthy(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def parse_send_params(params: Mapping[str, Any]) -> SendRequest:
    """Read ``/sms/json`` parameters (form or JSON); refusals as :class:`WireError`."""
    for key in ("to", "from", "text", "client-ref", "callback", "account-ref", "type"):
        value = _one(params, key)
        if value is not None and not encodable(value):
            # a JSON body can carry lone surrogates ("\ud800"): no SMS can hold them
            raise WireError("3", f"Invalid {key} param")
    to = (_one(params, "to") or "").strip()
    if not to:
        raise WireError("2", "Missing to param")
    sender = (_one(params, "from") or "").strip()
    if not sender:
        raise WireError("2", "Missing from param")
    kind = (_one(params, "type") or "text").strip().lower()
    if kind not in ("text", "unicode", "binary"):
        raise WireError("3", "Invalid type param")
    if kind == "binary":
        raise WireError("3", "Binary messages are not supported by this gateway")
    text = _one(params, "text")
    if text is None or text == "":
        raise WireError("2", "Missing text param")
    digits = to[1:] if to.startswith("+") else to
    if digits.startswith("00"):
        digits = digits[2:]
    if not (digits.isascii() and digits.isdigit()):
        raise WireError("3", "Invalid to address")
    callback = (_one(params, "callback") or "").strip() or None
    if callback and not callback.lower().startswith(("http://", "https://")):
        raise WireError("23", "Invalid Callback Url")
    return SendRequest(to="+" + digits, text=text, sender=sender, client_ref=_one(params, "client-ref"),
                       callback=callback, status_report=_truthy(_one(params, "status-report-req"), True),
                       type=kind, account_ref=_one(params, "account-ref"))


# --------------------------------------------------------------------------- credentials

@dataclass(frozen=True)
class Credentials:
    """Which credentials a request carried (``how``: basic, body, signature or none)."""

    how: str
    api_key: str | None = None
    api_secret: str | None = None
    sig: str | None = None
    timestamp: str | None = None
    signed: Mapping[str, str] = field(default_factory=dict)


def credentials_from(authorization: str | None, params: Mapping[str, Any]) -> Credentials:
    """Credentials from a Basic header (4.x), ``api_key``/``api_secret`` (2.x/3.x), or ``sig``."""
    import base64
    import binascii

    if authorization and authorization.strip().lower().startswith("basic "):
        token = authorization.strip()[6:].strip()
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return Credentials("basic")
        key, sep, secret = decoded.partition(":")
        return Credentials("basic", api_key=key, api_secret=secret if sep else None)
    api_key = _one(params, "api_key")
    if _one(params, "sig") is not None:
        signed = {str(k): v for k, v in ((k, _one(params, k)) for k in params) if k != "sig" and v is not None}
        return Credentials("signature", api_key=api_key, sig=_one(params, "sig"),
                           timestamp=_one(params, "timestamp"), signed=signed)
    if api_key is not None or _one(params, "api_secret") is not None:
        return Credentials("body", api_key=api_key, api_secret=_one(params, "api_secret"))
    return Credentials("none")


_DIGESTS = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def sign(params: Mapping[str, Any], secret: str, method: str | None = "md5") -> str:
    """Vonage's request signature over exactly ``params`` (leave ``sig`` out).

    ``&key=value`` for every parameter sorted by key, ``&`` and ``=`` in values replaced
    by ``_``; HMAC with ``method`` (md5/sha1/sha256/sha512), or with ``method=None`` the
    legacy plain MD5 of that string followed by the secret.  Same as
    ``vonage_http_client.Auth.sign_params`` and vonage 3.x ``Client.signature``.
    """
    hasher: Any
    if method:
        hasher = hmac.new(secret.encode("utf-8"), digestmod=_DIGESTS[method])
    else:
        hasher = hashlib.md5()
    for key in sorted(params):
        value = params[key]
        if isinstance(value, str):
            value = value.replace("&", "_").replace("=", "_")
        hasher.update(f"&{key}={value}".encode())
    if not method:
        hasher.update(secret.encode("utf-8"))
    return hasher.hexdigest()


def check_signature(credentials: Credentials, secret: str, *, now: float | None = None,
                    tolerance: int = SIGNATURE_TOLERANCE) -> bool:
    """True when ``credentials.sig`` signs ``credentials.signed`` with ``secret``.

    The method is not on the wire, so every one is tried (the digest length narrows
    it).  The 4.x SDK signs the unset ``SmsMessage`` fields as ``key=None`` and requests
    then drops them from the body, so a second reading adds them back.
    """
    sig = (credentials.sig or "").strip().lower()
    if not sig or not credentials.timestamp:
        return False
    try:
        stamp = int(float(credentials.timestamp))
    except ValueError:
        return False
    clock = datetime.now(timezone.utc).timestamp() if now is None else now
    if abs(clock - stamp) > tolerance:
        return False
    readings: list[Mapping[str, Any]] = [credentials.signed]
    if "to" in credentials.signed and "text" in credentials.signed:
        with_none = {k: "None" for k in SEND_FIELDS}
        with_none.update(credentials.signed)
        readings.append(with_none)
    by_length: dict[int, list[str | None]] = {32: ["md5", None], 40: ["sha1"], 64: ["sha256"], 128: ["sha512"]}
    methods = by_length.get(len(sig), [])
    for method in methods:
        for reading in readings:
            if hmac.compare_digest(sign(reading, secret, method), sig):
                return True
    return False


# --------------------------------------------------------------------------- send reply

def render_send_reply(*, to: str, message_ids: list[str], network: str | None = None,
                      client_ref: str | None = None, account_ref: str | None = None,
                      remaining_balance: str | None = None, message_price: str | None = None) -> dict[str, Any]:
    """A successful ``/sms/json`` reply: one entry per part, every value a string."""
    digits = to[1:] if to.startswith("+") else to
    messages = []
    for message_id in message_ids:
        entry: dict[str, str] = {"to": digits, "message-id": message_id, "status": "0"}
        if remaining_balance is not None:
            entry["remaining-balance"] = str(remaining_balance)
        if message_price is not None:
            entry["message-price"] = str(message_price)
        if network:
            entry["network"] = network
        if client_ref is not None:
            entry["client-ref"] = client_ref
        if account_ref is not None:
            entry["account-ref"] = account_ref
        messages.append(entry)
    return {"message-count": str(len(messages)), "messages": messages}


def render_send_error(status: str, text: str | None = None, *, to: str | None = None) -> dict[str, Any]:
    """A refusal: still HTTP 200 and ``message-count`` "1", the reason in ``status``."""
    entry: dict[str, str] = {}
    if to:
        entry["to"] = to[1:] if to.startswith("+") else to
    entry["status"] = str(status)
    entry["error-text"] = text or ERROR_TEXT.get(str(status), "Error")
    return {"message-count": "1", "messages": [entry]}


def reply_for_error(error: BaseException, *, to: str | None = None) -> tuple[int, dict[str, Any]]:
    """``(http_status, body)`` a Vonage face answers for an smsbridge error.

    The inverse of :func:`error_for_status`, so a Vonage backend in front of a Vonage
    face gets the error class the face's Bridge raised.  A send that may have gone out
    (``DeliveryUnknown``) is not a refusal Vonage can express in a status: HTTP 502.
    """
    if isinstance(error, WireError):
        if error.http_status != 200:
            return error.http_status, http_error_body(error.http_status, error.text)
        return 200, render_send_error(error.status, error.text, to=to)
    if isinstance(error, DeliveryUnknown):
        return 502, http_error_body(502, "The message may have been sent; its delivery is unknown.")
    if isinstance(error, InvalidNumber):
        return 200, render_send_error("3", "Invalid to address", to=to)
    if isinstance(error, InvalidMessage):
        lowered = str(error).lower()
        if "segment" in lowered or "too long" in lowered:
            return 200, render_send_error("12", "Message too long", to=to)
        if "sender" in lowered:
            return 200, render_send_error("15", "Illegal Sender Address - rejected", to=to)
        return 200, render_send_error("6", f"Invalid Message: {error}", to=to)
    if isinstance(error, InsufficientCredit):
        return 200, render_send_error("9", "Quota Exceeded - rejected", to=to)
    if isinstance(error, (ProviderUnavailable, AuthenticationError)):
        return 200, render_send_error("5", "Internal Error: no provider accepted the message", to=to)
    if isinstance(error, ProviderError):
        if error.retry_safe:
            return 200, render_send_error("5", f"Internal Error: {error.message}", to=to)
        return 502, http_error_body(502, "The provider answered with an error; the message may have been sent.")
    if isinstance(error, SmsBridgeError):
        return 200, render_send_error("3", str(error), to=to)
    return 500, http_error_body(500, "Internal error")


def http_error_body(http_status: int, detail: str) -> dict[str, Any]:
    """The JSON Vonage's HTTP layer answers with (401 bad credentials, 400 bad body)."""
    titles = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
              405: "Method Not Allowed", 413: "Payload Too Large", 415: "Unsupported Media Type",
              429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}
    slug = {401: "unauthorized"}.get(http_status, "")
    return {"type": f"https://developer.nexmo.com/api-errors#{slug}" if slug
            else "https://developer.nexmo.com/api-errors",
            "title": titles.get(http_status, "Error"), "detail": detail}


@dataclass(frozen=True)
class SendResult:
    """What the backend keeps from an accepted send."""

    message_ids: list[str]
    segments: int
    network: str | None
    remaining_balance: str | None


def error_for_status(status: str, text: str | None = None, *, backend: str | None = None) -> SmsBridgeError:
    """The smsbridge error for a per-message status other than "0".

    A non-zero status proves the message was not accepted, so every ``ProviderError``
    made here is safe to fail over (``pre_acceptance=True``).
    """
    status = str(status)
    text = text or ERROR_TEXT.get(status, f"status {status}")
    if status in ("4", "8", "11", "14", "32"):
        return AuthenticationError(f"Vonage refused the credentials: {text}", code=status, backend=backend)
    if status == "9":
        return InsufficientCredit(f"Vonage account cannot pay: {text}", code=status, backend=backend)
    if status in ("1", "5", "10"):
        return ProviderUnavailable(f"Vonage did not accept the message: {text}", code=status, backend=backend)
    if status == "33" or (status == "3" and re.search(r"\b(to|number|msisdn|address)\b", text, re.I)
                          and not re.search(r"sender|from", text, re.I)):
        return InvalidNumber(f"Vonage: {text}")
    if status in ("2", "3", "6", "12", "15"):
        return InvalidMessage(f"Vonage: {text}")
    return ProviderError(f"Vonage refused the message: {text}", code=status, backend=backend,
                         pre_acceptance=True)


def error_from_http(http_status: int, payload: Any = None, *, backend: str | None = None,
                    sending: bool = False) -> SmsBridgeError:
    """The smsbridge error for an HTTP-level failure (Vonage answers refusals with 200).

    401 is bad credentials; 429 and 503 are refusals before acceptance; another 4xx means
    the request was not processed; other 5xx after a send may follow acceptance.
    """
    detail = ""
    if isinstance(payload, Mapping):
        detail = str(payload.get("detail") or payload.get("title") or payload.get("error-text") or "")
    text = f"HTTP {http_status}" + (f": {detail}" if detail else "")
    if http_status == 401:
        return AuthenticationError(f"Vonage refused the credentials ({text})", code=http_status, backend=backend)
    if http_status in (429, 503):
        return ProviderUnavailable(f"Vonage is not accepting messages now ({text})", code=http_status,
                                   backend=backend)
    if http_status == 404:
        return NotFound(f"Vonage: {text}")
    if 400 <= http_status < 500:
        return ProviderError(f"Vonage refused the request ({text})", code=http_status, backend=backend,
                             pre_acceptance=True)
    if sending:
        return DeliveryUnknown(f"Vonage answered {text} to a send", code=http_status, backend=backend)
    return ProviderUnavailable(f"Vonage answered {text}", code=http_status, backend=backend)


def parse_send_reply(payload: Any, *, backend: str | None = None) -> SendResult:
    """Read an ``/sms/json`` reply; raise the smsbridge error for a refusal.

    When only some parts of a long text were accepted, the message went out in part:
    that is neither a clean refusal nor a success, so a non-retry-safe ProviderError.
    """
    if not isinstance(payload, Mapping) or not isinstance(payload.get("messages"), list):
        # HTTP 200 without the reply shape: we cannot tell whether the message went out.
        raise DeliveryUnknown("Vonage reply has no messages list", backend=backend)
    entries = [m for m in payload["messages"] if isinstance(m, Mapping)]
    if not entries:
        raise DeliveryUnknown("Vonage reply has an empty messages list", backend=backend)
    failed = [m for m in entries if str(m.get("status")) != "0"]
    if failed and len(failed) == len(entries):
        first = failed[0]
        raise error_for_status(str(first.get("status")), first.get("error-text"), backend=backend)
    if failed:
        first = failed[0]
        raise ProviderError(f"Vonage accepted {len(entries) - len(failed)} of {len(entries)} parts: "
                            f"{first.get('error-text') or ERROR_TEXT.get(str(first.get('status')), '')}",
                            code=str(first.get("status")), backend=backend, pre_acceptance=False)
    try:
        count = int(str(payload.get("message-count")))
    except ValueError:
        count = len(entries)
    ids = [str(m.get("message-id")) for m in entries if m.get("message-id")]
    if not ids:
        raise DeliveryUnknown("Vonage accepted the message but returned no message-id", backend=backend)
    last = entries[-1]
    return SendResult(message_ids=ids, segments=count, network=entries[0].get("network"),
                      remaining_balance=last.get("remaining-balance"))


# --------------------------------------------------------------------------- balance

def render_balance(amount: Decimal | float | str, auto_reload: bool = False) -> dict[str, Any]:
    """``{"value": 10.28, "autoReload": false}`` — a JSON number, unlike the SMS reply."""
    return {"value": float(Decimal(str(amount))), "autoReload": bool(auto_reload)}


def parse_balance(payload: Any) -> Decimal:
    if not isinstance(payload, Mapping) or "value" not in payload:
        raise ProviderError("Vonage balance reply has no value")
    try:
        return Decimal(str(payload["value"]))
    except (InvalidOperation, ValueError):
        raise ProviderError(f"Vonage balance is not a number: {payload['value']!r}") from None


# --------------------------------------------------------------------------- delivery receipts

DLR_TO_STATUS: dict[str, Status] = {
    "accepted": Status.SENT, "buffered": Status.SENT, "delivered": Status.DELIVERED,
    "expired": Status.EXPIRED, "failed": Status.FAILED, "rejected": Status.REJECTED,
    "unknown": Status.UNKNOWN,
}

_STATUS_TO_DLR: dict[Status, str] = {
    Status.QUEUED: "buffered", Status.SENT: "accepted", Status.DELIVERED: "delivered",
    Status.UNDELIVERED: "failed", Status.FAILED: "failed", Status.EXPIRED: "expired",
    Status.REJECTED: "rejected", Status.UNKNOWN: "unknown",
    Status.SCHEDULED: "buffered", Status.CANCELED: "rejected",
}

# DLR err-code: 0 delivered, 1 unknown, 2 absent subscriber (temporary), 3 absent
# subscriber (permanent), 4 call barred, 5 portability error, 6 anti-spam rejection,
# 7 handset busy, 8 network error, 9 illegal number, 99 general error.
_ERR_CODE = {Status.DELIVERED: "0", Status.UNDELIVERED: "2", Status.FAILED: "99", Status.EXPIRED: "1",
             Status.REJECTED: "6", Status.UNKNOWN: "1", Status.SENT: "0", Status.QUEUED: "0",
             Status.SCHEDULED: "0", Status.CANCELED: "99"}
_UNDELIVERED_ERR = frozenset({"2", "3", "5", "7"})


def dlr_status_word(status: Status | str) -> str:
    try:
        return _STATUS_TO_DLR[Status(status)]
    except ValueError:
        return "unknown"


def render_dlr(*, message_id: str, to: str, sender: str | None, status: Status | str,
               api_key: str, client_ref: str | None = None, error_code: str | None = None,
               price: str | None = None, network: str | None = None,
               at: datetime | None = None) -> dict[str, str]:
    """One delivery receipt (one per part), as Vonage sends it to ``callback``."""
    moment = (at or datetime.now(timezone.utc))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    st = Status(status)
    receipt = {
        "msisdn": to[1:] if to.startswith("+") else to,
        "to": sender or "",
        "network-code": network or "",
        "messageId": message_id,
        "price": price or "0.00000000",
        "status": dlr_status_word(st),
        "scts": moment.strftime("%y%m%d%H%M"),
        "err-code": str(error_code) if error_code not in (None, "") and st != Status.DELIVERED
        else _ERR_CODE.get(st, "99"),
        "api-key": api_key,
        "message-timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if client_ref is not None:
        receipt["client-ref"] = client_ref
    return receipt


def parse_dlr(params: Mapping[str, Any]) -> tuple[str, Status, str | None]:
    """``(message_id, status, err_code)`` from a delivery receipt.

    ``failed`` with a temporary-subscriber err-code is ``undelivered`` (the network
    tried); other failures stay ``failed``.
    """
    message_id = _one(params, "messageId") or _one(params, "message-id") or ""
    word = (_one(params, "status") or "").strip().lower()
    err = _one(params, "err-code")
    status = DLR_TO_STATUS.get(word, Status.UNKNOWN)
    if status == Status.FAILED and err in _UNDELIVERED_ERR:
        status = Status.UNDELIVERED
    return message_id, status, err


# --------------------------------------------------------------------------- search (2.x)

def render_search_message(*, message_id: str, account_id: str, to: str, sender: str | None, body: str,
                          status: Status | str, created_at: datetime | None,
                          updated_at: datetime | None, network: str | None = None) -> dict[str, Any]:
    """``GET /search/message?id=`` (Developer API, vonage 2.x/nexmo ``get_message``)."""
    def fmt(moment: datetime | None) -> str | None:
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")

    st = Status(status)
    final = {Status.DELIVERED: "DELIVRD", Status.UNDELIVERED: "UNDELIV", Status.FAILED: "FAILED",
             Status.EXPIRED: "EXPIRED", Status.REJECTED: "REJECTD"}.get(st)
    return {
        "message-id": message_id, "account-id": account_id, "network": network or "",
        "from": sender or "", "to": to[1:] if to.startswith("+") else to, "body": body,
        "price": "0.00000000", "date-received": fmt(created_at),
        "final-status": final or "", "date-closed": fmt(updated_at) if final else None,
        "latency": None, "type": "MT",
    }
