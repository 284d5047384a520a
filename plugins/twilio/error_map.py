"""Twilio's errors both ways, as data: a reply read as an smsbridge error (client side)
and an smsbridge error answered as Twilio's error JSON (the gateway face and the SDK shim).

The two tables are inverses where Twilio's vocabulary allows, so a Twilio backend talking
to a Twilio face gets the error class the face's Bridge raised.  Rules match an error's
class and fields (:attr:`InvalidMessage.reason`, ``retry_safe``), never its English text.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smsbridge import errors
from smsbridge import wire as core

from . import api

__all__ = ["WireError", "more_info", "render_error", "REPLY_ERRORS", "ERROR_REPLIES"]


class WireError(core.WireError):
    """A request Twilio would refuse: ``code`` is Twilio's error code, ``status`` the HTTP
    status; answered as it is (:data:`ERROR_REPLIES`)."""


def more_info(code: int) -> str:
    return f"https://www.twilio.com/docs/errors/{code}"


_NAMING_THE_NUMBER = {api.E_INVALID_TO: "The 'To' number {to} is not a valid phone number."}
"""Errors whose Twilio text names the caller's ``To``, when the caller's request is known."""


def render_error(status: int, code: int, message: str, *, to: str | None = None) -> dict[str, Any]:
    """Twilio's error JSON. Never ``type`` + ``title`` (providers.md §1.1: the SDK would
    raise ``TwilioServiceException`` instead of ``TwilioRestException``).

    ``to``: the recipient of the request being refused, which 21211's text names.
    """
    code = int(code)
    if to is not None and code in _NAMING_THE_NUMBER:
        message = _NAMING_THE_NUMBER[code].format(to=to)
    return {"code": code, "message": message, "more_info": more_info(code), "status": int(status)}


# --------------------------------------------------------------------------- reply -> error

def _read(payload: Any) -> tuple[int | None, str | None]:
    """``(code, message)`` of Twilio's error JSON; a code that is no number reads as none."""
    if not isinstance(payload, Mapping):
        return None, None
    try:
        code = int(payload["code"]) if payload.get("code") is not None else None
    except (TypeError, ValueError):
        code = None
    return code, str(payload.get("message") or "")


REPLY_ERRORS = core.ReplyErrors(
    provider="Twilio", read=_read,
    auth={api.E_AUTHENTICATE},
    throttle={api.E_TOO_MANY_REQUESTS, api.E_UNAVAILABLE, 14107, 30001},
    credit={api.E_ACCOUNT_NOT_ACTIVE, 10001, 30002},
    invalid_number={21211, 21214, 21217, 21401, 21407, 21421, 21604, 21614, 21635},
    invalid_message={21212, 21602, 21603, 21606, 21617, 21619, 21620, 21659, 30007},
    not_found={api.E_NOT_FOUND},
)
"""Twilio creates nothing on a 4xx, so every 4xx is a refusal before acceptance; a 5xx
on a send may follow acceptance (``DeliveryUnknown``), except 503 (refused)."""


# --------------------------------------------------------------------------- error -> reply

def _delivery_unknown(exc: BaseException) -> str:
    message_id = getattr(exc, "message_id", None)
    where = f" (smsbridge id {message_id})" if message_id else ""
    return f"The message may have been sent; its delivery is unknown{where}."


_UNAVAILABLE = "Service unavailable: no provider accepted the message; try again later."
_R = core.Rule

ERROR_REPLIES = core.ErrorReplies(body=render_error, internal=api.E_INTERNAL, rules=[
    _R(errors.InvalidNumber, 400, api.E_INVALID_TO, "The 'To' number is not a valid phone number."),
    _R(errors.InvalidMessage, 400, api.E_BODY_TOO_LONG, lambda e: f"The message body is too long: {e}",
       reason="too_long"),
    _R(errors.InvalidMessage, 400, api.E_INVALID_FROM, lambda e: f"The 'From' number is not valid: {e}",
       reason="bad_sender"),
    _R(errors.InvalidMessage, 400, api.E_INVALID_FROM, lambda e: f"The 'From' number is not valid: {e}",
       reason="sender_unsupported"),
    _R(errors.InvalidMessage, 400, api.E_BODY_REQUIRED, "Message body is required.", reason="empty"),
    _R(errors.InvalidMessage, 400, api.E_UNSUBSCRIBED, "Attempt to send to unsubscribed recipient",
       reason="opted_out"),
    _R(errors.InvalidMessage, 400, api.E_INVALID_PARAMETER, lambda e: f"Message is not scheduled: {e}",
       reason="not_scheduled"),
    _R(errors.InvalidMessage, 400, api.E_INVALID_PARAMETER, reason="bad_request"),
    _R(errors.InvalidMessage, 400, api.E_FILTERED, lambda e: f"Message filtered: {e}"),
    _R(errors.IdempotencyConflict, 409, api.E_CONFLICT,
       "The idempotency token was already used for a different request"),
    _R(errors.NotFound, 404, api.E_NOT_FOUND, "The requested resource was not found"),
    _R(errors.InsufficientCredit, 400, api.E_ACCOUNT_NOT_ACTIVE,
       "Account not active: insufficient funds to send the message."),
    _R(errors.DeliveryUnknown, 502, api.E_INTERNAL, _delivery_unknown),
    # upstream credential trouble is the gateway's, not the caller's: a 503, never a 401
    _R(errors.ProviderUnavailable, 503, api.E_UNAVAILABLE, _UNAVAILABLE),
    _R(errors.AuthenticationError, 503, api.E_UNAVAILABLE, _UNAVAILABLE),
    _R(errors.ProviderError, 400, api.E_FILTERED, lambda e: f"The provider refused the message: {e}",
       retry_safe=True),
    _R(errors.ProviderError, 502, api.E_INTERNAL, lambda e: f"The provider answered with an error: {e}"),
    _R(errors.UnsupportedOperation, 404, api.E_NOT_FOUND, lambda e: f"Not available: {e}"),
    _R(errors.SmsBridgeError, 400, api.E_INVALID_PARAMETER),
])
"""How each smsbridge error reads in Twilio's words (the inverse of :data:`REPLY_ERRORS`)."""
