"""simpleSMS's wire format, written once (SPEC §5): pure functions, no I/O.

The REST and SOAP backends (client side) and the gateway's REST and SOAP faces (server
side) all speak through this module, so what a backend reads is what a face renders:

=======================  ===========================  ==============================
                         client side (backends)       server side (faces)
=======================  ===========================  ==============================
numbers                  :func:`split_recipient`      :func:`join_recipient`
requests (REST forms)    :func:`connect_form`,        :func:`parse_connect_form`,
                         :func:`send_form`,           :func:`parse_send_form`,
                         :func:`sms_id_form`          :func:`parse_sms_id_form`
any reply                :func:`parse_reply`,         :func:`ok_reply`, :func:`error_reply`,
                         :func:`parse_http_reply`     :func:`error_reply_for`
errors                   :func:`error_for`,           :func:`error_reply_for`,
                         :func:`error_for_http`,      :func:`http_status_for`
                         :func:`is_auth_expired`
connect                  :func:`parse_token`,         :func:`token_reply`
                         :func:`parse_expires`
sendSMS                  :func:`parse_sms_id`         :func:`send_response`
getStatus                :func:`parse_status`         :func:`status_response`
getHistory               :func:`parse_history`        :func:`history_response`
getCreditNumber          :func:`parse_credit`         :func:`credit_response`
getMonthlyStat           :func:`parse_monthly`        :func:`monthly_response`
status words             :func:`status_from_word`,    :func:`word_for_status`,
                         :func:`status_from_code`     :func:`code_for_status`
dates                    :func:`parse_date`           :func:`format_date`
=======================  ===========================  ==============================

Every reply is an object (a JSON object in REST, an associative "array" in SOAP)::

    {"success": true,  "error": false, "response": ...}
    {"success": false, "error": true,  "error_code": 301, "error_message": "Not enough credit"}

The provider documents the API loosely and is not reachable from here, so the parsers
are **tolerant** of every variant SPEC §5 lists (and a few more, noted where they are
read); the renderers produce one canonical shape that every parser here reads.

Error codes
-----------

One table for REST and SOAP.  101-404 are the codes of the project's stand-in for the
provider (``tests/php/simplesms_server.php``); the others are smsbridge's own, used by
the gateway faces for what the provider's documentation does not cover.

====  ===============================================  =================================
code  meaning                                          client error (:func:`error_for`)
====  ===============================================  =================================
101   wrong username, password or domain               AuthenticationError
102   not logged in, or the token/session expired      AuthenticationError (reconnect once)
201   invalid phone number                             ProviderError, pre-acceptance
202   empty message                                    ProviderError, pre-acceptance
203   invalid message (too long, bad sender, vetoed)   ProviderError, pre-acceptance
301   not enough credit                                InsufficientCredit
400   malformed request, missing parameter,            ProviderError, pre-acceptance
      unknown operation
404   no SMS with this id                              MessageNotFound (NotFound + ProviderError)
405   method not allowed (only POST)                   ProviderError, pre-acceptance
413   request too large                                ProviderError, pre-acceptance
500   internal error                                   sendSMS: DeliveryUnknown, else
                                                       ProviderUnavailable
501   operation not supported by the account/backend   ProviderError, pre-acceptance
502   the provider behind the gateway refused the      ProviderError (not retry-safe)
      message with an error of its own
503   service unavailable: the message was NOT         ProviderUnavailable
      accepted
504   the message may have been accepted               sendSMS: DeliveryUnknown, else
      (delivery unknown)                               ProviderUnavailable
====  ===============================================  =================================

"Pre-acceptance" means the provider refused the request before accepting a message, so
failover to another backend is safe (``retry_safe``).  A code not in the table gives a
plain ProviderError that is *not* retry-safe (SPEC §2: "per code"), except textual codes
that plainly name a login/token problem (``"invalid_token"``), the credit, or a refusal
to serve now (``"try later"``, ``"rate_limit"``); over REST the HTTP status classifies
unknown codes (:func:`parse_http_reply`).

Status words
------------

The provider's words (kept verbatim in ``raw``) and their numeric codes as the stand-in
uses them: ``1 Queued``, ``2 Sent``, ``3 Delivered``, ``4 Undelivered``; smsbridge adds
``5 Failed``, ``6 Expired``, ``7 Rejected``, ``0 Unknown``.  Common synonyms and the
Hungarian words are understood too (:data:`STATUS_WORDS`).

Dates
-----

``YYYY-MM-DD HH:MM:SS`` without an offset is Budapest time (``Europe/Budapest``), the
provider's; ISO 8601 with an offset is read as given.  Every parsed date is aware, in UTC.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from smsbridge.errors import (
    AuthenticationError,
    ConfigError,
    DeliveryUnknown,
    InsufficientCredit,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    SmsBridgeError,
    UnsupportedOperation,
    redact,
)
from smsbridge.model import MessageRecord, MonthlyStat, Status, StatusEvent, StatusReport

from .dates import _CentralEurope, budapest, format_date, parse_date  # noqa: F401  (re-exported)

__all__ = [
    "OPERATIONS", "CONNECT", "SEND", "CREDIT", "MONTHLY", "STATUS", "HISTORY",
    "E_LOGIN", "E_SESSION", "E_NUMBER", "E_EMPTY", "E_MESSAGE", "E_CREDIT", "E_BAD_REQUEST",
    "E_NOT_FOUND", "E_METHOD", "E_TOO_LARGE", "E_INTERNAL", "E_UNSUPPORTED", "E_REFUSED", "E_UNAVAILABLE",
    "E_UNKNOWN", "ERROR_MESSAGES", "STATUS_WORDS", "STATUS_CODES",
    "MalformedReply", "MessageNotFound",
    "split_recipient", "join_recipient",
    "connect_form", "send_form", "sms_id_form",
    "parse_connect_form", "parse_send_form", "parse_sms_id_form",
    "parse_reply", "parse_http_reply", "error_for", "error_for_http", "is_auth_expired", "is_error_reply",
    "has_flags",
    "parse_expires", "parse_token", "parse_sms_id", "parse_date", "format_date", "budapest",
    "status_from_word", "status_from_code", "word_for_status", "code_for_status",
    "parse_status", "parse_history", "parse_credit", "parse_monthly",
    "ok_reply", "error_reply", "error_reply_for", "http_status_for", "token_reply",
    "send_response", "status_response", "history_response", "credit_response", "monthly_response",
]

# -- operations -------------------------------------------------------------------------
CONNECT = "connect"
SEND = "sendSMS"
CREDIT = "getCreditNumber"
MONTHLY = "getMonthlyStat"
STATUS = "getStatus"
HISTORY = "getHistory"
OPERATIONS = (CONNECT, SEND, CREDIT, MONTHLY, STATUS, HISTORY)

# -- error codes (see the module docstring) ----------------------------------------------
E_LOGIN = 101
E_SESSION = 102
E_NUMBER = 201
E_EMPTY = 202
E_MESSAGE = 203
E_CREDIT = 301
E_BAD_REQUEST = 400
E_NOT_FOUND = 404
E_METHOD = 405
E_TOO_LARGE = 413
E_INTERNAL = 500
E_UNSUPPORTED = 501
E_REFUSED = 502
E_UNAVAILABLE = 503
E_UNKNOWN = 504

ERROR_MESSAGES: dict[int, str] = {
    E_LOGIN: "Invalid username, password or domain",
    E_SESSION: "Not logged in or the session has expired",
    E_NUMBER: "Invalid phone number",
    E_EMPTY: "The message is empty",
    E_MESSAGE: "Invalid message",
    E_CREDIT: "Not enough credit",
    E_BAD_REQUEST: "Bad request",
    E_NOT_FOUND: "No SMS with this id",
    E_METHOD: "Method not allowed",
    E_TOO_LARGE: "Request too large",
    E_INTERNAL: "Internal server error",
    E_UNSUPPORTED: "Operation not supported",
    E_REFUSED: "The provider refused the message",
    E_UNAVAILABLE: "Service unavailable; the message was not accepted",
    E_UNKNOWN: "The message may have been accepted; its outcome is unknown",
}

_PRE_ACCEPTANCE = frozenset({E_NUMBER, E_EMPTY, E_MESSAGE, E_BAD_REQUEST, E_METHOD, E_TOO_LARGE,
                             E_UNSUPPORTED})

# Keys the documentation does not fix (SPEC §5): accepted in this order of preference.
_CODE_KEYS = ("error_code", "errorCode", "code")
_MESSAGE_KEYS = ("error_message", "errorMessage", "message")

# A hostile or broken server must not flood error messages or logs.
_MAX_MESSAGE = 200


class MalformedReply(ValueError):
    """A reply this module cannot read. The caller decides what that proves (a sendSMS
    that the flags call a success but whose id is unreadable was still accepted)."""


class MessageNotFound(NotFound, ProviderError):
    """The provider has no SMS with this id (code 404).

    Both a :class:`~smsbridge.errors.NotFound` (what it means) and a
    :class:`~smsbridge.errors.ProviderError` (it carries the provider's ``code`` and the
    ``backend``, and the Bridge answers ``status()`` from its journal instead).
    """


# -- numbers ----------------------------------------------------------------------------
def split_recipient(e164: str) -> dict[str, str]:
    """``"+36301234567"`` → ``{"country_code": "36", "area_code": "30", "number": "1234567"}``.

    The area code is libphonenumber's national destination code (SPEC §5); raises
    :class:`InvalidNumber` for anything that is not a valid international number.
    """
    from smsbridge.numbers import split_number

    country, area, number = split_number(e164)
    return {"country_code": country, "area_code": area, "number": number}


def join_recipient(country_code: Any, area_code: Any, number: Any) -> str:
    """The three sendSMS fields back into E.164 (server side); :class:`InvalidNumber` if bad.

    Each field must be ASCII digits (the area code may be empty); spaces, dashes and a
    leading ``+`` or ``00`` on the country code are tolerated, and so is a national trunk
    prefix written before the area code (``06 30`` in Hungary, ``07911`` in the UK) when
    the number is only valid without it.
    """
    from smsbridge.numbers import parse_number

    parts = []
    for name, value in (("country_code", country_code), ("area_code", area_code), ("number", number)):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise InvalidNumber(f"{name} must be digits, not {type(value).__name__}")
        text = re.sub(r"[\s\-.()]", "", str(value))
        if name == "country_code":
            text = text.lstrip("+")
            if text.startswith("00"):
                text = text[2:]
        if text and not (text.isascii() and text.isdigit()):
            raise InvalidNumber(f"{name} must be digits, not {_short(str(value))!r}")
        parts.append(text)
    country, area, rest = parts
    if not country or not rest:
        raise InvalidNumber("country_code and number are required")
    if len(country + area + rest) > 17:
        raise InvalidNumber("the number is too long")
    try:
        return parse_number(f"+{country}{area}{rest}", None)
    except InvalidNumber:
        if not area.startswith("0"):
            raise
        # A national trunk prefix kept on the area code ("06 30", "07911"): read the
        # national form in the country's own region, and insist it stays in that country.
        import phonenumbers

        region = phonenumbers.region_code_for_country_code(int(country))
        e164 = parse_number(area + rest, region) if region not in ("ZZ", "001") else ""
        if not e164.startswith(f"+{country}"):
            raise
        return e164


# -- requests (REST forms) --------------------------------------------------------------
def connect_form(username: str, password: str, domain: str) -> dict[str, str]:
    """The ``connect`` POST form."""
    return {"username": username, "password": password, "domain": domain}


def send_form(e164: str, text: str) -> dict[str, str]:
    """The ``sendSMS`` POST form: the split number and the text."""
    return {**split_recipient(e164), "message": text}


def sms_id_form(sms_id: str) -> dict[str, str]:
    """The ``getStatus`` / ``getHistory`` POST form."""
    return {"sms_id": str(sms_id)}


def parse_connect_form(form: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """``(username, password, domain)`` from a connect request, or ``None`` if any is missing.

    SOAP's names (``userName``, ``userPassword``, ``domainName``) are accepted too.
    """
    values = []
    for keys in (("username", "userName"), ("password", "userPassword"), ("domain", "domainName")):
        value = _first(form, keys)
        if not isinstance(value, str) or value == "":
            return None
        values.append(value)
    return values[0], values[1], values[2]


def parse_send_form(form: Mapping[str, Any]) -> tuple[str, str]:
    """``(e164, text)`` from a sendSMS request (REST or SOAP field names).

    Raises ``KeyError(field)`` for a missing field (a malformed request, code 400) and
    :class:`InvalidNumber` for a bad number (code 201).  An empty text is *not* refused
    here: the Bridge refuses it (InvalidMessage "empty", code 202).
    """
    fields = (("country_code", "strCountryCode"), ("area_code", "strAreaCode"), ("number", "strNumber"),
              ("message", "strMessage"))
    values = []
    for keys in fields:
        value = _first(form, keys)
        if value is None:
            raise KeyError(keys[0])
        values.append(value)
    country, area, number, text = values
    if not isinstance(text, str):
        text = str(text)
    return join_recipient(country, area, number), text


def parse_sms_id_form(form: Mapping[str, Any]) -> str:
    """The ``sms_id`` of a getStatus/getHistory request (``KeyError`` if missing).

    ``numSMSID`` (SOAP) and ``smsId`` / ``id`` are accepted too.
    """
    value = _first(form, ("sms_id", "numSMSID", "smsId", "smsID", "id"))
    if value is None or isinstance(value, (dict, list)):
        raise KeyError("sms_id")
    return _id_text(value)


# -- replies: flags and errors ----------------------------------------------------------
def is_error_reply(data: Any) -> bool:
    """True when ``data`` is a reply object whose flags (or error code) say "error"."""
    if not isinstance(data, Mapping):
        return False
    error = _flag(data.get("error"))
    success = _flag(data.get("success"))
    if error is True or success is False:
        return True
    if error is None and success is None:
        if isinstance(data.get("error"), str) and data["error"].strip():
            return True  # {"error": "invalid token"}: the error's text in the flag's place
        return isinstance(data.get("error"), Mapping) or any(
            data.get(k) not in (None, "", 0, "0") for k in _CODE_KEYS[:2])
    return False


def has_flags(data: Any) -> bool:
    """True when ``data`` looks like a simpleSMS reply object (flags, response or error code)."""
    return isinstance(data, Mapping) and any(k in data for k in ("success", "error", "response", *_CODE_KEYS[:2]))


def parse_reply(data: Any, *, operation: str, backend: str | None = None) -> Any:
    """The ``response`` of a reply, or raise the error it carries.

    The ``success`` / ``error`` flags decide (an error reply may come with HTTP 200;
    conflicting flags count as an error); booleans may arrive as ``1``/``"true"``.  The
    error code is read from ``error_code`` / ``errorCode`` / ``code`` and the message from
    ``error_message`` / ``errorMessage`` / ``message`` (or an ``error`` object holding
    them).  A flagless object is its own response unless it has a ``response`` key.
    Raises :class:`MalformedReply` when ``data`` is not an object at all.
    """
    if not isinstance(data, Mapping):
        raise MalformedReply(f"expected a reply object, got {type(data).__name__}")
    if is_error_reply(data):
        source: Mapping[str, Any] = data
        if isinstance(data.get("error"), Mapping):
            source = {**data, **data["error"]}
        code = _first(source, _CODE_KEYS)
        message = _first(source, _MESSAGE_KEYS)
        if isinstance(data.get("error"), str) and _flag(data["error"]) is None:
            # {"error": "invalid_token"}: the text stands for both the code and the message.
            code = data["error"] if code is None else code
            message = data["error"] if message is None else message
        if message is None and isinstance(data.get("response"), str):
            message = data["response"]
        raise error_for(code, message, operation=operation, backend=backend)
    if "response" in data:
        return data["response"]
    return {k: v for k, v in data.items() if k not in ("success", "error")}


def error_for(code: Any, message: Any, *, operation: str, backend: str | None = None) -> SmsBridgeError:
    """The smsbridge error for a simpleSMS error code (the table in the module docstring).

    Returns (does not raise) an error built from the provider's own message, redacted
    and cut short.  ``operation`` matters for codes whose meaning depends on it (500/504
    on ``sendSMS`` may mean the message was accepted).
    """
    number = _code_number(code)
    text = _clean_message(message) or ERROR_MESSAGES.get(number or -1) or "simpleSMS reported an error"
    shown: str | int | None = number if number is not None else (_short(str(code)) if code is not None else None)
    kw: dict[str, Any] = {"code": shown, "backend": backend}
    sending = operation == SEND
    if number is None and isinstance(code, str) and code.strip():
        word = code.lower()
        if any(k in word for k in ("auth", "login", "token", "session", "credential", "password", "unauthori")):
            return AuthenticationError(f"simpleSMS refused the login: {text}", **kw)
        if "credit" in word or "balance" in word:
            return InsufficientCredit(f"simpleSMS: {text}", **kw)
        if any(k in word for k in ("unavailable", "try later", "try_later", "too many", "too_many", "busy",
                                   "maintenance", "rate limit", "rate_limit", "overload")):
            return ProviderUnavailable(f"simpleSMS: {text}", **kw)
        if "not_found" in word or "notfound" in word:
            return MessageNotFound(f"simpleSMS: {text}", **kw) if operation in (STATUS, HISTORY) \
                else ProviderError(f"simpleSMS: {text}", **kw)
        return ProviderError(f"simpleSMS: {text}", **kw)
    if number in (E_LOGIN, E_SESSION):
        what = "refused the login" if number == E_LOGIN else "says the login expired"
        return AuthenticationError(f"simpleSMS {what}: {text}", **kw)
    if number == E_CREDIT:
        return InsufficientCredit(f"simpleSMS: {text}", **kw)
    if number == E_NOT_FOUND and operation in (STATUS, HISTORY):
        return MessageNotFound(f"simpleSMS: {text}", **kw)
    if number == E_UNAVAILABLE:
        return ProviderUnavailable(f"simpleSMS: {text}", **kw)
    if number in (E_INTERNAL, E_UNKNOWN):
        if sending:
            return DeliveryUnknown(f"simpleSMS: {text}; the message may have been accepted, so it is not "
                                   "re-sent", **kw)
        return ProviderUnavailable(f"simpleSMS: {text}", **kw)
    if number in _PRE_ACCEPTANCE:
        return ProviderError(f"simpleSMS refused the request: {text}", pre_acceptance=True, **kw)
    return ProviderError(f"simpleSMS: {text}", **kw)


def error_for_http(status: int, *, operation: str, backend: str | None = None) -> SmsBridgeError:
    """The error for an HTTP error status whose body is no simpleSMS reply (a proxy page).

    401/403: credentials; 429/503: refused before acceptance (SPEC §2); other 5xx on
    ``sendSMS``: maybe accepted (DeliveryUnknown); other 4xx: refused (pre-acceptance).
    """
    code = f"HTTP {status}"
    if status in (401, 403):
        return AuthenticationError(f"simpleSMS refused the login (HTTP {status})", code=code, backend=backend)
    if status in (429, 503):
        return ProviderUnavailable(f"simpleSMS is not accepting requests (HTTP {status})", code=code,
                                   backend=backend)
    if status >= 500:
        if operation == SEND:
            return DeliveryUnknown(f"simpleSMS failed while handling the message (HTTP {status}); it may have "
                                   "been accepted, so it is not re-sent", code=code, backend=backend)
        return ProviderUnavailable(f"simpleSMS failed (HTTP {status})", code=code, backend=backend)
    return ProviderError(f"simpleSMS refused the request (HTTP {status}); is base_url right?", code=code,
                         backend=backend, pre_acceptance=True)


def parse_http_reply(status: int, data: Any, *, operation: str, backend: str | None = None) -> Any:
    """The ``response`` of a REST reply, judged with its HTTP status (client side).

    ``data`` is the decoded JSON body (``None`` when it was not JSON).  A reply object's
    flags decide (SPEC §5: errors may come with HTTP 200); the HTTP status adds what the
    body leaves open: a 401 makes any error a login refusal, and an error whose code this
    module does not know is classified by the status (503 + ``{"error": "try later"}`` is
    ProviderUnavailable, a 4xx a refusal).  A flagless object is tolerated with a 2xx; a
    body that is no reply object raises :func:`error_for_http` for an error status and
    :class:`MalformedReply` for a 2xx.
    """
    if not (has_flags(data) or (isinstance(data, Mapping) and status < 300)):
        if status >= 400:
            raise error_for_http(status, operation=operation, backend=backend)
        raise MalformedReply("the reply is not a simpleSMS reply object")
    if status == 401 and not is_error_reply(data):
        raise MalformedReply("HTTP 401 with a success reply")
    try:
        return parse_reply(data, operation=operation, backend=backend)
    except ProviderError as exc:
        if status == 401 and not isinstance(exc, AuthenticationError):
            raise AuthenticationError(exc.message, code=exc.code, backend=backend) from None
        if status >= 400 and type(exc) is ProviderError and not exc.retry_safe:
            by_status = error_for_http(status, operation=operation, backend=backend)
            message = f"{exc.message} (HTTP {status})"
            if isinstance(by_status, DeliveryUnknown):
                message += "; the message may have been accepted, so it is not re-sent"
            if type(by_status) is ProviderError:
                raise ProviderError(message, code=exc.code, backend=backend,
                                    pre_acceptance=by_status.retry_safe) from None
            raise type(by_status)(message, code=exc.code, backend=backend) from None
        raise


def is_auth_expired(code: Any) -> bool:
    """True when the code means "log in again": the token or session expired (102), or a
    textual code naming an expired/invalid token or session.  Wrong credentials (101)
    are not: logging in again with them cannot help."""
    number = _code_number(code)
    if number is not None:
        return number == E_SESSION
    if not isinstance(code, str):
        return False
    word = code.lower()
    return any(k in word for k in ("expired", "token", "session", "not_logged", "notlogged", "unauthori"))


# -- connect ----------------------------------------------------------------------------
def parse_expires(value: Any, now: datetime) -> datetime:
    """When a token expires, from ``expires_in`` (SPEC §5), as an aware datetime.

    Accepts ``"YYYY-MM-DD HH:MM:SS"`` (naive = Budapest time), ISO 8601 (with ``T``,
    fractions, ``Z`` or an offset), or a number of seconds (int, float or a numeric
    string) counted from ``now``.  A number too large to be a lifetime (more than ten
    years of seconds) is read as a Unix timestamp.  Raises :class:`MalformedReply`.
    """
    now = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    if isinstance(value, bool):
        raise MalformedReply("expires_in is a boolean")
    seconds: float | None = None
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        seconds = float(value)
    if seconds is not None:
        if not math.isfinite(seconds) or seconds < 0:
            raise MalformedReply("expires_in is not a usable number of seconds")
        if seconds > _TEN_YEARS:
            try:
                return datetime.fromtimestamp(seconds, tz=timezone.utc)
            except (OverflowError, OSError, ValueError):
                raise MalformedReply("expires_in is out of range") from None
        return now + timedelta(seconds=seconds)
    parsed = parse_date(value)
    if parsed is None:
        raise MalformedReply(f"unreadable expires_in: {_short(str(value))!r}")
    return parsed


_TEN_YEARS = 10 * 366 * 86400


def parse_token(data: Any, *, now: datetime | None = None, backend: str | None = None) -> tuple[str, datetime | None]:
    """``(access_token, expires)`` from a connect reply, top-level or inside ``response``.

    Error replies raise their error (:func:`error_for`, operation ``connect``).
    ``expires`` is ``None`` when the reply gives none or an unreadable one: the token is
    then used until the provider says it expired.  Raises :class:`MalformedReply` when
    there is no token.
    """
    now = now or datetime.now(timezone.utc)
    response = parse_reply(data, operation=CONNECT, backend=backend)
    places = [response] if isinstance(response, Mapping) else []
    if isinstance(data, Mapping):
        places.append(data)
    token = expires_raw = None
    for place in places:
        if token is None:
            candidate = _first(place, ("access_token", "accessToken", "token"))
            if isinstance(candidate, (str, int)) and not isinstance(candidate, bool) and str(candidate).strip():
                token = str(candidate).strip()
        if expires_raw is None:
            expires_raw = _first(place, ("expires_in", "expiresIn", "expires", "expires_at", "expiration"))
    if token is None:
        raise MalformedReply("the connect reply holds no access_token")
    expires = None
    if expires_raw is not None and expires_raw != "":
        try:
            expires = parse_expires(expires_raw, now)
        except MalformedReply:
            expires = None
    return token, expires


# -- ids --------------------------------------------------------------------------------
def parse_sms_id(response: Any) -> str:
    """The SMS id from a sendSMS ``response``: a number, a string, or inside an object
    (``sms_id`` / ``smsId`` / ``id``) or a one-element list.  Kept as a string
    (``1001.0`` → ``"1001"``).  Raises :class:`MalformedReply`."""
    value = response
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, Mapping):
        value = _first(value, ("sms_id", "smsId", "smsID", "SMSID", "id", "numSMSID"))
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
    if value is None or isinstance(value, (bool, Mapping, list)):
        raise MalformedReply("the sendSMS reply holds no SMS id")
    text = _id_text(value)
    if not text:
        raise MalformedReply("the sendSMS reply holds an empty SMS id")
    return text


def _id_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# -- status words -----------------------------------------------------------------------
STATUS_WORDS: dict[str, Status] = {}
for _status, _words in {
    Status.QUEUED: ("queued", "pending", "waiting", "accepted", "processing", "new",
                    "várakozik", "varakozik", "sorban", "feldolgozás alatt"),
    Status.SENT: ("sent", "sending", "submitted", "in progress", "elküldve", "elkuldve", "kiküldve", "kikuldve"),
    Status.DELIVERED: ("delivered", "success", "successful", "done", "kézbesítve", "kezbesitve",
                       "kézbesített", "kezbesitett", "sikeres"),
    Status.UNDELIVERED: ("undelivered", "undeliverable", "not delivered", "nem kézbesíthető",
                         "nem kezbesitheto", "kézbesíthetetlen", "kezbesithetetlen"),
    Status.FAILED: ("failed", "failure", "error", "sikertelen", "hiba", "hibás", "hibas"),
    Status.EXPIRED: ("expired", "lejárt", "lejart"),
    Status.REJECTED: ("rejected", "refused", "elutasítva", "elutasitva", "visszautasítva"),
    Status.SCHEDULED: ("scheduled", "ütemezett", "utemezett", "időzített", "idozitett"),
    Status.CANCELED: ("cancelled", "canceled", "törölve", "torolve", "visszavonva"),
    Status.UNKNOWN: ("unknown", "ismeretlen"),
}.items():
    for _word in _words:
        STATUS_WORDS[_word] = _status

# Numeric status codes: 1-4 as the stand-in uses them, 0 and 5-7 smsbridge's.
STATUS_CODES: dict[int, Status] = {0: Status.UNKNOWN, 1: Status.QUEUED, 2: Status.SENT, 3: Status.DELIVERED,
                                   4: Status.UNDELIVERED, 5: Status.FAILED, 6: Status.EXPIRED, 7: Status.REJECTED,
                                   8: Status.SCHEDULED, 9: Status.CANCELED}
_CODE_FOR = {status: code for code, status in STATUS_CODES.items()}
_WORD_FOR = {Status.QUEUED: "Queued", Status.SENT: "Sent", Status.DELIVERED: "Delivered",
             Status.UNDELIVERED: "Undelivered", Status.FAILED: "Failed", Status.EXPIRED: "Expired",
             Status.REJECTED: "Rejected", Status.UNKNOWN: "Unknown",
             Status.SCHEDULED: "Scheduled", Status.CANCELED: "Canceled"}


def status_from_word(word: Any) -> Status:
    """The neutral status for a provider word (case- and space-insensitive; a numeric word
    is read as a status code); ``UNKNOWN`` for words we do not know."""
    if isinstance(word, Status):
        return word
    if isinstance(word, (int, float)) and not isinstance(word, bool):
        return status_from_code(word)
    if not isinstance(word, str):
        return Status.UNKNOWN
    key = " ".join(word.replace("_", " ").replace("-", " ").split()).lower()
    if key.isdigit():
        return status_from_code(key)
    return STATUS_WORDS.get(key, Status.UNKNOWN)


def status_from_code(code: Any) -> Status:
    """The neutral status for a numeric status code (``3`` → delivered); else ``UNKNOWN``."""
    number = _code_number(code)
    return STATUS_CODES.get(number, Status.UNKNOWN) if number is not None else Status.UNKNOWN


def word_for_status(status: Status) -> str:
    """The provider's word for a neutral status (``Status.DELIVERED`` → ``"Delivered"``)."""
    return _WORD_FOR[Status(status)]


