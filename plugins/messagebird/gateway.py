"""The MessageBird face of ``smsbridge serve``: the legacy SMS REST API over smsbridge.

Serves what the official ``messagebird`` SDK (2.x) calls::

    POST /messages            create   -> 201 message JSON
    GET  /messages            list     -> 200 {offset, limit, count, totalCount, links, items}
    GET  /messages/{id}       fetch    -> 200 message JSON
    GET  /balance             balance  -> 200 {payment, type, amount}

Callers send ``Authorization: AccessKey <key>``, checked against
``gateway.clients.<name>.messagebird.access_key``.  Ids are :func:`.wire.provider_id_for` the
smsbridge id (32 hex), also stored as ``messagebird`` aliases; a message to several
recipients is one MessageBird id over several smsbridge messages (aliases
``<id>/<n>``).  Every error is ``{"errors": [...]}`` with HTTP 401, 404 or 422 only: the
SDK raises ``requests.HTTPError`` for any other status before it reads the body.

Delivery reports: a message sent with ``reportUrl`` gets an HTTP GET to it on every
status change of each recipient (``id, reference, recipient, status, statusDatetime``,
``statusReason`` for failures), as MessageBird does.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smsbridge.errors import NotFound, SmsBridgeError
from smsbridge.gateway import faces, paging
from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.errors import ErrorTable
from smsbridge.gateway.http import read_form, read_json
from smsbridge.gateway.provider_face import Handler, ProviderFace
from smsbridge.model import MessageRecord, Receipt, Status

from . import wire

__all__ = ["routes", "MessageBirdFace"]

log = logging.getLogger("smsbridge.gateway.messagebird")

KIND = "messagebird"


def _respond(status: int, body: Any) -> JSONResponse:
    """An error body with a status the SDK reads (401, 404 or 422; see the module doc)."""
    return JSONResponse(body, status_code=status if status in wire.SDK_STATUSES else 422)


ERRORS = ErrorTable(replies=wire.ERROR_REPLIES, bad_request=wire.ErrorCode(wire.CODE_BAD_REQUEST),
                    respond=_respond, name=KIND)


class MessageBirdFace(ProviderFace):
    """The legacy SMS REST API; plumbing from :class:`ProviderFace`, errors from
    :data:`.wire.ERROR_REPLIES` (the SDK shim answers through the same table)."""

    kind = KIND
    paths = (("/messages", "messages"), ("/messages/{id}", "message"), ("/balance", "balance"))
    error_prefixes = ("/messages", "/balance")
    errors = ERRORS
    # self.reported: by (MessageBird id, recipient), the status word last reported

    # -- plumbing --------------------------------------------------------------------------
    def credentials(self, request: Request) -> dict[str, Any] | None:
        key = wire.parse_auth_header(request.headers.get("authorization"))
        return None if key is None else {"access_key": key}

    def unauthorized(self, request: Request) -> Response:
        return ERRORS.response(wire.UNAUTHORIZED, request)

    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        """App-level errors under our paths, mapped onto 401/404/422 (see module doc)."""
        if status == 401:
            return self.unauthorized(request)
        if status == 404:
            refusal = wire.WireError("Not found", status=404, code=wire.CODE_NOT_FOUND)
        elif status >= 500:
            refusal = wire.WireError("Internal error", code=wire.CODE_INTERNAL)
        else:
            refusal = wire.WireError(f"Bad request: {detail}", code=wire.CODE_BAD_REQUEST)
        return ERRORS.response(refusal, request)

    def _href_base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    # -- /messages ---------------------------------------------------------------------------
    async def messages(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.serve(request, lambda client: self._create(request, client))
        if request.method == "GET":
            return await self.serve(request, lambda client: self._list(request, client))
        return await self.serve(request, self._not_allowed(request))

    def _not_allowed(self, request: Request) -> Handler:
        async def handler(client: GatewayClient) -> Response:
            raise wire.WireError(f"{request.method} is not supported on this path", code=wire.CODE_BAD_REQUEST)
        return handler

    async def _body(self, request: Request) -> Any:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            return await read_form(request)
        return await read_json(request)

    async def _create(self, request: Request, client: GatewayClient) -> Response:
        key = faces.idempotency_key(request)
        req = wire.parse_send_request(await self._body(request))
        send_at = _scheduled(req.extra.get("scheduledDatetime"))
        receipts: list[Receipt] = []
        mb_id: str | None = None

        def extra() -> dict[str, Any]:
            face: dict[str, Any] = {"reference": req.reference, "reportUrl": req.report_url,
                                    "datacoding": req.datacoding or "plain", "validity": req.validity,
                                    "originator": req.originator}
            if mb_id is not None:
                face["parent"] = mb_id
            return {KIND: face}

        def stopped(index: int, exc: SmsBridgeError) -> None:
            log.warning("messagebird face: recipient %d of %d failed: %s", index + 1, len(req.recipients), exc)

        # MessageBird drops incorrect recipients and sends to the rest.
        async for receipt in faces.send_each(self.gateway, client, req.recipients, req.body,
                                             sender=req.originator, reference=req.reference, extra=extra,
                                             stopped=stopped, idempotency_key=key, send_at=send_at):
            if mb_id is None:
                mb_id = wire.provider_id_for(receipt.id)
            await faces.alias_member(self.gateway, KIND, mb_id, len(receipts), receipt.id)
            receipts.append(receipt)
        assert mb_id is not None
        if req.report_url:
            for receipt in receipts:
                self._watch(receipt.id, mb_id, req.report_url, req.reference)
        data = wire.message_json(
            id=mb_id, originator=req.originator, body=req.body,
            recipients=[(r.to, r.status, r.created_at) for r in receipts], created_at=receipts[0].created_at,
            reference=req.reference, datacoding=req.datacoding or "plain", validity=req.validity,
            href_base=self._href_base(request))
        if send_at is not None and receipts[0].status is Status.SCHEDULED:
            data["scheduledDatetime"] = wire.format_time(send_at)
        return JSONResponse(data, status_code=201)

    async def _group(self, mb_id: str) -> list[MessageRecord]:
        """The records behind one MessageBird id (one per recipient)."""
        records = [await self.gateway.record_by_alias(KIND, mb_id, wire.message_id_in)]
        async for more in faces.member_ids(self.gateway, KIND, mb_id):
            records.append(await self.gateway.record(more))
        return records

    def _render(self, mb_id: str, records: list[MessageRecord], href_base: str) -> dict[str, Any]:
        head = records[0]
        face = faces.face_extra(head, KIND)
        data = wire.message_json(
            id=mb_id, originator=face.get("originator") or head.sender, body=head.text,
            recipients=[(r.to, r.status, r.updated_at) for r in records], created_at=head.created_at,
            reference=face.get("reference") or head.reference, datacoding=face.get("datacoding") or "plain",
            validity=face.get("validity"), href_base=href_base)
        if head.send_at is not None:
            data["scheduledDatetime"] = wire.format_time(head.send_at)
        return data

    async def _list(self, request: Request, client: GatewayClient) -> Response:
        query = request.query_params
        limit = _int(query.get("limit"), 20, 1, 450)
        offset = _int(query.get("offset"), 0, 0, 10**9)
        status_filter = query.get("status") or None
        if status_filter is not None and status_filter not in wire.STATUSES.incoming:
            raise wire.WireError("status is invalid", code=wire.CODE_INVALID, field="status")

        async def listed() -> AsyncIterator[MessageRecord]:
            """The client's MessageBird messages (one per MessageBird id), newest first."""
            async for record in faces.scan_journal(self.gateway, client=client, page=min(offset + limit + 1, 500)):
                face = record.extra.get(KIND)
                if not isinstance(face, dict) or face.get("parent") or record.phase == "failed":
                    continue
                if status_filter:
                    record = await faces.fresh(self.gateway, record)
                    if wire.from_status(record.status) != status_filter:
                        continue
                yield record

        matched, more = await paging.page(listed(), offset=offset, limit=limit)
        items = []
        base = self._href_base(request)
        total = offset + len(matched) + (1 if more else 0)
        for record in matched:
            mb_id = await self.gateway.alias_of(record.id, KIND) or wire.provider_id_for(record.id)
            try:
                group = await self._group(mb_id)
            except NotFound:
                group = [record]
            items.append(self._render(mb_id, group, base))
        return JSONResponse(wire.list_json(items, offset=offset, limit=limit, total=total, href_base=base))

    # -- /messages/{id} ------------------------------------------------------------------------
    async def message(self, request: Request) -> Response:
        if request.method == "DELETE":
            return await self.serve(request, lambda client: self._delete(request, client))
        if request.method != "GET":
            return await self.serve(request, self._not_allowed(request))
        return await self.serve(request, lambda client: self._fetch(request, client))

    async def _delete(self, request: Request, client: GatewayClient) -> Response:
        """``DELETE /messages/{id}``: cancel a scheduled message (every recipient) -> 204."""
        mb_id, records = await self._visible_group(request, client)
        for record in records:
            await self.gateway.call(self.gateway.bridge.cancel, record.id)
        return Response(status_code=204)

    async def _fetch(self, request: Request, client: GatewayClient) -> Response:
        mb_id, records = await self._visible_group(request, client)
        return JSONResponse(self._render(mb_id, records, self._href_base(request)))

    async def _visible_group(self, request: Request, client: GatewayClient) -> tuple[str, list[MessageRecord]]:
        """The path's MessageBird id and its records; 404 for an id of no message ``client`` may see."""
        mb_id = request.path_params["id"]
        if not wire.is_id(mb_id):
            raise NotFound("message not found")
        records = await self._group(mb_id)
        if not faces.visible_to(records[0], client):
            raise NotFound("message not found")
        return mb_id, records

    # -- /balance --------------------------------------------------------------------------------
    async def balance(self, request: Request) -> Response:
        return await self.serve(request, self._balance if request.method == "GET" else self._not_allowed(request))

    async def _balance(self, client: GatewayClient) -> Response:
        """The client's backend's balance; a backend without one is 404 code 20 (the
        ``UnsupportedOperation`` rule of :data:`.wire.ERROR_REPLIES`)."""
        bal = await self.gateway.call(self.gateway.bridge.balance, client.backend)
        unit = "credits" if bal.unit.lower().startswith("credit") else bal.unit.lower()
        return JSONResponse(wire.balance_json(bal.amount, unit))

    # -- delivery reports ------------------------------------------------------------------------
    def _watch(self, message_id: str, mb_id: str, url: str, reference: str | None) -> None:
        async def notify(record: MessageRecord) -> None:
            key = (mb_id, record.to)
            word = wire.from_status(record.status)
            if not self.reported.is_new(key, word, final=record.status.final):
                return  # smsbridge statuses that read the same in MessageBird's words: one report
            query = wire.report_query(id=mb_id, recipient=record.to, status=record.status,
                                      at=record.updated_at, reference=reference,
                                      error_code=record.error_code if record.status.final else None,
                                      message_part_count=record.segments)
            sep = "&" if "?" in url else "?"
            await self.gateway.post_callback(url + sep + urlencode(query), method="GET",
                                             headers={"User-Agent": "MessageBird/smsbridge"})
        self.gateway.watch(message_id, notify)


def _scheduled(value: Any) -> datetime | None:
    """``scheduledDatetime`` (RFC 3339) as a datetime; smsbridge holds the message until then."""
    if value in (None, ""):
        return None
    try:
        return faces.parse_when(str(value))
    except ValueError:
        raise wire.WireError("scheduledDatetime is invalid", code=wire.CODE_INVALID, field="scheduledDatetime") from None


def _int(value: str | None, default: int, low: int, high: int) -> int:
    return faces.query_int(value, default, low, high,
                     invalid=lambda text: wire.WireError(f"invalid number {text!r}", code=wire.CODE_INVALID))


routes = MessageBirdFace.routes
"""The face factory registered through ``smsbridge_http_shims`` (``gateway:routes``)."""
