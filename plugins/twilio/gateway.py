"""The Twilio face of ``smsbridge serve``: Twilio's REST paths over smsbridge (SPEC §6).

Serves, at Twilio's own paths, what the official ``twilio`` SDK calls::

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json         create  -> 201 message JSON
    GET  /2010-04-01/Accounts/{AccountSid}/Messages.json         list    -> 200 + paging keys
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   fetch   -> 200 message JSON
    GET  /2010-04-01/Accounts/{AccountSid}/Balance.json          balance -> 200

Callers authenticate with HTTP Basic ``AccountSid:AuthToken`` against
``gateway.clients.<name>.twilio``.  Sids are :func:`.wire.provider_id_for` the smsbridge id,
so the SDK shim, this face and the journal agree on them; each is also stored as a
``twilio`` alias.  Every error is Twilio's JSON (``code``, ``message``, ``more_info``,
``status``), so the SDK raises its own ``TwilioRestException``.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smsbridge.errors import InvalidNumber, NotFound, UnsupportedOperation
from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.errors import ErrorTable
from smsbridge.gateway.faces import (
    basic_credentials,
    client_record_by_alias,
    cursor_of,
    face_extra,
    idempotency_key,
    parse_when,
    scan_journal,
)
from smsbridge.gateway.http import read_form
from smsbridge.gateway.provider_face import Handler, ProviderFace
from smsbridge.model import MessageRecord

from . import api, wire
from .api import E_AUTHENTICATE, E_INVALID_PARAMETER, E_METHOD_NOT_ALLOWED, E_NOT_FOUND

__all__ = ["routes", "TwilioFace"]

PREFIX = f"/{wire.API_VERSION}/"
_ACCOUNT = f"/{wire.API_VERSION}/Accounts/{{account_sid}}"


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(wire.render_error(status, code, message), status_code=status)


def _not_allowed(message: str) -> wire.WireError:
    return wire.WireError(message, status=405, code=E_METHOD_NOT_ALLOWED)


class TwilioFace(ProviderFace):
    """Request handlers; one instance per gateway app."""

    kind = "twilio"
    paths = [(_ACCOUNT + "/Messages.json", "messages"), (_ACCOUNT + "/Messages/{sid}.json", "message"),
             (_ACCOUNT + "/Balance.json", "balance")]
    error_prefixes = [PREFIX]
    errors = ErrorTable(replies=wire.ERROR_REPLIES, bad_request=E_INVALID_PARAMETER, name="twilio")

    # -- plumbing ----------------------------------------------------------------------
    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        """Errors the app raises under /2010-04-01/ (404, 405, 413, 500) in Twilio's shape."""
        code = {401: E_AUTHENTICATE, 404: E_NOT_FOUND, 405: E_METHOD_NOT_ALLOWED,
                429: api.E_TOO_MANY_REQUESTS}.get(status, api.E_INTERNAL if status >= 500 else E_INVALID_PARAMETER)
        if status == 404:
            detail = f"The requested resource {request.url.path} was not found"
        return _error(status, code, detail)

    def credentials(self, request: Request) -> Mapping[str, Any] | None:
        """HTTP Basic ``AccountSid:AuthToken``."""
        creds = basic_credentials(request.headers.get("authorization"))
        return None if creds is None else {"account_sid": creds[0], "auth_token": creds[1]}

    def scoped(self, request: Request, credentials: Mapping[str, Any], client: GatewayClient) -> GatewayClient | None:
        """The authenticated client, when it is also the account the URL names: Twilio
        answers 401 for another account's resources, never 404."""
        if request.path_params.get("account_sid") != credentials["account_sid"]:
            request.state.twilio_other_account = True
            return None
        return client

    def unauthorized(self, request: Request) -> Response:
        """Twilio's 401 (20003 Authenticate)."""
        if getattr(request.state, "twilio_other_account", False):
            return _error(401, E_AUTHENTICATE,
                          "Authenticate: the AccountSid in the URL is not the one you authenticated as")
        return _error(401, E_AUTHENTICATE, "Authenticate")

    async def serve(self, request: Request, handler: Handler, *, errors: ErrorTable | None = None) -> Response:
        """:meth:`ProviderFace.serve`, with a missing message answered as the app's own 404
        (Twilio names the path it did not find)."""
        async def run(client: GatewayClient) -> Response:
            try:
                return await handler(client)
            except NotFound:
                return self.render_http_error(request, 404, "")
        return await super().serve(request, run, errors=errors)

    # -- rendering ----------------------------------------------------------------------
    def _render(self, record: MessageRecord, account_sid: str) -> dict[str, Any]:
        face = face_extra(record, "twilio")
        return wire.render_message(
            account_sid=account_sid, sid=wire.provider_id_for(record.id), to=record.to, body=record.text,
            status=record.status, sender=record.sender or face.get("from"), segments=record.segments,
            created_at=record.created_at, updated_at=record.updated_at,
            error_code=wire.shown_error_code(record.status, record.error_code), error_message=record.error,
            messaging_service_sid=face.get("messaging_service_sid"))

    # -- Messages.json -----------------------------------------------------------------
    async def messages(self, request: Request) -> Response:
        account_sid = request.path_params["account_sid"]

        async def handle(client: GatewayClient) -> Response:
            if request.method == "POST":
                return await self._create(request, client, account_sid)
            if request.method == "GET":
                return await self._list(request, client, account_sid)
            raise _not_allowed(f"Method {request.method} not allowed on Messages.json")
        return await self.serve(request, handle)

    async def _create(self, request: Request, client: GatewayClient, account_sid: str) -> Response:
        key = idempotency_key(request, "i-twilio-idempotency-token")
        form = await read_form(request)
        create = wire.parse_send_request(form)
        send_at = _schedule(form, create)
        extra = {"twilio": {"account_sid": account_sid, "from": create.sender,
                            "messaging_service_sid": create.messaging_service_sid}}
        try:
            receipt = await self.gateway.send(client, create.to, create.body, sender=create.sender, extra=extra,
                                              idempotency_key=key, send_at=send_at,
                                              alias=("twilio", wire.provider_id_for))  # journaled with it
        except InvalidNumber as exc:  # Twilio's 21211 names the number
            return self.errors.response(exc, request, to=create.to)
        sid = wire.provider_id_for(receipt.id)
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
                    raise wire.WireError(f"{key} must be a date (YYYY-MM-DD) or an ISO 8601 date-time",
                                         code=E_INVALID_PARAMETER, field=key) from None
        if query.get("DateSent"):  # that whole UTC day, whether a date or a date-time is given
            day = filters["sent_after"].astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
            filters["sent_after"], filters["sent_before"] = day, day + timedelta(days=1)
        token = query.get("PageToken") or None
        before: str | None = None
        skip = page * size
        if token:
            if not token.startswith("PA"):
                raise wire.WireError("PageToken is invalid", code=E_INVALID_PARAMETER, field="PageToken")
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
        account_sid = request.path_params["account_sid"]

        async def handle(client: GatewayClient) -> Response:
            if request.method == "POST":  # an update: only Status=canceled, for a scheduled message
                return await self._cancel(request, client, account_sid)
            if request.method != "GET":
                raise _not_allowed("This gateway cannot update or delete messages; only fetch or cancel them")
            return await self._fetch(request, client, account_sid)
        return await self.serve(request, handle)

    async def _cancel(self, request: Request, client: GatewayClient, account_sid: str) -> Response:
        form = await read_form(request)
        if (form.get("Status") or "").strip().lower() != "canceled":
            raise _not_allowed("This gateway updates a message only to cancel it (Status=canceled)")
        record = await self._client_record(request, client)
        record = await self.gateway.call(self.gateway.bridge.cancel, record.id)
        return JSONResponse(self._render(record, account_sid), status_code=200)

    async def _client_record(self, request: Request, client: GatewayClient) -> MessageRecord:
        """The message the URL's sid names (its journal alias, else the id it carries), in
        one store call; NotFound when there is none or another client sent it."""
        sid = request.path_params["sid"]
        if not wire.is_message_sid(sid):
            raise NotFound("no such message")
        return await client_record_by_alias(self.gateway, client, "twilio", sid, wire.message_id_in,
                                            missing="no such message")

    async def _fetch(self, request: Request, client: GatewayClient, account_sid: str) -> Response:
        record = await self._client_record(request, client)
        return JSONResponse(self._render(record, account_sid), status_code=200)

    # -- Balance.json ------------------------------------------------------------------
    async def balance(self, request: Request) -> Response:
        account_sid = request.path_params["account_sid"]

        async def fetch(client: GatewayClient) -> Response:
            if request.method != "GET":
                raise _not_allowed("Balance.json only answers GET")
            try:
                balance = await self.gateway.call(self.gateway.bridge.balance, client.backend)
            except UnsupportedOperation as exc:
                return _error(404, E_NOT_FOUND, f"No balance available: {exc}")
            return JSONResponse(wire.render_balance(account_sid, balance.amount, balance.unit), status_code=200)
        return await self.serve(request, fetch)

    # -- status callbacks --------------------------------------------------------------
    def _watch(self, message_id: str, sid: str, url: str, client: GatewayClient, account_sid: str,
               create: wire.CreateRequest) -> None:
        token = str(client.credentials["twilio"]["auth_token"])

        async def notify(record: MessageRecord) -> None:
            word = wire.from_status(record.status)
            if not self.reported.is_new(sid, word, final=record.status.final):
                return  # smsbridge statuses that read the same in Twilio's words: one callback
            form = wire.status_callback_form(
                account_sid=account_sid, sid=sid, status=record.status, to=record.to,
                sender=record.sender or create.sender, error_code=wire.shown_error_code(record.status, record.error_code),
                messaging_service_sid=create.messaging_service_sid, done_at=record.updated_at)
            headers = {"X-Twilio-Signature": wire.signature(token, url, form),
                       "Content-Type": "application/x-www-form-urlencoded",
                       "User-Agent": "TwilioProxy/1.1 (smsbridge)",
                       "I-Twilio-Idempotency-Token": f"{sid}-{word}"}
            await self.gateway.post_callback(url, data=form, headers=headers)

        self.gateway.watch(message_id, notify)


