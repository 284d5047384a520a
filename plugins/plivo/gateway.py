"""The Plivo face of ``smsbridge serve``: Plivo's Message API over smsbridge.

Serves what the official ``plivo`` SDK (4.x) calls::

    POST /v1/Account/{auth_id}/Message/           send     -> 202 {api_id, message, message_uuid: [...]}
    GET  /v1/Account/{auth_id}/Message/           list     -> 200 {api_id, meta, objects}
    GET  /v1/Account/{auth_id}/Message/{uuid}/    fetch    -> 200 message object
    GET  /v1/Account/{auth_id}/                   account  -> 200 {cash_credits, ...}

Callers authenticate with HTTP Basic ``auth_id:auth_token`` against
``gateway.clients.<name>.plivo`` (the SDK insists on ``MA``/``SA`` + 18 characters), and
the ``auth_id`` in the path must be theirs.  Message UUIDs are :func:`.wire.provider_id_for` the
smsbridge id (UUID4-shaped, one per destination), also stored as ``plivo`` aliases.
Errors are ``{"api_id", "error"}``; the HTTP status picks the SDK's exception class
(:data:`.wire.ERROR_REPLIES`, which the SDK shim answers through too).

Status callbacks: a send with ``url`` gets Plivo's callback (form POST, or a GET query
with ``method=GET``) on every status change, signed with ``X-Plivo-Signature-V3`` and
``X-Plivo-Signature-V3-Nonce`` using the client's auth token.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smsbridge.errors import UnsupportedOperation
from smsbridge.gateway import faces
from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.errors import ErrorTable
from smsbridge.gateway.http import read_form, read_json
from smsbridge.gateway.provider_face import Handler, ProviderFace
from smsbridge.model import Balance, MessageRecord, Receipt

from . import wire

__all__ = ["routes", "PlivoFace"]

log = logging.getLogger("smsbridge.gateway.plivo")

KIND = "plivo"
PREFIX = "/v1/Account/"
_UNAUTHORIZED = "Could not verify your access level for that URL. You have to login with proper credentials"


def _api_id() -> str:
    return wire.new_uuid()


def _error(status: int, error: str) -> JSONResponse:
    return JSONResponse(wire.error_json(_api_id(), error), status_code=status)


class PlivoFace(ProviderFace):
    """Plivo's Message API; see the module doc."""

    kind = KIND
    paths = (
        (PREFIX + "{auth_id}/Message/", "messages"),
        (PREFIX + "{auth_id}/Message/{uuid}/", "message"),
        (PREFIX + "{auth_id}/", "account"),
        # Plivo's Node SDK joins an empty id into the path: accounts.get() asks for
        # /v1/Account/{auth_id}//, which Plivo serves as the account.
        (PREFIX + "{auth_id}//", "account"),
    )
    error_prefixes = (PREFIX,)
    errors = ErrorTable(replies=wire.ERROR_REPLIES, name=KIND)

    def credentials(self, request: Request) -> Mapping[str, Any] | None:
        """Basic ``auth_id:auth_token``, and only for the caller's own ``/v1/Account/{auth_id}/``."""
        creds = faces.basic_credentials(request.headers.get("authorization"))
        if creds is None or request.path_params.get("auth_id") != creds[0]:
            return None
        return {"auth_id": creds[0], "auth_token": creds[1]}

    def unauthorized(self, request: Request) -> Response:
        return _error(401, _UNAUTHORIZED)

    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        if status == 404:
            return _error(404, "not found")
        if status >= 500:
            return _error(500, "server error")
        return _error(status, detail or "invalid request")

    async def _by_method(self, request: Request, **handlers: Handler) -> Response:
        """Serve the handler named for the request's method; any other method gets Plivo's
        405 (after authentication, as Plivo answers it)."""
        handler = handlers.get(request.method.lower())
        if handler is None:
            async def handler(client: GatewayClient) -> Response:
                raise wire.WireError(f'HTTP method "{request.method}" not allowed on this resource', status=405)
        return await self.serve(request, handler)

    # -- Message/ -------------------------------------------------------------------------------
    async def messages(self, request: Request) -> Response:
        return await self._by_method(request, post=lambda client: self._create(request, client),
                                     get=lambda client: self._list(request, client))

    async def _create(self, request: Request, client: GatewayClient) -> Response:
        key = faces.idempotency_key(request)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await (read_form(request) if ctype == "application/x-www-form-urlencoded" else read_json(request))
        req = wire.parse_send_request(body)
        auth_id = request.path_params["auth_id"]
        uuids: list[str] = []
        receipts: list[Receipt] = []
        invalid: list[str] = []
        # Invalid numbers are left out (and listed in the reply); what was accepted stays accepted.
        async for receipt in faces.send_each(
                self.gateway, client, req.dst, req.text, sender=req.src, invalid=invalid, idempotency_key=key,
                extra=lambda: {KIND: {"src": req.src, "url": req.url, "method": req.method, "auth_id": auth_id}}):
            message_uuid = wire.provider_id_for(receipt.id)
            await self.gateway.alias(KIND, message_uuid, receipt.id)
            uuids.append(message_uuid)
            receipts.append(receipt)
        if req.url:
            token = str(client.credentials[KIND].get("auth_token", ""))
            for message_uuid, receipt in zip(uuids, receipts, strict=True):
                self._watch(receipt.id, message_uuid, req.url, req.method, token)
        return JSONResponse(wire.send_reply(_api_id(), uuids, invalid), status_code=202)

    async def _render(self, record: MessageRecord, auth_id: str) -> dict[str, Any]:
        face = faces.face_extra(record, KIND)
        message_uuid = await self.gateway.alias_of(record.id, KIND) or wire.provider_id_for(record.id)
        return wire.message_object(auth_id=auth_id, message_uuid=message_uuid, to=record.to,
                                   sender=record.sender or face.get("src"), status=record.status,
                                   time=record.created_at, units=record.segments)

    async def _list(self, request: Request, client: GatewayClient) -> Response:
        """The client's messages through every face (as Twilio's list shows them), newest
        first, as index ranges: ``to_number`` and ``message_time`` (``__gt``, ``__gte``,
        ``__lt``, ``__lte``; "YYYY-MM-DD[ HH:MM[:SS]]", UTC) are journal filters;
        ``message_state`` and ``from_number`` are checked per row.  ``meta.total_count`` is
        what was walked plus one when more follow — enough for the SDKs' paging — not a
        count of the whole table (which would cost a walk of every row)."""
        query = request.query_params
        limit = _int(query.get("limit"), 20, 1, 20)
        offset = _int(query.get("offset"), 0, 0, 10**9)
        state = query.get("message_state") or None
        to = query.get("to_number") or None
        sender = query.get("from_number") or None
        filters: dict[str, Any] = {}
        if to:
            filters["to"] = "+" + to.strip().lstrip("+")
        for key, bound, inclusive in (("message_time__gt", "created_after", False),
                                      ("message_time__gte", "created_after", True),
                                      ("message_time__lt", "created_before", False),
                                      ("message_time__lte", "created_before", True),
                                      ("message_time", None, True)):
            if not query.get(key):
                continue
            try:
                when = faces.parse_when(query[key])
            except ValueError:
                raise wire.WireError(f"invalid {key}: expected YYYY-MM-DD HH:MM[:SS]", status=400,
                                     field=key) from None
            if bound is None:  # an exact time: that second
                filters["created_after"], filters["created_before"] = when, when + timedelta(seconds=1)
            elif bound == "created_after":
                filters[bound] = when if inclusive else when + timedelta(microseconds=1)
            else:
                filters[bound] = when + timedelta(microseconds=1) if inclusive else when
        matched: list[MessageRecord] = []
        passed = 0  # listed records walked, the first ``offset`` of them skipped
        page = min(offset + limit + 1, 500)
        async for record in faces.scan_journal(self.gateway, client=client, page=page, **filters):
            if record.phase == "failed":
                continue
            if state:
                record = await faces.fresh(self.gateway, record)
                if wire.from_status(record.status) != state:
                    continue
            if sender and (record.sender or "").lstrip("+") != sender.lstrip("+"):
                continue
            passed += 1
            if passed <= offset:
                continue
            matched.append(record)
            if len(matched) > limit:
                break
        auth_id = request.path_params["auth_id"]
        objects = [await self._render(await faces.fresh(self.gateway, r), auth_id) for r in matched[:limit]]
        total = offset + len(objects) + (1 if len(matched) > limit else 0)
        return JSONResponse(wire.list_reply(_api_id(), auth_id, objects, limit=limit, offset=offset, total=total))

    # -- Message/{uuid}/ ------------------------------------------------------------------------
    async def message(self, request: Request) -> Response:
        async def fetch(client: GatewayClient) -> Response:
            message_uuid = request.path_params["uuid"]
            record = await faces.client_record_by_alias(self.gateway, client, KIND, message_uuid, wire.message_id_in,
                                                        missing="not found")
            data = await self._render(record, request.path_params["auth_id"])
            data["api_id"] = _api_id()
            return JSONResponse(data)
        return await self._by_method(request, get=fetch)

    # -- Account ---------------------------------------------------------------------------------
    async def account(self, request: Request) -> Response:
        async def fetch(client: GatewayClient) -> Response:
            bal = await self._balance(client)
            auth_id = request.path_params["auth_id"]
            return JSONResponse(wire.account_reply(_api_id(), auth_id, bal.amount if bal else "0",
                                                   name=client.name, unit=bal.unit if bal else "USD"))
        return await self._by_method(request, get=fetch)

    async def _balance(self, client: GatewayClient) -> Balance | None:
        """The client's backend's balance; ``None`` (shown as 0) when it cannot tell one."""
        try:
            return await self.gateway.call(self.gateway.bridge.balance, client.backend)
        except UnsupportedOperation:
            return None

    # -- status callbacks ---------------------------------------------------------------------
    def _watch(self, message_id: str, message_uuid: str, url: str, method: str, token: str) -> None:
        async def notify(record: MessageRecord) -> None:
            word = wire.from_status(record.status)
            if not self.reported.is_new(message_uuid, word, final=record.status.final):
                return
            params = wire.callback_params(message_uuid=message_uuid, to=record.to, sender=record.sender,
                                          status=record.status, units=record.segments, at=record.updated_at,
                                          queued_at=record.created_at)
            nonce = str(secrets.randbelow(10**20)).zfill(20)
            headers = {"X-Plivo-Signature-V3-Nonce": nonce,
                       "X-Plivo-Signature-V3": wire.signature_v3(method, url, params, nonce, token),
                       "User-Agent": "PlivoHTTP/smsbridge"}
            await self.gateway.post_callback(url, data=params, method=method, headers=headers)
        self.gateway.watch(message_id, notify)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    return faces.query_int(value, default, low, high,
                     invalid=lambda text: wire.WireError(f"invalid integer {text!r}", status=400),
                     out_of_range=lambda n: wire.WireError(f"value {n} out of range {low}..{high}", status=400))


routes = PlivoFace.routes
"""The face factory registered through ``smsbridge_http_shims`` (``gateway:routes``)."""
