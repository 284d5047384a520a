"""The inbound seam: receive_inbound journals, fires the hook once, and forwards in the
client's face format, signed so that the provider's own SDK validator accepts it."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from twilio.request_validator import RequestValidator

from smsbridge import Bridge, InboundMessage
from smsbridge.gateway.app import Gateway
from smsbridge.gateway.inbound import new_inbound_id, receive_inbound

SID = "AC" + "1" * 32


def _inbound(provider_id: str = "p-1", text: str = "Hello back") -> InboundMessage:
    return InboundMessage(id=new_inbound_id(), from_="+36201234567", to="+36701111111", text=text,
                          received_at=datetime.now(timezone.utc), backend="local", provider_id=provider_id,
                          raw={"k": "v"})


def test_receive_inbound_journals_once_and_forwards_signed_twilio_form(receiver: Any, tmp_path: Any) -> None:
    url = receiver.url + "/sms"
    bridge = Bridge.from_dict({
        "default": "local", "backends": {"local": {"plugin": "sandbox"}}, "store": str(tmp_path / "j.sqlite3"),
        "gateway": {"clients": {"shop": {"twilio": {"account_sid": SID, "auth_token": "shop-token",
                                                    "inbound_url": url}}}}})
    gateway = Gateway(bridge)
    message = _inbound()

    async def run() -> None:
        await receive_inbound(gateway, message)
        await receive_inbound(gateway, message)  # a provider's retry
        await gateway.aclose()

    try:
        asyncio.run(run())
        got = receiver.wait(1)
        assert [m.id for m in bridge.inbound()] == [message.id]
    finally:
        bridge.close()
    assert len(got) == 1
    form = got[0]["params"]
    assert form["From"] == "+36201234567" and form["To"] == "+36701111111" and form["Body"] == "Hello back"
    assert form["AccountSid"] == SID and form["SmsStatus"] == "received" and form["MessageSid"].startswith("SM")
    signature = got[0]["headers"]["X-Twilio-Signature"]
    assert RequestValidator("shop-token").validate(url, form, signature)
    assert not RequestValidator("other-token").validate(url, form, signature)
