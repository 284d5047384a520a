"""Infobip's errors both ways, as data: its error bodies (v3 and v2), the refusal a face
raises (:class:`WireError`), how a reply reads as an smsbridge error
(:data:`REPLY_ERRORS`, :func:`rejection_for_status`) and how an smsbridge error reads in
Infobip's words (:data:`ERROR_REPLIES`, :data:`ERROR_REPLIES_V2`).

Infobip names what is wrong with a request by the **violated property**
(``messages[0].destinations[0].to``), not by a code: the ``code`` of a rule here is that
property (``None`` for none), and a 400 naming one is read back by it.  The v3 body is
``{"errorCode","description","action","violations","resources"}`` (the 6.x SDK requires
all five keys); v2 ``{"requestError":{"serviceException":{"messageId","text",
"validationErrors"}}}``, answered only with the statuses the 5.x SDK reads as an
``SMSResponseError`` (:func:`v2_status`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from smsbridge import errors
from smsbridge import wire as core
from smsbridge.model import Status
from smsbridge.wire import Rule

from .statuses import ParsedStatus

__all__ = ["INVALID", "WireError", "invalid", "error_body_v3", "error_body_v2", "v2_status", "REPLY_ERRORS",
           "ERROR_REPLIES", "ERROR_REPLIES_V2", "rejection_for_status"]

INVALID = "Request cannot be processed."
"""Infobip's description of a request with violations."""

Violations = Sequence[tuple[str, str]]


class WireError(core.WireError):
    """A request an Infobip face refuses; ``violations`` are its ``(property, violation)``
    pairs (Infobip lists every one, e.g. each invalid destination), ``field`` the first."""

    def __init__(self, message: str, *, status: int = 400, code: Any = None, field: str | None = None,
                 violations: Violations = ()) -> None:
        violations = tuple(violations)
        super().__init__(message, status=status, code=code, field=field or (violations[0][0] if violations else None))
        self.violations = violations


def invalid(prop: str, violation: str, *more: tuple[str, str]) -> WireError:
    """The 400 for a request whose ``prop`` is wrong (plus ``more`` violations)."""
    return WireError(INVALID, violations=((prop, violation), *more))


# -- bodies --------------------------------------------------------------------------------

_V3_ACTIONS = {
    400: "Check the syntax, violations and adjust the request.",
    401: "Check your credentials: the API key is missing or invalid.",
    403: "Check the permissions of the API key.",
    404: "Check the request path and the identifiers in it.",
    429: "Slow down: too many requests.",
    500: "Try again later or contact support.",
    503: "Try again later.",
}
_V2_IDS = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "BAD_REQUEST",
           429: "TOO_MANY_REQUESTS", 500: "GENERAL_ERROR", 503: "GENERAL_ERROR"}
_V2_STATUSES = (400, 401, 403, 404, 429, 500)


def _described(prop: str | None, message: str, violations: Violations) -> tuple[str, Violations]:
    """A rule names one violated property (its code) with the error's text as the
    violation; a :class:`WireError` brings its description and violations."""
    if prop:
        return INVALID, [(prop, message)]
    return message, violations


def error_body_v3(status: int, prop: str | None = None, message: str = "", *,
                  violations: Violations = ()) -> dict[str, Any]:
    description, violations = _described(prop, message, violations)
    return {"errorCode": f"E{status}", "description": description,
            "action": _V3_ACTIONS.get(status, "Try again later."),
            "violations": [{"property": p, "violation": v} for p, v in violations],
            "resources": []}


def error_body_v2(status: int, prop: str | None = None, message: str = "", *,
                  violations: Violations = ()) -> dict[str, Any]:
    text, violations = _described(prop, message, violations)
    exc: dict[str, Any] = {"messageId": _V2_IDS.get(status, "GENERAL_ERROR"), "text": text}
    if violations:
        by_prop: dict[str, list[str]] = {}
        for name, violation in violations:
            by_prop.setdefault(name, []).append(violation)
        exc["validationErrors"] = by_prop
    return {"requestError": {"serviceException": exc}}


def v2_status(status: int) -> int:
    """The status a v2 error goes out with: one the 5.x SDK reads as ``SMSResponseError``
    (it raises a bare ``ValueError`` for any other)."""
    return status if status in _V2_STATUSES else 500 if status >= 500 else 400


# -- smsbridge error -> reply ------------------------------------------------------------

class _Replies(core.ErrorReplies):
    """:class:`~smsbridge.wire.ErrorReplies` whose refusals carry all their violations
    to the body (the core passes a refusal's status, code and message only)."""

    def reply(self, exc: BaseException, **context: Any) -> tuple[int, Any]:
        if isinstance(exc, WireError):
            return exc.status, self.body(exc.status, None, exc.message, violations=exc.violations, **context)
        return super().reply(exc, **context)


