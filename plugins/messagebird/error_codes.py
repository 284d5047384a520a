"""MessageBird's errors both ways, as data: an error reply -> an smsbridge error
(:data:`REPLY_ERRORS`, the backend's reading) and an smsbridge error -> the reply
(:data:`ERROR_REPLIES`, shared by the gateway face and the SDK shim).

Every error is ``{"errors": [{"code", "description", "parameter"}]}``.  What a code means
can depend on the ``parameter`` it names (9 "missing" on ``recipients`` is a bad number,
on ``body`` a bad message), so a code travels as an :class:`ErrorCode`: the number, with
its parameter attached.  The SDK parses only 200/201/204/401/404/405/422 bodies, so a face
answers 401, 404 or 422, never 500 (the face's ``respond`` maps the rest onto 422).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from smsbridge import errors
from smsbridge import wire as core
from smsbridge.wire import ErrorReplies, ReplyErrors, Rule

__all__ = ["CODE_AUTH", "CODE_MISSING", "CODE_INVALID", "CODE_NOT_FOUND", "CODE_BAD_REQUEST", "CODE_NO_BALANCE",
           "CODE_INTERNAL", "ErrorCode", "WireError", "UNAUTHORIZED", "errors_json", "parse_errors",
           "error_body", "REPLY_ERRORS", "ERROR_REPLIES", "SDK_STATUSES"]

# Error codes (MessageBird docs): 2 bad access key, 9 missing/incorrect params (incl.
# "no (correct) recipients found"), 10 invalid params, 20 not found, 21 bad request,
# 25 not enough balance, 98 API not found, 99 internal error.
CODE_AUTH = 2
CODE_MISSING = 9
CODE_INVALID = 10
CODE_NOT_FOUND = 20
CODE_BAD_REQUEST = 21
CODE_NO_BALANCE = 25
CODE_INTERNAL = 99

SDK_STATUSES = (401, 404, 422)
"""The error statuses whose body the official SDK reads; a face answers only these."""


class ErrorCode(int):
    """A MessageBird error code with the request ``parameter`` it names (``None``: none).

    An ``int`` (so it compares, prints and serialises as the bare code, and the code sets
    of :class:`~smsbridge.wire.ReplyErrors` match it), carrying the parameter through the
    core's ``(code, text)`` reading and ``body(status, code, message)`` building.
    """

    parameter: str | None

    def __new__(cls, code: int, parameter: str | None = None) -> ErrorCode:
        made = super().__new__(cls, code)
        made.parameter = parameter
        return made

    def __str__(self) -> str:
        return str(int(self))

    def __repr__(self) -> str:
        return f"ErrorCode({int(self)}, {self.parameter!r})"


class WireError(core.WireError):
    """A request a MessageBird face refuses: one MessageBird error, HTTP 422 unless said
    otherwise; ``field`` is MessageBird's ``parameter`` (also carried by ``code``)."""

    code: ErrorCode

    def __init__(self, message: str, *, status: int = 422, code: int = CODE_BAD_REQUEST,
                 field: str | None = None) -> None:
        super().__init__(message, status=status, code=ErrorCode(code, field), field=field)


UNAUTHORIZED = WireError("Request not allowed (incorrect access_key)", status=401, code=CODE_AUTH,
                         field="access_key")
"""A face's answer to a caller with no or an unknown access key."""


def errors_json(items: Iterable[tuple[int, str, str | None]]) -> dict[str, Any]:
    return {"errors": [{"code": int(c), "description": d, "parameter": p} for c, d, p in items]}


def parse_errors(data: Any) -> list[tuple[int | None, str, str | None]]:
    found = data.get("errors") if isinstance(data, Mapping) else None
    out = []
    for e in found if isinstance(found, list) else []:
        if not isinstance(e, Mapping):
            continue
        code = e.get("code")
        out.append((code if isinstance(code, int) and not isinstance(code, bool) else None,
                    str(e.get("description") or ""),
                    e.get("parameter") if isinstance(e.get("parameter"), str) else None))
    return out


