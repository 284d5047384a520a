"""The plumbing every provider face shares: routes, error prefixes, authentication, guarding.

A face subclasses :class:`ProviderFace` and declares, as class data, its ``kind`` (the
``gateway.clients.<name>.<kind>`` section it authenticates against), its ``paths``
(``(path, handler method name)``), the ``error_prefixes`` under which the app's own
errors (404, 405, 413, 429, 500) are rendered in its shape, and its ``errors``
(:class:`~.errors.ErrorTable`).  It writes only what is the provider's:

- :meth:`credentials`: the credential fields the caller presented (``None``: none);
- :meth:`unauthorized`: the provider's 401;
- :meth:`render_http_error`: the provider's shape for the app's own errors.

Handlers run through :meth:`serve`, which authenticates the caller (counted against the
gateway's failed-auth throttle), then runs the handler with every error answered in the
provider's shape.  The face's plugin registers ``routes = TheFace.routes``.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import ErrorTable
from .faces import LastReported

if TYPE_CHECKING:
    from .app import Gateway
    from .clients import GatewayClient

__all__ = ["ProviderFace", "ALL_METHODS", "Handler"]

ALL_METHODS: Sequence[str] = ("GET", "POST", "PUT", "PATCH", "DELETE")
"""Every route takes every method, so that a wrong one gets the provider's 405, not the app's."""

Handler = Callable[["GatewayClient"], Awaitable[Response]]


class ProviderFace:
    """Base of a provider's gateway face; see the module doc."""

    kind: ClassVar[str]
    paths: ClassVar[Sequence[tuple[str, str]]]
    error_prefixes: ClassVar[Sequence[str]]
    errors: ClassVar[ErrorTable]
    methods: ClassVar[Sequence[str]] = ALL_METHODS

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.reported = LastReported()  # per provider id: the status word last posted back

    @classmethod
    def routes(cls, gateway: Gateway) -> list[Route]:
        """The face factory registered through ``smsbridge_http_shims``."""
        face = cls(gateway)
        for prefix in cls.error_prefixes:
            gateway.errors(prefix, face.render_http_error)
        return [Route(path, getattr(face, name), methods=list(cls.methods)) for path, name in cls.paths]

    # -- what a face writes ------------------------------------------------------------
    def credentials(self, request: Request) -> Mapping[str, Any] | None:
        """The credentials ``request`` presents, as the client section's field names."""
        raise NotImplementedError

    def unauthorized(self, request: Request) -> Response:
        """The provider's answer to a caller it does not know."""
        raise NotImplementedError

    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        """The provider's shape for the app's own errors under :attr:`error_prefixes`."""
        raise NotImplementedError

    # -- what every face does ----------------------------------------------------------
    def client(self, request: Request) -> GatewayClient | None:
        """The authenticated client, or ``None``."""
        credentials = self.credentials(request)
        if not credentials:
            return None
        found = self.gateway.authenticate(self.kind, **credentials)
        return None if found is None else self.scoped(request, credentials, found)

    def scoped(self, request: Request, credentials: Mapping[str, Any], client: GatewayClient) -> GatewayClient | None:
        """``client``, or ``None`` when the request reaches past what its (valid)
        credentials may: a face whose URLs name an account overrides this, with the
        credentials already parsed (a header is parsed once per request)."""
        return client

    async def serve(self, request: Request, handler: Handler, *, errors: ErrorTable | None = None) -> Response:
        """Authenticate, then ``await handler(client)`` with any error in the provider's shape."""
        client = self.client(request)
        if client is None:
            return self.unauthorized(request)
        table = errors if errors is not None else self.errors
        return await table.guard(lambda: handler(client), request)