_RULES = [
    Rule(errors.InvalidNumber, 400, "messages[0].destinations[0].to", "invalid destination address"),
    Rule(errors.InvalidMessage, 400, "messages[0].sendAt", reason="not_scheduled"),
    Rule(errors.InvalidMessage, 400, "messages[0].sender", reason="bad_sender"),
    Rule(errors.InvalidMessage, 400, "messages[0].sender", reason="sender_unsupported"),
    Rule(errors.InvalidMessage, 400, "messages[0].content.text"),
    Rule(errors.IdempotencyConflict, 409, None, "Idempotency-Key was already used for another request."),
    Rule(errors.NotFound, 404, None, "Not found."),
    Rule(errors.UnsupportedOperation, 404, None, "No balance available for this account."),
    Rule(errors.ProviderUnavailable, 503, None, lambda e: f"Service unavailable: {e}"),
    Rule(Exception, 500, None, lambda e: f"Internal error: {e}"),
]

ERROR_REPLIES = _Replies(body=error_body_v3, rules=_RULES, internal=None, internal_message="Internal error.")
"""An smsbridge error as Infobip v3 answers it (``/sms/3/``, ``/account/``)."""
ERROR_REPLIES_V2 = _Replies(body=error_body_v2, rules=_RULES, internal=None, internal_message="Internal error.")
"""The same in the v2 ``requestError`` shape (``/sms/1/``, ``/sms/2/``); send its status
through :func:`v2_status`."""


# -- reply -> smsbridge error ------------------------------------------------------------

def _read(data: Any) -> tuple[Any, str | None]:
    """Either shape's ``(code, text)``; the text lists the violations."""
    if not isinstance(data, Mapping):
        return None, None
    if isinstance(data.get("errorCode"), str):
        text = str(data.get("description") or "")
        for v in _list(data.get("violations")):
            if isinstance(v, Mapping):
                text += f"; {v.get('property')}: {v.get('violation')}"
        return data["errorCode"], text
    exc = _service_exception(data)
    if exc is None:
        return None, None
    text = str(exc.get("text") or "")
    if isinstance(exc.get("validationErrors"), Mapping):
        text += "".join(f"; {prop}: {msgs}" for prop, msgs in exc["validationErrors"].items())
    return str(exc.get("messageId") or "") or None, text


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _service_exception(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    req = data.get("requestError")
    exc = req.get("serviceException") if isinstance(req, Mapping) else None
    if not isinstance(exc, Mapping) and isinstance(req, Mapping):
        exc = req.get("policyException")
    return exc if isinstance(exc, Mapping) else None


def _violated(data: Any) -> list[str]:
    """The properties either shape names as violated."""
    if not isinstance(data, Mapping):
        return []
    if isinstance(data.get("errorCode"), str):
        return [str(v.get("property") or "") for v in _list(data.get("violations")) if isinstance(v, Mapping)]
    exc = _service_exception(data)
    found = exc.get("validationErrors") if exc is not None else None
    return [str(prop) for prop in found] if isinstance(found, Mapping) else []


class _ByProperty(core.ReplyErrors):
    """:class:`~smsbridge.wire.ReplyErrors` that reads a 400 by its violated property
    first: Infobip has no code for a bad number or text, only the property at fault."""

    def error_from_reply(self, http_status: int, payload: Any, *, backend: str | None = None,
                         sending: bool = False) -> errors.SmsBridgeError:
        if http_status == 400:
            props = _violated(payload)
            text = str(_read(payload)[1] or "").strip() or "HTTP 400"
            if any(p.endswith((".to", "destinations")) for p in props):
                return errors.InvalidNumber(text)
            if any(p.endswith(("text", "sender", "from")) for p in props):
                return errors.InvalidMessage(text)
        return super().error_from_reply(http_status, payload, backend=backend, sending=sending)


REPLY_ERRORS = _ByProperty(provider="Infobip", read=_read, auth=("E401", "UNAUTHORIZED"),
                           throttle=("E429", "TOO_MANY_REQUESTS"), not_found=("E404", "NOT_FOUND"))
"""An Infobip error reply (either shape) -> the smsbridge error it proves."""

_REJECTIONS: Mapping[str, type[errors.SmsBridgeError]] = {
    "REJECTED_NOT_ENOUGH_CREDITS": errors.InsufficientCredit, "REJECTED_DESTINATION": errors.InvalidNumber,
    "REJECTED_PREFIX_MISSING": errors.InvalidNumber, "MISSING_TO": errors.InvalidNumber,
    "REJECTED_SENDER": errors.InvalidMessage,
}


def rejection_for_status(parsed: ParsedStatus, *, backend: str | None = None) -> errors.SmsBridgeError | None:
    """A 200 send reply can refuse one message with a REJECTED status: the error it proves
    (rejected synchronously, so certainly not accepted: retry-safe)."""
    if parsed.status is not Status.REJECTED:
        return None
    name = (parsed.name or "REJECTED").upper()
    status = parsed.raw.get("status")
    description = str(status.get("description") or name) if isinstance(status, Mapping) else name
    kind = _REJECTIONS.get(name)
    if kind is errors.InsufficientCredit:
        return errors.InsufficientCredit(description, code=name, backend=backend)
    if kind is not None:
        return kind(description)
    return errors.ProviderError(description, code=name, backend=backend, pre_acceptance=True)
