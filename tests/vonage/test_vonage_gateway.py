"""The official ``vonage`` 4.x SDK (unmodified) against ``smsbridge serve``'s Vonage face.

The SDK forces ``https://``: the gateway runs with a self-signed certificate that the
client trusts through ``REQUESTS_CA_BUNDLE`` (or its session's ``verify``), exactly as
providers.md §2.3 and docs/providers/vonage.md describe.  3.x / 2.x wire styles (body
credentials, signatures, ``/search/message``) are driven with ``requests`` as those SDKs
send them.
"""
from __future__ import annotations

import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smsbridge_plugins.vonage import wire

from smsbridge import Status

KEY, SECRET = "shopkey", "shop-secret"
SIG_KEY, SIG_SECRET, SIG_API_SECRET = "signedkey", "signature-secret-0123456789", "signed-api-secret"
TO = "447911123456"           # Vonage SDKs send digits, no "+"
TWO_SEGMENTS_UCS2 = "Árvíztűrő tükörfúrógép " * 3 + "ő" * 2   # 71 UCS-2 units


def test_send_over_tls(vonage_client, vonage_gateway):
    from vonage_sms import SmsMessage

    response = vonage_client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text="Hello", client_ref="ref-1"))
    assert response.message_count == "1"
    [part] = response.messages
    assert (part.to, part.status, part.client_ref) == (TO, "0", "ref-1")
    assert len(part.message_id) == 32
    message_id = vonage_gateway.bridge.journal.resolve("vonage", part.message_id)
    record = vonage_gateway.bridge.record(message_id)
    assert (record.to, record.sender, record.text, record.reference) == ("+" + TO, "AcmeInc", "Hello", "ref-1")


def test_ucs2_two_segments_is_message_count_2(vonage_client, vonage_gateway):
    from vonage_sms import SmsMessage

    response = vonage_client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text=TWO_SEGMENTS_UCS2, type="unicode"))
    assert response.message_count == "2" and len(response.messages) == 2
    ids = {m.message_id for m in response.messages}
    assert len(ids) == 2  # one id per part, both mapping to the one smsbridge message
    [message_id] = {vonage_gateway.bridge.journal.resolve("vonage", i) for i in ids}
    assert vonage_gateway.bridge.record(message_id).segments == 2


def test_session_verify_instead_of_the_environment(vonage_gateway, make_sdk_client, monkeypatch):
    from vonage_sms import SmsMessage

    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    client = make_sdk_client(vonage_gateway)
    client.http_client._session.verify = vonage_gateway.cafile
    assert client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text="verify")).messages[0].status == "0"


def test_untrusted_certificate_is_refused(vonage_gateway, make_sdk_client, monkeypatch):
    from vonage_sms import SmsMessage

    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(requests.exceptions.SSLError):
        make_sdk_client(vonage_gateway).sms.send(SmsMessage(to=TO, from_="AcmeInc", text="x"))


def test_wrong_secret_is_the_sdks_authentication_error(vonage_gateway, make_sdk_client):
    from vonage_http_client.errors import AuthenticationError
    from vonage_sms import SmsMessage

    with pytest.raises(AuthenticationError) as caught:
        make_sdk_client(vonage_gateway, KEY, "wrong").sms.send(SmsMessage(to=TO, from_="AcmeInc", text="x"))
    assert caught.value.response.status_code == 401
    with pytest.raises(AuthenticationError):
        make_sdk_client(vonage_gateway, "nobody", SECRET).account.get_balance()
    assert vonage_gateway.bridge.journaled() == []


def test_invalid_number_is_status_3_and_the_sdks_sms_error(vonage_client):
    from vonage_sms import SmsMessage
    from vonage_sms.errors import SmsError

    with pytest.raises(SmsError) as caught:
        vonage_client.sms.send(SmsMessage(to="10000000000", from_="AcmeInc", text="x"))
    assert "error code 3" in str(caught.value)


