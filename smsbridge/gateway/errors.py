"""One error-rendering path for every gateway face.

A face does not write its own ``try/except`` ladder: it describes, in an
:class:`ErrorTable`, how each smsbridge error reads in its provider's words —
rules matched on the error's *class and fields* (``InvalidMessage.reason``,
``ProviderError.transport``, ``retry_safe``), never on English text — and a
``render(status, code, message)`` that builds the provider's error body.
:meth:`ErrorTable.guard` runs a handler and turns whatever it raises into that shape:

- a rule's match (first wins) for an :class:`~smsbridge.errors.SmsBridgeError`;
- :class:`~smsbridge.gateway.http.BadRequest` (hostile or malformed input) with its own
  status (a 4xx) and the table's ``bad_request`` code;
- the face's own refusal exceptions (``passthrough``: each already knows its answer);
- anything else: logged, and the table's ``internal`` code with HTTP 500 — never a
  bare error page, never a traceback to the caller.

No starlette import at module level: wire modules may build tables.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import SmsBridgeError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["Rule", "ErrorTable", "Render", "GatewayAbort"]

log = logging.getLogger("smsbridge.gateway")

Render = Callable[..., "Response"]
"""``render(http_status, provider_code, message, **context) -> Response`` in the
provider's shape."""


class GatewayAbort(BaseException):
    """The gateway itself ends a request (throttled, or refused by configured chaos).

    A ``BaseException`` so that no face's ``except Exception`` swallows it: the app's
    middleware answers it with ``gateway.render_error`` (the face's shape for
    ``status``), adding ``headers`` (``Retry-After``).
    """

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Rule:
    """How errors of class ``error`` (with the given field values) read at a face.

    ``reason`` matches :attr:`InvalidMessage.reason`, ``transport`` and ``retry_safe``
    the fields of the same names; ``None`` matches anything.  ``message`` is a fixed
    text, a function of the error, or ``None`` for the error's own (redacted) message.
    """

    error: type[BaseException]
    status: int
    code: Any
    message: str | Callable[[BaseException], str] | None = None
    reason: str | None = None
    transport: bool | None = None
    retry_safe: bool | None = None

    def matches(self, exc: BaseException) -> bool:
        if not isinstance(exc, self.error):
            return False
        for name in ("reason", "transport", "retry_safe"):
            wanted = getattr(self, name)
            if wanted is not None and getattr(exc, name, None) != wanted:
                return False
        return True

    def text(self, exc: BaseException) -> str:
        if callable(self.message):
            return self.message(exc)
        if self.message is not None:
            return self.message
        return str(getattr(exc, "message", None) or exc) or type(exc).__name__


@dataclass
class ErrorTable:
    """A face's error vocabulary; see the module doc."""

    render: Render
    rules: Sequence[Rule]
    bad_request: Any  # the code for a BadRequest, or a function of its HTTP status
    internal: Any
    internal_message: str = "Internal error"
    passthrough: Mapping[type[BaseException], Callable[[Any], Response]] = field(default_factory=dict)
    name: str = "gateway"

    def rule_for(self, exc: BaseException) -> Rule | None:
        return next((rule for rule in self.rules if rule.matches(exc)), None)

    def response(self, exc: BaseException, request: Request | None = None, **context: Any) -> Response:
        """The face's answer to ``exc`` (any exception); ``context`` (e.g. the recipient)
        is passed on to ``render`` as keywords, for shapes that name it."""
        from .http import BadRequest

        for kind, answer in self.passthrough.items():
            if isinstance(exc, kind):
                return answer(exc)
        if isinstance(exc, BadRequest):
            status = exc.status if exc.status < 500 else 400
            code = self.bad_request(status) if callable(self.bad_request) else self.bad_request
            return self.render(status, code, exc.detail, **context)
        rule = self.rule_for(exc)
        if rule is not None and (isinstance(exc, SmsBridgeError) or rule.error is not Exception):
            return self.render(rule.status, rule.code, rule.text(exc), **context)
        if not isinstance(exc, SmsBridgeError):
            where = f" on {request.method} {request.url.path}" if request is not None else ""
            log.error("%s face failed%s", self.name, where, exc_info=exc)
        return self.render(500, self.internal, self.internal_message, **context)

    async def guard(self, handler: Callable[[], Awaitable[Response]],
                    request: Request | None = None) -> Response:
        """``await handler()``, with any exception answered by :meth:`response`."""
        try:
            return await handler()
        except Exception as exc:  # GatewayAbort is a BaseException: it reaches the middleware
            return self.response(exc, request)
