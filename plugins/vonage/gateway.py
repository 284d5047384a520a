"""The Vonage face of ``smsbridge serve``: Vonage's SMS API paths over smsbridge (SPEC §6).

::

    POST|GET /sms/json              send (form or JSON)   -> 200, per-message status
    GET      /account/get-balance   balance               -> 200 {"value", "autoReload"}
    GET      /search/message?id=    2.x/nexmo get_message -> 200 (Developer API shape)

Credentials, as the SDKs send them (providers.md §2.2), checked against
``gateway.clients.<name>.vonage``:

- ``Authorization: Basic key:secret`` (4.x): wrong -> HTTP 401, so the 4.x SDK raises
  ``vonage_http_client.errors.AuthenticationError``;
- ``api_key``/``api_secret`` fields (2.x/3.x): wrong -> HTTP 200, status "4" (Bad
  Credentials), as Vonage answers those SDKs;
- ``api_key``/``timestamp``/``sig`` (signed, any method): wrong -> status "14".

Every Vonage SDK forces ``https://``: run the gateway with TLS (``--tls-self-signed``).
Refusals come back as HTTP 200 with the reason in ``messages[0].status`` and
``message-count`` always present (the 4.x SDK reads it unconditionally); errors are
worded by the wire module's ``ERROR_REPLIES``, as the SDK shim words them.

Credentials may travel in the body, so a handler reads the parameters first
(:meth:`VonageFace._read`) and keeps them on ``request.state`` for :meth:`credentials`.
"""
from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smsbridge.errors import NotFound
from smsbridge.gateway.clients import GatewayClient
from smsbridge.gateway.errors import ErrorTable
from smsbridge.gateway.faces import client_record_by_alias, idempotency_key
from smsbridge.gateway.http import BadRequest, read_form, read_json
from smsbridge.gateway.provider_face import Handler, ProviderFace
from smsbridge.model import MessageRecord, Status

from . import wire

__all__ = ["routes", "VonageFace"]

log = logging.getLogger("smsbridge.gateway.vonage")

_SIGNATURE_METHODS = ("md5", "sha1", "sha256", "sha512", "md5hash")


def _http_error(status: int, detail: str) -> JSONResponse:
    return JSONResponse(wire.http_error_body(status, detail), status_code=status)