@pytest.mark.parametrize("message, code", [
    ({"to": TO, "from_": "AcmeInc", "text": "x" * 1000}, "12"),      # more than max_segments
    ({"to": TO, "from_": "not a sender!", "text": "x"}, "15"),
    ({"to": TO, "from_": "AcmeInc", "text": "x", "callback": "ftp://x"}, "23"),
])
def test_refusals_carry_vonage_statuses(vonage_client, message, code):
    from vonage_sms import SmsMessage
    from vonage_sms.errors import SmsError

    with pytest.raises(SmsError) as caught:
        vonage_client.sms.send(SmsMessage(**message))
    assert f"error code {code}:" in str(caught.value)


def test_no_credit_is_status_9(gateway, vonage_config, make_sdk_client, monkeypatch):
    from vonage_sms import SmsMessage
    from vonage_sms.errors import SmsError

    server = gateway(vonage_config(credit=0), faces=["vonage"], tls="self-signed")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cafile)
    with pytest.raises(SmsError) as caught:
        make_sdk_client(server).sms.send(SmsMessage(to=TO, from_="AcmeInc", text="x"))
    assert "error code 9:" in str(caught.value)


def test_balance(vonage_client):
    from vonage_sms import SmsMessage

    vonage_client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text=TWO_SEGMENTS_UCS2))
    balance = vonage_client.account.get_balance()
    assert (balance.value, balance.auto_reload) == (998.0, False)


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_signed_requests_from_the_sdk(vonage_gateway, make_sdk_client, method):
    """Auth(api_key, signature_secret): the SDK signs instead of sending the secret."""
    from vonage_sms import SmsMessage
    from vonage_sms.errors import SmsError

    client = make_sdk_client(vonage_gateway, SIG_KEY, None, signature_secret=SIG_SECRET, signature_method=method)
    response = client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text="signed", client_ref="s1"))
    assert response.messages[0].status == "0"
    forged = make_sdk_client(vonage_gateway, SIG_KEY, None, signature_secret="not-the-secret",
                             signature_method=method)
    with pytest.raises(SmsError) as caught:
        forged.sms.send(SmsMessage(to=TO, from_="AcmeInc", text="signed"))
    assert "error code 14:" in str(caught.value)


def test_3x_style_body_credentials(vonage_gateway):
    """vonage 2.x/3.x put api_key/api_secret in the form; wrong ones are status "4" in a 200."""
    url = f"{vonage_gateway.url}/sms/json"
    ok = requests.post(url, data={"from": "AcmeInc", "to": TO, "text": "hi", "api_key": KEY, "api_secret": SECRET})
    assert ok.status_code == 200 and ok.json()["messages"][0]["status"] == "0"
    bad = requests.post(url, data={"from": "AcmeInc", "to": TO, "text": "hi", "api_key": KEY, "api_secret": "no"})
    assert bad.status_code == 200
    assert bad.json() == {"message-count": "1", "messages": [{"status": "4", "error-text": "Bad Credentials"}]}
    balance = requests.get(f"{vonage_gateway.url}/account/get-balance", params={"api_key": KEY, "api_secret": SECRET})
    assert balance.json() == {"value": 999.0, "autoReload": False}


def test_json_bodies_and_get_requests_are_accepted(vonage_gateway):
    url = f"{vonage_gateway.url}/sms/json"
    as_json = requests.post(url, json={"from": "AcmeInc", "to": TO, "text": "json", "api_key": KEY,
                                       "api_secret": SECRET})
    assert as_json.json()["messages"][0]["status"] == "0"
    as_get = requests.get(url, params={"from": "AcmeInc", "to": TO, "text": "get", "api_key": KEY,
                                       "api_secret": SECRET})
    assert as_get.json()["messages"][0]["status"] == "0"


