"""The Twilio face of ``smsbridge serve``: Twilio's REST paths over smsbridge (SPEC §6).

Serves, at Twilio's own paths, what the official ``twilio`` SDK calls::

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json         create  -> 201 message JSON
    GET  /2010-04-01/Accounts/{AccountSid}/Messages.json         list    -> 200 + paging keys
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   fetch   -> 200 message JSON
    GET  /2010-04-01/Accounts/{AccountSid}/Balance.json          balance -> 200

Callers authenticate with HTTP Basic ``AccountSid:AuthToken`` against
``gateway.clients.<name>.twilio``.  Sids are :func:`.wire.sid_for` the smsbridge id,
so the SDK shim, this face and the journal agree on them; each is also stored as a
``twilio`` alias.  Every error is Twilio's JSON (``code``, ``message``, ``more_info``,
``status``), so the SDK raises its own ``TwilioRestException``.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from smsbridge.errors import (
    AuthenticationError,
    DeliveryUnknown,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    SmsBridgeError,
    UnsupportedOperation,
)
from smsbridge.gateway.app import Gateway
from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.errors import ErrorTable, Rule
from smsbridge.gateway.faces import (
    LastReported,
    basic_credentials,
    client_record,
    cursor_of,
    face_extra,
    idempotency_key,
    parse_when,
    scan_journal,
)
from smsbridge.gateway.http import read_form
from smsbridge.model import MessageRecord, Status

from . import wire

__all__ = ["routes", "TwilioFace"]

log = logging.getLogger("smsbridge.gateway.twilio")

PREFIX = f"/{wire.API_VERSION}/"
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_FAILED = frozenset({Status.FAILED, Status.UNDELIVERED, Status.REJECTED, Status.EXPIRED})


def routes(gateway: Gateway) -> list[Route]:
    """The face factory registered through ``smsbridge_http_shims``."""
    face = TwilioFace(gateway)
    gateway.errors(PREFIX, face.render_http_error)
    base = f"/{wire.API_VERSION}/Accounts/{{account_sid}}"
    return [
        Route(base + "/Messages.json", face.messages, methods=_ALL_METHODS),
        Route(base + "/Messages/{sid}.json", face.message, methods=_ALL_METHODS),
        Route(base + "/Balance.json", face.balance, methods=_ALL_METHODS),
    ]


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(wire.render_error(status, code, message), status_code=status)


E_UNSUBSCRIBED = 21610   # "Attempt to send to unsubscribed recipient"
E_CONFLICT = 20409       # an idempotency token reused for another request

ERRORS = ErrorTable(
    name="twilio", render=_error, bad_request=wire.E_INVALID_PARAMETER, internal=wire.E_INTERNAL,
    passthrough={wire.WireError: lambda exc: _error(exc.status, exc.code, exc.message)},
    rules=[
        Rule(InvalidNumber, 400, wire.E_INVALID_TO, "The 'To' number is not a valid phone number."),
        Rule(InvalidMessage, 400, wire.E_BODY_TOO_LONG, lambda e: f"The message body is too long: {e}",
             reason="too_long"),
        Rule(InvalidMessage, 400, wire.E_INVALID_FROM, lambda e: f"The 'From' number is not valid: {e}",
             reason="bad_sender"),
        Rule(InvalidMessage, 400, wire.E_INVALID_FROM, lambda e: f"The 'From' number is not valid: {e}",
             reason="sender_unsupported"),
        Rule(InvalidMessage, 400, wire.E_BODY_REQUIRED, "Message body is required.", reason="empty"),
        Rule(InvalidMessage, 400, E_UNSUBSCRIBED, "Attempt to send to unsubscribed recipient", reason="opted_out"),
        Rule(InvalidMessage, 400, wire.E_INVALID_PARAMETER, lambda e: f"Message is not scheduled: {e}",
             reason="not_scheduled"),
        Rule(InvalidMessage, 400, wire.E_INVALID_PARAMETER, reason="bad_request"),
        Rule(InvalidMessage, 400, wire.E_FILTERED, lambda e: f"Message filtered: {e}"),
        Rule(IdempotencyConflict, 409, E_CONFLICT,
             "The idempotency token was already used for a different request"),
        Rule(NotFound, 404, wire.E_NOT_FOUND, "The requested resource was not found"),
        Rule(InsufficientCredit, 400, wire.E_ACCOUNT_NOT_ACTIVE,
             "Account not active: insufficient funds to send the message."),
        Rule(DeliveryUnknown, 502, wire.E_INTERNAL,
             lambda e: "The message may have been sent; its delivery is unknown"
                       + (f" (smsbridge id {e.message_id})." if isinstance(e, SmsBridgeError) and e.message_id
                          else ".")),
        Rule(ProviderUnavailable, 503, wire.E_UNAVAILABLE,
             "Service unavailable: no provider accepted the message; try again later."),
        Rule(AuthenticationError, 503, wire.E_UNAVAILABLE,
             "Service unavailable: no provider accepted the message; try again later."),
        Rule(ProviderError, 400, wire.E_FILTERED, lambda e: f"The provider refused the message: {e}",
             retry_safe=True),
        Rule(ProviderError, 502, wire.E_INTERNAL, lambda e: f"The provider answered with an error: {e}"),
        Rule(UnsupportedOperation, 404, wire.E_NOT_FOUND, lambda e: f"Not available: {e}"),
        Rule(SmsBridgeError, 400, wire.E_INVALID_PARAMETER),
    ])


class TwilioFace:
    """Request handlers; one instance per gateway app."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._reported = LastReported()  # by sid: the Twilio status word last posted

    # -- plumbing ----------------------------------------------------------------------
    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        """Errors the app raises under /2010-04-01/ (404, 405, 413, 500) in Twilio's shape."""
        code = {401: wire.E_AUTHENTICATE, 404: wire.E_NOT_FOUND, 405: wire.E_METHOD_NOT_ALLOWED,
                429: wire.E_TOO_MANY_REQUESTS}.get(status, wire.E_INTERNAL if status >= 500
                                                   else wire.E_INVALID_PARAMETER)
        if status == 404:
            detail = f"The requested resource {request.url.path} was not found"
        return _error(status, code, detail)

    def _client(self, request: Request) -> tuple[GatewayClient | None, JSONResponse | None]:
        """The authenticated client, or Twilio's 401 (20003 Authenticate)."""
        creds = basic_credentials(request.headers.get("authorization"))
        if creds is None:
            return None, _error(401, wire.E_AUTHENTICATE, "Authenticate")
        client = self.gateway.authenticate("twilio", account_sid=creds[0], auth_token=creds[1])
        if client is None:
            return None, _error(401, wire.E_AUTHENTICATE, "Authenticate")
        if request.path_params.get("account_sid") != creds[0]:
            return None, _error(401, wire.E_AUTHENTICATE,
                                "Authenticate: the AccountSid in the URL is not the one you authenticated as")
        return client, None

    async def _guard(self, request: Request, handler: Callable[[], Awaitable[Response]]) -> Response:
        async def run() -> Response:
            try:
                return await handler()
            except NotFound:
                return self.render_http_error(request, 404, "")
        return await ERRORS.guard(run, request)

    # -- rendering ---------------------------------------------------------------------
    def _render(self, record: MessageRecord, account_sid: str) -> dict[str, Any]:
        face = face_extra(record, "twilio")
        error_code = _twilio_code(record.error_code) if record.status in _FAILED else None
        return wire.render_message(
            account_sid=account_sid, sid=wire.sid_for(record.id), to=record.to, body=record.text,
            status=record.status, sender=record.sender or face.get("from"), segments=record.segments,
            created_at=record.created_at, updated_at=record.updated_at,
            error_code=error_code, error_message=record.error,
            messaging_service_sid=face.get("messaging_service_sid"))

    # -- Messages.json -----------------------------------------------------------------
    async def messages(self, request: Request) -> Response:
        client, denied = self._client(request)
        if denied:
            return denied
        account_sid = request.path_params["account_sid"]
        assert client is not None
        if request.method == "POST":
            return await self._guard(request, lambda: self._create(request, client, account_sid))
        if request.method == "GET":
            return await self._guard(request, lambda: self._list(request, client, account_sid))
        return _error(405, wire.E_METHOD_NOT_ALLOWED, f"Method {request.method} not allowed on Messages.json")

    async def _create(self, request: Request, client: GatewayClient, account_sid: str) -> Response:
        key = idempotency_key(request, "i-twilio-idempotency-token")
        form = await read_form(request)
        create = wire.parse_create_form(form)
        send_at = _schedule(form, create)
        extra = {"twilio": {"account_sid": account_sid, "from": create.sender,
                            "messaging_service_sid": create.messaging_service_sid}}
        try:
            receipt = await self.gateway.send(client, create.to, create.body, sender=create.sender, extra=extra,
                                              idempotency_key=key, send_at=send_at,
                                              alias=("twilio", wire.sid_for))  # journaled with the message
        except InvalidNumber:
            return _error(400, wire.E_INVALID_TO, f"The 'To' number {create.to} is not a valid phone number.")
        sid = wire.sid_for(receipt.id)
        if create.status_callback:
            self._watch(receipt.id, sid, create.status_callback, client, account_sid, create)
        payload = wire.render_message(
            account_sid=account_sid, sid=sid, to=receipt.to, body=create.body, status=receipt.status,
            sender=receipt.sender or create.sender, segments=receipt.segments,
            created_at=receipt.created_at, updated_at=receipt.created_at,
            messaging_service_sid=create.messaging_service_sid)
        return JSONResponse(payload, status_code=201)

    async def _list(self, request: Request, client: GatewayClient, account_sid: str) -> Response:
        """The client's messages (through any face), newest first; ``To``/``From`` and
        ``DateSent`` / ``DateSent<`` / ``DateSent>`` (on, on or before, on or after: a date
        means that whole UTC day) filter; ``PageToken`` continues a keyset walk."""
        query = dict(request.query_params)
        page, size = wire.page_window(query)
        to = (query.get("To") or "").strip() or None
        sender = (query.get("From") or "").strip() or None
        filters: dict[str, Any] = {"to": to, "sender": sender}
        for key, bound, end_of_day in (("DateSent<", "sent_before", True), ("DateSent>", "sent_after", False),
                                       ("DateSent", "sent_after", False)):
            if query.get(key):
                try:
                    filters[bound] = parse_when(query[key], end_of_day=end_of_day)
                except ValueError:
                    raise wire.WireError(400, wire.E_INVALID_PARAMETER,
                                         f"{key} must be a date (YYYY-MM-DD) or an ISO 8601 date-time") from None
        if query.get("DateSent"):  # that whole UTC day, whether a date or a date-time is given
            day = filters["sent_after"].astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
            filters["sent_after"], filters["sent_before"] = day, day + timedelta(days=1)
        token = query.get("PageToken") or None
        before: str | None = None
        skip = page * size
        if token:
            if not token.startswith("PA"):
                raise wire.WireError(400, wire.E_INVALID_PARAMETER, "PageToken is invalid")
            before, skip = token[2:], 0
        wanted = size + 1
        found: list[MessageRecord] = []
        async for record in scan_journal(self.gateway, client=client, before=before, page=min(wanted + skip, 500),
                                         **filters):
            if record.phase == "failed":
                continue  # refused sends got an error, not a sid: Twilio lists no such message
            if skip:
                skip -= 1
                continue
            found.append(record)
            if len(found) >= wanted:
                break
        has_more = len(found) > size
        shown = found[:size]
        echoed = {k: v for k, v in query.items() if k in ("To", "From", "DateSent", "DateSent<", "DateSent>")}
        payload = wire.render_list([self._render(r, account_sid) for r in shown], account_sid=account_sid,
                                   page=page, page_size=size, has_more=has_more, filters=echoed)
        if has_more:
            payload["next_page_uri"] = wire.messages_path(account_sid) + "?" + urlencode(
                {**echoed, "PageSize": size, "Page": page + 1, "PageToken": "PA" + cursor_of(shown[-1])})
        return JSONResponse(payload, status_code=200)

    # -- Messages/{Sid}.json -----------------------------------------------------------
    async def message(self, request: Request) -> Response:
        client, denied = self._client(request)
        if denied:
            return denied
        assert client is not None
        account_sid = request.path_params["account_sid"]
        if request.method == "POST":  # an update: only Status=canceled, for a scheduled message
            return await self._guard(request, lambda: self._cancel(request, client, account_sid))
        if request.method != "GET":
            return _error(405, wire.E_METHOD_NOT_ALLOWED,
                          "This gateway cannot update or delete messages; only fetch or cancel them")
        return await self._guard(request, lambda: self._fetch(request, client, account_sid))

    async def _cancel(self, request: Request, client: GatewayClient, account_sid: str) -> Response:
        form = await read_form(request)
        if (form.get("Status") or "").strip().lower() != "canceled":
            raise wire.WireError(405, wire.E_METHOD_NOT_ALLOWED,
                                 "This gateway updates a message only to cancel it (Status=canceled)")
        message_id = await self._message_id(request.path_params["sid"])
        if message_id is None:
            raise NotFound("no such message")
        await client_record(self.gateway, client, message_id, missing="no such message")
        record = await self.gateway.call(self.gateway.bridge.cancel, message_id)
        return JSONResponse(self._render(record, account_sid), status_code=200)

    async def _message_id(self, sid: str) -> str | None:
        if not wire.is_message_sid(sid):
            return None
        return await self.gateway.resolve("twilio", sid) or wire.message_id_in_sid(sid)

    async def _fetch(self, request: Request, client: GatewayClient, account_sid: str) -> Response:
        message_id = await self._message_id(request.path_params["sid"])
        if message_id is None:
            raise NotFound("no such message")
        record = await client_record(self.gateway, client, message_id, missing="no such message")
        return JSONResponse(self._render(record, account_sid), status_code=200)

    # -- Balance.json ------------------------------------------------------------------
    async def balance(self, request: Request) -> Response:
        client, denied = self._client(request)
        if denied:
            return denied
        assert client is not None
        if request.method != "GET":
            return _error(405, wire.E_METHOD_NOT_ALLOWED, "Balance.json only answers GET")
        account_sid = request.path_params["account_sid"]
        backend = client.backend

        async def fetch() -> Response:
            try:
                balance = await self.gateway.call(self.gateway.bridge.balance, backend)
            except UnsupportedOperation as exc:
                return _error(404, wire.E_NOT_FOUND, f"No balance available: {exc}")
            return JSONResponse(wire.render_balance(account_sid, balance.amount, balance.unit), status_code=200)
        return await self._guard(request, fetch)

    # -- status callbacks --------------------------------------------------------------
    def _watch(self, message_id: str, sid: str, url: str, client: GatewayClient, account_sid: str,
               create: wire.CreateRequest) -> None:
        token = str(client.credentials["twilio"]["auth_token"])

        async def notify(record: MessageRecord) -> None:
            word = wire.from_status(record.status)
            if not self._reported.is_new(sid, word, final=record.status.final):
                return  # smsbridge statuses that read the same in Twilio's words: one callback
            form = wire.status_callback_form(
                account_sid=account_sid, sid=sid, status=record.status, to=record.to,
                sender=record.sender or create.sender, error_code=_twilio_code(record.error_code),
                messaging_service_sid=create.messaging_service_sid, done_at=record.updated_at)
            headers = {"X-Twilio-Signature": wire.signature(token, url, form),
                       "Content-Type": "application/x-www-form-urlencoded",
                       "User-Agent": "TwilioProxy/1.1 (smsbridge)",
                       "I-Twilio-Idempotency-Token": f"{sid}-{word}"}
            await self.gateway.post_callback(url, data=form, headers=headers)

        self.gateway.watch(message_id, notify)


