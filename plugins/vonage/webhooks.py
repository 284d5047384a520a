"""Vonage's SMS API webhooks: delivery receipts and inbound SMS in, inbound SMS out (issue 15).

Both come as GET (query), POST (form) or POST-JSON, as the account's dashboard chooses
(providers.md §2.2).  Delivery receipt: ``messageId``, ``msisdn`` (recipient), ``to``
(sender), ``status`` (delivered/expired/failed/rejected/accepted/buffered/unknown),
``err-code``, ``scts``, ``message-timestamp``, ``client-ref``, ``api-key``; one per part
of a long message.  Inbound: ``msisdn`` (sender), ``to``, ``messageId``, ``text``,
``type``, ``keyword``, ``message-timestamp`` (+ ``concat*`` for parts).

Signed webhooks carry ``timestamp``, ``nonce`` and ``sig``: the same signature as a
signed request (:func:`.wire.sign`, ``signature_secret``/``signature_method``).  With a
``signature_secret`` configured on the backend, an unsigned or wrongly signed webhook
is refused; without one Vonage does not sign and every webhook is taken.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from smsbridge.gateway import webhooks as hooks
from smsbridge.model import InboundMessage

from . import wire

__all__ = ["verify", "status_reports", "inbound_messages", "answer", "forward_inbound"]


def _params(request: hooks.WebhookRequest) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in request.params().items()}


def verify(request: hooks.WebhookRequest, settings: Mapping[str, Any], kind: str) -> None:
    secret = settings.get("signature_secret")
    if not secret:
        return  # Vonage signs webhooks only for accounts with a signature secret
    params = _params(request)
    if not params.get("sig"):
        raise hooks.WebhookRejected(403, "missing Vonage signature (sig)")
    creds = wire.credentials_from(None, params)
    if not wire.check_signature(creds, str(secret)):
        raise hooks.WebhookRejected(403, "Vonage signature (sig) does not match, or its timestamp is too old")


def status_reports(request: hooks.WebhookRequest) -> list[hooks.DeliveryReport]:
    params = _params(request)
    message_id, status, err = wire.parse_dlr(params)
    word = params.get("status", "")
    if not message_id or not word:
        raise hooks.WebhookRejected(400, "a delivery receipt needs messageId and status")
    code = err if err not in (None, "", "0") else None
    return [hooks.DeliveryReport(status=status, word=word, provider_id=message_id,
                           at=wire.parse_time(params.get("message-timestamp")), code=code,
                           description=f"Vonage: {word}" + (f" (err-code {err})" if code else ""), raw=params)]


def inbound_messages(request: hooks.WebhookRequest) -> list[hooks.ReceivedSMS]:
    params = _params(request)
    if not params.get("msisdn") or not params.get("to") or not params.get("messageId"):
        raise hooks.WebhookRejected(400, "an inbound SMS needs msisdn, to and messageId")
    return [hooks.ReceivedSMS(from_=params["msisdn"], to=params["to"], text=params.get("text", ""),
                        provider_id=params["messageId"],
                        received_at=wire.parse_time(params.get("message-timestamp")),
                        raw=params)]


def answer(kind: str) -> hooks.WebhookAnswer:
    return hooks.WebhookAnswer(204)  # "200 or 204, or Vonage retries" (providers.md §2.2)


def inbound_params(message: InboundMessage, api_key: str) -> dict[str, str]:
    """Vonage's inbound-SMS webhook fields for ``message``."""
    from smsbridge import text as text_mod

    unicode = text_mod.analyse(message.text).encoding == "ucs2"
    words = message.text.split()
    return {
        "msisdn": message.from_.lstrip("+"), "to": message.to.lstrip("+"),
        "messageId": wire.provider_id_for(message.id), "text": message.text,
        "type": "unicode" if unicode else "text", "keyword": words[0].upper() if words else "",
        "api-key": api_key,
        "message-timestamp": wire.format_time(message.received_at) or "",
    }


def forward_inbound(message: InboundMessage, credentials: Mapping[str, Any], url: str) -> hooks.OutgoingWebhook:
    """Vonage's inbound webhook, sent the way the client's ``dlr_method`` says (GET, POST
    or POST-JSON) and signed with its ``signature_secret`` when it has one."""
    params = inbound_params(message, str(credentials.get("api_key") or ""))
    secret = credentials.get("signature_secret")
    if secret:
        method = str(credentials.get("signature_method") or "md5").lower()
        params["timestamp"] = str(int(time.time()))
        params["nonce"] = secrets.token_hex(16)
        params["sig"] = wire.sign(params, str(secret), method)
    how = str(credentials.get("dlr_method") or "POST").upper()
    if how == "GET":
        return hooks.OutgoingWebhook(url=url, method="GET", data=params)
    if how == "POST-JSON":
        return hooks.OutgoingWebhook(url=url, json=params)
    return hooks.OutgoingWebhook(url=url, data=params)
