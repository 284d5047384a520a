"""simpleSMS errors <-> smsbridge errors, both ways, as data (the table in :mod:`.codes`).

Client side, :data:`REPLY_ERRORS` (the core's :class:`~smsbridge.wire.ReplyErrors`) reads
an error reply's code and message (:func:`read_error`) and says which smsbridge error it
proves; the codes that mean the same on every call are its code sets, the rest is
simpleSMS's own and lives in ``special`` / ``special_send``: textual codes and messages
naming the login, the credit or a refusal to serve now; 500/504, which on ``sendSMS`` may
follow acceptance; the codes refused before acceptance; and unknown codes, which are *not*
retry-safe (SPEC §2: "per code").  A reply object's code is judged as the body says
(``http_status`` 200); the HTTP status's corrections are :func:`.replies.parse_http_reply`'s.
An HTTP error page that holds no reply object (``payload`` ``None``) is judged by its status.

Server side, :data:`ERROR_REPLIES` (the core's :class:`~smsbridge.wire.ErrorReplies`)
answers an smsbridge error with the code (and HTTP status) that makes the caller's
backend raise the same kind of error; both faces build their tables from it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from smsbridge import errors
from smsbridge.errors import AuthenticationError, ProviderError, ProviderUnavailable, SmsBridgeError
from smsbridge.wire import ErrorReplies, ReplyErrors, Rule, WireError

from .codes import (
    CODE_KEYS,
    E_BAD_REQUEST,
    E_CREDIT,
    E_EMPTY,
    E_INTERNAL,
    E_LOGIN,
    E_MESSAGE,
    E_METHOD,
    E_NOT_FOUND,
    E_NUMBER,
    E_REFUSED,
    E_SESSION,
    E_TOO_LARGE,
    E_UNAVAILABLE,
    E_UNKNOWN,
    E_UNSUPPORTED,
    ERROR_MESSAGES,
    MESSAGE_KEYS,
    MessageNotFound,
)
from .values import as_flag, clean_message, code_number, first_of, shorten

__all__ = ["REPLY_ERRORS", "error_from_reply", "read_error", "ERROR_REPLIES", "reply_for_error", "refusal",
           "http_status_for", "login_lost", "is_auth_expired", "refused_login"]

_PRE_ACCEPTANCE = frozenset({E_NUMBER, E_EMPTY, E_MESSAGE, E_BAD_REQUEST, E_METHOD, E_TOO_LARGE,
                             E_UNSUPPORTED})
# The codes whose meaning is the same on every call: REPLY_ERRORS's code sets.
_AUTH = (E_LOGIN, E_SESSION, 401, 403)
_CREDIT = (E_CREDIT,)
_THROTTLE = (E_UNAVAILABLE,)
_DATA_CODES = frozenset(_AUTH + _CREDIT + _THROTTLE)
_FALLBACK_TEXT = "simpleSMS reported an error"

# -- reply -> error ------------------------------------------------------------------------


def read_error(data: Any) -> tuple[Any, str | None]:
    """``(code, message)`` of an error reply object; ``(None, None)`` for anything else.

    The code is read from ``error_code`` / ``errorCode`` / ``code``, the message from
    ``error_message`` / ``errorMessage`` / ``message`` (or an ``error`` object holding
    them, or ``{"error": "invalid_token"}``, whose text stands for both).  A numeric code
    comes back as an ``int``, a textual one cut short; the message redacted and cut
    short, else the code's table text.
    """
    if not isinstance(data, Mapping):
        return None, None
    source: Mapping[str, Any] = data
    if isinstance(data.get("error"), Mapping):
        source = {**data, **data["error"]}
    code = first_of(source, CODE_KEYS)
    message = first_of(source, MESSAGE_KEYS)
    if isinstance(data.get("error"), str) and as_flag(data["error"]) is None:
        code = data["error"] if code is None else code
        message = data["error"] if message is None else message
    if message is None and isinstance(data.get("response"), str):
        message = data["response"]
    number = code_number(code)
    shown: Any = number if number is not None else (shorten(str(code)) if code is not None else None)
    return shown, clean_message(message) or ERROR_MESSAGES.get(number or -1) or _FALLBACK_TEXT


def _is_page(http_status: int, code: Any, text: str) -> bool:
    """True when the payload held no reply object (:func:`read_error` read nothing)."""
    return code is None and text == f"HTTP {http_status}"


def _page_error(http_status: int, backend: str | None) -> SmsBridgeError:
    """An HTTP error status whose body is no simpleSMS reply (a proxy page), not on a send."""
    code = f"HTTP {http_status}"
    if http_status in (401, 403):
        return AuthenticationError(f"simpleSMS refused the login (HTTP {http_status})", code=code, backend=backend)
    if http_status in (429, 503):
        return ProviderUnavailable(f"simpleSMS is not accepting requests (HTTP {http_status})", code=code,
                                   backend=backend)
    if http_status >= 500:
        return ProviderUnavailable(f"simpleSMS failed (HTTP {http_status})", code=code, backend=backend)
    return ProviderError(f"simpleSMS refused the request (HTTP {http_status}); is base_url right?", code=code,
                         backend=backend, pre_acceptance=True)


_BUSY_WORDS = ("unavailable", "try later", "try_later", "too many", "too_many", "busy", "maintenance",
               "rate limit", "rate_limit", "overload")


def _textual(code: str, text: str, backend: str | None) -> SmsBridgeError:
    """A textual error code (``NO_CREDIT``, ``try later``), read by the words it uses."""
    word = code.lower()
    if any(k in word for k in ("credential", "password")):
        return AuthenticationError(f"simpleSMS refused the login: {text}", code=code, backend=backend)
    if "credit" in word or "balance" in word:
        return errors.InsufficientCredit(f"simpleSMS: {text}", code=code, backend=backend)
    if any(k in word for k in _BUSY_WORDS):
        return ProviderUnavailable(f"simpleSMS: {text}", code=code, backend=backend)
    if "not_found" in word or "notfound" in word:
        return MessageNotFound(f"simpleSMS: {text}", code=code, backend=backend)
    return ProviderError(f"simpleSMS: {text}", code=code, backend=backend)


def _special(http_status: int, code: Any, text: str, backend: str | None) -> SmsBridgeError | None:
    """What only simpleSMS's table says (see the module doc); ``None`` for the code sets."""
    if _is_page(http_status, code, text):
        return _page_error(http_status, backend)
    number = code_number(code)
    if login_lost(code, text):
        if number in _AUTH:
            return None
        return AuthenticationError(f"simpleSMS says the login is gone: {text}", code=code, backend=backend)
    if number is None and isinstance(code, str) and code.strip():
        return _textual(code, text, backend)
    if number in _DATA_CODES:
        return None
    if number == E_NOT_FOUND:
        return MessageNotFound(f"simpleSMS: {text}", code=code, backend=backend)
    if number in (E_INTERNAL, E_UNKNOWN):
        return ProviderUnavailable(f"simpleSMS: {text}", code=code, backend=backend)
    if number in _PRE_ACCEPTANCE:
        return ProviderError(f"simpleSMS refused the request: {text}", code=code, backend=backend,
                             pre_acceptance=True)
    return ProviderError(f"simpleSMS: {text}", code=code, backend=backend)


