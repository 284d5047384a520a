"""The Sinch face of ``smsbridge serve``: the SMS REST API (XMS) over smsbridge.

Serves what the official ``sinch`` SDK (2.x, service-plan token auth) calls::

    POST /xms/v1/{plan}/batches                                  send     -> 201 batch
    GET  /xms/v1/{plan}/batches                                  list     -> 200 {count, page, page_size, batches}
    GET  /xms/v1/{plan}/batches/{batch_id}                       fetch    -> 200 batch
    DELETE /xms/v1/{plan}/batches/{batch_id}                     cancel a scheduled batch -> 200 batch
    GET  /xms/v1/{plan}/batches/{batch_id}/delivery_report       summary/full report
    GET  /xms/v1/{plan}/batches/{batch_id}/delivery_report/{msisdn}   recipient report
    GET  /xms/v1/{plan}/delivery_reports                         recipient reports, paged

Callers send ``Authorization: Bearer <api_token>`` with their ``service_plan_id`` in the
path, checked against ``gateway.clients.<name>.sinch``.  Batch ids are ULIDs
(:func:`.wire.provider_id_for` the first recipient's smsbridge id, aliased as
``sinch``); a batch to several recipients is several smsbridge messages (aliases
``<id>/<n>``).  Errors are ``{"code", "text"}``, answered from
:data:`.wire.ERROR_REPLIES` (the face's :class:`~smsbridge.gateway.errors.ErrorTable` is
built on it, so what the face says reads back through :data:`.wire.REPLY_ERRORS` as the
same error); authentication, routes and the guard are
:class:`~smsbridge.gateway.provider_face.ProviderFace`'s.  Not supported: OAuth/project
auth, replace/update, dry run, binary and MMS batches, groups, inbounds.

Callbacks to ``callback_url``: ``per_recipient`` posts a ``recipient_delivery_report_sms``
on every status change, ``per_recipient_final`` only the final one, ``summary``/``full``
one ``delivery_report_sms`` once every recipient reached a final status.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smsbridge.errors import NotFound
from smsbridge.gateway import faces
from smsbridge.gateway.app import Gateway
from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.errors import ErrorTable
from smsbridge.gateway.http import read_json
from smsbridge.gateway.provider_face import ProviderFace
from smsbridge.model import MessageRecord, Receipt, Status

from . import wire

__all__ = ["routes", "SinchFace"]

log = logging.getLogger("smsbridge.gateway.sinch")

KIND = "sinch"
PREFIX = "/xms/v1/"
_BASE = PREFIX + "{plan}"

Endpoint = Callable[[Request, GatewayClient], Awaitable[Response]]
"""A handler for one HTTP method on one path: ``(request, authenticated client) -> response``."""


def _error(status: int, code: str, text: str) -> JSONResponse:
    return JSONResponse(wire.error_body(status, code, text), status_code=status)


def _bad_request_code(status: int) -> str:
    return "syntax_invalid_json" if status == 400 else "bad_request"


class SinchFace(ProviderFace):
    """The XMS routes; errors through the wire module's ``ERROR_REPLIES`` (see the module doc)."""

    kind: ClassVar[str] = KIND
    paths: ClassVar[list[tuple[str, str]]] = [
        (_BASE + "/batches", "batches"),
        (_BASE + "/batches/{batch_id}", "batch"),
        (_BASE + "/batches/{batch_id}/delivery_report", "report"),
        (_BASE + "/batches/{batch_id}/delivery_report/{msisdn}", "recipient_report"),
        (_BASE + "/delivery_reports", "reports"),
    ]
    error_prefixes: ClassVar[tuple[str, ...]] = (PREFIX,)
    errors: ClassVar[ErrorTable] = ErrorTable(replies=wire.ERROR_REPLIES, bad_request=_bad_request_code,
                                              name=KIND)

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway)
        self._summaries: set[str] = set()  # batches whose summary callback went out

    def credentials(self, request: Request) -> dict[str, Any] | None:
        """The plan id from the path and the ``Bearer`` token, as the client section names them."""
        token = faces.scheme_credential(request.headers.get("authorization"), "Bearer")
        if token is None:
            return None
        return {"service_plan_id": request.path_params.get("plan"), "api_token": token}

    def unauthorized(self, request: Request) -> Response:
        return _error(401, "unauthorized", "Invalid service plan id or API token")

    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        if status == 404:
            return _error(404, "not_found", "The requested resource was not found")
        if status == 405:
            return _error(405, "method_not_allowed", detail or "Method not allowed")
        if status >= 500:
            return _error(500, "internal_error", "Internal error")
        return _error(status, _bad_request_code(status), detail)

    async def _by_method(self, request: Request, **handlers: Endpoint) -> Response:
        """Serve ``request`` with the handler for its HTTP method; any other method is
        Sinch's 405 (after authentication, as Sinch answers an unknown caller first)."""
        chosen = handlers.get(request.method)

        async def handler(client: GatewayClient) -> Response:
            if chosen is None:
                raise wire.WireError(f"{request.method} is not supported by this gateway on this path",
                                     status=405, code="method_not_allowed")
            return await chosen(request, client)
        return await self.serve(request, handler)

    # -- batches -----------------------------------------------------------------------------
    async def batches(self, request: Request) -> Response:
        return await self._by_method(request, POST=self._send, GET=self._list)

    async def _send(self, request: Request, client: GatewayClient) -> Response:
        key = faces.idempotency_key(request)
        body = await read_json(request)
        req = wire.parse_send_request(body)
        send_at = _send_at(body.get("send_at") if isinstance(body, dict) else None)
        plan = request.path_params["plan"]
        receipts: list[Receipt] = []
        batch_id: str | None = None

        def extra() -> dict[str, Any]:
            face: dict[str, Any] = {"plan": plan, "delivery_report": req.delivery_report,
                                    "callback_url": req.callback_url, "from": req.sender,
                                    "client_reference": req.client_reference}
            if batch_id is not None:
                face["parent"] = batch_id
            return {KIND: face}

        async for receipt in faces.send_each(self.gateway, client, req.to, req.body, sender=req.sender,
                                             reference=req.client_reference, extra=extra, idempotency_key=key,
                                             send_at=send_at):
            if batch_id is None:
                batch_id = wire.provider_id_for(receipt.id)
            await faces.alias_member(self.gateway, KIND, batch_id, len(receipts), receipt.id)
            receipts.append(receipt)
        assert batch_id is not None
        if req.callback_url and req.delivery_report != "none":
            for receipt in receipts:
                self._watch(receipt.id, batch_id, req)
        data = wire.batch_json(id=batch_id, to=[r.to for r in receipts], sender=req.sender, body=req.body,
                               created_at=receipts[0].created_at, delivery_report=req.delivery_report,
                               callback_url=req.callback_url, client_reference=req.client_reference)
        return JSONResponse(data, status_code=201)

    async def _group(self, batch_id: str, client: GatewayClient) -> list[MessageRecord]:
        if not wire.is_id(batch_id):
            raise NotFound("batch not found")
        records = [await faces.client_record_by_alias(self.gateway, client, KIND, batch_id, wire.message_id_in,
                                                      missing="batch not found")]
        async for more in faces.member_ids(self.gateway, KIND, batch_id):
            records.append(await self.gateway.record(more))
        return records

    def _face(self, record: MessageRecord) -> dict[str, Any]:
        face = record.extra.get(KIND)
        return face if isinstance(face, dict) else {}

    def _render(self, batch_id: str, records: list[MessageRecord]) -> dict[str, Any]:
        head = records[0]
        face = self._face(head)
        data = wire.batch_json(id=batch_id, to=[r.to for r in records], sender=face.get("from") or head.sender,
                               body=head.text, created_at=head.created_at,
                               modified_at=max((r.updated_at for r in records if r.updated_at), default=None),
                               delivery_report=face.get("delivery_report") or "none",
                               callback_url=face.get("callback_url"), client_reference=face.get("client_reference"),
                               canceled=all(r.status is Status.CANCELED for r in records))
        if head.send_at is not None:
            data["send_at"] = wire.format_time(head.send_at)
        return data

    async def _mine(self, client: GatewayClient, accept: Callable[[MessageRecord], bool], *,
                    refresh: bool = False) -> list[MessageRecord]:
        """The client's messages (newest first) that ``accept``; ``refresh`` refreshes statuses first."""
        found = []
        async for record in faces.scan_journal(self.gateway, client=client):
            if KIND in record.extra and record.phase != "failed":
                if refresh:
                    record = await faces.fresh(self.gateway, record)
                if accept(record):
                    found.append(record)
        return found

    async def _list(self, request: Request, client: GatewayClient) -> Response:
        """The client's batches, newest first, as index ranges: ``start_date`` (inclusive)
        and ``end_date`` (exclusive; ISO 8601, a bare date is midnight UTC) bound the
        creation time in the journal query.  ``count`` is what was walked plus one when
        more follow (enough for the SDK's paging), not a count of every row."""
        query = request.query_params
        page = _int(query.get("page"), 0, 0, 10**6)
        size = _int(query.get("page_size"), 30, 1, 100)
        senders = {s for s in (query.get("from") or "").split(",") if s}
        ref = query.get("client_reference") or None
        filters: dict[str, Any] = {}
        for key, bound in (("start_date", "created_after"), ("end_date", "created_before")):
            if query.get(key):
                try:
                    filters[bound] = faces.parse_when(query[key])
                except ValueError:
                    raise wire.WireError(f"{key}: must be an ISO 8601 date or date-time",
                                         code="syntax_invalid_parameter_format", field=key) from None
        skip = page * size
        heads: list[MessageRecord] = []
        async for record in faces.scan_journal(self.gateway, client=client, page=min(skip + size + 1, 500),
                                               **filters):
            face = self._face(record)
            if record.phase == "failed" or KIND not in record.extra or face.get("parent"):
                continue
            if senders and (face.get("from") or record.sender or "") not in senders:
                continue
            if ref is not None and face.get("client_reference") != ref:
                continue
            if skip:
                skip -= 1
                continue
            heads.append(record)
            if len(heads) > size:
                break
        batches = []
        for record in heads[:size]:
            batch_id = await self.gateway.alias_of(record.id, KIND) or wire.provider_id_for(record.id)
            try:
                batches.append(self._render(batch_id, await self._group(batch_id, client)))
            except NotFound:
                batches.append(self._render(batch_id, [record]))
        count = page * size + len(batches) + (1 if len(heads) > size else 0)
        return JSONResponse(wire.list_json(batches, page=page, page_size=size, count=count))

    async def batch(self, request: Request) -> Response:
        return await self._by_method(request, GET=self._fetch, DELETE=self._cancel)

    async def _fetch(self, request: Request, client: GatewayClient) -> Response:
        batch_id = request.path_params["batch_id"]
        return JSONResponse(self._render(batch_id, await self._group(batch_id, client)))

    async def _cancel(self, request: Request, client: GatewayClient) -> Response:
        """``DELETE /batches/{id}``: cancel a scheduled batch -> the batch, ``canceled: true``."""
        batch_id = request.path_params["batch_id"]
        records = await self._group(batch_id, client)
        canceled = [await self.gateway.call(self.gateway.bridge.cancel, r.id) for r in records]
        return JSONResponse(self._render(batch_id, canceled))

    # -- delivery reports ------------------------------------------------------------------------
    async def report(self, request: Request) -> Response:
        return await self._by_method(request, GET=self._report)

    async def _report(self, request: Request, client: GatewayClient) -> Response:
        batch_id = request.path_params["batch_id"]
        records = await self._group(batch_id, client)
        kind = request.query_params.get("type") or "summary"
        if kind not in ("summary", "full"):
            raise wire.WireError("type: must be summary or full", code="syntax_invalid_parameter_format",
                                 field="type")
        statuses = {s.lower() for s in (request.query_params.get("status") or "").split(",") if s}
        codes = {c for c in (request.query_params.get("code") or "").split(",") if c}
        pairs = [(r.to, r.status) for r in records
                 if (not statuses or wire.from_status(r.status).lower() in statuses)
                 and (not codes or str(wire.status_code(r.status)) in codes)]
        data = wire.summary_report_json(batch_id, pairs, full=kind == "full",
                                        client_reference=self._face(records[0]).get("client_reference"))
        data["total_message_count"] = len(records)
        return JSONResponse(data)

    async def recipient_report(self, request: Request) -> Response:
        return await self._by_method(request, GET=self._recipient_report)

    async def _recipient_report(self, request: Request, client: GatewayClient) -> Response:
        batch_id = request.path_params["batch_id"]
        msisdn = request.path_params["msisdn"].lstrip("+")
        for record in await self._group(batch_id, client):
            if record.to.lstrip("+") == msisdn:
                return JSONResponse(self._recipient(batch_id, record))
        raise NotFound("no such recipient in the batch")

    def _recipient(self, batch_id: str, record: MessageRecord) -> dict[str, Any]:
        return wire.recipient_report_json(batch_id, record.to, record.status, at=record.updated_at,
                                          created_at=record.created_at,
                                          client_reference=self._face(record).get("client_reference"),
                                          parts=record.segments, encoding=record.encoding)

    async def reports(self, request: Request) -> Response:
        return await self._by_method(request, GET=self._reports)

    async def _reports(self, request: Request, client: GatewayClient) -> Response:
        query = request.query_params
        page = _int(query.get("page"), 0, 0, 10**6)
        size = _int(query.get("page_size"), 30, 1, 100)
        statuses = {s.lower() for s in (query.get("status") or "").split(",") if s}
        ref = query.get("client_reference") or None
        records = await self._mine(client, lambda r: (not statuses
                                                      or wire.from_status(r.status).lower() in statuses)
                                   and (ref is None or self._face(r).get("client_reference") == ref),
                                   refresh=True)
        out = []
        for record in records[page * size:(page + 1) * size]:
            face = self._face(record)
            batch_id = face.get("parent") or await self.gateway.alias_of(record.id, KIND) \
                or wire.provider_id_for(record.id)
            out.append(self._recipient(batch_id, record))
        return JSONResponse({"count": len(records), "page": page, "page_size": len(out),
                             "delivery_reports": out})

    # -- callbacks ---------------------------------------------------------------------------------
    def _watch(self, message_id: str, batch_id: str, req: wire.SendRequest) -> None:
        url = req.callback_url
        assert url is not None
        mode = req.delivery_report

        async def notify(record: MessageRecord) -> None:
            if mode in ("per_recipient", "per_recipient_final"):
                if mode == "per_recipient_final" and not record.status.final:
                    return
                word = wire.from_status(record.status)
                if not self.reported.is_new((batch_id, record.to), word, final=record.status.final):
                    return
                await self.gateway.post_callback(url, json=self._recipient(batch_id, record),
                                                 headers={"Content-Type": "application/json"})
                return
            # summary / full: one report once the whole batch is final.
            if not record.status.final or batch_id in self._summaries:
                return
            first = await self.gateway.resolve(KIND, batch_id) or wire.message_id_in(batch_id)
            records = [await self.gateway.call(self.gateway.bridge.record, first)] if first else [record]
            async for more in faces.member_ids(self.gateway, KIND, batch_id):
                records.append(await self.gateway.call(self.gateway.bridge.record, more))
            if not all(r.status.final for r in records) or batch_id in self._summaries:
                return
            self._summaries.add(batch_id)
            data = wire.summary_report_json(batch_id, [(r.to, r.status) for r in records], full=mode == "full",
                                            client_reference=req.client_reference)
            await self.gateway.post_callback(url, json=data, headers={"Content-Type": "application/json"})
        self.gateway.watch(message_id, notify)


def _send_at(value: Any) -> datetime | None:
    """``send_at`` (ISO 8601): smsbridge holds the batch until then (a past time sends now)."""
    if value in (None, ""):
        return None
    try:
        return faces.parse_when(str(value))
    except ValueError:
        raise wire.WireError("send_at: must be an ISO 8601 date-time", code="syntax_invalid_parameter_format",
                             field="send_at") from None


def _int(value: str | None, default: int, low: int, high: int) -> int:
    return faces.query_int(value, default, low, high,
                           invalid=lambda text: wire.WireError(f"invalid integer {text!r}",
                                                               code="syntax_invalid_parameter_format"),
                           out_of_range=lambda n: wire.WireError(f"{n} is out of range {low}..{high}",
                                                                 code="syntax_constraint_violation"))


routes = SinchFace.routes