SCHEDULE_MIN, SCHEDULE_MAX = timedelta(minutes=15), timedelta(days=35)


def _schedule(form: Mapping[str, Any], create: wire.CreateRequest) -> datetime | None:
    """``ScheduleType=fixed`` + ``SendAt``: the time to send at, with Twilio's rules — a
    Messaging Service is required, and SendAt is 15 minutes to 35 days ahead."""
    kind = str(form.get("ScheduleType") or "").strip()
    at = str(form.get("SendAt") or "").strip()
    if not kind and not at:
        return None
    if kind != "fixed":
        raise wire.WireError("ScheduleType must be 'fixed' when SendAt is given", code=E_INVALID_PARAMETER,
                             field="ScheduleType")
    if not create.messaging_service_sid:
        raise wire.WireError("A MessagingServiceSid is required to schedule a message",
                             code=api.E_SCHEDULE_SERVICE, field="MessagingServiceSid")
    try:
        when = parse_when(at)
    except ValueError:
        raise wire.WireError("SendAt must be an ISO 8601 date-time", code=api.E_SCHEDULE_TIME,
                             field="SendAt") from None
    lead = when - datetime.now(timezone.utc)
    if not SCHEDULE_MIN <= lead <= SCHEDULE_MAX:
        raise wire.WireError("SendAt must be between 15 minutes and 35 days in the future",
                             code=api.E_SCHEDULE_TIME, field="SendAt")
    return when


routes = TwilioFace.routes
"""The face factory registered through ``smsbridge_http_shims``."""
