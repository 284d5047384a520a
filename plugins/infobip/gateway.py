"""The Infobip face of ``smsbridge serve``: Infobip's SMS API over smsbridge.

Serves what both official Python SDKs call::

    POST /sms/3/messages         send (v3, infobip-api-python-client 6.x)   -> 200 {bulkId, messages}
    POST /sms/2/text/advanced    send (v2, infobip-api-python-sdk 5.x)      -> 200 {bulkId, messages}
    GET  /sms/3/reports          delivery reports (v3)       GET /sms/1/reports   (v1/v2 shape)
    GET  /sms/3/logs             message logs (v3)           GET /sms/1/logs      (v1/v2 shape)
    GET  /account/1/balance      {balance, currency}

Callers send ``Authorization: App <api_key>``, checked against
``gateway.clients.<name>.infobip.api_key``.  Message ids are the caller's own
``destinations[].messageId`` when given, else :func:`.wire.provider_id_for` the smsbridge
id; both are stored as ``infobip`` aliases.  Every reply is HTTP 200 on success; errors
come in the v3 shape under ``/sms/3/`` and ``/account/``, in the v2 ``requestError``
shape under ``/sms/1/`` and ``/sms/2/`` (explicit JSON nulls, as the 5.x SDK sends them,
are ignored).

As Infobip does: a destination refused for lack of credit comes back in the 200 reply with
a ``REJECTED_NOT_ENOUGH_CREDITS`` status; a request whose every destination is an
invalid number is a 400 naming ``messages[i].destinations[j].to``.  Each delivery report
is handed out **once** (per gateway process), only for messages with a final status; the
logs show every message's current status.  A message sent with
``webhooks.delivery.url`` (v3) or ``notifyUrl`` (v2) gets the report POSTed as
``{"results": [...]}`` when final (and on every change with ``intermediateReport``).

The plumbing (routes, authentication, error guarding) is
:class:`~smsbridge.gateway.provider_face.ProviderFace`'s; errors read as the wire module's
``ERROR_REPLIES`` (v3) and ``ERROR_REPLIES_V2`` say, so the backend reads back what the
face writes.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smsbridge.errors import (
    DeliveryUnknown,
    InsufficientCredit,
    InvalidNumber,
    NotFound,
    SmsBridgeError,
    UnsupportedOperation,
)
from smsbridge.gateway.app import Gateway
from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.errors import ErrorTable
from smsbridge.gateway.faces import face_extra, fresh, idempotency_key, parse_when, query_int, scan_journal
from smsbridge.gateway.http import read_json
from smsbridge.gateway.provider_face import Handler, ProviderFace
from smsbridge.model import MessageRecord, Status

from . import wire

__all__ = ["routes", "InfobipFace"]

KIND = "infobip"

ERRORS_V3 = ErrorTable(replies=wire.ERROR_REPLIES, bad_request="body", name="infobip")
"""Errors under ``/sms/3/`` and ``/account/``: the v3 shape."""
ERRORS_V2 = ErrorTable(replies=wire.ERROR_REPLIES_V2, bad_request="body", name="infobip",
                       respond=lambda status, body: JSONResponse(body, status_code=wire.v2_status(status)))
"""Errors under ``/sms/1/`` and ``/sms/2/``: the v2 shape, with a status the 5.x SDK reads."""
_V2_PREFIXES = ("/sms/1/", "/sms/2/")


def _table(version: int) -> ErrorTable:
    return ERRORS_V3 if version >= 3 else ERRORS_V2


def _version_of(request: Request) -> int:
    """The API version whose error shape answers ``request`` (by its path)."""
    return 2 if request.url.path.startswith(_V2_PREFIXES) else 3


class InfobipFace(ProviderFace):
    """Infobip's SMS API (v3 and v2) over the gateway; see the module doc."""

    kind = KIND
    paths = (
        ("/sms/3/messages", "send_v3"),
        ("/sms/2/text/advanced", "send_v2"),
        ("/sms/3/reports", "reports_v3"),
        ("/sms/1/reports", "reports_v1"),
        ("/sms/3/logs", "logs_v3"),
        ("/sms/1/logs", "logs_v1"),
        ("/account/1/balance", "balance"),
        ("/sms/1/bulks/status", "bulk_status"),
    )
    error_prefixes = ("/sms/3/", "/sms/2/", "/sms/1/", "/account/1/")
    errors = ERRORS_V3

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway)
        self._handed_out: set[str] = set()       # message ids whose final report was fetched
        self._handed_lock = threading.Lock()

    # -- what the base class asks of a face --------------------------------------------------
    def credentials(self, request: Request) -> Mapping[str, Any] | None:
        key = wire.parse_auth_header(request.headers.get("authorization"))
        return {"api_key": key} if key else None

    def unauthorized(self, request: Request) -> Response:
        return self._refuse(request, wire.WireError("Invalid login details", status=401))

    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        if status == 404:
            refusal = wire.WireError("Not found.", status=404)
        elif status == 405:
            refusal = wire.WireError(detail or "Method not allowed.", status=405)
        elif status >= 500:
            refusal = wire.WireError("Internal error.", status=500)
        else:
            refusal = wire.WireError(detail or wire.INVALID, status=status)
        return self._refuse(request, refusal)

    def _refuse(self, request: Request, refusal: wire.WireError) -> Response:
        return _table(_version_of(request)).response(refusal, request)

    async def _serve(self, request: Request, version: int, method: str, handler: Handler) -> Response:
        """:meth:`serve` in ``version``'s error shape, refusing any method but ``method``
        (after authentication, as Infobip does)."""
        async def checked(client: GatewayClient) -> Response:
            if request.method != method:
                raise wire.WireError(f"Request method '{request.method}' is not supported", status=405)
            return await handler(client)
        return await self.serve(request, checked, errors=_table(version))

    # -- sending ---------------------------------------------------------------------------
    async def send_v3(self, request: Request) -> Response:
        async def handler(client: GatewayClient) -> Response:
            key = idempotency_key(request)
            body = await read_json(request)
            requests = wire.parse_send_request(body)
            schedule = _dig(body, "options", "schedule")
            send_at, bulk = _schedule(schedule.get("sendAt"), "options.schedule.sendAt"), schedule.get("bulkId")
            return await self._send(client, requests, 3, key, send_at, bulk if isinstance(bulk, str) else None)
        return await self._serve(request, 3, "POST", handler)

    async def send_v2(self, request: Request) -> Response:
        async def handler(client: GatewayClient) -> Response:
            key = idempotency_key(request)
            body = await read_json(request)
            requests = wire.parse_send_request_v2(body)
            messages = body.get("messages") if isinstance(body, dict) else None
            first = messages[0] if isinstance(messages, list) and messages and isinstance(messages[0], dict) else {}
            return await self._send(client, requests, 2, key, _schedule(first.get("sendAt"), "messages[0].sendAt"))
        return await self._serve(request, 2, "POST", handler)

    async def bulk_status(self, request: Request) -> Response:
        """``GET|PUT /sms/1/bulks/status?bulkId=``: a scheduled bulk's status; PUT
        ``{"status": "CANCELED"}`` cancels it (what Infobip's scheduled-SMS API does)."""
        async def handler(client: GatewayClient) -> Response:
            bulk_id = request.query_params.get("bulkId") or ""
            records = [r async for r in scan_journal(self.gateway, client=client)
                       if face_extra(r, KIND).get("bulk_id") == bulk_id] if bulk_id else []
            if not records:
                raise NotFound("bulk not found")
            if request.method == "PUT":
                body = await read_json(request)
                if not isinstance(body, dict) or body.get("status") != "CANCELED":
                    raise wire.invalid("status", "only CANCELED is supported")
                records = [await self.gateway.call(self.gateway.bridge.cancel, r.id) for r in records]
            statuses = {r.status for r in records}
            word = "CANCELED" if statuses == {Status.CANCELED} else "PENDING" if Status.SCHEDULED in statuses \
                else "FINISHED"
            return JSONResponse({"bulkId": bulk_id, "status": word})
        if request.method not in ("GET", "PUT"):
            return self._refuse(request, wire.WireError(f"Request method '{request.method}' is not supported",
                                                        status=405))
        return await self._serve(request, 2, request.method, handler)

    async def _send(self, client: GatewayClient, requests: list[wire.SendRequest], version: int,
                    key: str | None = None, send_at: datetime | None = None,
                    scheduled_bulk: str | None = None) -> Response:
        bulk_id = scheduled_bulk or requests[0].bulk_id or (
            wire.new_bulk_id() if send_at is not None or sum(len(r.destinations) for r in requests) > 1 else None)
        items: list[tuple[str, str, Any, int]] = []
        accepted = 0
        invalid: list[tuple[str, str]] = []
        stop: SmsBridgeError | None = None
        for i, req in enumerate(requests):
            for j, dest in enumerate(req.destinations):
                if stop is not None:
                    items.append((dest.message_id or wire.new_message_id(), dest.to,
                                  _rejected("REJECTED_NETWORK", f"Not sent: {stop.message}"), 0))
                    continue
                extra = {KIND: {"version": version, "bulk_id": bulk_id, "message_id": dest.message_id,
                                "notify_url": req.notify_url if req.notify else None,
                                "callback_data": req.callback_data, "intermediate": req.intermediate_report,
                                "sender": req.sender}}
                try:
                    receipt = await self.gateway.send(client, dest.to, req.text, sender=req.sender,
                                                      reference=req.callback_data, extra=extra,
                                                      idempotency_key=f"{key}/{i}/{j}" if key else None,
                                                      send_at=send_at)
                except InvalidNumber:
                    invalid.append((f"messages[{i}].destinations[{j}].to", "invalid destination address"))
                    items.append((dest.message_id or wire.new_message_id(), dest.to,
                                  wire.status_object(name="REJECTED_DESTINATION"), 0))
                    continue
                except InsufficientCredit as exc:
                    items.append((await self._name(dest.message_id, exc.message_id), dest.to,
                                  wire.status_object(name="REJECTED_NOT_ENOUGH_CREDITS"), 0))
                    continue
                except DeliveryUnknown as exc:
                    if not accepted:
                        raise
                    stop = exc
                    items.append((await self._name(dest.message_id, exc.message_id), dest.to,
                                  {**wire.status_object(name="PENDING_ENROUTE"),
                                   "description": f"Delivery unknown: {exc.message}"}, 0))
                    continue
                except SmsBridgeError as exc:
                    if not accepted:
                        raise
                    stop = exc
                    items.append((dest.message_id or wire.new_message_id(), dest.to,
                                  _rejected("REJECTED_NETWORK", f"Not sent: {exc.message}"), 0))
                    continue
                accepted += 1
                message_id = await self._name(dest.message_id, receipt.id)
                items.append((message_id, receipt.to, receipt.status, receipt.segments))
                if req.notify_url and req.notify:
                    self._watch(receipt.id, message_id, req, version, bulk_id)
        if invalid and len(invalid) == len(items):
            raise wire.WireError(wire.INVALID, violations=invalid)
        return JSONResponse(wire.send_reply(bulk_id, items, version=version), status_code=200)

    async def _name(self, given: str | None, message_id: str | None) -> str:
        """The messageId the caller sees for a journaled message (aliased for look-ups)."""
        if message_id is None:
            return given or wire.new_message_id()
        name = given or wire.provider_id_for(message_id)
        await self.gateway.alias(KIND, name, message_id)
        return name

    async def _public_id(self, record: MessageRecord) -> str:
        face = face_extra(record, KIND)
        return face.get("message_id") or await self.gateway.alias_of(record.id, KIND) \
            or wire.provider_id_for(record.id)

    # -- reports and logs ----------------------------------------------------------------------
    async def _find(self, client: GatewayClient, query: Any, *, only_final: bool, limit: int) -> list[MessageRecord]:
        """The client's messages matching a reports/logs query, newest first, statuses fresh."""
        wanted = [part for value in query.getlist("messageId") for part in value.split(",") if part]
        bulk_ids = {part for value in query.getlist("bulkId") for part in value.split(",") if part}
        sender = query.get("sender") or query.get("from") or None
        dest = (query.get("destination") or query.get("to") or "").lstrip("+") or None
        general = (query.get("generalStatus") or "").upper() or None
        filters: dict[str, Any] = {}
        if dest:
            filters["to"] = "+" + dest
        for key, bound in (("sentSince", "sent_after"), ("sentUntil", "sent_before")):
            if query.get(key):  # Infobip's sentSince/sentUntil bound when the message was sent
                try:
                    filters[bound] = parse_when(query[key])
                except ValueError:
                    raise wire.invalid(key, "must be an ISO 8601 date-time") from None
        out: list[MessageRecord] = []

        async def consider(record: MessageRecord, refreshed: bool) -> None:
            face = record.extra.get(KIND)
            if record.gateway_client != client.name or not isinstance(face, dict) \
                    or record.phase == "sending":
                return
            if bulk_ids and face.get("bulk_id") not in bulk_ids:
                return
            if sender and (face.get("sender") or record.sender) != sender:
                return
            if dest and record.to.lstrip("+") != dest:
                return
            if record.sent_at is not None and (
                    ("sent_after" in filters and record.sent_at < filters["sent_after"])
                    or ("sent_before" in filters and record.sent_at >= filters["sent_before"])):
                return
            if filters.get("sent_after") or filters.get("sent_before"):
                if record.sent_at is None:
                    return
            if not refreshed:
                record = await fresh(self.gateway, record)  # reports and logs agree with a fetch
            if general and wire.status_object(record.status)["groupName"] != general:
                return
            if only_final and not record.status.final:
                return
            out.append(record)

        if wanted:
            for message_id in wanted[:1000]:
                try:
                    await consider(await self.gateway.record_by_alias(KIND, message_id, wire.message_id_in), True)
                except NotFound:
                    continue
            return out[:limit]
        async for record in scan_journal(self.gateway, client=client, **filters):
            await consider(record, False)
            if len(out) >= limit:
                break
        return out

    async def _reports(self, request: Request, version: int) -> Response:
        async def handler(client: GatewayClient) -> Response:
            limit = _int(request.query_params.get("limit"), 50, 1, 1000)
            found = await self._find(client, request.query_params, only_final=True, limit=10**6)
            chosen: list[MessageRecord] = []
            with self._handed_lock:
                for record in found:
                    if record.id in self._handed_out:
                        continue  # Infobip hands each delivery report out once
                    if len(chosen) >= limit:
                        break
                    self._handed_out.add(record.id)
                    chosen.append(record)
            results = [await self._report(record, version) for record in chosen]
            return JSONResponse(wire.reports_json(results))
        return await self._serve(request, version, "GET", handler)

    async def _report(self, record: MessageRecord, version: int) -> dict[str, Any]:
        face = face_extra(record, KIND)
        return wire.report_json(message_id=await self._public_id(record), to=record.to,
                                sender=face.get("sender") or record.sender, status=record.status,
                                sent_at=record.created_at, done_at=record.updated_at, count=record.segments,
                                bulk_id=face.get("bulk_id"), callback_data=face.get("callback_data"),
                                version=version)

    async def reports_v3(self, request: Request) -> Response:
        return await self._reports(request, 3)

    async def reports_v1(self, request: Request) -> Response:
        return await self._reports(request, 2)

    async def _logs(self, request: Request, version: int) -> Response:
        async def handler(client: GatewayClient) -> Response:
            limit = _int(request.query_params.get("limit"), 50, 1, 1000)
            found = await self._find(client, request.query_params, only_final=False, limit=limit)
            logs = []
            for record in found:
                face = face_extra(record, KIND)
                logs.append(wire.log_json(message_id=await self._public_id(record), to=record.to,
                                          sender=face.get("sender") or record.sender, text=record.text,
                                          status=record.status, sent_at=record.created_at,
                                          done_at=record.updated_at, count=record.segments,
                                          bulk_id=face.get("bulk_id"), version=version))
            return JSONResponse(wire.logs_json(logs, version=version, limit=limit))
        return await self._serve(request, version, "GET", handler)

    async def logs_v3(self, request: Request) -> Response:
        return await self._logs(request, 3)

    async def logs_v1(self, request: Request) -> Response:
        return await self._logs(request, 2)

    # -- balance --------------------------------------------------------------------------------
    async def balance(self, request: Request) -> Response:
        async def handler(client: GatewayClient) -> Response:
            try:
                bal = await self.gateway.call(self.gateway.bridge.balance, client.backend)
            except UnsupportedOperation:
                raise wire.WireError("No balance available for this account.", status=404) from None
            return JSONResponse(wire.balance_json(bal.amount, bal.unit.upper() if len(bal.unit) == 3 else bal.unit))
        return await self._serve(request, 3, "GET", handler)

    # -- delivery-report webhooks -----------------------------------------------------------------
    def _watch(self, message_id: str, public_id: str, req: wire.SendRequest, version: int,
               bulk_id: str | None) -> None:
        url = req.notify_url
        assert url is not None

        async def notify(record: MessageRecord) -> None:
            if not record.status.final and not req.intermediate_report:
                return
            if not self.reported.is_new(public_id, record.status, final=record.status.final):
                return
            report = wire.report_json(message_id=public_id, to=record.to, sender=req.sender or record.sender,
                                      status=record.status, sent_at=record.created_at, done_at=record.updated_at,
                                      count=record.segments, bulk_id=bulk_id, callback_data=req.callback_data,
                                      version=version)
            await self.gateway.post_callback(url, json=wire.reports_json([report]),
                                             headers={"Content-Type": "application/json",
                                                      "User-Agent": "Infobip/smsbridge"})
        self.gateway.watch(message_id, notify)


SCHEDULE_MAX = timedelta(days=180)


def _dig(data: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _schedule(value: Any, where: str) -> datetime | None:
    """``sendAt``: smsbridge holds the message until then; Infobip's rule: at most 180 days ahead."""
    if value in (None, ""):
        return None
    try:
        when = parse_when(str(value))
    except ValueError:
        raise wire.invalid(where, "must be an ISO 8601 date-time") from None
    if when - datetime.now(timezone.utc) > SCHEDULE_MAX:
        raise wire.invalid(where, "cannot be more than 180 days in the future")
    return when


def _rejected(name: str, description: str) -> dict[str, Any]:
    return {**wire.status_object(name=name), "description": description}


def _int(value: str | None, default: int, low: int, high: int) -> int:
    return query_int(value, default, low, high, invalid=lambda text: wire.invalid("limit", "must be a number"))


routes = InfobipFace.routes
"""The face factory registered in ``__init__.py`` (``smsbridge_plugins.infobip.gateway:routes``)."""
