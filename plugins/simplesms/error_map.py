"""simpleSMS errors <-> smsbridge errors, both ways (the table in :mod:`.codes`).

Client side, :func:`error_for` turns a reply's error code and message into the
smsbridge error it proves, and :func:`error_for_http` an HTTP status whose body is no
reply; server side, :func:`code_for_error` and :func:`http_status_for` answer an
smsbridge error with the code (and HTTP status) that makes the caller's backend raise
the same kind of error.
"""
from __future__ import annotations

import re
from typing import Any

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
)

from .codes import (
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
    HISTORY,
    SEND,
    STATUS,
    MessageNotFound,
)
from .values import clean_message, code_number, shorten

__all__ = ["error_for", "error_for_http", "login_lost", "is_auth_expired", "refused_login", "code_for_error",
           "http_status_for"]

_PRE_ACCEPTANCE = frozenset({E_NUMBER, E_EMPTY, E_MESSAGE, E_BAD_REQUEST, E_METHOD, E_TOO_LARGE,
                             E_UNSUPPORTED})


def error_for(code: Any, message: Any, *, operation: str, backend: str | None = None) -> SmsBridgeError:
    """The smsbridge error for a simpleSMS error code (the table in the module docstring).

    Returns (does not raise) an error built from the provider's own message, redacted
    and cut short.  ``operation`` matters for codes whose meaning depends on it (500/504
    on ``sendSMS`` may mean the message was accepted).
    """
    number = code_number(code)
    text = clean_message(message) or ERROR_MESSAGES.get(number or -1) or "simpleSMS reported an error"
    shown: str | int | None = number if number is not None else (shorten(str(code)) if code is not None else None)
    kw: dict[str, Any] = {"code": shown, "backend": backend}
    sending = operation == SEND
    if login_lost(code, message):
        what = "refused the login" if number == E_LOGIN else "says the login is gone"
        return AuthenticationError(f"simpleSMS {what}: {text}", **kw)
    if number is None and isinstance(code, str) and code.strip():
        word = code.lower()
        if any(k in word for k in ("credential", "password")):
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



def code_for_error(exc: SmsBridgeError) -> int:
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