def code_for_status(status: Status) -> int:
    """The numeric status code for a neutral status (``Status.DELIVERED`` → ``3``)."""
    return _CODE_FOR[Status(status)]


# -- getStatus / getHistory -------------------------------------------------------------
_STATUS_KEYS = ("status", "delivery_status", "deliveryStatus", "state", "status_text", "statusText")
_STATUS_CODE_KEYS = ("status_code", "statusCode", "delivery_code")
_CHANGED_KEYS = ("status_date", "statusDate", "last_status_change", "lastStatusChange", "status_changed",
                 "updated", "updated_at", "modified", "date")


def parse_status(response: Any, provider_id: str) -> StatusReport:
    """A :class:`StatusReport` from a getStatus ``response``.

    The status is a word (``status``, ``delivery_status``, ``state``) or a code
    (``status_code``), or an object ``{"code": .., "message": ..}``; a bare word or a
    history-like list (its last entry) is accepted too.  The word is kept in ``raw``;
    the time of the last change comes from ``status_date`` (or ``last_status_change``,
    ``updated``, ``date``).  Raises :class:`MalformedReply` when no status is there.
    """
    if isinstance(response, list):
        events = parse_history(response)
        if not events:
            raise MalformedReply("the getStatus reply is an empty list")
        last = events[-1]
        return StatusReport(id=str(provider_id), status=last.status, updated_at=last.at,
                            description=last.description, raw=last.description)
    if isinstance(response, (str, int)) and not isinstance(response, bool):
        status = status_from_word(response)
        return StatusReport(id=str(provider_id), status=status, description=str(response), raw=response)
    if not isinstance(response, Mapping):
        raise MalformedReply("the getStatus reply holds no status")
    word = _first(response, _STATUS_KEYS)
    code = _first(response, _STATUS_CODE_KEYS)
    comment = _first(response, ("comment", "status_comment", "description"))
    if isinstance(word, Mapping):
        code = _first(word, ("code", "status_code")) if code is None else code
        comment = comment if comment is not None else word.get("comment")
        word = _first(word, ("message", "status", "word", "name"))
    if word is None and code is None:
        raise MalformedReply("the getStatus reply holds no status")
    status = status_from_word(word) if word is not None else Status.UNKNOWN
    if status is Status.UNKNOWN and code is not None:
        status = status_from_code(code)
    raw = word if word is not None else code
    description = str(word) if word is not None else None
    if comment:
        description = f"{description}: {comment}" if description else str(comment)
    updated = None
    for key in _CHANGED_KEYS:
        updated = parse_date(response.get(key))
        if updated is not None:
            break
    return StatusReport(id=str(provider_id), status=status, updated_at=updated, description=description,
                        raw=raw)


