"""simpleSMS reply objects: reading their flags (client side) and writing them (server side).

Every reply is an object (a JSON object or XML document in REST, an associative "array"
in SOAP)::

    {"success": true,  "error": false, "response": ...}
    {"success": false, "error": true,  "error_code": 301, "error_message": "Not enough credit"}

The parsers are tolerant of every variant SPEC §5 lists; the renderers produce the one
canonical shape every parser here reads.  What an error code means is :mod:`.error_map`'s.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smsbridge.errors import AuthenticationError, DeliveryUnknown, ProviderError, SmsBridgeError

from .codes import CODE_KEYS, CONNECT, ERROR_MESSAGES, HISTORY, SEND, STATUS, MalformedReply, MessageNotFound
from .error_map import error_from_reply, refused_login
from .payloads import parse_send_reply
from .values import as_flag

__all__ = ["is_error_reply", "has_flags", "parse_reply", "parse_http_reply", "ok_reply", "error_reply"]


def is_error_reply(data: Any) -> bool:
    """True when ``data`` is a reply object whose flags (or error code) say "error"."""
    if not isinstance(data, Mapping):
        return False
    error = as_flag(data.get("error"))
    success = as_flag(data.get("success"))
    if error is True or success is False:
        return True
    if error is None and success is None:
        if isinstance(data.get("error"), str) and data["error"].strip():
            return True  # {"error": "invalid token"}: the error's text in the flag's place
        return isinstance(data.get("error"), Mapping) or any(
            data.get(k) not in (None, "", 0, "0") for k in CODE_KEYS[:2])
    return False


def has_flags(data: Any) -> bool:
    """True when ``data`` looks like a simpleSMS reply object (flags, response or error code)."""
    return isinstance(data, Mapping) and any(k in data for k in ("success", "error", "response", *CODE_KEYS[:2]))


def parse_reply(data: Any, *, operation: str, backend: str | None = None) -> Any:
    """The ``response`` of a reply, or raise the error it carries.

    The ``success`` / ``error`` flags decide (an error reply may come with HTTP 200;
    conflicting flags count as an error); booleans may arrive as ``1``/``"true"``.  The
    error code is read from ``error_code`` / ``errorCode`` / ``code`` and the message from
    ``error_message`` / ``errorMessage`` / ``message`` (or an ``error`` object holding
    them).  A flagless object is its own response unless it has a ``response`` key.
    An error reply to ``connect`` is a refused login whatever its code
    (:func:`.error_map.refused_login`).  Raises :class:`MalformedReply` when ``data`` is
    not an object at all.
    """
    if not isinstance(data, Mapping):
        raise MalformedReply(f"expected a reply object, got {type(data).__name__}")
    if is_error_reply(data):
        error = _reply_error(data, operation=operation, backend=backend)
        raise refused_login(error) if operation == CONNECT else error
    if "response" in data:
        return data["response"]
    return {k: v for k, v in data.items() if k not in ("success", "error")}


def _reply_error(data: Mapping[str, Any], *, operation: str, backend: str | None) -> SmsBridgeError:
    """The error an error reply carries, as its body says (:data:`.error_map.REPLY_ERRORS`),
    with what only the operation tells: "no SMS with this id" is :class:`MessageNotFound`
    only where an id was asked for, and a login error next to an SMS id on ``sendSMS``
    does not prove the message was refused."""
    error = error_from_reply(200, data, backend=backend, sending=operation == SEND)
    if isinstance(error, MessageNotFound) and operation not in (STATUS, HISTORY):
        return ProviderError(error.message, code=error.code, backend=backend)
    if operation == SEND and isinstance(error, AuthenticationError) and _carries_an_id(data.get("response")):
        # "Not logged in", yet an SMS id: the reply does not prove the message was refused,
        # so it must not be repeated.
        return DeliveryUnknown(f"{error.message}, yet the reply carries an SMS id; the message may have been "
                               "accepted, so it is not re-sent", code=error.code, backend=backend)
    return error


def _page_error(status: int, operation: str, backend: str | None) -> SmsBridgeError:
    """The error an HTTP error status proves on its own (a body that is no reply object)."""
    return error_from_reply(status, None, backend=backend, sending=operation == SEND)


def parse_http_reply(status: int, data: Any, *, operation: str, backend: str | None = None) -> Any:
    """The ``response`` of a REST reply, judged with its HTTP status (client side).

    ``data`` is the decoded body (JSON or XML; ``None`` when it was neither).  A reply
    object's flags decide (SPEC §5: errors may come with HTTP 200); the HTTP status adds
    what the body leaves open: a 401 or 403 makes any error a lost or refused login, a 5xx
    on ``sendSMS`` (503 aside) never proves the message was refused, and an error whose
    code this module does not know is classified by the status (503 +
    ``{"error": "try later"}`` is ProviderUnavailable, a 4xx a refusal).  On ``connect``,
    an error reply is a refused login unless the status says the service is unavailable.
    A flagless object is tolerated with a 2xx; a body that is no reply object raises
    :func:`_page_error` for an error status and :class:`MalformedReply` for a 2xx.
    """
    if not (has_flags(data) or (isinstance(data, Mapping) and status < 300)):
        if status >= 400:
            raise _page_error(status, operation, backend)
        raise MalformedReply("the reply is not a simpleSMS reply object")
    if status in (401, 403) and not is_error_reply(data):
        raise MalformedReply(f"HTTP {status} with a success reply")
    if not is_error_reply(data):
        return parse_reply(data, operation=operation, backend=backend)
    error = _by_status(status, _reply_error(data, operation=operation, backend=backend), operation, backend)
    raise refused_login(error) if operation == CONNECT else error


def _by_status(status: int, error: SmsBridgeError, operation: str, backend: str | None) -> SmsBridgeError:
    """An error reply's error, corrected by what its HTTP status proves."""
    if not isinstance(error, ProviderError):
        return error
    if isinstance(error, AuthenticationError) and operation == SEND and status >= 500 and status != 503:
        # A 5xx on sendSMS does not prove the message was refused, whatever the body says.
        return _page_error(status, operation, backend)
    if status in (401, 403) and not isinstance(error, (AuthenticationError, DeliveryUnknown)):
        # HTTP 401/403: the login is gone (or refused), whatever code the body uses.
        return AuthenticationError(error.message, code=error.code, backend=backend)
    if status >= 400 and type(error) is ProviderError and not error.retry_safe:
        by_status = _page_error(status, operation, backend)
        message = f"{error.message} (HTTP {status})"
        if isinstance(by_status, DeliveryUnknown):
            message += "; the message may have been accepted, so it is not re-sent"
        if type(by_status) is ProviderError:
            return ProviderError(message, code=error.code, backend=backend, pre_acceptance=by_status.retry_safe)
        return type(by_status)(message, code=error.code, backend=backend)  # type: ignore[call-arg]
    if operation == CONNECT and (status in (429, 503) or status >= 500) and not isinstance(error, AuthenticationError):
        return _page_error(status, operation, backend)
    return error


def _carries_an_id(response: Any) -> bool:
    """True when a reply's ``response`` holds something readable as an SMS id."""
    if response is None or isinstance(response, bool) or (isinstance(response, str) and not response.isdigit()):
        return False
    try:
        parse_send_reply(response)
    except MalformedReply:
        return False
    return True


def ok_reply(response: Any) -> dict[str, Any]:
    """A success reply carrying ``response``."""
    return {"success": True, "error": False, "response": response}


def error_reply(code: int, message: str | None = None) -> dict[str, Any]:
    """An error reply (``error_code`` / ``error_message``, as the stand-in sends them)."""
    return {"success": False, "error": True, "error_code": int(code),
            "error_message": message or ERROR_MESSAGES.get(int(code), "Error")}
