"""Inbound SMS through the gateway: the one path every received message takes.

A minimal version, for the sandbox inbox's "reply" button (issue 14); the inbound-SMS
issue (15) replaces it with the full one (journaling, per-face formats, opt-out).  The
contract both keep: ``await receive_inbound(gateway, message)`` fires the
``smsbridge_inbound`` hook and forwards the message to the gateway client's configured
inbound URL (``gateway.clients.<name>.<face>.inbound_url``) in that face's format.
Never raises for a broken webhook endpoint or hook.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any

from .. import plugins
from ..model import InboundMessage

__all__ = ["receive_inbound"]

log = logging.getLogger("smsbridge.gateway.inbound")


async def receive_inbound(gateway: Any, message: InboundMessage) -> None:
    """Announce ``message`` (hook) and forward it to its gateway client's inbound URL."""
    try:
        plugins.manager().hook.smsbridge_inbound(message=message)
    except Exception:
        log.exception("an smsbridge_inbound hook failed")
    raw = message.raw if isinstance(message.raw, dict) else {}
    wanted = raw.get("gateway_client")
    for client in gateway.clients:
        if wanted is not None and client.name != wanted:
            continue
        for face, section in client.credentials.items():
            url = section.get("inbound_url")
            if not url:
                continue
            form, headers = _twilio_form(message, section, str(url)) if face == "twilio" else (
                {"from": message.from_, "to": message.to, "text": message.text, "id": message.id}, {})
            await gateway.post_callback(str(url), data=form, headers=headers)


def _twilio_form(message: InboundMessage, section: Any, url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Twilio's incoming-message webhook, signed with the client's auth token."""
    import importlib

    wire = importlib.import_module("smsbridge_plugins.twilio.wire")  # a stand-in until faces format inbound
    from ..text import analyse

    sid = "SM" + hashlib.md5(message.id.encode(), usedforsecurity=False).hexdigest()
    form = {"MessageSid": sid, "SmsSid": sid,
            "AccountSid": str(section.get("account_sid", "")), "From": message.from_, "To": message.to,
            "Body": message.text, "NumMedia": "0", "NumSegments": str(max(1, analyse(message.text).segments)),
            "SmsStatus": "received", "ApiVersion": "2010-04-01"}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1 (smsbridge)",
               "X-Twilio-Signature": wire.signature(str(section.get("auth_token", "")), url, form)}
    return form, headers
