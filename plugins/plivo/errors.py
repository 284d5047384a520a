"""Plivo's errors, both ways, as data (:class:`smsbridge.wire.ReplyErrors` and
:class:`smsbridge.wire.ErrorReplies`).

Plivo's error body is ``{"api_id", "error"}`` and carries **no code**: the HTTP status
picks the SDK's exception class (``plivo.rest.client.Client.process_response``), and the
text names the parameter at fault ("dst parameter not present").  So a reply reads by its
status first (the core's rules) and, for a 400, by the parameter its text names; an
smsbridge error answers with the status that makes the SDK raise the matching class.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smsbridge import errors as core
from smsbridge.wire import ErrorReplies, ReplyErrors, Rule, WireError

from .vocabulary import new_uuid

__all__ = ["WireError", "REPLY_ERRORS", "ERROR_REPLIES", "error_json"]


# -- reply -> error (client side) ----------------------------------------------------------------

def _read(payload: Any) -> tuple[None, str | None]:
    """``(code, text)`` of an error reply: never a code; some endpoints nest the text as
    ``{"error": {"field": "reason"}}``."""
    text = payload.get("error") if isinstance(payload, Mapping) else None
    if isinstance(text, Mapping):
        text = "; ".join(f"{k}: {v}" for k, v in text.items())
    return None, (str(text) if text else None)


def _by_text(http_status: int, code: Any, text: str, backend: str | None) -> core.SmsBridgeError | None:
    """What only the text tells, Plivo having no codes: a credit refusal (whatever the
    status), and for a 400 the parameter at fault (``dst``: the number; ``text``/``src``:
    the message).  Credentials refused (401/403) and any 5xx (on a send: perhaps accepted,
    so never sent twice) are the core's to read."""
    if http_status in (401, 403) or http_status >= 500:
        return None
    lowered = text.lower()
    if "insufficient" in lowered or "credit" in lowered:
        return core.InsufficientCredit(f"Plivo account cannot pay: {text}", code=http_status, backend=backend)
    if http_status == 400 and "dst" in lowered:
        return core.InvalidNumber(text)
    if http_status == 400 and ("text" in lowered or "src" in lowered):
        return core.InvalidMessage(text)
    return None


REPLY_ERRORS = ReplyErrors(provider="Plivo", read=_read, special=_by_text)
"""Plivo's error replies as smsbridge errors: 401/403 refused credentials, 402 credit,
404 not found, 429/503 unavailable, a 5xx to a send unknown (never sent twice)."""


# -- error -> reply (server side: the gateway face and the SDK shim) ----------------------------

def error_json(api_id: str, error: str) -> dict[str, Any]:
    """Plivo's error body."""
    return {"api_id": api_id, "error": error}


def _body(http_status: int, code: Any, message: str, **context: Any) -> dict[str, Any]:
    return error_json(new_uuid(), message)


ERROR_REPLIES = ErrorReplies(
    body=_body, internal=None, internal_message="server error",
    rules=[
        Rule(core.InvalidNumber, 400, None, lambda e: f"invalid dst parameter: {e}"),
        Rule(core.InvalidMessage, 400, None),
        Rule(core.IdempotencyConflict, 409, None, "idempotency key already used for another request"),
        Rule(core.NotFound, 404, None, "not found"),
        Rule(core.InsufficientCredit, 402, None, "insufficient credit"),
        Rule(core.ProviderUnavailable, 503, None, lambda e: f"service unavailable: {e}"),
        Rule(core.UnsupportedOperation, 404, None, "not found"),
        Rule(Exception, 500, None, lambda e: f"server error: {e}"),
    ])
"""How the face and the shim answer an smsbridge error: the status picks the SDK's class
(400 ValidationError, 404 ResourceNotFoundError, 500 PlivoServerError, ...)."""
