"""Inbound SMS out, in each calling application's own format: one inbound SMS posted to
a real ``serve`` reaches every face's client, signed so that the provider's own SDK
validator accepts it (and refuses it under another secret)."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from provider_webhooks.payloads import fixture, post, webhook_config

from smsbridge import Bridge
from smsbridge.model import Message, Status

TW_SID, TW_TOKEN = "AC" + "5" * 32, "shop-twilio-token"
VN_KEY, VN_SECRET = "shopkey", "shop-vonage-signature-secret"
MB_SIGNING = "shop-messagebird-signing-key-0123456789abcdef"
PL_ID, PL_TOKEN = "MA" + "S" * 18, "shop-plivo-token"
SN_SECRET = "shop-sinch-webhook-secret"


def _clients(url: str) -> dict[str, Any]:
    return {
        "tw": {"twilio": {"account_sid": TW_SID, "auth_token": TW_TOKEN, "inbound_url": url + "/twilio"}},
        "vn": {"vonage": {"api_key": VN_KEY, "api_secret": "x", "signature_secret": VN_SECRET,
                          "signature_method": "sha256", "inbound_url": url + "/vonage"}},
        "mb": {"messagebird": {"access_key": "mbkey", "signing_key": MB_SIGNING, "inbound_url": url + "/messagebird"}},
        "pl": {"plivo": {"auth_id": PL_ID, "auth_token": PL_TOKEN, "inbound_url": url + "/plivo"}},
        "sn": {"sinch": {"service_plan_id": "plan", "api_token": "tok", "webhook_secret": SN_SECRET,
                         "inbound_url": url + "/sinch"}},
        "ib": {"infobip": {"api_key": "ibkey", "inbound_url": url + "/infobip"}},
        "quiet": {"twilio": {"account_sid": "AC" + "6" * 32, "auth_token": "t"}},  # no inbound_url: nothing
    }


def test_an_inbound_sms_reaches_every_face_in_its_format_with_valid_signatures(gateway: Any, tmp_path: Any,
                                                                                receiver: Any) -> None:
    server = gateway(Bridge.from_dict(webhook_config(tmp_path, clients=_clients(receiver.url))))
    data = fixture("twilio", "inbound")
    assert post("twilio", f"{server.url}/webhooks/twilio/inbound", data).status_code == 200
    got = {r["path"].strip("/"): r for r in receiver.wait(6)}
    assert sorted(got) == ["infobip", "messagebird", "plivo", "sinch", "twilio", "vonage"]
    sender, to, text = data["from"], data["to"], data["text"]

    from twilio.request_validator import RequestValidator

    tw = got["twilio"]
    form = tw["params"]
    assert (form["From"], form["To"], form["Body"], form["AccountSid"]) == (sender, to, text, TW_SID)
    assert RequestValidator(TW_TOKEN).validate(receiver.url + "/twilio", form, tw["headers"]["X-Twilio-Signature"])
    assert not RequestValidator("other").validate(receiver.url + "/twilio", form, tw["headers"]["X-Twilio-Signature"])

    from vonage_http_client import Auth

    vn = got["vonage"]["params"]
    assert (vn["msisdn"], vn["to"], vn["text"], vn["type"]) == (sender.lstrip("+"), to.lstrip("+"), text, "text")
    assert Auth(api_key=VN_KEY, signature_secret=VN_SECRET, signature_method="sha256").check_signature(dict(vn))
    assert not Auth(api_key=VN_KEY, signature_secret="other", signature_method="sha256").check_signature(dict(vn))

    from messagebird.error import ValidationError
    from messagebird.request_validator import RequestValidator as MessageBirdValidator

    mb = got["messagebird"]
    assert mb["method"] == "GET"
    assert (mb["query"]["originator"], mb["query"]["recipient"], mb["query"]["body"]) == (
        sender.lstrip("+"), to.lstrip("+"), text)
    full = receiver.url + "/messagebird?" + urlencode(mb["query"])
    token = mb["headers"]["MessageBird-Signature-JWT"]
    claims = MessageBirdValidator(MB_SIGNING).validate_signature(token, full, b"")
    assert claims["iss"] == "MessageBird"
    try:
        MessageBirdValidator("another-signing-key-0123456789abcdef01").validate_signature(token, full, b"")
    except ValidationError:
        pass
    else:
        raise AssertionError("a wrong signing key must not validate")

    from plivo.utils.signature_v3 import validate_v3_signature

    pl = got["plivo"]
    params = pl["params"]
    assert (params["From"], params["To"], params["Text"]) == (sender.lstrip("+"), to.lstrip("+"), text)
    nonce, sig = pl["headers"]["X-Plivo-Signature-V3-Nonce"], pl["headers"]["X-Plivo-Signature-V3"]
    assert validate_v3_signature("POST", receiver.url + "/plivo", nonce, PL_TOKEN, sig, dict(params))
    assert not validate_v3_signature("POST", receiver.url + "/plivo", nonce, "other", sig, dict(params))

    from sinch.domains.sms.sinch_events.v1.sms_sinch_event import SmsSinchEvent

    sn = got["sinch"]
    body = json.loads(sn["body"])
    assert (body["type"], body["from"], body["to"], body["body"]) == ("mo_text", sender.lstrip("+"),
                                                                     to.lstrip("+"), text)
    assert SmsSinchEvent(SN_SECRET).validate_authentication_header(sn["headers"], sn["body"])
    assert not SmsSinchEvent("other").validate_authentication_header(sn["headers"], sn["body"])
    event = SmsSinchEvent(SN_SECRET).parse_event(sn["body"], sn["headers"])  # the SDK reads it as its own
    assert event.body == text

    ib = got["infobip"]["params"]["results"][0]
    assert (ib["from"], ib["to"], ib["text"]) == (sender.lstrip("+"), to.lstrip("+"), text)


def test_a_reply_goes_only_to_the_client_that_wrote_to_that_number(gateway: Any, tmp_path: Any,
                                                                     receiver: Any) -> None:
    server = gateway(Bridge.from_dict(webhook_config(tmp_path, clients=_clients(receiver.url))))
    data = fixture("vonage", "inbound")
    message = Message(to=data["from"], text="Your code is 1234", id="sb_00000000000100000000000a",
                      extra={"gateway_client": "pl"})
    server.bridge.journal.begin(message, attempt="vonage")
    server.bridge.journal.accepted(message.id, "vonage", "0A00000000000001", Status.QUEUED)
    assert post("vonage", f"{server.url}/webhooks/vonage/inbound", data).status_code == 204
    got = receiver.wait(1)
    receiver.wait(2, timeout=1)  # give any wrong second forward the chance to arrive
    assert [r["path"] for r in receiver.requests] == ["/plivo"]
    assert got[0]["params"]["Text"] == data["text"]
