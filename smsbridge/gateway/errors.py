"""One error-rendering path for every gateway face.

A face does not write its own ``try/except`` ladder: its provider's wire module declares,
in :class:`~smsbridge.wire.ErrorReplies` (``ERROR_REPLIES``), how each smsbridge error
reads in the provider's words — rules matched on the error's *class and fields*
(``InvalidMessage.reason``, ``ProviderError.transport``, ``retry_safe``), never on English
text — and the body builder; an :class:`ErrorTable` wraps those bodies in the face's
responses.  :meth:`ErrorTable.guard` runs a handler and turns whatever it raises into that shape:

- a rule's match (first wins) for an :class:`~smsbridge.errors.SmsBridgeError`;
- a :class:`~smsbridge.wire.WireError` as it stands (already in the provider's terms);
- :class:`~smsbridge.gateway.http.BadRequest` (hostile or malformed input) with its own
  status (a 4xx) and the table's ``bad_request`` code;
- the face's own refusal exceptions (``passthrough``: each already knows its answer);
- anything else: logged, and the table's ``internal`` code with HTTP 500 — never a
  bare error page, never a traceback to the caller.

No starlette import at module level: wire modules may build tables.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import SmsBridgeError
from ..wire import ErrorReplies, Rule, WireError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["Rule", "ErrorTable", "GatewayAbort"]

log = logging.getLogger("smsbridge.gateway")

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


@dataclass
class ErrorTable:
    """A face's error vocabulary; see the module doc.

    Built from the provider's :class:`~smsbridge.wire.ErrorReplies` (its wire module's
    ``ERROR_REPLIES``, shared with the SDK shim): ``respond(status, body)`` wraps a body
    in the face's response (JSON by default), ``bad_request`` is the provider's code for
    malformed input (or a function of its HTTP status).
    """

    replies: ErrorReplies
    bad_request: Any = None
    respond: Callable[[int, Any], Response] | None = None
    passthrough: Mapping[type[BaseException], Callable[[Any], Response]] = field(default_factory=dict)
    name: str = "gateway"

    def _respond(self, status: int, body: Any) -> Response:
        if self.respond is not None:
            return self.respond(status, body)
        from starlette.responses import JSONResponse

        return JSONResponse(body, status_code=status)

    def rule_for(self, exc: BaseException) -> Rule | None:
        return self.replies.rule_for(exc)

    def response(self, exc: BaseException, request: Request | None = None, **context: Any) -> Response:
        """The face's answer to ``exc`` (any exception); ``context`` (e.g. the recipient)
        is passed on to the body builder as keywords, for shapes that name it."""
        from .http import BadRequest

        for kind, answer in self.passthrough.items():
            if isinstance(exc, kind):
                return answer(exc)
        if isinstance(exc, BadRequest):
            status = exc.status if exc.status < 500 else 400
            code = self.bad_request(status) if callable(self.bad_request) else self.bad_request
            return self._respond(status, self.replies.body(status, code, exc.detail, **context))
        rule = self.rule_for(exc)
        handled = isinstance(exc, (SmsBridgeError, WireError)) or (rule is not None and rule.error is not Exception)
        if not handled:
            where = f" on {request.method} {request.url.path}" if request is not None else ""
            log.error("%s face failed%s", self.name, where, exc_info=exc)
        return self._respond(*self.replies.reply(exc, **context))

    async def guard(self, handler: Callable[[], Awaitable[Response]],
                    request: Request | None = None) -> Response:
        """``await handler()``, with any exception answered by :meth:`response`."""
        try:
            return await handler()
        except Exception as exc:  # GatewayAbort is a BaseException: it reaches the middleware
            return self.response(exc, request)