def parse_history(response: Any) -> list[StatusEvent]:
    """Status events from a getHistory ``response``, oldest first.

    A list of entries ``{"code", "message", "date", "comment"?}``; an object keyed by
    index (what PHP's json_encode makes of a non-sequential array) or a single entry is
    accepted too.  The status comes from the message word, else the code; entries are
    ordered by date where every entry has one.  Raises :class:`MalformedReply`.
    """
    if response is None or response == "":
        return []
    entries: list[Any]
    if isinstance(response, list):
        entries = response
    elif isinstance(response, Mapping):
        if any(k in response for k in ("code", "message", "date", "status")):
            entries = [response]
        else:
            entries = [response[k] for k in sorted(response, key=_index_key)]
    else:
        raise MalformedReply("the getHistory reply is not a list")
    events = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise MalformedReply("a getHistory entry is not an object")
        code = _first(entry, ("code", "status_code", "statusCode"))
        word = _first(entry, ("message", "status", "status_text", "description"))
        status = status_from_word(word) if word is not None else Status.UNKNOWN
        if status is Status.UNKNOWN and code is not None:
            status = status_from_code(code)
        comment = entry.get("comment")
        events.append(StatusEvent(
            status=status, at=parse_date(_first(entry, ("date", "time", "at", "status_date", "created"))),
            code=None if code is None else _id_text(code), description=None if word is None else str(word),
            comment=None if comment in (None, "") else str(comment)))
    if events and all(e.at is not None for e in events):
        events.sort(key=lambda e: e.at)  # type: ignore[arg-type,return-value]
    return events


