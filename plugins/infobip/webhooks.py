"""Infobip's SMS webhooks: delivery reports and inbound SMS in, inbound SMS out (issue 15).

Delivery reports (providers.md §6.2) are POSTed as JSON to ``webhooks.delivery.url``
(v3) / ``notifyUrl`` (v2): ``{"results": [{"bulkId", "messageId", "to", "sender"|"from",
"sentAt", "doneAt", "messageCount"|"smsCount", "callbackData", "price", "status": {…},
"error": {…}}]}``, up to 100 per request (:func:`.wire.parse_reports`).  Inbound SMS
(a number's forward action): ``{"results": [{"messageId", "from", "to", "text",
"cleanText", "keyword", "receivedAt", "smsCount", "price", "callbackData"}],
"messageCount", "pendingMessageCount"}``.

Infobip does not sign its webhooks (no HMAC): every well-formed request is taken; put
the gateway behind a secret path or an IP allow-list if that matters (docs/webhooks.md).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smsbridge import ids
from smsbridge.gateway import webhooks as hooks
from smsbridge.model import InboundMessage

from . import wire

__all__ = ["status_reports", "inbound_messages", "answer", "forward_inbound"]


def _results(request: hooks.WebhookRequest) -> list[Mapping[str, Any]]:
    data = request.json()
    results = data.get("results") if isinstance(data, Mapping) else None
    if not isinstance(results, list):
        raise hooks.WebhookRejected(400, "an Infobip webhook needs a 'results' list")
    return [r for r in results if isinstance(r, Mapping)]


def status_reports(request: hooks.WebhookRequest) -> list[hooks.DeliveryReport]:
    _results(request)
    out = []
    for parsed in wire.parse_reports(request.json()):
        if not parsed.message_id:
            continue
        word = parsed.name or parsed.group or ""
        error: Mapping[str, Any] = parsed.raw.get("error") or {}
        if not isinstance(error, Mapping):
            error = {}
        code = str(error.get("id")) if error.get("id") not in (None, 0) else None
        # The backend names each message with smsbridge's id (its messageId).
        out.append(hooks.DeliveryReport(status=parsed.status, word=word, provider_id=parsed.message_id,
                                  message_id=parsed.message_id if ids.is_message_id(parsed.message_id) else None,
                                  at=parsed.done_at, code=code,
                                  description=f"Infobip: {word}" + (f" ({parsed.error})" if parsed.error else ""),
                                  raw=dict(parsed.raw)))
    return out


def inbound_messages(request: hooks.WebhookRequest) -> list[hooks.ReceivedSMS]:
    out = []
    for r in _results(request):
        if not r.get("messageId") or not r.get("from") or not r.get("to"):
            raise hooks.WebhookRejected(400, "an Infobip inbound SMS needs messageId, from and to")
        out.append(hooks.ReceivedSMS(from_=str(r["from"]), to=str(r["to"]), text=str(r.get("text") or ""),
                               provider_id=str(r["messageId"]), received_at=wire.parse_time(r.get("receivedAt")),
                               raw=dict(r)))
    return out


def answer(kind: str) -> hooks.WebhookAnswer:
    return hooks.WebhookAnswer(200)


def inbound_json(message: InboundMessage) -> dict[str, Any]:
    """Infobip's inbound-SMS webhook body for ``message``."""
    from smsbridge import text as text_mod

    words = message.text.split()
    keyword = words[0].upper() if words else ""
    return {"results": [{
        "messageId": wire.provider_id_for(message.id), "from": message.from_.lstrip("+"),
        "to": message.to.lstrip("+"), "text": message.text,
        "cleanText": message.text[len(words[0]):].strip() if words else "", "keyword": keyword,
        "receivedAt": wire.format_time(message.received_at),
        "smsCount": text_mod.analyse(message.text).segments or 1,
        "price": {"pricePerMessage": 0.0, "currency": "EUR"}, "callbackData": None}],
        "messageCount": 1, "pendingMessageCount": 0}


def forward_inbound(message: InboundMessage, credentials: Mapping[str, Any], url: str) -> hooks.OutgoingWebhook:
    """The inbound JSON (unsigned, as Infobip sends it)."""
    return hooks.OutgoingWebhook(url=url, json=inbound_json(message), headers={"User-Agent": "Infobip (smsbridge)"})
