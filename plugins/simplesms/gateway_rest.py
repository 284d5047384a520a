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
  ``gateway.clients`` and issues a random bearer token, kept in memory only (a restart
  logs every caller out; the backends connect again by themselves) and valid for
  :data:`TOKEN_LIFETIME` seconds.  ``expires_in`` is the expiry *date*
  (``YYYY-MM-DD HH:MM:SS``, Budapest time), given at the top level and inside
  ``response``.  Other calls need ``Authorization: Bearer <token>``; a missing, unknown
  or expired token answers HTTP 401, code 102, which makes clients connect again.
- **Ids.**  Each accepted message gets a numeric ``sms_id`` (milliseconds since 1970
  times 1000 plus three random digits: increasing, below 2**53 so JavaScript reads it
  exactly), stored as a ``simplesms`` alias of the smsbridge id; a client sees only the
  messages it sent (others' ids answer code 404).
- **Errors** come in the provider's shape (:func:`.wire.error_reply`), with HTTP 200 for
  application errors as the provider does, 401 for login problems, and the protocol
  status for request problems: 400 malformed or missing parameters, 404 unknown
  operation, 405 wrong method, 413 body over ``gateway.max_body``, 415 content type;
  500 (code 500) only for an internal failure.  The code table is in :mod:`.wire`.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from smsbridge.errors import SmsBridgeError
from smsbridge.gateway.faces import scheme_credential
from smsbridge.gateway.http import BadRequest, read_form, read_json

from . import wire
from .face_calls import ALIAS_KIND, FaceCalls, Refusal  # noqa: F401  (ALIAS_KIND: still importable from here)

__all__ = ["routes", "RestFace", "PREFIX", "TOKEN_LIFETIME", "GET_OPERATIONS", "wants_xml"]

log = logging.getLogger("smsbridge.gateway.simplesms")

PREFIX = "/rest/SMSapi/"
TOKEN_LIFETIME = 3600.0
"""Seconds a bearer token issued by ``connect`` stays valid (read at each connect)."""
MAX_TOKENS = 10_000
"""Live tokens kept at most; the oldest are forgotten first (a flood of connects cannot
exhaust memory; their owners simply connect again)."""

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

GET_OPERATIONS = frozenset({wire.CREDIT, wire.MONTHLY, wire.STATUS, wire.HISTORY})
"""Operations the face also answers on GET (the documentation names POST, GET and DELETE):
the ones that read, with their parameters in the query string.  ``connect`` and
``sendSMS`` stay POST only: a GET would put a password or a message in URLs and logs,
and a GET must not change anything."""


def routes(gateway: Any) -> list[Route]:
    """The face factory (called by :mod:`.gateway`, which adds the SOAP face)."""
    face = RestFace(gateway)
    gateway.errors(PREFIX, face.render_http_error)
    return [Route(PREFIX + operation, face.endpoint(operation), methods=_ALL_METHODS,
                  name=f"simplesms-rest-{operation}") for operation in wire.OPERATIONS]


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


class RestFace(FaceCalls):
    """Request handlers and the token store; one instance per gateway app.

    The calls themselves (``send_sms``, ``get_status``, ...: each returns the reply's
    ``response``) are :class:`.face_calls.FaceCalls`', shared with the SOAP face.
    """

    def __init__(self, gateway: Any) -> None:
        super().__init__(gateway)
        # sha256(token) -> (client, monotonic deadline).  Only hashes are kept, so the
        # lookup reveals nothing through timing and a memory dump holds no usable token.
        self._tokens: OrderedDict[str, tuple[Any, float]] = OrderedDict()
        self._handlers: dict[str, Callable[[Any, Mapping[str, Any]], Awaitable[Any]]] = self.handlers()

    # -- plumbing ----------------------------------------------------------------------
    def endpoint(self, operation: str) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            return await self.dispatch(request, operation)
        handle.__name__ = f"simplesms_{operation}"
        return handle

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

    async def dispatch(self, request: Request, operation: str) -> Response:
        xml = wants_xml(request.headers.get("accept"))
        reading = request.method in ("GET", "HEAD") and operation in GET_OPERATIONS
        if request.method != "POST" and not reading:
            allow = "GET, HEAD, POST" if operation in GET_OPERATIONS else "POST"
            return _error(wire.E_METHOD, f"{operation} takes {allow.replace(', HEAD', '')}", status=405,
                          headers={"Allow": allow}, xml=xml)
        try:
            if operation == wire.CONNECT:
                return _reply(await self.connect(await _read_params(request)), xml=xml)
            client = self._client(request)  # before reading the body: strangers get 401 cheaply
            params = _query_params(request) if reading else await _read_params(request)
            return _reply(wire.ok_reply(await self._handlers[operation](client, params)), xml=xml)
        except Refusal as exc:
            return _error(exc.code, exc.message, xml=xml)
        except BadRequest as exc:
            code = wire.E_TOO_LARGE if exc.status == 413 else wire.E_BAD_REQUEST
            return _error(code, exc.detail, status=exc.status, xml=xml)
        except SmsBridgeError as exc:
            body = wire.error_reply_for(exc)
            return _reply(body, wire.http_status_for(body["error_code"]), xml=xml)
        except Exception:  # never a bare 500 page: the provider's shape, and a log line
            log.exception("simplesms REST face failed on %s", operation)
            return _error(wire.E_INTERNAL, "Internal server error", status=500, xml=xml)

    # -- login -------------------------------------------------------------------------
    async def connect(self, form: Mapping[str, Any]) -> dict[str, Any]:
        """A ``connect`` reply (a new token), or :class:`Refusal` code 101."""
        login = self.authenticate(form)
        if login is None:
            raise Refusal(wire.E_LOGIN)
        client = login[0]
        token = secrets.token_urlsafe(32)
        lifetime = float(TOKEN_LIFETIME)
        now = time.monotonic()
        for key in [k for k, (_, deadline) in self._tokens.items() if deadline <= now]:
            del self._tokens[key]
        while len(self._tokens) >= MAX_TOKENS:
            self._tokens.popitem(last=False)
        self._tokens[_digest(token)] = (client, now + lifetime)
        expires = datetime.now(timezone.utc) + timedelta(seconds=lifetime)
        return wire.token_reply(token, expires)

    def _client(self, request: Request) -> Any:
        """The client whose bearer token the request carries, else a 401 (code 102)."""
        token = scheme_credential(request.headers.get("authorization"), "Bearer")
        if token is None:
            raise Refusal(wire.E_SESSION, "Not logged in: send Authorization: Bearer <access_token>")
        entry = self._tokens.get(_digest(token))
        if entry is None:
            raise Refusal(wire.E_SESSION, "Not logged in or the token has expired")
        client, deadline = entry
        if deadline <= time.monotonic():
            self._tokens.pop(_digest(token), None)
            raise Refusal(wire.E_SESSION, "The token has expired")
        return client


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


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