class VonageFace(ProviderFace):
    """Request handlers; one instance per gateway app."""

    kind = "vonage"
    paths = ((wire.SEND_PATH, "send"), (wire.BALANCE_PATH, "balance"), (wire.SEARCH_PATH, "search"))
    error_prefixes = (wire.SEND_PATH, wire.BALANCE_PATH, wire.SEARCH_PATH)
    errors = ErrorTable(replies=wire.ERROR_REPLIES, name="vonage")

    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        return _http_error(status, detail)

    # -- credentials ---------------------------------------------------------------------
    def _credentials(self, request: Request) -> wire.Credentials:
        return wire.credentials_from(request.headers.get("authorization"), request.state.vonage_params)

    def credentials(self, request: Request) -> Mapping[str, Any] | None:
        creds = self._credentials(request)
        if creds.how not in ("basic", "body") or creds.api_key is None or creds.api_secret is None:
            return None
        return {"api_key": creds.api_key, "api_secret": creds.api_secret}

    def client(self, request: Request) -> GatewayClient | None:
        """A signed request is checked here (the secret never travels); the others by the base."""
        creds = self._credentials(request)
        if creds.how != "signature":
            return super().client(request)
        for client in self.gateway.clients_for("vonage"):
            section = client.credentials["vonage"]
            secret = section.get("signature_secret")
            if secret and str(section.get("api_key")) == creds.api_key and wire.check_signature(creds, str(secret)):
                return self.gateway.authenticated(client)
        self.gateway.refused("vonage", api_key=creds.api_key)
        return None

    def unauthorized(self, request: Request) -> Response:
        """``/sms/json`` answers the 2.x/3.x credential styles per message (HTTP 200), as
        Vonage does; a Basic header and the other endpoints get HTTP 401."""
        creds = self._credentials(request)
        in_body = request.url.path == wire.SEND_PATH
        if creds.how == "signature":
            if in_body:
                return JSONResponse(wire.render_send_error("14", "Invalid Signature"))
            return _http_error(401, "Invalid signature.")
        if creds.how == "body" and in_body:
            status, text = ("4", "Bad Credentials") if creds.api_key and creds.api_secret \
                else ("2", "Missing api_key or api_secret")
            return JSONResponse(wire.render_send_error(status, text))
        if creds.how == "none":
            return _http_error(401, "You did not provide credentials.")
        return _http_error(401, "You did not provide correct credentials.")

    # -- reading requests --------------------------------------------------------------
    async def _params(self, request: Request) -> dict[str, Any]:
        """Query parameters, overridden by a form or JSON body (both are accepted)."""
        params: dict[str, Any] = dict(request.query_params)
        if request.method in ("POST", "PUT", "PATCH"):
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype.endswith("json"):
                body = await read_json(request)
                if not isinstance(body, dict):
                    raise BadRequest(400, "JSON body must be an object")
                params.update({str(k): v for k, v in body.items() if v is not None})
            else:
                params.update(await read_form(request))
        for key, value in params.items():
            if isinstance(value, (dict, list)):
                raise BadRequest(400, f"parameter {key!r} must be a string")
            if not (wire.encodable(str(key)) and wire.encodable(str(value))):
                # JSON can smuggle lone surrogates ("\ud800"), which no SMS, hash or
                # database can hold: refuse the body before anything touches it
                raise BadRequest(400, "parameters must be valid Unicode text")
        return params

    async def _read(self, request: Request, handler: Handler, *methods: str) -> Response:
        """Check the method, read the parameters (credentials may be among them), then
        :meth:`serve` the handler; a bad body is answered in Vonage's shape."""
        if request.method not in methods:
            return _http_error(405, f"Method {request.method} not allowed")
        try:
            request.state.vonage_params = await self._params(request)
        except Exception as exc:  # BadRequest, a broken body: in Vonage's shape, like the handler's
            return self.errors.response(exc, request)
        return await self.serve(request, handler)

    # -- /sms/json ---------------------------------------------------------------------
    async def send(self, request: Request) -> Response:
        async def deliver(client: GatewayClient) -> Response:
            sms = wire.parse_send_request(request.state.vonage_params)
            extra = {"vonage": {"api_key": client.credentials["vonage"]["api_key"], "client_ref": sms.client_ref}}
            try:
                receipt = await self.gateway.send(client, sms.to, sms.text, sender=sms.sender,
                                                  reference=sms.client_ref, extra=extra,
                                                  idempotency_key=idempotency_key(request))
            except Exception as exc:
                return self.errors.response(exc, request, to=sms.to)
            ids = wire.message_ids_for(receipt.id, receipt.segments)
            for one in ids:
                await self.gateway.alias("vonage", one, receipt.id)
            if sms.callback and sms.status_report:
                self._watch(receipt.id, ids, sms, client)
            return JSONResponse(wire.render_send_reply(to=receipt.to, message_ids=ids, client_ref=sms.client_ref,
                                                       account_ref=sms.account_ref))
        return await self._read(request, deliver, "GET", "POST")

    # -- /account/get-balance ----------------------------------------------------------
    async def balance(self, request: Request) -> Response:
        async def fetch(client: GatewayClient) -> Response:
            balance = await self.gateway.call(self.gateway.bridge.balance, client.backend)
            return JSONResponse(wire.render_balance(balance.amount))
        return await self._read(request, fetch, "GET")

    # -- /search/message (vonage 2.x, nexmo) -------------------------------------------
    async def search(self, request: Request) -> Response:
        async def fetch(client: GatewayClient) -> Response:
            wanted = str(request.state.vonage_params.get("id") or "").strip().upper()
            # the first part's id carries the message id; the journal's aliases know the others
            if not wanted:
                raise NotFound("no such message")
            record = await client_record_by_alias(self.gateway, client, "vonage", wanted, wire.message_id_in,
                                                  missing="no such message")
            return JSONResponse(wire.render_search_message(
                message_id=wanted, account_id=str(client.credentials["vonage"]["api_key"]), to=record.to,
                sender=record.sender, body=record.text, status=record.status, created_at=record.created_at,
                updated_at=record.updated_at))
        return await self._read(request, fetch, "GET")

    # -- delivery receipts -------------------------------------------------------------
    def _watch(self, message_id: str, ids: list[str], sms: wire.SendRequest, client: GatewayClient) -> None:
        section = client.credentials["vonage"]
        method = str(section.get("dlr_method") or "POST").upper()
        secret = section.get("signature_secret")
        sig_method = str(section.get("signature_method") or "md5").lower()
        if sig_method not in _SIGNATURE_METHODS:
            log.warning("gateway client %r: unknown signature_method %r, signing receipts with md5",
                        client.name, sig_method)
            sig_method = "md5"
        url = str(sms.callback)

        async def notify(record: MessageRecord) -> None:
            if record.status is Status.QUEUED:
                return  # Vonage reports what the network says, not its own queue
            if not self.reported.is_new(message_id, wire.from_status(record.status), final=record.status.final):
                return
            for part in ids:
                receipt = wire.render_dlr(message_id=part, to=record.to, sender=record.sender or sms.sender,
                                          status=record.status, api_key=str(section["api_key"]),
                                          client_ref=sms.client_ref, error_code=record.error_code,
                                          at=record.updated_at)
                if secret:
                    receipt["timestamp"] = str(int(time.time()))
                    receipt["nonce"] = secrets.token_hex(8)
                    receipt["sig"] = wire.sign(receipt, str(secret), sig_method)
                if method == "GET":
                    await self.gateway.post_callback(url, data=receipt, method="GET")
                elif method == "POST-JSON":
                    await self.gateway.post_callback(url, json=receipt)
                else:
                    await self.gateway.post_callback(url, data=receipt)

        self.gateway.watch(message_id, notify)


routes = VonageFace.routes
