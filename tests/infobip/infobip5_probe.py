"""Drives ``infobip-api-python-sdk`` 5.x (``infobip_channels``, pydantic v1) against a gateway.

Runs in the separate SDK venv (see tests/sdkenvs/README.md), so it imports nothing from
smsbridge.  Usage: ``python infobip5_probe.py BASE_URL API_KEY STEP [ARG]``; prints one
JSON object describing what the SDK returned.
"""
from __future__ import annotations

import json
import sys

from infobip_channels.sms.channel import SMSChannel


def describe(response):
    out = {"class": type(response).__name__, "status_code": int(getattr(response, "status_code", 0) or 0)}
    if hasattr(response, "dict"):
        data = response.dict()
        data.pop("raw_response", None)
        data.pop("status_code", None)
        out["data"] = json.loads(json.dumps(data, default=str))
    else:  # the SDK hands back the raw requests.Response when it cannot parse
        out["raw"] = response.text[:500]
    return out


def main() -> None:
    base_url, api_key, step = sys.argv[1], sys.argv[2], sys.argv[3]
    arg = sys.argv[4] if len(sys.argv) > 4 else None
    channel = SMSChannel.from_auth_params({"base_url": base_url, "api_key": api_key})
    if step == "send":
        to = arg or "41793026727"
        message = {"messages": [{"from": "InfoSMS", "destinations": [{"to": to}], "text": "Hello from 5.x"}]}
        result = describe(channel.send_sms_message(message))
    elif step == "send-notify":
        message = {"messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727", "messageId": "my-id-1"}],
                                 "text": "Hello", "notifyUrl": arg, "notifyContentType": "application/json",
                                 "callbackData": "cb-5"}]}
        result = describe(channel.send_sms_message(message))
    elif step == "reports":
        result = describe(channel.get_outbound_sms_delivery_reports({"messageId": arg} if arg else {}))
    elif step == "logs":
        result = describe(channel.get_outbound_sms_message_logs({"messageId": [arg]} if arg else {}))
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
