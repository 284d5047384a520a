"""The simpleSMS REST face of ``smsbridge serve`` (SPEC §5, §6).

Serves simpleSMS's REST API at the provider's own paths, so code written for
``https://api.simplesms.hu/rest/SMSapi/`` runs against the gateway by changing only the
base URL::

    POST /rest/SMSapi/connect          username, password, domain -> access_token, expires_in
    POST /rest/SMSapi/sendSMS          country_code, area_code, number, message -> sms_id
    POST|GET /rest/SMSapi/getCreditNumber  -> the balance of the client's backend
    POST|GET /rest/SMSapi/getMonthlyStat   -> {"YYYY-MM": {"domestic": n, "foreign": m}}
    POST|GET /rest/SMSapi/getStatus        sms_id -> the data given at sending, status, dates
    POST|GET /rest/SMSapi/getHistory       sms_id -> [{"code", "message", "date", "comment"?}]

Decisions (where the provider's documentation is silent):

- **POST, and GET for reading.**  Parameters are POST form fields
  (``application/x-www-form-urlencoded``; a JSON object body is accepted too).  The
  documentation names POST, GET and DELETE without saying which call takes which, so
  ``getCreditNumber``, ``getMonthlyStat``, ``getStatus`` and ``getHistory`` also answer
  GET (and HEAD), with ``sms_id`` in the query string (:data:`GET_OPERATIONS`); the
  bearer token still goes in the ``Authorization`` header, never the URL.  ``connect``
  and ``sendSMS`` are POST only: a GET would put a password or a message into URLs and
  server logs, and must not change anything.  Any other method answers 405 (code 405,
  with ``Allow``).  No operation deletes, so DELETE is 405 too.
- **Login.**  ``connect`` checks the credentials against the ``simplesms`` sections of
  ``gateway.clients`` and issues a signed bearer token
  (:class:`smsbridge.gateway.tokens.TokenSigner`, purpose ``simplesms-rest``), valid for
  :data:`TOKEN_LIFETIME` seconds.  Nothing is stored: the token carries the client and its
  expiry under an HMAC keyed by that client's own credentials, so every process of a
  fleet (``serve --workers N``, several hosts on one journal) accepts every other's
  tokens, a restart logs nobody out, and changing a client's password logs its holders
  out.  ``expires_in`` is the expiry *date* (``YYYY-MM-DD HH:MM:SS``, Budapest time),
  given at the top level and inside ``response``.  Other calls need
  ``Authorization: Bearer <token>``; a missing, forged, tampered or expired token answers
  HTTP 401, code 102, which makes clients connect again.
- **Ids.**  Each accepted message gets a numeric ``sms_id`` (:data:`.wire.ID_SHAPE`:
  milliseconds since 1970 times 1000 plus three digits: increasing, below 2**53 so
  JavaScript reads it exactly), stored as a ``simplesms`` alias of the smsbridge id; a
  client sees only the messages it sent (others' ids answer code 404).
- **Errors** come in the provider's shape (:data:`.wire.ERROR_REPLIES`, the table the
  face's :class:`~smsbridge.gateway.errors.ErrorTable` is built from, in JSON or XML as
  the caller asks), with HTTP 200 for application errors as the provider does, 401 for
  login problems, and the protocol status for request problems: 400 malformed or missing
  parameters, 404 unknown operation, 405 wrong method, 413 body over ``gateway.max_body``,
  415 content type; 500 (code 500) only for an internal failure.  The code table is in
  :mod:`.codes`.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.errors import ErrorTable
from smsbridge.gateway.faces import scheme_credential
from smsbridge.gateway.http import BadRequest, read_form, read_json
from smsbridge.gateway.provider_face import Handler, ProviderFace
from smsbridge.gateway.tokens import InvalidToken, TokenSigner

from . import wire
from .face_calls import ALIAS_KIND, FaceCalls  # noqa: F401  (ALIAS_KIND: still importable from here)

__all__ = ["routes", "RestFace", "PREFIX", "TOKEN_LIFETIME", "TOKEN_PURPOSE", "GET_OPERATIONS", "wants_xml"]

PREFIX = "/rest/SMSapi/"
TOKEN_LIFETIME = 3600.0
"""Seconds a bearer token issued by ``connect`` stays valid (read at each connect)."""
TOKEN_PURPOSE = "simplesms-rest"
"""The purpose signed into the face's bearer tokens: they are no SOAP session, nor any
other face's token."""

