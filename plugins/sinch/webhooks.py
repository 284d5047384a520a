"""Sinch's SMS webhooks: delivery reports and MO (inbound) SMS in, MO out (issue 15).

Delivery reports (providers.md §5.2) are POSTed as JSON to the batch's ``callback_url``,
in the retrieval shapes: ``delivery_report_sms`` (summary/full: ``batch_id``,
``statuses[]``) or ``recipient_delivery_report_sms`` (``batch_id``, ``recipient``,
``status``, ``code``, ``at``, ``client_reference``) — :func:`.wire.parse_report`.  MO SMS
go to the service plan's callback URL: ``{"type": "mo_text", "id", "from", "to", "body",
"received_at", "operator_id", …}``.

Signed callbacks carry ``X-Sinch-Webhook-Signature`` = base64(HMAC-SHA256(secret,
body + "." + nonce + "." + timestamp)) with ``X-Sinch-Webhook-Signature-Nonce`` and
``-Timestamp`` (the ``sinch`` SDK's ``SmsSinchEvent.validate_authentication_header``).
With ``webhook_secret`` set on the backend an unsigned or wrongly signed callback is
refused; without one every callback is taken.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from smsbridge import ids
from smsbridge.errors import ProviderError
from smsbridge.gateway import webhooks as hooks
from smsbridge.model import InboundMessage

from . import wire

__all__ = ["verify", "status_reports", "inbound_messages", "answer", "forward_inbound", "signature"]

TOLERANCE = 300  # seconds a signed callback's timestamp may be off


def signature(secret: str, body: bytes, nonce: str, timestamp: str) -> str:
    signed = body + f".{nonce}.{timestamp}".encode()
    return base64.b64encode(hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()).decode("ascii")


def verify(request: hooks.WebhookRequest, settings: Mapping[str, Any], kind: str) -> None:
    secret = settings.get("webhook_secret")
    if not secret:
        return
    given = request.headers.get("x-sinch-webhook-signature")
    nonce = request.headers.get("x-sinch-webhook-signature-nonce")
    stamp = request.headers.get("x-sinch-webhook-signature-timestamp")
    if not given or not nonce or not stamp:
        raise hooks.WebhookRejected(403, "missing X-Sinch-Webhook-Signature (with -Nonce and -Timestamp)")
    if not hmac.compare_digest(signature(str(secret), request.body, nonce, stamp), given.strip()):
        raise hooks.WebhookRejected(403, "X-Sinch-Webhook-Signature does not match")
    try:
        if abs(time.time() - float(stamp)) > TOLERANCE:
            raise hooks.WebhookRejected(403, "X-Sinch-Webhook-Signature-Timestamp is too old")
    except ValueError:
        raise hooks.WebhookRejected(403, "X-Sinch-Webhook-Signature-Timestamp is not a number") from None


def status_reports(request: hooks.WebhookRequest) -> list[hooks.DeliveryReport]:
    data = request.json()
    try:
        parsed = wire.parse_report(data)
    except ProviderError as exc:
        raise hooks.WebhookRejected(400, f"not a Sinch delivery report: {exc}") from None
    word = parsed.status_word or ""
    if not word:
        raise hooks.WebhookRejected(400, "a Sinch delivery report without a status")
    reference = data.get("client_reference") if isinstance(data.get("client_reference"), str) else None
    code = str(parsed.code) if parsed.code is not None else None
    return [hooks.DeliveryReport(status=parsed.status, word=word, provider_id=parsed.batch_id,
                                 message_id=reference if ids.is_message_id(reference) else None,
                                 at=parsed.at, code=code,
                                 description=f"Sinch: {word}" + (f" (code {code})" if code else ""), raw=data)]


def inbound_messages(request: hooks.WebhookRequest) -> list[hooks.ReceivedSMS]:
    data = request.json()
    if not isinstance(data, dict) or data.get("type") not in ("mo_text", "mo_binary"):
        raise hooks.WebhookRejected(400, "not a Sinch MO message (type mo_text)")
    if not data.get("from") or not data.get("to") or not data.get("id"):
        raise hooks.WebhookRejected(400, "a Sinch MO message needs id, from and to")
    return [hooks.ReceivedSMS(from_=str(data["from"]), to=str(data["to"]), text=str(data.get("body") or ""),
                              provider_id=str(data["id"]), received_at=wire.parse_time(data.get("received_at")),
                              raw=data)]


def answer(kind: str) -> hooks.WebhookAnswer:
    return hooks.WebhookAnswer(200)


def mo_json(message: InboundMessage) -> dict[str, Any]:
    """Sinch's ``mo_text`` callback body for ``message``."""
    when = wire.format_time(message.received_at)
    return {"type": "mo_text", "id": wire.provider_id_for(message.id), "from": message.from_.lstrip("+"),
            "to": message.to.lstrip("+"), "body": message.text, "received_at": when, "sent_at": when,
            "operator_id": ""}


def forward_inbound(message: InboundMessage, credentials: Mapping[str, Any], url: str) -> hooks.OutgoingWebhook:
    """The MO JSON, signed with the client's ``webhook_secret`` when it has one."""
    body = json.dumps(mo_json(message), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Sinch (smsbridge)"}
    secret = credentials.get("webhook_secret")
    if secret:
        nonce, stamp = secrets.token_hex(16), str(int(time.time()))
        headers.update({"X-Sinch-Webhook-Signature": signature(str(secret), body, nonce, stamp),
                        "X-Sinch-Webhook-Signature-Nonce": nonce, "X-Sinch-Webhook-Signature-Timestamp": stamp,
                        "X-Sinch-Webhook-Signature-Algorithm": "HmacSHA256"})
    return hooks.OutgoingWebhook(url=url, data=body, headers=headers)
