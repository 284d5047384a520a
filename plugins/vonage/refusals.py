"""Vonage's refusals, both ways: its error bodies, which of its codes mean which
smsbridge error (:data:`REPLY_ERRORS`), and how each smsbridge error reads in its words
(:data:`ERROR_REPLIES`, shared by the gateway face and the SDK shim).

Vonage answers a refused message with **HTTP 200**: the per-message ``status`` ("0"
accepted, "4" bad credentials, "9" no credit, ...) carries the reason, and only the HTTP
layer's own failures (401 for a Basic header, 429, 5xx) use an HTTP status.  So an error
*code* here is a per-message status, and a code of ``None`` means an HTTP-level error.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from smsbridge import errors, wire

from .params import digits

__all__ = ["ERROR_TEXT", "WireError", "render_send_error", "http_error_body", "REPLY_ERRORS", "ERROR_REPLIES"]

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


class WireError(wire.WireError):
    """A request the face refuses.  Vonage refuses a message with HTTP 200 and the
    reason in a per-message status (``code``, e.g. "2" missing parameter), so that is
    the default; an HTTP-level refusal has ``code=None`` and its own ``status``."""

    def __init__(self, message: str, *, status: int = 200, code: Any = "3", field: str | None = None) -> None:
        super().__init__(message, status=status, code=code, field=field)


def render_send_error(status: str, text: str | None = None, *, to: str | None = None) -> dict[str, Any]:
    """A refusal: still HTTP 200 and ``message-count`` "1", the reason in ``status``."""
    entry: dict[str, str] = {}
    if to:
        entry["to"] = digits(to)
    entry["status"] = str(status)
    entry["error-text"] = text or ERROR_TEXT.get(str(status), "Error")
    return {"message-count": "1", "messages": [entry]}


_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 413: "Payload Too Large", 415: "Unsupported Media Type",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}


def http_error_body(http_status: int, detail: str) -> dict[str, Any]:
    """The JSON Vonage's HTTP layer answers with (401 bad credentials, 400 bad body)."""
    slug = "unauthorized" if http_status == 401 else ""
    return {"type": f"https://developer.nexmo.com/api-errors#{slug}" if slug
            else "https://developer.nexmo.com/api-errors",
            "title": _TITLES.get(http_status, "Error"), "detail": detail}


def _body(http_status: int, code: Any, message: str, *, to: str | None = None, **_: Any) -> dict[str, Any]:
    """An error in Vonage's words: a per-message status (HTTP 200), or with ``code=None``
    the HTTP layer's body."""
    if code is None:
        return http_error_body(http_status, message)
    return render_send_error(str(code), message, to=to)


# --------------------------------------------------------------------------- reply -> error

def _read(payload: Any) -> tuple[Any, str | None]:
    """``(status, error-text)`` of the first refused part, or the HTTP body's detail."""
    if not isinstance(payload, Mapping):
        return None, None
    entries = payload.get("messages")
    failed = [m for m in entries if isinstance(m, Mapping) and str(m.get("status")) != "0"] \
        if isinstance(entries, list) else []
    if failed:
        code = str(failed[0].get("status"))
        return code, failed[0].get("error-text") or ERROR_TEXT.get(code, f"status {code}")
    return None, payload.get("detail") or payload.get("title") or payload.get("error-text")


_NUMBER_WORDS = re.compile(r"\b(to|number|msisdn|address)\b", re.I)
_SENDER_WORDS = re.compile(r"sender|from", re.I)


def _special(http_status: int, code: Any, text: str, backend: str | None) -> errors.SmsBridgeError | None:
    """Status "3" (invalid parameters) is a bad number when its text names the recipient."""
    if code == "3" and _NUMBER_WORDS.search(text) and not _SENDER_WORDS.search(text):
        return errors.InvalidNumber(f"Vonage: {text}")
    return None


REPLY_ERRORS = wire.ReplyErrors(
    provider="Vonage", read=_read, special=_special,
    auth=("4", "8", "11", "14", "32"), throttle=("1", "5", "10"), credit=("9",),
    invalid_number=("33",), invalid_message=("2", "3", "6", "12", "15"),
)
"""A non-zero per-message status proves the message was not accepted: every
``ProviderError`` it reads as is safe to fail over.  HTTP 5xx to a send: DeliveryUnknown."""


# --------------------------------------------------------------------------- error -> reply

_Rule = wire.Rule
_NO_PROVIDER = "Internal Error: no provider accepted the message"

ERROR_REPLIES = wire.ErrorReplies(body=_body, internal=None, rules=[
    _Rule(errors.DeliveryUnknown, 502, None, "The message may have been sent; its delivery is unknown."),
    _Rule(errors.InvalidNumber, 200, "3", "Invalid to address"),
    _Rule(errors.InvalidMessage, 200, "12", "Message too long", reason="too_long"),
    _Rule(errors.InvalidMessage, 200, "15", "Illegal Sender Address - rejected", reason="bad_sender"),
    _Rule(errors.InvalidMessage, 200, "15", "Illegal Sender Address - rejected", reason="sender_unsupported"),
    _Rule(errors.InvalidMessage, 200, "6", lambda e: f"Invalid Message: {e}"),
    _Rule(errors.IdempotencyConflict, 409, None, "The Idempotency-Key was already used for another request."),
    _Rule(errors.NotFound, 404, None, "No such message."),
    _Rule(errors.InsufficientCredit, 200, "9", "Quota Exceeded - rejected"),
    _Rule(errors.ProviderUnavailable, 200, "5", _NO_PROVIDER),
    _Rule(errors.AuthenticationError, 200, "5", _NO_PROVIDER),
    _Rule(errors.ProviderError, 200, "5", lambda e: f"Internal Error: {e}", retry_safe=True),
    _Rule(errors.ProviderError, 502, None, "The provider answered with an error; the message may have been sent."),
    _Rule(errors.UnsupportedOperation, 404, None, lambda e: f"No balance available: {e}"),
    _Rule(errors.SmsBridgeError, 200, "3"),
])
"""The inverse of :data:`REPLY_ERRORS`, so a Vonage backend in front of a Vonage face gets
the error class the face's Bridge raised.  A send that may have gone out is not a refusal
Vonage can express in a status: HTTP 502."""
