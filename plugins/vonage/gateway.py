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
``message-count`` always present (the 4.x SDK reads it unconditionally).
"""
from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

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
from smsbridge.gateway.faces import client_record, idempotency_key
from smsbridge.gateway.http import BadRequest, read_form, read_json
from smsbridge.model import MessageRecord, Status

from . import wire

__all__ = ["routes", "VonageFace"]

log = logging.getLogger("smsbridge.gateway.vonage")

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def routes(gateway: Gateway) -> list[Route]:
    """The face factory registered through ``smsbridge_http_shims``."""
    face = VonageFace(gateway)
    for prefix in (wire.SEND_PATH, wire.BALANCE_PATH, wire.SEARCH_PATH):
        gateway.errors(prefix, face.render_http_error)
    return [
        Route(wire.SEND_PATH, face.send, methods=_ALL_METHODS),
        Route(wire.BALANCE_PATH, face.balance, methods=_ALL_METHODS),
        Route(wire.SEARCH_PATH, face.search, methods=_ALL_METHODS),
    ]


def _http_error(status: int, detail: str) -> JSONResponse:
    return JSONResponse(wire.http_error_body(status, detail), status_code=status)


def _render(status: int, code: str | None, message: str, *, to: str | None = None) -> JSONResponse:
    """``code`` is a per-message Vonage status (answered with HTTP 200), or ``None`` for an
    HTTP-level error with ``status``."""
    if code is None:
        return _http_error(status, message)
    return JSONResponse(wire.render_send_error(code, message, to=to))


def _wire_error(exc: wire.WireError) -> JSONResponse:
    status, body = wire.reply_for_error(exc)
    return JSONResponse(body, status_code=status)


ERRORS = ErrorTable(
    name="vonage", render=_render, bad_request=None, internal=None,
    passthrough={wire.WireError: _wire_error},
    rules=[
        Rule(DeliveryUnknown, 502, None, "The message may have been sent; its delivery is unknown."),
        Rule(InvalidNumber, 200, "3", "Invalid to address"),
        Rule(InvalidMessage, 200, "12", "Message too long", reason="too_long"),
        Rule(InvalidMessage, 200, "15", "Illegal Sender Address - rejected", reason="bad_sender"),
        Rule(InvalidMessage, 200, "15", "Illegal Sender Address - rejected", reason="sender_unsupported"),
        Rule(InvalidMessage, 200, "6", lambda e: f"Invalid Message: {e}"),
        Rule(IdempotencyConflict, 409, None, "The Idempotency-Key was already used for another request."),
        Rule(NotFound, 404, None, "No such message."),
        Rule(InsufficientCredit, 200, "9", "Quota Exceeded - rejected"),
        Rule(ProviderUnavailable, 200, "5", "Internal Error: no provider accepted the message"),
        Rule(AuthenticationError, 200, "5", "Internal Error: no provider accepted the message"),
        Rule(ProviderError, 200, "5", lambda e: f"Internal Error: {e}", retry_safe=True),
        Rule(ProviderError, 502, None, "The provider answered with an error; the message may have been sent."),
        Rule(UnsupportedOperation, 404, None, lambda e: f"No balance available: {e}"),
        Rule(SmsBridgeError, 200, "3"),
    ])


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


class VonageFace:
    """Request handlers; one instance per gateway app."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def render_http_error(self, request: Request, status: int, detail: str) -> Response:
        return _http_error(status, detail)

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

    def _client(self, request: Request, params: dict[str, Any], *, in_body: bool) -> GatewayClient:
        """The authenticated client; a refusal raises :class:`_Refused` with Vonage's answer.

        ``in_body``: the endpoint reports credential errors per message (``/sms/json``).
        """
        creds = wire.credentials_from(request.headers.get("authorization"), params)
        if creds.how == "basic":
            client = None
            if creds.api_key is not None and creds.api_secret is not None:
                client = self.gateway.authenticate("vonage", api_key=creds.api_key, api_secret=creds.api_secret)
            if client is None:
                raise _Refused(_http_error(401, "You did not provide correct credentials."))
            return client
        if creds.how == "signature":
            for client in self.gateway.clients_for("vonage"):
                section = client.credentials["vonage"]
                secret = section.get("signature_secret")
                if secret and str(section.get("api_key")) == creds.api_key \
                        and wire.check_signature(creds, str(secret)):
                    return self.gateway.authenticated(client)
            self.gateway.refused("vonage", api_key=creds.api_key)
            if in_body:
                raise _Refused(JSONResponse(wire.render_send_error("14", "Invalid Signature")))
            raise _Refused(_http_error(401, "Invalid signature."))
        if creds.how == "body":
            client = None
            if creds.api_key is not None and creds.api_secret is not None:
                client = self.gateway.authenticate("vonage", api_key=creds.api_key, api_secret=creds.api_secret)
            if client is None:
                if in_body:
                    status, text = ("4", "Bad Credentials") if creds.api_key and creds.api_secret \
                        else ("2", "Missing api_key or api_secret")
                    raise _Refused(JSONResponse(wire.render_send_error(status, text)))
                raise _Refused(_http_error(401, "You did not provide correct credentials."))
            return client
        raise _Refused(_http_error(401, "You did not provide credentials."))

    async def _guard(self, request: Request, handler: Callable[[], Awaitable[Response]]) -> Response:
        async def run() -> Response:
            try:
                return await handler()
            except _Refused as refused:
                return refused.response
        return await ERRORS.guard(run, request)

    # -- /sms/json ---------------------------------------------------------------------
    async def send(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return _http_error(405, f"Method {request.method} not allowed")
        return await self._guard(request, lambda: self._send(request))

    async def _send(self, request: Request) -> Response:
        key = idempotency_key(request)
        params = await self._params(request)
        client = self._client(request, params, in_body=True)
        sms = wire.parse_send_params(params)
        extra = {"vonage": {"api_key": client.credentials["vonage"]["api_key"], "client_ref": sms.client_ref}}
        try:
            receipt = await self.gateway.send(client, sms.to, sms.text, sender=sms.sender,
                                              reference=sms.client_ref, extra=extra, idempotency_key=key)
        except SmsBridgeError as exc:
            return ERRORS.response(exc, request, to=sms.to)
        ids = wire.message_ids_for(receipt.id, receipt.segments)
        for one in ids:
            await self.gateway.alias("vonage", one, receipt.id)
        if sms.callback and sms.status_report:
            self._watch(receipt.id, ids, sms, client)
        return JSONResponse(wire.render_send_reply(to=receipt.to, message_ids=ids, client_ref=sms.client_ref,
                                                   account_ref=sms.account_ref))

    # -- /account/get-balance ----------------------------------------------------------
    async def balance(self, request: Request) -> Response:
        if request.method != "GET":
            return _http_error(405, f"Method {request.method} not allowed")

        async def fetch() -> Response:
            params = await self._params(request)
            client = self._client(request, params, in_body=False)
            try:
                balance = await self.gateway.call(self.gateway.bridge.balance, client.backend)
            except UnsupportedOperation as exc:
                return _http_error(404, f"No balance available: {exc}")
            return JSONResponse(wire.render_balance(balance.amount))
        return await self._guard(request, fetch)

    # -- /search/message (vonage 2.x, nexmo) -------------------------------------------
    async def search(self, request: Request) -> Response:
        if request.method != "GET":
            return _http_error(405, f"Method {request.method} not allowed")

        async def fetch() -> Response:
            params = await self._params(request)
            client = self._client(request, params, in_body=False)
            wanted = str(params.get("id") or "").strip().upper()
            message_id = await self.gateway.resolve("vonage", wanted) if wanted else None
            if message_id is None:
                raise NotFound("no such message")
            record = await client_record(self.gateway, client, message_id, missing="no such message")
            return JSONResponse(wire.render_search_message(
                message_id=wanted, account_id=str(client.credentials["vonage"]["api_key"]), to=record.to,
                sender=record.sender, body=record.text, status=record.status, created_at=record.created_at,
                updated_at=record.updated_at))
        return await self._guard(request, fetch)

    # -- delivery receipts -------------------------------------------------------------
    def _watch(self, message_id: str, ids: list[str], sms: wire.SendRequest, client: GatewayClient) -> None:
        section = client.credentials["vonage"]
        method = str(section.get("dlr_method") or "POST").upper()
        secret = section.get("signature_secret")
        sig_method = str(section.get("signature_method") or "md5").lower()
        if sig_method not in ("md5", "sha1", "sha256", "sha512", "md5hash"):
            log.warning("gateway client %r: unknown signature_method %r, signing receipts with md5",
                        client.name, sig_method)
            sig_method = "md5"
        url = str(sms.callback)
        sent: set[str] = set()

        async def notify(record: MessageRecord) -> None:
            if record.status is Status.QUEUED:
                return  # Vonage reports what the network says, not its own queue
            word = wire.dlr_status_word(record.status)
            if word in sent:
                return
            sent.add(word)
            for part in ids:
                receipt = wire.render_dlr(message_id=part, to=record.to, sender=record.sender or sms.sender,
                                          status=record.status, api_key=str(section["api_key"]),
                                          client_ref=sms.client_ref, error_code=record.error_code,
                                          at=record.updated_at)
                if secret:
                    receipt["timestamp"] = str(int(time.time()))
                    receipt["nonce"] = secrets.token_hex(8)
                    receipt["sig"] = wire.sign(receipt, str(secret), None if sig_method == "md5hash" else sig_method)
                if method == "GET":
                    await self.gateway.post_callback(url, data=receipt, method="GET")
                elif method == "POST-JSON":
                    await self.gateway.post_callback(url, json=receipt)
                else:
                    await self.gateway.post_callback(url, data=receipt)

        self.gateway.watch(message_id, notify)