def _special_send(http_status: int, code: Any, text: str, backend: str | None) -> SmsBridgeError | None:
    """On ``sendSMS``: a 5xx page (503 aside) and codes 500/504 may follow acceptance."""
    if _is_page(http_status, code, text):
        if http_status >= 500 and http_status != 503:
            return errors.DeliveryUnknown(f"simpleSMS failed while handling the message (HTTP {http_status}); it "
                                          "may have been accepted, so it is not re-sent", code=f"HTTP {http_status}",
                                          backend=backend)
        return None
    if code_number(code) in (E_INTERNAL, E_UNKNOWN):
        return errors.DeliveryUnknown(f"simpleSMS: {text}; the message may have been accepted, so it is not "
                                      "re-sent", code=code, backend=backend)
    return None


REPLY_ERRORS = ReplyErrors(provider="simpleSMS", read=read_error, auth=_AUTH, credit=_CREDIT, throttle=_THROTTLE,
                           special=_special, special_send=_special_send)
"""simpleSMS's error replies -> smsbridge errors (the table in :mod:`.codes`)."""
error_from_reply = REPLY_ERRORS.error_from_reply


# Words that say "log in again" in a textual error code or an error message.  A numeric
# code the table knows decides alone (a "session" in the text of a 301 is no login problem).
_LOST_CODE_WORDS = ("not_logged", "notlogged", "not logged", "logged_out", "loggedout", "logged out",
                    "expired", "token", "session", "auth", "login")
_LOST_MESSAGE_WORDS = ("not logged in", "not logged", "logged out", "log in again", "login required",
                       "login again", "expired", "invalid token", "token", "session", "unauthorized",
                       "unauthorised", "unauthenticated", "not authenticated")
_LOST_NUMBERS = frozenset({E_LOGIN, E_SESSION, 401, 403})


