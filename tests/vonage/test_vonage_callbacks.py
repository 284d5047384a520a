"""Delivery receipts: the Vonage face sends Vonage's DLR to the message's ``callback``.

A small HTTP receiver on 127.0.0.1 records them; one DLR per part of a long message,
sent as the client's ``dlr_method`` (GET, POST form, POST-JSON), signed when the client
has a signature secret.
"""
from __future__ import annotations

import time

import pytest
from smsbridge_plugins.vonage import wire

KEY, SECRET = "shopkey", "shop-secret"
SIG_KEY, SIG_SECRET = "signedkey", "signature-secret-0123456789"
TO = "447911123456"


def _start(gateway, vonage_config, monkeypatch, **config):
    server = gateway(vonage_config(**config), faces=["vonage"], tls="self-signed")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cafile)
    return server


@pytest.mark.parametrize("dlr_method, http_method", [("POST", "POST"), ("GET", "GET"), ("POST-JSON", "POST")])
def test_delivery_receipts(gateway, vonage_config, make_sdk_client, receiver, monkeypatch, dlr_method, http_method):
    from vonage_sms import SmsMessage

    server = _start(gateway, vonage_config, monkeypatch, dlr_method=dlr_method, delivery_delay=0.2)
    callback = receiver.url + "/vonage/dlr"
    sent = make_sdk_client(server).sms.send(SmsMessage(to=TO, from_="AcmeInc", text="Hello", client_ref="ref-9",
                                                       callback=callback, status_report_req=True))
    message_id = sent.messages[0].message_id
    seen = receiver.wait_for(lambda rs: any(r["params"].get("status") == "delivered" for r in rs))
    assert [r["params"]["status"] for r in seen] == ["accepted", "delivered"]   # not the gateway's own queue
    for request in seen:
        assert (request["method"], request["path"]) == (http_method, "/vonage/dlr")
        if dlr_method == "POST-JSON":
            assert request["headers"]["Content-Type"] == "application/json"
        dlr = request["params"]
        assert (dlr["messageId"], dlr["msisdn"], dlr["to"]) == (message_id, TO, "AcmeInc")
        assert (dlr["api-key"], dlr["client-ref"]) == (KEY, "ref-9")
        assert set(dlr) >= {"network-code", "price", "scts", "err-code", "message-timestamp"}
        assert len(dlr["scts"]) == 10 and len(dlr["message-timestamp"]) == 19
    assert seen[-1]["params"]["err-code"] == "0"
    assert wire.parse_dlr(seen[-1]["params"])[1].value == "delivered"


def test_one_receipt_per_part_and_undelivered(gateway, vonage_config, make_sdk_client, receiver, monkeypatch):
    from vonage_sms import SmsMessage

    server = _start(gateway, vonage_config, monkeypatch, undeliverable=["+" + TO])
    sent = make_sdk_client(server).sms.send(SmsMessage(to=TO, from_="AcmeInc", text="ő" * 71,
                                                       callback=receiver.url + "/dlr"))
    ids = {m.message_id for m in sent.messages}
    seen = receiver.wait_for(lambda rs: len(rs) >= 2)
    time.sleep(0.3)
    final = [r["params"] for r in receiver.requests if r["params"]["status"] == "failed"]
    assert {dlr["messageId"] for dlr in final} == ids and len(final) == 2
    assert all(dlr["err-code"] != "0" for dlr in final)
    assert {wire.parse_dlr(dlr)[1].value for dlr in final} == {"undelivered"}
    assert seen


def test_signed_receipts(gateway, vonage_config, make_sdk_client, receiver, monkeypatch):
    from vonage_sms import SmsMessage

    server = _start(gateway, vonage_config, monkeypatch)
    client = make_sdk_client(server, SIG_KEY, None, signature_secret=SIG_SECRET, signature_method="sha256")
    client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text="signed", callback=receiver.url + "/dlr"))
    [request] = receiver.wait_for(lambda rs: len(rs) >= 1)
    dlr = dict(request["params"])
    assert dlr["api-key"] == SIG_KEY and {"timestamp", "nonce", "sig"} <= set(dlr)
    sig = dlr.pop("sig")
    assert wire.sign(dlr, SIG_SECRET, "sha256") == sig   # the client's signature_method (sha256)
    from vonage_http_client.auth import Auth

    assert Auth(api_key=SIG_KEY, signature_secret=SIG_SECRET, signature_method="sha256").check_signature(
        dict(dlr, sig=sig))


def test_no_receipt_without_callback_or_when_not_requested(gateway, vonage_config, make_sdk_client, receiver,
                                                             monkeypatch):
    from vonage_sms import SmsMessage

    server = _start(gateway, vonage_config, monkeypatch)
    client = make_sdk_client(server)
    client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text="no callback"))
    client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text="declined", callback=receiver.url + "/dlr",
                               status_report_req=False))
    time.sleep(0.5)
    assert receiver.requests == []
