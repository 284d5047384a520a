"""The gateway's simpleSMS SOAP face: ``GET /sms.wsdl`` and ``POST /soap`` (SPEC §5, §6).

It speaks what PHP's SoapServer speaks, because the real simpleSMS server very likely is
one (SPEC §5), so a client that works against this face works against the provider:

- rpc/encoded calls of the six operations of ``sms.wsdl`` (``connect``, ``sendSMS``,
  ``getCreditNumber``, ``getMonthlyStat``, ``getStatus``, ``getHistory``); arguments are
  read by part name, falling back to their position (PHP's SoapServer does the same);
- replies as PHP encodes an ``array``: associative arrays as Apache ``Map``
  (``item``/``key``/``value``), lists as ``SOAP-ENC:Array``, ``null`` as ``xsi:nil``,
  scalars with their ``xsi:type`` — byte for byte the shapes measured against PHP 8.2;
- ``connect`` checks ``userName``/``userPassword``/``domainName`` against the
  ``simplesms`` sections of ``gateway.clients`` and starts a session, carried by a
  ``PHPSESSID`` cookie as PHP's would be.  Every other call needs it; without it (or
  after it expired) the reply is simpleSMS's "not logged in" error, which makes a
  client connect again.  The session id is a signed token (:class:`SessionStore`,
  :mod:`smsbridge.gateway.tokens`), not a key into process memory, so every process of a
  fleet accepts every other's sessions (issue 13).  A session ends 1440 s after the
  reply that last set its cookie; replies renew the cookie once it is a minute old, so a
  caller that keeps cookies is logged out after about 24 idle minutes, as by PHP.

The envelopes (rendering PHP's arrays, reading calls, refusing hostile XML) are
:mod:`.soap_envelopes`'.  The reply *content* (success/error flags, error codes, status
words, the ``response`` payloads) comes from ``wire.py``, shared with the REST face, so
both faces answer alike; message ids are the same ``simplesms`` aliases the REST face
hands out.

Faults.  SOAP 1.1 (§6.2) and WS-I BP R1126 answer every Fault with HTTP 500, and this face
does so.  Faults caused by the request — malformed or hostile XML, a DTD, an unknown
operation, a missing or malformed argument — carry ``faultcode`` ``SOAP-ENV:Client``
(PHP says ``Server`` for some of these; ``Client`` tells the caller the fault is theirs
and is not worth retrying).  A body over the gateway's ``max_body`` is refused before it
is read, with HTTP 413 and a Client fault.  Our own failures are ``SOAP-ENV:Server``.
No request can crash the face: anything unexpected becomes a Server fault.

Hostile XML: the body is size-bounded (``read_body``) and parsed by lxml with entity
resolution, DTD loading and network access off; a document with a DTD is refused as a
whole (as PHP does: "DTD are not supported by SOAP"), so neither XXE nor entity expansion
("billion laughs") can happen.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from starlette.requests import Request
from starlette.responses import Response

from smsbridge.errors import SmsBridgeError
from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.errors import ErrorTable
from smsbridge.gateway.http import BadRequest, read_body
from smsbridge.gateway.provider_face import ProviderFace
from smsbridge.gateway.tokens import InvalidToken, TokenSigner

from . import wire
from .face_calls import FaceCalls
from .soap_envelopes import (  # noqa: F401  (SOAP_ENV, SOAP12_ENV, SERVICE_NS: importable from here)
    OPERATIONS,
    SERVICE_NS,
    SOAP12_ENV,
    SOAP_ENV,
    SoapFault,
    parse_call,
    render_fault,
    render_response,
)

__all__ = ["routes", "SoapFace", "SoapFault", "SessionStore", "Session", "parse_call", "render_response",
           "render_fault", "wsdl_for", "OPERATIONS", "live_faces", "SESSION_PURPOSE"]

log = logging.getLogger("smsbridge.gateway.simplesms.soap")

SESSION_COOKIE = "PHPSESSID"
SESSION_PURPOSE = "simplesms-soap"
"""The purpose signed into session ids: a session id is no REST bearer token, and back."""

_WSDL_PATH = Path(__file__).resolve().parent / "sms.wsdl"
_WSDL_PLACEHOLDER = b'location="https://api.simplesms.hu/soap"'

# ---------------------------------------------------------------------------------------
# The WSDL, pointing back at this server


_WSDL_BYTES: bytes | None = None


def wsdl_for(endpoint: str) -> bytes:
    """The packaged ``sms.wsdl`` with ``soap:address`` set to ``endpoint``."""
    global _WSDL_BYTES
    if _WSDL_BYTES is None:
        _WSDL_BYTES = _WSDL_PATH.read_bytes()
        assert _WSDL_PLACEHOLDER in _WSDL_BYTES, "sms.wsdl lost its soap:address placeholder"
    return _WSDL_BYTES.replace(_WSDL_PLACEHOLDER, b"location=" + quoteattr(endpoint).encode("utf-8"))


# ---------------------------------------------------------------------------------------
# Sessions


@dataclass(frozen=True)
class Session:
    """A live session: its client, and a fresh session id to set when it is due renewal."""

    client: GatewayClient
    renewed: str | None = None


class SessionStore:
    """SOAP sessions as signed session ids: any process of the fleet verifies any other's.

    Nothing is stored (issue 13).  A session id is a :class:`~smsbridge.gateway.tokens.TokenSigner`
    token (purpose :data:`SESSION_PURPOSE`) naming the client and its expiry,
    ``lifetime`` seconds (PHP's default ``session.gc_maxlifetime``, 1440 s) after it was
    issued.  PHP counts the lifetime from the last *use*; here a session older than
    ``renew_after`` seconds is renewed: :meth:`lookup` hands out a fresh id, which the face
    sets as the new cookie, so a client that keeps cookies stays logged in while it calls
    at least every ``lifetime - renew_after`` seconds and is logged out after ``lifetime``
    idle seconds.  A client that ignores the renewed cookie is logged out ``lifetime``
    seconds after its connect, and connects again.  ``clock`` gives seconds since 1970.
    """

    def __init__(self, clients: Iterable[GatewayClient], *, lifetime: float = 1440.0, renew_after: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.lifetime = lifetime
        self.renew_after = renew_after
        self._clock = clock
        self.signer = TokenSigner(SESSION_PURPOSE, clients, section="simplesms", clock=clock)
        self._lock = threading.Lock()
        self.created = 0  # logins since start (tests count them; renewals are not logins)

    def create(self, client: GatewayClient) -> str:
        """A new session id for ``client`` (a login)."""
        sid = self.signer.issue(client, self.lifetime).value
        with self._lock:
            self.created += 1
        return sid

    def lookup(self, sid: str | None) -> Session | None:
        """The live session ``sid`` names (with a renewed id when due), else ``None``."""
        if not sid:
            return None
        try:
            token = self.signer.verify(sid)
        except InvalidToken:
            return None
        renewed = None
        if self._clock() - token.issued >= self.renew_after:
            renewed = self.signer.issue(token.client, self.lifetime).value
        return Session(token.client, renewed)

    def get(self, sid: str | None) -> GatewayClient | None:
        """The client of a live session, else ``None``."""
        session = self.lookup(sid)
        return None if session is None else session.client

    def clear(self) -> None:
        """End every session so far *in this process*: its clients must connect again
        (tests, operations).  Other processes accept them until they expire."""
        self.signer.revoke_all()


_FACES: weakref.WeakSet[SoapFace] = weakref.WeakSet()


def live_faces() -> list[SoapFace]:
    """Every SOAP face of this process (tests use it to reach a running gateway's sessions)."""
    return list(_FACES)


# ---------------------------------------------------------------------------------------
# The face


def _error_table(operation: str) -> ErrorTable:
    """``operation``'s errors (:data:`.wire.ERROR_REPLIES`) as its reply envelope: a
    simpleSMS error reply is a successful SOAP call (HTTP 200), whatever the HTTP status
    the REST face gives it.  A failure of our own is a Server Fault (:meth:`SoapFace.endpoint`
    turns it into a :class:`SoapFault`, which passes through)."""
    return ErrorTable(replies=wire.ERROR_REPLIES, bad_request=wire.E_BAD_REQUEST, name="simplesms SOAP",
                      respond=lambda status, body: _reply(operation, body),
                      passthrough={SoapFault: lambda fault: _fault_response(fault)})


class SoapFace(ProviderFace, FaceCalls):
    """Request handlers and the session store; one instance per gateway app.

    Routes and the error prefix are :class:`~smsbridge.gateway.provider_face.ProviderFace`'s;
    the endpoint is the face's own (a SOAP call names its operation in the body, and its
    session rides in a cookie that replies renew).  The calls themselves (``send_sms``,
    ``get_status``, ...) and the ``sms_id`` rules are :class:`.face_calls.FaceCalls`',
    shared with the REST face, so both faces agree.
    """

    kind = "simplesms"
    paths = (("/sms.wsdl", "wsdl"), ("/soap", "endpoint"))
    error_prefixes = ("/soap",)
    methods = ("GET", "HEAD", "POST")
    tables = {operation: _error_table(operation) for operation in OPERATIONS}
    errors = tables["connect"]

    def __init__(self, gateway: Any) -> None:
        ProviderFace.__init__(self, gateway)
        FaceCalls.__init__(self, gateway, part_name=_part_name)
        self.sessions = SessionStore(gateway.clients_for("simplesms"))
        self.calls: dict[str, int] = {name: 0 for name in OPERATIONS}  # served calls, by operation
        self.wsdl_served = 0
        self._handlers: dict[str, Callable[..., Any]] = self.handlers()
        _FACES.add(self)

    # -- HTTP ----------------------------------------------------------------------------
    async def wsdl(self, request: Request) -> Response:
        """``GET /sms.wsdl``: our WSDL, its ``soap:address`` pointing back at this server."""
        if request.method not in ("GET", "HEAD"):
            response = self.gateway.render_error(request, 405, "Method Not Allowed")
            response.headers["Allow"] = "GET, HEAD"
            return response
        self.wsdl_served += 1
        return Response(wsdl_for(_endpoint_url(request, self.gateway)), media_type="text/xml; charset=utf-8")

    async def endpoint(self, request: Request) -> Response:
        """``POST /soap``: one SOAP call.  ``GET /soap?wsdl`` gives the WSDL (PHP's habit)."""
        if request.method in ("GET", "HEAD"):
            if any(key.lower() == "wsdl" for key in request.query_params):
                return await self.wsdl(request)
            return _fault_response(SoapFault("Client", "Bad Request: POST SOAP calls here; the WSDL is at "
                                                       "/sms.wsdl", status=405), {"Allow": "POST"})
        try:
            body = await read_body(request)
        except BadRequest as exc:
            return _fault_response(SoapFault("Client", f"Bad Request: {exc.detail}",
                                             status=413 if exc.status == 413 else 500))
        try:
            operation, args = parse_call(body)
            self.calls[operation] += 1
            if operation == "connect":
                return await self.connect(request, args)
            session = self.sessions.lookup(request.cookies.get(SESSION_COOKIE))
            if session is None:
                return self.unauthorized(request, operation)
            client = session.client

            async def call() -> Response:
                try:
                    return _reply(operation, wire.ok_reply(await self._handlers[operation](client, args)))
                except (SmsBridgeError, wire.WireError):
                    raise  # the error reply ERROR_REPLIES gives it
                except Exception as exc:  # ours: a Server fault, never a stack trace
                    log.exception("simplesms SOAP face failed on %s", operation)
                    raise SoapFault("Server", "Internal server error") from exc
            response = await self.tables[operation].guard(call, request)
            if session.renewed:
                _set_session_cookie(request, response, session.renewed)
            return response
        except SoapFault as fault:
            return _fault_response(fault)
        except Exception:  # never a crash, never a stack trace to the caller
            log.exception("simplesms SOAP face failed")
            return _fault_response(SoapFault("Server", "Internal server error"))

    def credentials(self, request: Request) -> Mapping[str, Any] | None:
        """The ``PHPSESSID`` session cookie (the session is the face's own: :class:`SessionStore`)."""
        sid = request.cookies.get(SESSION_COOKIE)
        return {"session": sid} if sid else None

    def client(self, request: Request) -> GatewayClient | None:
        """The client of the request's live session, else ``None``."""
        return self.sessions.get(request.cookies.get(SESSION_COOKIE))

    def unauthorized(self, request: Request, operation: str = "connect") -> Response:
        """simpleSMS's "not logged in" reply (code 102), which makes a client connect again."""
        return _reply(operation, wire.error_reply(wire.E_SESSION))

    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        """Errors the app raises under /soap (404, 405, 413, 500) as SOAP Faults."""
        if status >= 500:
            return _fault_response(SoapFault("Server", "Internal server error", status=status))
        return _fault_response(SoapFault("Client", f"Bad Request: {detail}", status=status))

    # -- operations ----------------------------------------------------------------------
    async def connect(self, request: Request, args: Mapping[str, Any]) -> Response:
        login = self.authenticate(args)
        if login is None:
            # A failed login ends the session that was there: the caller's cookie is
            # deleted (signed sessions cannot be recalled server-side across a fleet).
            response = _reply("connect", wire.error_reply(wire.E_LOGIN))
            if request.cookies.get(SESSION_COOKIE):
                response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                                       secure=request.url.scheme == "https")
            return response
        client, username, domain = login
        # Always a new session id: a login never continues an old (or planted) session.
        response = _reply("connect", wire.ok_reply({"user": username, "domain": domain}))
        _set_session_cookie(request, response, self.sessions.create(client))
        return response


def _set_session_cookie(request: Request, response: Response, sid: str) -> None:
    response.set_cookie(SESSION_COOKIE, sid, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


_PART_NAMES = {"country_code": "strCountryCode", "area_code": "strAreaCode", "number": "strNumber",
               "message": "strMessage", "sms_id": "numSMSID"}


def _part_name(field: str) -> str:
    return _PART_NAMES.get(field, field)


def _endpoint_url(request: Request, gateway: Any = None) -> str:
    """This server's SOAP endpoint: ``gateway.public_url`` when configured, else the address
    the server listens on — never the request's Host header, which the caller controls."""
    if getattr(gateway, "public_url", None):
        return f"{gateway.public_url}/soap"
    root = (request.scope.get("root_path") or "").rstrip("/")
    if gateway is not None and hasattr(gateway, "base_url"):
        return f"{gateway.base_url(request)}{root}/soap"
    return f"{request.url.scheme}://{request.url.netloc}{root}/soap"


def _reply(operation: str, value: Any) -> Response:
    return Response(render_response(operation, value), media_type="text/xml; charset=utf-8")


def _fault_response(fault: SoapFault, headers: Mapping[str, str] | None = None) -> Response:
    return Response(render_fault(fault.code, fault.string), status_code=fault.status,
                    media_type="text/xml; charset=utf-8", headers=dict(headers or {}))


routes = SoapFace.routes
"""The face factory (:mod:`.gateway` adds the REST face's)."""