GET_OPERATIONS = frozenset({wire.CREDIT, wire.MONTHLY, wire.STATUS, wire.HISTORY})
"""Operations the face also answers on GET (the documentation names POST, GET and DELETE):
the ones that read, with their parameters in the query string.  ``connect`` and
``sendSMS`` stay POST only: a GET would put a password or a message in URLs and logs,
and a GET must not change anything."""


def _reply(body: Any, status: int = 200, headers: Mapping[str, str] | None = None, *, xml: bool = False) -> Response:
    """A reply object as JSON, or as XML (:func:`.wire.render_xml_reply`) for a caller that asks for it."""
    if xml:
        return Response(wire.render_xml_reply(body), status_code=status, headers=dict(headers or {}),
                        media_type=f"{wire.XML_MEDIA_TYPE}; charset=utf-8")
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _error(code: int, message: str | None = None, *, status: int | None = None,
           headers: Mapping[str, str] | None = None, xml: bool = False) -> Response:
    return _reply(wire.error_reply(code, message), wire.http_status_for(code) if status is None else status, headers,
                  xml=xml)


def _bad_request_code(status: int) -> int:
    """The code of a malformed request: 413 for one too large, else 400."""
    return wire.E_TOO_LARGE if status == 413 else wire.E_BAD_REQUEST


def _table(xml: bool) -> ErrorTable:
    """The face's errors (:data:`.wire.ERROR_REPLIES`) as JSON replies, or as XML ones."""
    return ErrorTable(replies=wire.ERROR_REPLIES, bad_request=_bad_request_code, name="simplesms REST",
                      respond=lambda status, body: _reply(body, status, xml=xml))


JSON_ERRORS = _table(xml=False)
XML_ERRORS = _table(xml=True)


_XML_TYPES = frozenset({"application/xml", "text/xml"})
_JSON_TYPES = frozenset({"application/json", "*/*", "application/*"})


def wants_xml(accept: str | None) -> bool:
    """True when an ``Accept`` header prefers XML to JSON (``application/xml``,
    ``text/xml``, or ``*+xml`` with a higher quality than ``application/json`` or ``*/*``).
    No header, ``*/*`` or a tie answers JSON, the provider's usual format."""
    best = {"xml": 0.0, "json": 0.0}
    for item in (accept or "").split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        kind = "xml" if media in _XML_TYPES or media.endswith("+xml") else \
            "json" if media in _JSON_TYPES or media.endswith("+json") else None
        if kind:
            best[kind] = max(best[kind], quality)
    return best["xml"] > best["json"]