E_SCHEDULE_SERVICE = 35111  # scheduling needs a MessagingServiceSid
E_SCHEDULE_TIME = 35114     # SendAt outside 15 minutes .. 35 days ahead
SCHEDULE_MIN, SCHEDULE_MAX = timedelta(minutes=15), timedelta(days=35)


def _schedule(form: Mapping[str, Any], create: wire.CreateRequest) -> datetime | None:
    """``ScheduleType=fixed`` + ``SendAt``: the time to send at, with Twilio's rules — a
    Messaging Service is required, and SendAt is 15 minutes to 35 days ahead."""
    kind = str(form.get("ScheduleType") or "").strip()
    at = str(form.get("SendAt") or "").strip()
    if not kind and not at:
        return None
    if kind != "fixed":
        raise wire.WireError(400, wire.E_INVALID_PARAMETER, "ScheduleType must be 'fixed' when SendAt is given")
    if not create.messaging_service_sid:
        raise wire.WireError(400, E_SCHEDULE_SERVICE, "A MessagingServiceSid is required to schedule a message")
    try:
        when = parse_when(at)
    except ValueError:
        raise wire.WireError(400, E_SCHEDULE_TIME, "SendAt must be an ISO 8601 date-time") from None
    lead = when - datetime.now(timezone.utc)
    if not SCHEDULE_MIN <= lead <= SCHEDULE_MAX:
        raise wire.WireError(400, E_SCHEDULE_TIME, "SendAt must be between 15 minutes and 35 days in the future")
    return when


def _twilio_code(code: Any) -> int | None:
    """A journaled error code as a Twilio error code, when it is one (5 digits)."""
    text = str(code or "")
    return int(text) if text.isdigit() and len(text) == 5 else None
