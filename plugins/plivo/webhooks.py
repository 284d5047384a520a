"""Plivo's webhooks: message status callbacks and incoming SMS in, incoming SMS out (issue 15).

Status callback (providers.md §4.2): to the ``url`` given at send, as a form POST (or a
GET) with ``MessageUUID``, ``Status`` (queued/sent/delivered/undelivered/failed/rejected),
``ErrorCode``, ``To``, ``From``, ``Units``, ``ParentMessageUUID``, ``PartInfo``,
``DeliveryReportTime`` … (:func:`.wire.parse_callback`).  Incoming SMS: to the number's
application ``message_url``: ``From``, ``To``, ``Text``, ``Type``, ``MessageUUID``,
``Units``, ``TotalRate``, ``TotalAmount``, ``MessageIntent``.

Both are signed with ``X-Plivo-Signature-V3`` and ``X-Plivo-Signature-V3-Nonce``
(HMAC-SHA256 with the account's auth token, :func:`.wire.signature_v3`, as
``plivo.utils.signature_v3.validate_v3_signature`` checks it); unsigned or wrongly
signed requests are refused.
"""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from smsbridge.gateway import webhooks as hooks
from smsbridge.model import InboundMessage

from . import wire

__all__ = ["verify", "status_reports", "inbound_messages", "answer", "forward_inbound"]


def _params(request: hooks.WebhookRequest) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in request.params().items()}


def verify(request: hooks.WebhookRequest, settings: Mapping[str, Any], kind: str) -> None:
    given = request.headers.get("x-plivo-signature-v3")
    nonce = request.headers.get("x-plivo-signature-v3-nonce")
    if not given or not nonce:
        raise hooks.WebhookRejected(403, "missing X-Plivo-Signature-V3 / X-Plivo-Signature-V3-Nonce")
    params = {} if request.method == "GET" else _params(request)
    expected = wire.signature_v3(request.method, request.url, params, nonce, str(settings["auth_token"]))
    # Plivo may send several signatures (rotated tokens), comma-separated.
    if not any(hmac.compare_digest(expected, one.strip()) for one in given.split(",")):
        raise hooks.WebhookRejected(403, "X-Plivo-Signature-V3 does not match")


def status_reports(request: hooks.WebhookRequest) -> list[hooks.DeliveryReport]:
    params = _params(request)
    try:
        uuid, status, code = wire.parse_callback(params)
    except wire.WireError as exc:
        raise hooks.WebhookRejected(400, f"not a Plivo status callback: {exc}") from None
    word = params.get("Status", "")
    if not word:
        raise hooks.WebhookRejected(400, "a Plivo status callback needs Status")
    # A long message's parts report under their own MessageUUID; the send returned the parent's.
    provider_id = params.get("ParentMessageUUID") or uuid
    code = code if code not in (None, "", "000") else None
    return [hooks.DeliveryReport(status=status, word=word, provider_id=provider_id,
                           at=wire.parse_time(params.get("DeliveryReportTime") or params.get("SentTime")),
                           code=code, description=f"Plivo: {word}" + (f" (error {code})" if code else ""),
                           raw=params)]


def inbound_messages(request: hooks.WebhookRequest) -> list[hooks.ReceivedSMS]:
    params = _params(request)
    if not params.get("From") or not params.get("To") or not params.get("MessageUUID"):
        raise hooks.WebhookRejected(400, "an incoming Plivo message needs From, To and MessageUUID")
    return [hooks.ReceivedSMS(from_=params["From"], to=params["To"], text=params.get("Text", ""),
                        provider_id=params["MessageUUID"], raw=params)]


def answer(kind: str) -> hooks.WebhookAnswer:
    return hooks.WebhookAnswer(200)


def incoming_params(message: InboundMessage) -> dict[str, str]:
    """Plivo's incoming-message fields for ``message``."""
    from smsbridge import text as text_mod

    units = text_mod.analyse(message.text).segments or 1
    return {"From": message.from_.lstrip("+"), "To": message.to.lstrip("+"), "Text": message.text,
            "Type": "sms", "MessageUUID": wire.provider_id_for(message.id), "Units": str(units),
            "TotalRate": "0.00000", "TotalAmount": "0.00000", "MessageIntent": ""}


def forward_inbound(message: InboundMessage, credentials: Mapping[str, Any], url: str) -> hooks.OutgoingWebhook:
    """A form POST signed V3 with the client's own auth token: its Plivo handler (and
    ``validate_v3_signature``) take it as Plivo's."""
    params = incoming_params(message)
    nonce = secrets.token_hex(10)
    signature = wire.signature_v3("POST", url, params, nonce, str(credentials["auth_token"]))
    return hooks.OutgoingWebhook(url=url, data=params, headers={"X-Plivo-Signature-V3": signature,
                                                          "X-Plivo-Signature-V3-Nonce": nonce,
                                                          "User-Agent": "PlivoHTTP (smsbridge)"})
