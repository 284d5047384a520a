"""Twilio's webhooks: StatusCallback and incoming messages in, incoming messages out (issue 15).

Both of Twilio's webhooks are form POSTs signed with ``X-Twilio-Signature``:
base64(HMAC-SHA1(auth token, URL + sorted name+value pairs)) (providers.md §1.2,
:func:`.wire.signature`), so verifying needs the URL exactly as Twilio called it
(``gateway.public_url`` behind a proxy).

- StatusCallback: ``MessageSid``, ``MessageStatus`` (+ ``SmsSid``/``SmsStatus``),
  ``ErrorCode`` for failed/undelivered (:func:`.wire.parse_status_callback`);
- incoming message: ``MessageSid``, ``From``, ``To``, ``Body``, ``NumSegments``,
  ``NumMedia``, ``AccountSid``, ``SmsStatus=received``, geographic fields; Twilio expects
  TwiML back (an empty ``<Response/>`` sends no reply).
"""
from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from smsbridge.gateway import webhooks as hooks
from smsbridge.model import InboundMessage

from . import wire

__all__ = ["verify", "status_reports", "inbound_messages", "answer", "forward_inbound", "incoming_form"]

TWIML_EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def verify(request: hooks.WebhookRequest, settings: Mapping[str, Any], kind: str) -> None:
    given = request.headers.get("x-twilio-signature")
    if not given:
        raise hooks.WebhookRejected(403, "missing X-Twilio-Signature")
    params = request.form_pairs() if request.method == "POST" else []
    expected = wire.signature(str(settings["auth_token"]), request.url, params)
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise hooks.WebhookRejected(403, "X-Twilio-Signature does not match")


def status_reports(request: hooks.WebhookRequest) -> list[hooks.DeliveryReport]:
    form = request.form()
    sid, status, code = wire.parse_status_callback(form)
    word = form.get("MessageStatus") or form.get("SmsStatus") or ""
    if not sid or not word:
        raise hooks.WebhookRejected(400, "a StatusCallback needs MessageSid and MessageStatus")
    at = wire.DLR_DONE_DATE.parse(form.get("RawDlrDoneDate"))  # the carrier's YYMMDDhhmm, UTC
    return [hooks.DeliveryReport(status=status, word=word, provider_id=sid, at=at, code=code or None,
                           description=f"Twilio: {word}" + (f" (error {code})" if code else ""), raw=form)]


def inbound_messages(request: hooks.WebhookRequest) -> list[hooks.ReceivedSMS]:
    form = request.form()
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sid or "From" not in form or "To" not in form:
        raise hooks.WebhookRejected(400, "an incoming message needs MessageSid, From and To")
    return [hooks.ReceivedSMS(from_=form["From"], to=form["To"], text=form.get("Body", ""), provider_id=sid, raw=form)]


def answer(kind: str) -> hooks.WebhookAnswer:
    if kind == "inbound":
        return hooks.WebhookAnswer(200, TWIML_EMPTY, "text/xml")
    return hooks.WebhookAnswer(204)


def incoming_form(message: InboundMessage, account_sid: str) -> dict[str, str]:
    """Twilio's incoming-message webhook form for ``message``."""
    sid = wire.provider_id_for(message.id)
    from smsbridge import text as text_mod

    return {
        "ToCountry": "", "ToState": "", "ToCity": "", "ToZip": "",
        "FromCountry": "", "FromState": "", "FromCity": "", "FromZip": "",
        "SmsMessageSid": sid, "SmsSid": sid, "MessageSid": sid,
        "NumMedia": "0", "NumSegments": str(text_mod.analyse(message.text).segments),
        "SmsStatus": "received", "Body": message.text, "To": message.to, "From": message.from_,
        "AccountSid": account_sid, "ApiVersion": wire.API_VERSION,
    }


def forward_inbound(message: InboundMessage, credentials: Mapping[str, Any], url: str) -> hooks.OutgoingWebhook:
    """Twilio's incoming-message webhook, signed with the client's own auth token: the
    client's TwiML handler (and its ``RequestValidator``) take it as Twilio's."""
    form = incoming_form(message, str(credentials["account_sid"]))
    headers = {"X-Twilio-Signature": wire.signature(str(credentials["auth_token"]), url, form),
               "Content-Type": "application/x-www-form-urlencoded",
               "User-Agent": "TwilioProxy/1.1 (smsbridge)",
               "I-Twilio-Idempotency-Token": f"{form['MessageSid']}-received"}
    return hooks.OutgoingWebhook(url=url, data=form, headers=headers)