def test_3x_style_signature(vonage_gateway):
    params = {"from": "AcmeInc", "to": TO, "text": "legacy md5", "api_key": SIG_KEY,
              "timestamp": str(int(time.time()))}
    params["sig"] = wire.sign(params, SIG_SECRET, None)  # vonage 3.x without signature_method
    r = requests.post(f"{vonage_gateway.url}/sms/json", data=params)
    assert r.json()["messages"][0]["status"] == "0"
    params["timestamp"] = str(int(time.time()) - 3600)  # a replayed, hour-old request
    params["sig"] = wire.sign({k: v for k, v in params.items() if k != "sig"}, SIG_SECRET, None)
    assert requests.post(f"{vonage_gateway.url}/sms/json", data=params).json()["messages"][0]["status"] == "14"


def test_search_message_for_2x_sdks(vonage_client, vonage_gateway):
    from vonage_sms import SmsMessage

    sent = vonage_client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text="find me"))
    message_id = sent.messages[0].message_id
    found = requests.get(f"{vonage_gateway.url}/search/message",
                         params={"id": message_id, "api_key": KEY, "api_secret": SECRET})
    assert found.status_code == 200
    body = found.json()
    assert (body["message-id"], body["to"], body["body"], body["final-status"]) == (message_id, TO, "find me",
                                                                                     "DELIVRD")
    gateway_status = vonage_gateway.bridge.status(vonage_gateway.bridge.journal.resolve("vonage", message_id))
    assert gateway_status.status is Status.DELIVERED
    missing = requests.get(f"{vonage_gateway.url}/search/message",
                           params={"id": "0" * 16, "api_key": KEY, "api_secret": SECRET})
    assert missing.status_code == 404
    # another client cannot read it
    other = requests.get(f"{vonage_gateway.url}/search/message",
                         params={"id": message_id, "api_key": SIG_KEY, "api_secret": SIG_API_SECRET})
    assert other.status_code == 404


# --------------------------------------------------------------------------- hostile input

def test_hostile_requests_get_vonage_shaped_4xx(vonage_gateway):
    url = f"{vonage_gateway.url}/sms/json"
    auth = (KEY, SECRET)
    cases = [
        requests.post(url, data=b"{not json", headers={"Content-Type": "application/json"}, auth=auth),
        requests.post(url, json=["a", "list"], auth=auth),
        requests.post(url, json={"to": {"nested": 1}, "from": "A", "text": "x"}, auth=auth),
        requests.post(url, data=b"to=\xff\xfe", headers={"Content-Type": "application/x-www-form-urlencoded"},
                      auth=auth),
        requests.post(url, data={"text": "x" * 100_000}, auth=auth),
        requests.post(url, data="to=1", headers={"Content-Type": "text/xml"}, auth=auth),
        requests.put(url, data={"to": TO}, auth=auth),
        requests.post(url, data={"to": TO, "from": "A", "text": "x"}),                     # no credentials
        requests.post(url, data={"to": TO}, headers={"Authorization": "Basic %%%"}),
        requests.get(f"{vonage_gateway.url}/account/get-balance"),
        requests.get(f"{vonage_gateway.url}/search/message", auth=auth),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        assert {"type", "title", "detail"} <= set(response.json())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["to", "from", "text", "type", "callback", "client-ref",
                                               "status-report-req", "ttl", "x"]),
                              st.text(max_size=30), max_size=7))
def test_random_sends_never_cause_a_500(vonage_gateway, params):
    r = requests.post(f"{vonage_gateway.url}/sms/json", data=params, auth=(KEY, SECRET))
    assert r.status_code == 200, r.text
    body = r.json()
    assert int(body["message-count"]) == len(body["messages"]) >= 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["to", "from", "text", "type", "callback", "client-ref", "api_key",
                                             "api_secret", "sig", "timestamp", "status-report-req"]),
                            st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.none(),
                                      st.lists(st.integers(), max_size=2)), max_size=8))
def test_random_json_bodies_never_cause_a_500(vonage_gateway, body):
    import json

    # json.dumps keeps lone surrogates as "\ud800" escapes: hostile, but valid JSON
    r = requests.post(f"{vonage_gateway.url}/sms/json", data=json.dumps(body),
                      headers={"Content-Type": "application/json"}, auth=(KEY, SECRET))
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.json()["message-count"] == str(len(r.json()["messages"]))
