"""Drop-in means drop-in (issue 16): ``install()`` serves only what a shim replaces, and
every other module of the provider's real SDK still imports — the webhook side of an app
(``twilio.twiml``, ``twilio.request_validator``, ``twilio.http``, Vonage's and the others'
equivalents) keeps working.

Each case runs in a fresh interpreter (``install()`` changes ``sys.modules`` for the whole
process), with the real SDKs of the test extra installed and a sandbox config found
through ``$SMSBRIDGE_CONFIG``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from smsbridge_plugins.twilio import wire

from smsbridge import Bridge


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "smsbridge.yaml"
    path.write_text(f"backends:\n  local: {{plugin: sandbox, path: {tmp_path / 'sandbox.sqlite3'}}}\n"
                    f"store: {tmp_path / 'journal.sqlite3'}\n", encoding="utf-8")
    return path


def run(code: str, config: Path) -> str:
    env = {**os.environ, "SMSBRIDGE_CONFIG": str(config)}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            env=env, timeout=120, cwd=config.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


TWILIO_WEBHOOK_APP = '''
import smsbridge.compat.twilio
smsbridge.compat.twilio.install()          # the app's first line; nothing else changes

import json
from urllib.parse import urlencode
from twilio.rest import Client
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.twiml.messaging_response import MessagingResponse
from twilio.request_validator import RequestValidator
from twilio.http.http_client import TwilioHttpClient
import twilio.rest.api.v2010                # an unshimmed submodule of twilio.rest

from smsbridge_plugins.twilio import wire   # an independent signer, to make a signed request

TOKEN = "the-auth-token"
URL = "https://shop.example/sms/incoming"

def incoming_sms(url, form, signature):
    """The app's inbound webhook, as Twilio's docs write it."""
    if not RequestValidator(TOKEN).validate(url, form, signature):
        return 403, ""
    reply = MessagingResponse()
    reply.message(f"Thanks, {form['From']}!")
    return 200, str(reply)

form = {"From": "+36301234567", "To": "+15017122661", "Body": "hello", "MessageSid": "SM" + "1" * 32}
good = wire.signature(TOKEN, URL, sorted(form.items()))
status, body = incoming_sms(URL, form, good)
refused, _ = incoming_sms(URL, form, "forged")

client = Client("AC" + "3" * 32, "anything")
sent = client.messages.create(to="+36301234567", from_="+15017122661", body="Hi")
try:
    client.messages.create(to="+1555", from_="+15017122661", body="Hi")
    caught = None
except TwilioRestException as exc:
    caught = exc.code

import twilio.rest, twilio.request_validator
print(json.dumps({
    "status": status, "body": body, "refused": refused, "sid": sent.sid, "caught": caught,
    "client_is_shim": Client.__module__, "validator_is_real": RequestValidator.__module__,
    "service_exception": TwilioServiceException.__module__,
    "http_client": TwilioHttpClient.__module__,
}))
smsbridge.compat.twilio.uninstall()
import importlib, sys
for name in [n for n in sys.modules if n == "twilio" or n.startswith("twilio.")]:
    del sys.modules[name]
from twilio.rest import Client as RealClient
print(RealClient.__module__)
'''


def test_twilio_install_keeps_the_rest_of_the_real_sdk(config: Path) -> None:
    out = run(TWILIO_WEBHOOK_APP, config).splitlines()
    result = json.loads(out[0])
    assert result["status"] == 200 and result["refused"] == 403
    assert result["body"] == ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, +36301234567!'
                              '</Message></Response>')
    assert result["client_is_shim"] == "smsbridge_plugins.twilio.sdk"
    assert result["validator_is_real"] == "twilio.request_validator"
    assert result["http_client"] == "twilio.http.http_client"
    assert result["service_exception"] == "twilio.base.exceptions"
    assert result["caught"] == 21211
    assert out[1] == "twilio.rest"  # after uninstall(), the real Client imports again
    with Bridge.from_config(config) as bridge:  # the send really went through smsbridge
        [record] = [r for r in bridge.journaled() if r.to == "+36301234567"]
        assert wire.provider_id_for(record.id) == result["sid"]


def test_twilio_create_async_and_status_callback(config: Path) -> None:
    out = run('''
        import asyncio, json
        from smsbridge.compat.twilio import Client

        async def main():
            client = Client("AC" + "3" * 32, "anything")
            m = await client.messages.create_async(to="+36301234567", from_="+15017122661", body="Hi",
                                                   status_callback="https://app.example/status")
            fetched = await client.messages(m.sid).fetch_async()
            listed = await client.messages.list_async(limit=5)
            return {"sid": m.sid, "fetched": fetched.sid, "listed": [x.sid for x in listed]}

        print(json.dumps(asyncio.run(main())))
    ''', config)
    result = json.loads(out)
    assert result["fetched"] == result["sid"] and result["listed"] == [result["sid"]]
    with Bridge.from_config(config) as bridge:
        [record] = bridge.journaled()
        assert record.extra["status_callback"] == "https://app.example/status"


def test_vonage_install_keeps_the_rest_of_the_real_sdk(config: Path) -> None:
    out = run('''
        import json
        import smsbridge.compat.vonage
        smsbridge.compat.vonage.install()

        from vonage import Auth, Vonage
        from vonage_sms import SmsMessage
        import vonage_sms.requests                  # unshimmed submodules of the shimmed packages
        import vonage._version
        from vonage_http_client import HttpClient    # other packages of the SDK: untouched
        from vonage_utils import VonageError
        from vonage_jwt.verify_jwt import verify_signature

        client = Vonage(Auth(api_key="k", api_secret="s"))
        r = client.sms.send(SmsMessage(to="447911123456", from_="AcmeInc", text="Hello"))
        print(json.dumps({"client": Vonage.__module__, "count": r.message_count,
                          "http": HttpClient.__module__, "requests": vonage_sms.requests.__name__}))
    ''', config)
    result = json.loads(out)
    assert result["client"] == "smsbridge_plugins.vonage.sdk" and str(result["count"]) == "1"
    assert result["http"].startswith("vonage_http_client")


def test_plivo_and_messagebird_install_keep_the_rest_of_the_real_sdks(config: Path) -> None:
    out = run('''
        import json
        import smsbridge.compat.plivo, smsbridge.compat.messagebird
        smsbridge.compat.plivo.install()
        smsbridge.compat.messagebird.install()

        import plivo
        from plivo import plivoxml                       # Plivo's XML responses: the real SDK's
        from plivo.utils import validate_v3_signature
        import messagebird
        from messagebird.request_validator import RequestValidator   # the real SDK's

        xml = plivoxml.ResponseElement().add(plivoxml.MessageElement("Thanks", src="1", dst="2")).to_string()
        print(json.dumps({"plivo": plivo.RestClient.__module__, "xml": "<Message" in xml,
                          "mb": messagebird.Client.__module__, "validator": RequestValidator.__module__}))
    ''', config)
    result = json.loads(out)
    assert result == {"plivo": "smsbridge_plugins.plivo.sdk", "xml": True, "mb": "smsbridge_plugins.messagebird.sdk",
                      "validator": "messagebird.request_validator"}


def test_twilio_shim_status_callback_is_honoured_end_to_end(gateway, receiver, tmp_path: Path) -> None:
    """shim -> Bridge with a twilio backend -> "Twilio" (the gateway's Twilio face over a
    sandbox) -> the status callbacks arrive at the URL given to ``messages.create``."""
    from smsbridge.compat.twilio import Client

    sid, token = "AC" + "ab" * 16, "face-token"
    twilio = gateway({"backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "s.sqlite3")}},
                      "gateway": {"poll_interval": 0.05,
                                  "clients": {"app": {"twilio": {"account_sid": sid, "auth_token": token}}}}})
    with Bridge.from_dict({"backends": {"twilio": {"plugin": "twilio", "account_sid": sid, "auth_token": token,
                                                   "sender": "+15017122661", "base_url": twilio.url}}}) as bridge:
        client = Client("AC-anything", "anything", bridge=bridge)
        client.messages.create(to="+36301234567", from_="+15017122661", body="Hi",
                               status_callback=receiver.url + "/status")
        seen = receiver.wait_for(lambda rs: any((r["params"] or {}).get("MessageStatus") == "delivered"
                                                for r in rs))
    assert all(r["path"] == "/status" for r in seen)


@pytest.mark.parametrize("provider", ["vonage", "plivo", "messagebird"])
def test_other_shims_pass_their_callback_url_through(provider: str, tmp_path: Path) -> None:
    import importlib

    sdk = importlib.import_module(f"smsbridge_plugins.{provider}.sdk")
    url = "https://app.example/dlr"
    with Bridge.from_dict({"backends": {"local": {"plugin": "sandbox"}}}) as bridge:
        if provider == "vonage":
            sdk.Vonage(sdk.Auth(api_key="k", api_secret="s"), bridge=bridge).sms.send(
                sdk.SmsMessage(to="447911123456", from_="AcmeInc", text="Hello", callback=url))
        elif provider == "plivo":
            sdk.RestClient("MAXXXXXXXXXXXXXXXXXX", "t", bridge=bridge).messages.create(
                src="14155551234", dst="14155556789", text="Hello", url=url)
        else:
            sdk.Client("key", bridge=bridge).message_create("MyShop", ["31612345678"], "Hello", {"reportUrl": url})
        [record] = bridge.journaled()
        assert record.extra["status_callback"] == url


def test_twilio_install_without_the_real_sdk_still_serves_the_shim(config: Path) -> None:
    out = run('''
        import sys
        sys.modules["twilio"] = None          # as if twilio were not installed
        import smsbridge.compat.twilio
        smsbridge.compat.twilio.install()
        from twilio.rest import Client
        from twilio.base.exceptions import TwilioRestException
        from twilio.request_validator import RequestValidator
        print(Client.__module__, TwilioRestException.__module__, RequestValidator.__module__)
    ''', config)
    assert out.split() == ["smsbridge_plugins.twilio.sdk"] * 3
