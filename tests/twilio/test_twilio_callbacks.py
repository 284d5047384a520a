"""Status callbacks: the gateway's Twilio face POSTs Twilio's form, signed, to StatusCallback.

A small HTTP receiver on 127.0.0.1 records what arrives; the signature is checked with
the official ``twilio.request_validator.RequestValidator`` and the client's auth token.
"""
from __future__ import annotations

from twilio.request_validator import RequestValidator

AC = "AC" + "1" * 32
TOKEN = "shop-auth-token"
HU = "+36301234567"
SENDER = "+15017122661"


def _statuses(requests):
    return [r["params"].get("MessageStatus") for r in requests]


def test_status_callbacks_are_twilios_signed_form(gateway, twilio_config, make_sdk_client, receiver):
    server = gateway(twilio_config(delivery_delay=0.3), faces=["twilio"])
    client = make_sdk_client(server)
    url = receiver.url + "/twilio/status?tenant=shop"
    m = client.messages.create(to=HU, from_=SENDER, body="call me back", status_callback=url)

    seen = receiver.wait_for(lambda rs: "delivered" in _statuses(rs))
    assert _statuses(seen)[-2:] == ["sent", "delivered"]        # every change, in order, each once
    assert len(_statuses(seen)) == len(set(_statuses(seen)))
    validator = RequestValidator(TOKEN)
    for request in seen:
        assert request["method"] == "POST" and request["path"] == "/twilio/status"
        assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        form = request["params"]
        assert validator.validate(url, form, request["headers"]["X-Twilio-Signature"])
        assert not RequestValidator("another-token").validate(url, form, request["headers"]["X-Twilio-Signature"])
        assert (form["MessageSid"], form["SmsSid"], form["AccountSid"]) == (m.sid, m.sid, AC)
        assert (form["To"], form["From"], form["ApiVersion"]) == (HU, SENDER, "2010-04-01")
        assert form["SmsStatus"] == form["MessageStatus"]
        assert "ErrorCode" not in form
    assert "RawDlrDoneDate" in seen[-1]["params"]
    # and the fetched status agrees with the last callback
    assert client.messages(m.sid).fetch().status == "delivered"


def test_undelivered_callback_carries_an_error_code(gateway, twilio_config, make_sdk_client, receiver):
    server = gateway(twilio_config(undeliverable=[HU]), faces=["twilio"])
    m = make_sdk_client(server).messages.create(to=HU, from_=SENDER, body="nobody home",
                                                status_callback=receiver.url + "/cb")
    seen = receiver.wait_for(lambda rs: "undelivered" in _statuses(rs))
    final = seen[-1]
    assert final["params"]["MessageSid"] == m.sid and final["params"]["ErrorCode"] == "30003"
    assert RequestValidator(TOKEN).validate(receiver.url + "/cb", final["params"],
                                            final["headers"]["X-Twilio-Signature"])
    fetched = make_sdk_client(server).messages(m.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def test_no_callback_url_means_no_callbacks(gateway, twilio_config, make_sdk_client, receiver):
    import time

    server = gateway(twilio_config(), faces=["twilio"])
    make_sdk_client(server).messages.create(to=HU, from_=SENDER, body="quiet")
    time.sleep(0.5)
    assert receiver.requests == []


def test_a_broken_callback_endpoint_does_not_affect_sending(gateway, twilio_config, make_sdk_client, free_port):
    server = gateway(twilio_config(), faces=["twilio"])
    client = make_sdk_client(server)
    m = client.messages.create(to=HU, from_=SENDER, body="x", status_callback=f"http://127.0.0.1:{free_port}/cb")
    assert client.messages(m.sid).fetch().status == "delivered"