def _index_key(key: Any) -> tuple[int, Any]:
    text = str(key)
    return (0, int(text)) if text.isdigit() else (1, text)


# -- getCreditNumber / getMonthlyStat ---------------------------------------------------
def parse_credit(response: Any) -> Decimal:
    """The balance from a getCreditNumber ``response``: a number, a numeric string
    (spaces and a decimal comma tolerated), or inside an object (``credit``,
    ``credits``, ``credit_number``, ``balance``, ``amount``).  Raises :class:`MalformedReply`."""
    value = response
    if isinstance(value, Mapping):
        value = _first(value, ("credit", "credits", "credit_number", "creditNumber", "balance", "amount"))
    if isinstance(value, bool) or value is None:
        raise MalformedReply("the getCreditNumber reply holds no number")
    try:
        if isinstance(value, float):
            amount = Decimal(repr(value))
        elif isinstance(value, (int, Decimal)):
            amount = Decimal(value)
        elif isinstance(value, str):
            text = re.sub(r"\s", "", value)
            if "," in text and "." not in text:
                text = text.replace(",", ".")
            amount = Decimal(text)
        else:
            raise MalformedReply("the getCreditNumber reply holds no number")
    except InvalidOperation:
        raise MalformedReply(f"unreadable credit: {_short(str(value))!r}") from None
    if not amount.is_finite():
        raise MalformedReply("the credit is not a finite number")
    return amount


