"""SPEC §2: no password, token or auth header in any log line, error or repr — with every
logger (urllib3, zeep, smsbridge) at DEBUG, over real sockets to the gateway."""
from __future__ import annotations

import logging

import pytest

from smsbridge import Bridge, SmsBridgeError

SECRET = "pw-TOPSECRET-42"
WRONG = "pw-WRONGSECRET-7"
CLIENTS = {"app": {
    "simplesms": {"username": "u", "password": SECRET, "domain": "d.hu"},
    "twilio": {"account_sid": "AC" + "2" * 32, "auth_token": SECRET},
    "vonage": {"api_key": "vkey", "api_secret": SECRET},
    "messagebird": {"access_key": SECRET},
    "plivo": {"auth_id": "MA" + "Y" * 18, "auth_token": SECRET},
    "sinch": {"service_plan_id": "plan9", "api_token": SECRET},
    "infobip": {"api_key": SECRET},
}}


def backends(url: str, secret: str) -> dict[str, dict]:
    return {
        "rest": {"plugin": "simplesms-rest", "username": "u", "password": secret, "domain": "d.hu",
                 "base_url": url + "/rest/SMSapi/"},
        "soap": {"plugin": "simplesms-soap", "username": "u", "password": secret, "domain": "d.hu",
                 "wsdl": url + "/sms.wsdl"},
        "twilio": {"plugin": "twilio", "account_sid": "AC" + "2" * 32, "auth_token": secret, "base_url": url,
                   "sender": "+15017122661"},
        "messagebird": {"plugin": "messagebird", "access_key": secret, "base_url": url, "sender": "Shop"},
        "plivo": {"plugin": "plivo", "auth_id": "MA" + "Y" * 18, "auth_token": secret, "base_url": url,
                  "sender": "+14155551234"},
        "sinch": {"plugin": "sinch", "service_plan_id": "plan9", "api_token": secret, "base_url": url},
        "infobip": {"plugin": "infobip", "api_key": secret, "base_url": url},
    }


@pytest.mark.parametrize("secret", [SECRET, WRONG])
def test_no_secret_in_logs_errors_or_reprs(tmp_path, gateway, caplog, monkeypatch, secret):
    server = gateway({"backends": {"local": {"plugin": "sandbox"}}, "gateway": {"clients": CLIENTS}})
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "zeep", "smsbridge", "smsbridge_plugins"):  # some SDKs quieten these on import
        caplog.set_level(logging.DEBUG, logger=name)
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    seen: list[str] = []
    with Bridge.from_dict({"backends": backends(server.url, secret), "store": str(tmp_path / "j.sqlite3")}) as bridge:
        for name in bridge.backends():
            seen.append(repr(bridge.backend(name)))
            try:
                receipt = bridge.send("+36301234567", "hello", backend=name)
                seen.append(repr(bridge.status(receipt.id)))
            except SmsBridgeError as exc:
                assert secret == WRONG, f"{name}: {exc}"
                seen += [str(exc), repr(exc)]
    text = caplog.text + "\n".join(seen)
    assert "POST" in caplog.text or "post" in caplog.text.lower()  # the DEBUG logs did record traffic
    for needle in (SECRET, WRONG):
        assert needle not in text