def login_lost(code: Any, message: Any = None) -> bool:
    """The one rule for "the login is gone: connect again", for REST and SOAP alike.

    True for the known login codes (101 wrong login, 102 not logged in / expired) and the
    HTTP-like body codes 401 and 403; for a textual code naming the login
    (``NOT_LOGGED_IN``, ``TOKEN_EXPIRED``, ``invalid_token``, ``SESSION_EXPIRED``,
    ``unauthorized``); and, when the code is absent or one the table does not know, for a
    message saying so ("Not logged in", "token expired", "invalid token", "session ...").
    A code the table knows (201, 301, 404, 500...) is never overridden by its message.
    The HTTP status (401/403) is judged by :func:`.replies.parse_http_reply`; whether a
    ``sendSMS`` may be repeated after it is the backend's rule (:mod:`.backend`).
    """
    number = code_number(code)
    if number is not None:
        if number in _LOST_NUMBERS:
            return True
        if number in ERROR_MESSAGES:
            return False
    elif isinstance(code, str) and code.strip():
        word = code.strip().lower()
        if any(k in word for k in _LOST_CODE_WORDS):
            return True
    if isinstance(message, str) and message.strip():
        text = " ".join(message.lower().replace("_", " ").split())
        return any(k in text for k in _LOST_MESSAGE_WORDS)
    return False


def is_auth_expired(code: Any) -> bool:
    """True when the code alone means "log in again" (:func:`login_lost` without a
    message), wrong credentials (101) excepted: logging in again with them cannot help."""
    return code_number(code) != E_LOGIN and login_lost(code)


def refused_login(error: SmsBridgeError) -> SmsBridgeError:
    """What an error reply to ``connect`` proves: the credentials failed, whatever code the
    provider uses (its documentation lists none), so :class:`AuthenticationError` keeping
    the provider's code.  Only a reply saying the service cannot serve now
    (ProviderUnavailable: 500, 503, 504, "try later") stays what it is."""
    if isinstance(error, (AuthenticationError, ProviderUnavailable)) or not isinstance(error, ProviderError):
        return error
    text = re.sub(r"^simpleSMS(?: refused the request)?: ", "", error.message)
    return AuthenticationError(f"simpleSMS refused the login: {text}", code=error.code, backend=error.backend)




# -- error -> reply ------------------------------------------------------------------------


def _own_text(exc: BaseException) -> str:
    """The error's own message, redacted and cut short (empty: the code's table text)."""
    return clean_message(getattr(exc, "message", None) or str(exc))


def _body(http_status: int, code: Any, message: str | None, **context: Any) -> dict[str, Any]:
    from .replies import error_reply

    return error_reply(code, message)


_HTTP_FOR = {E_LOGIN: 401, E_SESSION: 401, E_BAD_REQUEST: 400, E_METHOD: 405, E_TOO_LARGE: 413,
             E_INTERNAL: 500}


def http_status_for(code: int) -> int:
    """The HTTP status a REST face answers an error code with: 401 for login problems,
    the protocol status for request problems (400/405/413), 500 for internal errors, and
    200 for every other error, as the provider does (SPEC §5: the flags decide)."""
    return _HTTP_FOR.get(int(code), 200)


def _rule(error: type[BaseException], code: int, **fields: Any) -> Rule:
    return Rule(error, http_status_for(code), code, message=_own_text, **fields)


ERROR_REPLIES = ErrorReplies(body=_body, internal=E_INTERNAL, internal_message=ERROR_MESSAGES[E_INTERNAL], rules=[
    _rule(errors.InvalidNumber, E_NUMBER),
    _rule(errors.InvalidMessage, E_EMPTY, reason="empty"),
    _rule(errors.InvalidMessage, E_MESSAGE),
    _rule(errors.NotFound, E_NOT_FOUND),
    _rule(errors.UnsupportedOperation, E_UNSUPPORTED),
    _rule(AuthenticationError, E_LOGIN),
    _rule(errors.InsufficientCredit, E_CREDIT),
    _rule(ProviderUnavailable, E_UNAVAILABLE),
    _rule(errors.ConfigError, E_UNAVAILABLE),  # the gateway's own configuration: nothing was sent
    _rule(errors.DeliveryUnknown, E_UNKNOWN),
    _rule(ProviderError, E_MESSAGE, retry_safe=True),  # refused before acceptance
    _rule(ProviderError, E_REFUSED),
    _rule(SmsBridgeError, E_INTERNAL),
])
"""smsbridge errors -> simpleSMS error replies (the reverse of :data:`REPLY_ERRORS`, so the
caller's backend raises the same kind of error): InvalidNumber 201; InvalidMessage 202
(reason ``empty``) or 203; NotFound 404; UnsupportedOperation 501; AuthenticationError
101; InsufficientCredit 301; ProviderUnavailable and ConfigError 503; DeliveryUnknown 504;
another ProviderError 203 when refused before acceptance, else 502; anything else 500."""
reply_for_error = ERROR_REPLIES.reply


def refusal(code: int, message: str | None = None, *, status: int | None = None) -> WireError:
    """The :class:`~smsbridge.wire.WireError` a face raises to answer with error ``code``:
    the code's table text unless ``message``, the code's HTTP status unless ``status``."""
    return WireError(message or ERROR_MESSAGES.get(code, "Error"), code=code,
                     status=http_status_for(code) if status is None else status)
