"""The official ``plivo`` SDK against ``smsbridge serve`` (real sockets, sandbox backend)."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

plivo = pytest.importorskip("plivo")
from plivo import exceptions  # noqa: E402
from plivo.utils.signature_v3 import validate_v3_signature  # noqa: E402
from smsbridge_plugins.plivo import wire  # noqa: E402

AUTH_ID = "MA" + "X" * 18        # as in conftest.py
AUTH_TOKEN = "plivo-token-123"
OTHER_ID = "SA" + "Y" * 18


def test_send_get_list_account(plivo_client, plivo_gateway):
    r = plivo_client.messages.create(src="14155551234", dst="14155556789", text="Hello Plivo")
    assert r.message == "message(s) queued" and uuid.UUID(r.api_id)
    assert isinstance(r.message_uuid, list) and len(r.message_uuid) == 1
    message_uuid = r.message_uuid[0]
    assert uuid.UUID(message_uuid).version == 4

    m = plivo_client.messages.get(message_uuid)
    assert m.id == m.message_uuid == message_uuid
    assert (m.to_number, m.from_number, m.message_direction, m.message_type) == \
        ("14155556789", "14155551234", "outbound", "sms")
    assert m.message_state in ("queued", "sent", "delivered") and m.units == 1 and m.error_code == "000"
    assert m.resource_uri == f"/v1/Account/{AUTH_ID}/Message/{message_uuid}/"

    listed = plivo_client.messages.list(limit=5)
    assert [o.message_uuid for o in listed] == [message_uuid]
    assert listed.meta.total_count == 1 and listed.meta.next is None

    account = plivo_client.account.get()
    assert account.cash_credits == "49.00000" and account.auth_id == AUTH_ID

    message_id = wire.message_id_in(message_uuid)
    assert plivo_gateway.bridge.record(message_id).text == "Hello Plivo"


def test_state_reaches_delivered_and_list_filters(plivo_client):
    r = plivo_client.messages.create(src="14155551234", dst="14155556789", text="x")
    deadline = time.monotonic() + 5
    while plivo_client.messages.get(r.message_uuid[0]).message_state != "delivered":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert len(plivo_client.messages.list(message_state="delivered")) == 1
    assert len(plivo_client.messages.list(message_state="failed")) == 0


def test_several_destinations(plivo_client):
    r = plivo_client.messages.create(src="14155551234", dst="14155556789<14155556790", text="two")
    assert len(r.message_uuid) == 2 and len(set(r.message_uuid)) == 2
    assert {plivo_client.messages.get(u).to_number for u in r.message_uuid} == {"14155556789", "14155556790"}


def test_wrong_credentials(plivo_gateway, monkeypatch):
    import plivo.rest.client as prc

    monkeypatch.setattr(prc, "PLIVO_API_BASE_URI", plivo_gateway.url + "/v1/Account")
    for auth_id, token in ((AUTH_ID, "wrong"), ("MA" + "Z" * 18, AUTH_TOKEN)):
        client = plivo.RestClient(auth_id, token)
        with pytest.raises(exceptions.AuthenticationError):
            client.messages.create(src="14155551234", dst="14155556789", text="x")
        with pytest.raises(exceptions.AuthenticationError):
            client.account.get()


@pytest.mark.parametrize("dst", ["123", "14155556789abc"])
def test_invalid_numbers(plivo_client, dst):
    with pytest.raises(exceptions.ValidationError) as info:
        plivo_client.messages.create(src="14155551234", dst=dst, text="x")
    assert "dst" in str(info.value)


def test_partly_invalid_destinations_are_listed(plivo_client):
    r = plivo_client.messages.create(src="14155551234", dst="14155556789<1415", text="x")
    assert len(r.message_uuid) == 1 and r.invalid_number == ["1415"]


def test_not_found_and_insufficient_credit(plivo_client, gateway, plivo_config, monkeypatch):
    with pytest.raises(exceptions.ResourceNotFoundError):
        plivo_client.messages.get(str(uuid.uuid4()))
    plivo_config["backends"]["local"]["credit"] = 0
    srv = gateway(plivo_config, faces=["plivo"])
    import plivo.rest.client as prc

    monkeypatch.setattr(prc, "PLIVO_API_BASE_URI", srv.url + "/v1/Account")
    with pytest.raises(exceptions.PlivoRestError) as info:
        plivo.RestClient(AUTH_ID, AUTH_TOKEN).messages.create(src="14155551234", dst="14155556789", text="x")
    assert "402" in str(info.value)


def test_clients_see_only_their_own(plivo_client, plivo_gateway, monkeypatch):
    r = plivo_client.messages.create(src="14155551234", dst="14155556789", text="mine")
    other = plivo.RestClient(OTHER_ID, "other-token")
    assert len(other.messages.list()) == 0
    with pytest.raises(exceptions.ResourceNotFoundError):
        other.messages.get(r.message_uuid[0])


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_status_callbacks_signed(plivo_client, receiver, method):
    url = receiver.url + "/status?x=1"
    r = plivo_client.messages.create(src="14155551234", dst="14155556789", text="cb", url=url, method=method)
    message_uuid = r.message_uuid[0]

    def params(req):
        if req["method"] == "GET":
            return {k: v for k, v in req["query"].items() if k != "x"}
        return dict(__import__("urllib.parse").parse.parse_qsl(req["body"].decode(), keep_blank_values=True))

    got = receiver.wait(1, where=lambda req: params(req).get("Status") == "delivered")
    assert got, receiver.requests
    words = [params(req)["Status"] for req in receiver.requests]
    assert words[-1] == "delivered" and set(words) <= {"queued", "sent", "delivered"}
    assert len(words) == len(set(words))
    last = got[-1]
    assert last["method"] == method
    p = params(last)
    assert (p["MessageUUID"], p["To"], p["From"], p["Units"]) == (message_uuid, "14155556789", "14155551234", "1")
    headers = {k.lower(): v for k, v in last["headers"].items()}
    assert validate_v3_signature(method, url, headers["x-plivo-signature-v3-nonce"], AUTH_TOKEN,
                                 headers["x-plivo-signature-v3"], p)


def test_failed_status_callback_has_error_code(plivo_client, receiver):
    plivo_client.messages.create(src="14155551234", dst="14155550199", text="cb", url=receiver.url + "/s")
    got = receiver.wait(1, where=lambda req: b"Status=undelivered" in req["body"])
    assert got and b"ErrorCode=" in got[-1]["body"]


HOSTILE = [
    ("POST", "Message/", b"{broken"),
    ("POST", "Message/", b"\xff\xfe\x00"),
    ("POST", "Message/", json.dumps({"src": "1", "dst": ["1"], "text": "x"}).encode()),
    ("POST", "Message/", json.dumps({"src": "1", "dst": "14155556789", "text": {"a": 1}}).encode()),
    ("POST", "Message/", json.dumps({"src": "1", "dst": "14155556789", "text": "x", "url": "javascript:x"}).encode()),
    ("POST", "Message/", b"x" * 200_000),
    ("GET", "Message/?limit=500", None),
    ("GET", "Message/?offset=-1", None),
    ("GET", "Message/not-a-uuid/", None),
    ("DELETE", "Message/", None),
    ("GET", "Nope/", None),
]


@pytest.mark.parametrize("method,path,body", HOSTILE)
def test_hostile_input_gets_plivo_errors(plivo_gateway, method, path, body):
    resp = requests.request(method, f"{plivo_gateway.url}/v1/Account/{AUTH_ID}/{path}", data=body,
                            auth=(AUTH_ID, AUTH_TOKEN), headers={"Content-Type": "application/json"}, timeout=10)
    assert 400 <= resp.status_code < 500, resp.text
    assert set(resp.json()) == {"api_id", "error"}


def test_path_auth_id_must_be_the_callers(plivo_gateway):
    resp = requests.get(f"{plivo_gateway.url}/v1/Account/{OTHER_ID}/", auth=(AUTH_ID, AUTH_TOKEN), timeout=10)
    assert resp.status_code == 401 and "error" in resp.json()


def test_list_filter_sees_fresh_statuses(plivo_client):
    r = plivo_client.messages.create(src="14155551234", dst="14155556789", text="x")
    time.sleep(0.6)   # two sandbox delivery steps, no fetch in between
    assert [m.message_uuid for m in plivo_client.messages.list(message_state="delivered")] == r.message_uuid