def error_body(status: int, code: Any, message: str, **context: Any) -> dict[str, Any]:
    """The error body for ``code`` (an :class:`ErrorCode`, whose parameter it names)."""
    number = CODE_INTERNAL if code is None else int(code)
    return errors_json([(number, message, getattr(code, "parameter", None))])


# -- reply -> error ----------------------------------------------------------------------

def _read(payload: Any) -> tuple[ErrorCode | None, str | None]:
    found = parse_errors(payload)
    if not found:
        return None, None
    code, description, parameter = found[0]
    return (None if code is None else ErrorCode(code, parameter)), description


_FIELD_CODES = (CODE_MISSING, CODE_INVALID)
_GENERIC_STATUSES = (401, 402, 403, 404, 429)
_GENERIC_CODES = (CODE_AUTH, CODE_NOT_FOUND, CODE_NO_BALANCE)


def _special(http_status: int, code: Any, text: str, backend: str | None) -> errors.SmsBridgeError | None:
    """What MessageBird's replies mean beyond the generic rules.

    Codes 9 and 10 are a bad number or a bad message by the parameter they name.  Any
    other refusal below 500 that the generic rules would not place (21, 98, 99, unknown
    codes) is not documented as coming before acceptance, so it is a plain, not
    retry-safe :class:`~smsbridge.errors.ProviderError`: never failed over.  (A smsbridge
    gateway's face answers an upstream ``DeliveryUnknown`` as 422/99, for one.)
    """
    parameter = getattr(code, "parameter", None)
    if code in _FIELD_CODES and http_status not in (401, 403):
        if parameter == "recipients":
            return errors.InvalidNumber(text)
        if parameter in ("body", "originator"):
            return errors.InvalidMessage(text)
    if http_status < 500 and http_status not in _GENERIC_STATUSES and code not in _GENERIC_CODES:
        return errors.ProviderError(text, code=code if code is not None else http_status, backend=backend)
    return None


REPLY_ERRORS = ReplyErrors(provider="MessageBird", read=_read, auth=(CODE_AUTH,), credit=(CODE_NO_BALANCE,),
                           not_found=(CODE_NOT_FOUND,), special=_special)
"""A MessageBird error reply as an smsbridge error (401/2 refused credentials, 25 no
balance, 20/404 not found, 429/503 unavailable, a 5xx to a send unknown)."""


# -- error -> reply ----------------------------------------------------------------------

ERROR_REPLIES = ErrorReplies(
    body=error_body,
    internal=ErrorCode(CODE_INTERNAL),
    rules=[
        Rule(errors.InvalidNumber, 422, ErrorCode(CODE_MISSING, "recipients"), "no (correct) recipients found"),
        Rule(errors.InvalidMessage, 422, ErrorCode(CODE_INVALID, "originator"), reason="bad_sender"),
        Rule(errors.InvalidMessage, 422, ErrorCode(CODE_INVALID, "originator"), reason="sender_unsupported"),
        Rule(errors.InvalidMessage, 422, ErrorCode(CODE_INVALID, "scheduledDatetime"), reason="not_scheduled"),
        Rule(errors.InvalidMessage, 422, ErrorCode(CODE_INVALID, "body")),
        Rule(errors.IdempotencyConflict, 422, ErrorCode(CODE_INVALID, "Idempotency-Key"),
             "idempotency key already used for another request"),
        Rule(errors.NotFound, 404, ErrorCode(CODE_NOT_FOUND), "message not found"),
        Rule(errors.InsufficientCredit, 422, ErrorCode(CODE_NO_BALANCE), "Not enough balance"),
        Rule(errors.UnsupportedOperation, 404, ErrorCode(CODE_NOT_FOUND), "No balance available for this account"),
        # Upstream trouble (including the upstream refusing *our* credentials) is an
        # internal error from the caller's point of view.
        Rule(errors.SmsBridgeError, 422, ErrorCode(CODE_INTERNAL), lambda e: f"Internal error: {e}"),
    ])
"""An smsbridge error in MessageBird's words; anything that is no smsbridge error is
``(500, code 99)``, which a face sends as 422 (:data:`SDK_STATUSES`)."""