_MONTH_RE = re.compile(r"\s*(\d{4})\s*[-./]?\s*(\d{1,2})(?:[-./]\d{1,2})?\s*$")
_DOMESTIC_KEYS = ("domestic", "inland", "national", "belfold", "belföldi", "belfoldi", "hu")
_FOREIGN_KEYS = ("foreign", "abroad", "international", "kulfold", "külföldi", "kulfoldi")


def parse_monthly(response: Any) -> list[MonthlyStat]:
    """Monthly counts from a getMonthlyStat ``response``, oldest month first.

    An object keyed by ``YYYY-MM`` whose values hold ``domestic`` and ``foreign``, or a
    list of objects with a ``month`` key (SPEC §5).  ``YYYY-M``, ``YYYY.MM`` and
    ``YYYYMM`` are normalised to ``YYYY-MM``; missing counts are 0; an empty list is no
    months (PHP sends ``[]`` for an empty array).  Raises :class:`MalformedReply`.
    """
    rows: list[tuple[Any, Any]] = []
    if response is None or response == "":
        return []
    if isinstance(response, Mapping):
        if "month" in response:
            rows = [(response["month"], response)]
        else:
            rows = list(response.items())
    elif isinstance(response, list):
        for item in response:
            if not isinstance(item, Mapping):
                raise MalformedReply("a getMonthlyStat entry is not an object")
            month = _first(item, ("month", "date", "period", "ym"))
            if month is None and "year" in item:
                month = f"{item['year']}-{item.get('month_number', item.get('mon', ''))}"
            rows.append((month, item))
    else:
        raise MalformedReply("the getMonthlyStat reply is neither an object nor a list")
    stats: dict[str, MonthlyStat] = {}
    for month, counts in rows:
        label = _month(month)
        if not isinstance(counts, Mapping):
            raise MalformedReply(f"the counts of {label} are not an object")
        domestic = _count(_first(counts, _DOMESTIC_KEYS))
        foreign = _count(_first(counts, _FOREIGN_KEYS))
        earlier = stats.get(label)
        if earlier is not None:  # the same month twice (e.g. 2024-1 and 2024-01): add up
            domestic += earlier.domestic
            foreign += earlier.foreign
        stats[label] = MonthlyStat(month=label, domestic=domestic, foreign=foreign)
    return [stats[k] for k in sorted(stats)]