class RestFace(ProviderFace, FaceCalls):
    """Request handlers and the token signer; one instance per gateway app.

    The plumbing (routes, error prefix, authenticate-then-guard) is
    :class:`~smsbridge.gateway.provider_face.ProviderFace`'s; the calls themselves
    (``send_sms``, ``get_status``, ...: each returns the reply's ``response``) are
    :class:`.face_calls.FaceCalls`', shared with the SOAP face.
    """

    kind = "simplesms"
    paths = tuple((PREFIX + operation, f"on_{operation}") for operation in wire.OPERATIONS)
    error_prefixes = (PREFIX,)
    errors = JSON_ERRORS
    methods = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    def __init__(self, gateway: Any) -> None:
        ProviderFace.__init__(self, gateway)
        FaceCalls.__init__(self, gateway)
        # Stateless: any process of the fleet verifies any other's tokens (issue 13).
        self.tokens = TokenSigner(TOKEN_PURPOSE, gateway.clients_for("simplesms"), section="simplesms")
        self._handlers: dict[str, Callable[[Any, Mapping[str, Any]], Awaitable[Any]]] = self.handlers()

    # -- one handler per operation (ProviderFace.paths) ----------------------------------
    async def on_connect(self, request: Request) -> Response:
        return await self.dispatch(request, wire.CONNECT)

    async def on_sendSMS(self, request: Request) -> Response:  # noqa: N802 - the operation's name
        return await self.dispatch(request, wire.SEND)

    async def on_getCreditNumber(self, request: Request) -> Response:  # noqa: N802
        return await self.dispatch(request, wire.CREDIT)

    async def on_getMonthlyStat(self, request: Request) -> Response:  # noqa: N802
        return await self.dispatch(request, wire.MONTHLY)

    async def on_getStatus(self, request: Request) -> Response:  # noqa: N802
        return await self.dispatch(request, wire.STATUS)

    async def on_getHistory(self, request: Request) -> Response:  # noqa: N802
        return await self.dispatch(request, wire.HISTORY)

    # -- what ProviderFace asks of a face ------------------------------------------------
    def credentials(self, request: Request) -> Mapping[str, Any] | None:
        """The bearer token the request carries (``Authorization: Bearer <access_token>``)."""
        token = scheme_credential(request.headers.get("authorization"), "Bearer")
        return None if token is None else {"access_token": token}

    def client(self, request: Request) -> GatewayClient | None:
        """The client whose signed bearer token the request carries (no credentials are
        matched here: ``connect`` did that, and the token proves it)."""
        credentials = self.credentials(request)
        if credentials is None:
            return None
        try:
            return self.tokens.verify(credentials["access_token"]).client
        except InvalidToken:
            return None

    def unauthorized(self, request: Request) -> Response:
        """HTTP 401, code 102, which makes clients connect again."""
        credentials = self.credentials(request)
        if credentials is None:
            message = "Not logged in: send Authorization: Bearer <access_token>"
        else:
            message = "Not logged in or the token has expired"
            try:
                self.tokens.verify(credentials["access_token"])
            except InvalidToken as exc:
                if exc.reason == "expired":
                    message = "The token has expired"
        return _error(wire.E_SESSION, message, xml=wants_xml(request.headers.get("accept")))

    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        """Errors the app raises under /rest/SMSapi/ (404, 405, 413, 500) in simpleSMS's shape."""
        xml = wants_xml(request.headers.get("accept"))
        if status == 404:
            return _error(wire.E_BAD_REQUEST, f"Unknown operation: {request.url.path[len(PREFIX):][:60]}",
                          status=404, xml=xml)
        if status == 405:
            return _error(wire.E_METHOD, "Use POST", status=405, headers={"Allow": "POST"}, xml=xml)
        if status == 413:
            return _error(wire.E_TOO_LARGE, detail, status=413, xml=xml)
        if status >= 500:
            return _error(wire.E_INTERNAL, "Internal server error", status=status, xml=xml)
        return _error(wire.E_BAD_REQUEST, detail or "Bad request", status=status, xml=xml)

    # -- the call ------------------------------------------------------------------------
    async def dispatch(self, request: Request, operation: str) -> Response:
        """One call: the method checked, the caller authenticated (but for ``connect``),
        every error answered by the face's table in JSON or XML."""
        xml = wants_xml(request.headers.get("accept"))
        reading = request.method in ("GET", "HEAD") and operation in GET_OPERATIONS
        if request.method != "POST" and not reading:
            allow = "GET, HEAD, POST" if operation in GET_OPERATIONS else "POST"
            return _error(wire.E_METHOD, f"{operation} takes {allow.replace(', HEAD', '')}", status=405,
                          headers={"Allow": allow}, xml=xml)
        table = XML_ERRORS if xml else JSON_ERRORS
        if operation == wire.CONNECT:
            async def connect() -> Response:
                return _reply(await self.connect(await _read_params(request)), xml=xml)
            return await table.guard(connect, request)

        async def call(client: GatewayClient) -> Response:
            params = _query_params(request) if reading else await _read_params(request)
            return _reply(wire.ok_reply(await self._handlers[operation](client, params)), xml=xml)
        handler: Handler = call
        return await self.serve(request, handler, errors=table)

    # -- login -------------------------------------------------------------------------
    async def connect(self, form: Mapping[str, Any]) -> dict[str, Any]:
        """A ``connect`` reply (a new token), or a refusal (code 101)."""
        login = self.authenticate(form)
        if login is None:
            raise wire.refusal(wire.E_LOGIN)
        token = self.tokens.issue(login[0], float(TOKEN_LIFETIME))
        return wire.token_reply(token.value, datetime.fromtimestamp(token.expires, timezone.utc))

    def revoke_all(self) -> None:
        """Refuse, in this process, every token issued so far (tests, operations)."""
        self.tokens.revoke_all()


routes = RestFace.routes
"""The face factory (:mod:`.gateway` adds the SOAP face's)."""


def _query_params(request: Request) -> dict[str, Any]:
    """A GET's parameters: its query string (the first value of a repeated name)."""
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, value)
    return params


async def _read_params(request: Request) -> dict[str, Any]:
    """The request's parameters: a url-encoded form, or a JSON object of plain values."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        data = await read_json(request)
        if not isinstance(data, dict) or any(isinstance(v, (dict, list)) for v in data.values()):
            raise BadRequest(400, "the JSON body must be an object of plain values")
        params = {str(k): ("" if v is None else v if isinstance(v, str) else
                           str(v).lower() if isinstance(v, bool) else str(v)) for k, v in data.items()}
        try:  # JSON escapes like \ud800 decode to lone surrogates, which no SMS (nor the journal) can carry
            for key, value in params.items():
                key.encode("utf-8")
                value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(400, "the JSON body holds invalid Unicode (a lone surrogate)") from None
        return params
    return await read_form(request)