def _month(value: Any) -> str:
    m = _MONTH_RE.match(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise MalformedReply(f"unreadable month: {_short(str(value))!r}")
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def _count(value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise MalformedReply("a monthly count is a boolean")
    try:
        number = float(value) if isinstance(value, (int, float, str)) else math.nan
    except ValueError:
        raise MalformedReply(f"unreadable count: {_short(str(value))!r}") from None
    if not math.isfinite(number) or number < 0 or not number.is_integer():
        raise MalformedReply(f"unreadable count: {_short(str(value))!r}")
    return int(number)


# -- server side: rendering -------------------------------------------------------------
def ok_reply(response: Any) -> dict[str, Any]:
    """A success reply carrying ``response``."""
    return {"success": True, "error": False, "response": response}


def error_reply(code: int, message: str | None = None) -> dict[str, Any]:
    """An error reply (``error_code`` / ``error_message``, as the stand-in sends them)."""
    return {"success": False, "error": True, "error_code": int(code),
            "error_message": message or ERROR_MESSAGES.get(int(code), "Error")}


def error_reply_for(exc: SmsBridgeError) -> dict[str, Any]:
    """The error reply for an smsbridge error raised while serving a call (the reverse of
    :func:`error_for`, so the caller's backend raises the same kind of error):

    InvalidNumber 201; InvalidMessage 202 (empty text) or 203; AuthenticationError 101;
    InsufficientCredit 301; NotFound 404; UnsupportedOperation 501; ProviderUnavailable
    and ConfigError (the gateway's own configuration: nothing was sent) 503;
    DeliveryUnknown 504; another ProviderError 203 when it was refused before acceptance,
    else 502; anything else 500.  The message is the error's own text, redacted.
    """
    code = _reverse_code(exc)
    message = _clean_message(getattr(exc, "message", None) or str(exc)) or ERROR_MESSAGES[code]
    return error_reply(code, message)


def _reverse_code(exc: SmsBridgeError) -> int:
    if isinstance(exc, InvalidNumber):
        return E_NUMBER
    if isinstance(exc, InvalidMessage):
        return E_EMPTY if "empty" in str(exc).lower() else E_MESSAGE
    if isinstance(exc, NotFound):
        return E_NOT_FOUND
    if isinstance(exc, UnsupportedOperation):
        return E_UNSUPPORTED
    if isinstance(exc, AuthenticationError):
        return E_LOGIN
    if isinstance(exc, InsufficientCredit):
        return E_CREDIT
    if isinstance(exc, (ProviderUnavailable, ConfigError)):
        return E_UNAVAILABLE
    if isinstance(exc, DeliveryUnknown):
        return E_UNKNOWN
    if isinstance(exc, ProviderError):
        return E_MESSAGE if exc.retry_safe else E_REFUSED
    return E_INTERNAL


_HTTP_FOR = {E_LOGIN: 401, E_SESSION: 401, E_BAD_REQUEST: 400, E_METHOD: 405, E_TOO_LARGE: 413,
             E_INTERNAL: 500}


def http_status_for(code: int) -> int:
    """The HTTP status a REST face answers an error code with: 401 for login problems,
    the protocol status for request problems (400/405/413), 500 for internal errors, and
    200 for every other error, as the provider does (SPEC §5: the flags decide)."""
    return _HTTP_FOR.get(int(code), 200)


def token_reply(token: str, expires: datetime) -> dict[str, Any]:
    """A connect reply.  ``access_token`` / ``expires_in`` (the expiry date, Budapest time)
    appear both at the top level and inside ``response``: SPEC §5 allows either reading,
    so a client written for either one works."""
    fields = {"access_token": token, "expires_in": format_date(expires)}
    return {**ok_reply(dict(fields)), **fields}


def send_response(sms_id: str | int) -> dict[str, Any]:
    """A sendSMS ``response``: ``{"sms_id": 1001}`` (a number where the id is one)."""
    return {"sms_id": _number_if_digits(sms_id)}


def status_response(record: MessageRecord, sms_id: str | int) -> dict[str, Any]:
    """A getStatus ``response`` for a journaled message: the data given at sending, the
    creation date, the delivery status (word and code) and the time of its last change."""
    try:
        parts = split_recipient(record.to)
    except InvalidNumber:
        parts = {"country_code": "", "area_code": "", "number": record.to.lstrip("+")}
    return {
        "sms_id": _number_if_digits(sms_id),
        **parts,
        "message": record.text,
        "sender": record.sender,
        "created": format_date(record.created_at),
        "status": word_for_status(record.status),
        "status_code": code_for_status(record.status),
        "status_date": format_date(record.updated_at or record.created_at),
    }


def history_response(events: Iterable[StatusEvent]) -> list[dict[str, Any]]:
    """A getHistory ``response``: ``[{"code", "message", "date", "comment"?}, ...]``."""
    out = []
    for event in events:
        entry: dict[str, Any] = {"code": code_for_status(event.status), "message": word_for_status(event.status),
                                 "date": format_date(event.at)}
        if event.comment:
            entry["comment"] = event.comment
        out.append(entry)
    return out


def credit_response(balance: Decimal | int | float | str) -> int | float:
    """A getCreditNumber ``response``: the balance as a JSON number."""
    amount = Decimal(str(balance))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def monthly_response(stats: Iterable[MonthlyStat]) -> dict[str, dict[str, int]]:
    """A getMonthlyStat ``response``: ``{"YYYY-MM": {"domestic": n, "foreign": m}}``."""
    return {s.month: {"domestic": int(s.domestic), "foreign": int(s.foreign)}
            for s in sorted(stats, key=lambda s: s.month)}


# -- small helpers ----------------------------------------------------------------------
def _first(data: Mapping[str, Any], keys: Iterable[str]) -> Any:
    """The value of the first key present with a non-null value."""
    for key in keys:
        value = data.get(key)
        if value is not None:
            return value
    return None


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def _code_number(code: Any) -> int | None:
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, float) and code.is_integer():
        return int(code)
    if isinstance(code, str) and code.strip().isdigit() and len(code.strip()) < 10:
        return int(code.strip())
    return None


def _clean_message(message: Any) -> str:
    if message is None or isinstance(message, (Mapping, list)):
        return ""
    return _short(redact(" ".join(str(message).split())), _MAX_MESSAGE)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number_if_digits(value: str | int) -> str | int:
    text = str(value)
    canonical = text.isascii() and text.isdigit() and len(text) <= 16 and (text == "0" or text[0] != "0")
    # "007" stays a string (its zeros are part of it), and so does anything a JavaScript
    # client could not read exactly as a number (2**53 and up).
    return int(text) if canonical and int(text) < 2**53 else text
