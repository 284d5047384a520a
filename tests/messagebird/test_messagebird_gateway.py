"""The official ``messagebird`` SDK against ``smsbridge serve`` (real sockets, sandbox backend)."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
import requests

messagebird = pytest.importorskip("messagebird")
from messagebird.client import USER_AGENT, ErrorException  # noqa: E402
from messagebird.http_client import HttpClient  # noqa: E402
from smsbridge_plugins.messagebird import wire  # noqa: E402

ACCESS_KEY = "test_gshuPaZoeEG6ovbc8M79w0QyM"   # as in conftest.py
OTHER_KEY = "live_otherclient0000000000"


def test_send_fetch_list_balance(mb_client, mb_gateway):
    m = mb_client.message_create("smsbridge", ["31612345678"], "Hello MB", {"reference": "ref-1"})
    assert wire.is_id(m.id)
    assert m.originator == "smsbridge" and m.body == "Hello MB" and m.reference == "ref-1"
    assert isinstance(m.createdDatetime, datetime) and m.direction == "mt"
    item = m.recipients["items"][0]
    assert item.recipient == 31612345678 and item.status == "sent"
    assert m.href == f"{mb_gateway.url}/messages/{m.id}"

    fetched = mb_client.message(m.id)
    assert fetched.id == m.id and fetched.body == "Hello MB"
    assert fetched.recipients["items"][0].status in ("scheduled", "sent", "delivered")

    listed = mb_client.message_list(limit=10)
    assert listed.totalCount == 1 and [i.id for i in listed.items] == [m.id]
    assert listed.links.first and listed.links.next is None

    balance = mb_client.balance()
    assert (balance.amount, balance.type, balance.payment) == (49.0, "credits", "prepaid")

    # The gateway's id agrees with the journal: the same message, whichever way it is asked.
    message_id = wire.message_id_in(m.id)
    assert mb_gateway.bridge.status(message_id).status.value in ("queued", "sent", "delivered")


def test_status_progresses_to_delivered(mb_client):
    import time

    m = mb_client.message_create("smsbridge", "31612345678", "progress")
    deadline = time.monotonic() + 5
    while mb_client.message(m.id).recipients["items"][0].status != "delivered":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    final = mb_client.message(m.id)
    assert final.recipients["totalDeliveredCount"] == 1


def test_several_recipients_one_id(mb_client):
    m = mb_client.message_create("smsbridge", ["31612345678", "31687654321"], "two")
    assert m.recipients["totalCount"] == 2
    fetched = mb_client.message(m.id)
    assert [i.recipient for i in fetched.recipients["items"]] == [31612345678, 31687654321]
    assert mb_client.message_list().totalCount == 1


def test_wrong_key_is_the_sdks_error(mb_gateway):
    bad = messagebird.Client("test_wrong", http_client=HttpClient(mb_gateway.url, "test_wrong", USER_AGENT))
    for call in (lambda: bad.message_create("x", "31612345678", "hi"), bad.balance, lambda: bad.message("0" * 32)):
        with pytest.raises(ErrorException) as info:
            call()
        assert (info.value.errors[0].code, info.value.errors[0].parameter) == (2, "access_key")


@pytest.mark.parametrize("recipients", ["123", "abc", ""])
def test_invalid_numbers_are_the_sdks_error(mb_client, recipients):
    with pytest.raises(ErrorException) as info:
        mb_client.message_create("smsbridge", recipients, "hi")
    assert info.value.errors[0].code == 9 and info.value.errors[0].parameter == "recipients"


def test_other_errors(mb_client, mb_gateway):
    with pytest.raises(ErrorException) as info:
        mb_client.message("0" * 32)
    assert info.value.errors[0].code == 20
    with pytest.raises(ErrorException) as info:
        mb_client.message_create("smsbridge", "31612345678", "")
    assert info.value.errors[0].parameter == "body"
    with pytest.raises(ErrorException) as info:
        mb_client.message_create("smsbridge", "31612345678", "x" * 2000)
    assert info.value.errors[0].code == 10
    with pytest.raises(ErrorException) as info:   # the sandbox has 50 credits
        mb_client.message_create("smsbridge", "31612345678", "ő" * 70 * 60)
    assert info.value.errors[0].code in (10, 25)


def test_insufficient_balance(gateway, mb_config):
    mb_config["backends"]["local"]["credit"] = 0
    srv = gateway(mb_config, faces=["messagebird"])
    client = messagebird.Client(ACCESS_KEY, http_client=HttpClient(srv.url, ACCESS_KEY, USER_AGENT))
    with pytest.raises(ErrorException) as info:
        client.message_create("smsbridge", "31612345678", "hi")
    assert info.value.errors[0].code == 25


def test_clients_see_only_their_own_messages(mb_client, mb_gateway):
    m = mb_client.message_create("smsbridge", "31612345678", "mine")
    other = messagebird.Client(OTHER_KEY, http_client=HttpClient(mb_gateway.url, OTHER_KEY, USER_AGENT))
    assert other.message_list().totalCount == 0
    with pytest.raises(ErrorException):
        other.message(m.id)


def test_delivery_report_get_to_report_url(mb_client, receiver):
    m = mb_client.message_create("smsbridge", ["31612345678"], "dlr",
                                 {"reference": "ref-9", "reportUrl": receiver.url + "/dlr?tenant=7"})
    got = receiver.wait(1, where=lambda r: r["query"].get("status") == "delivered")
    assert got, receiver.requests
    report = got[-1]
    assert report["method"] == "GET" and report["path"] == "/dlr"
    q = report["query"]
    assert (q["id"], q["reference"], q["recipient"], q["tenant"]) == (m.id, "ref-9", "31612345678", "7")
    assert datetime.fromisoformat(q["statusDatetime"])
    statuses = [r["query"]["status"] for r in receiver.requests]
    assert statuses == sorted(set(statuses), key=statuses.index)  # no status reported twice
    assert statuses[-1] == "delivered" and set(statuses) <= {"scheduled", "sent", "delivered"}


def test_failed_delivery_report(mb_client, receiver):
    mb_client.message_create("smsbridge", "31612000001", "dlr", {"reportUrl": receiver.url + "/dlr"})
    got = receiver.wait(1, where=lambda r: r["query"].get("status") == "delivery_failed")
    assert got and got[-1]["query"]["statusReason"]


HOSTILE = [
    ("POST", "/messages", {"data": b"{not json"}),
    ("POST", "/messages", {"data": b"\xff\xfe"}),
    ("POST", "/messages", {"data": b"[]"}),
    ("POST", "/messages", {"data": json.dumps({"originator": {"a": 1}, "body": "x", "recipients": "1"})}),
    ("POST", "/messages", {"data": json.dumps({"originator": "x", "body": ["x"], "recipients": "31612345678"})}),
    ("POST", "/messages", {"data": b"x" * 200_000}),
    ("GET", "/messages?limit=abc", {}),
    ("GET", "/messages?status=weird", {}),
    ("GET", "/messages/abc/def", {}),
    ("GET", "/messages/%2e%2e%2f%2e%2e", {}),
    ("GET", "/messages/" + "z" * 40, {}),
    ("DELETE", "/messages/" + "0" * 32, {}),
    ("PUT", "/balance", {}),
]


@pytest.mark.parametrize("method,path,kw", HOSTILE)
def test_hostile_input_gets_messagebird_errors_never_500(mb_gateway, method, path, kw):
    headers = {"Authorization": f"AccessKey {ACCESS_KEY}", "Content-Type": "application/json"}
    resp = requests.request(method, mb_gateway.url + path, headers=headers, timeout=10, **kw)
    assert resp.status_code in (401, 404, 422), resp.text
    assert list(resp.json()) == ["errors"] and resp.json()["errors"][0]["code"]


def test_missing_or_malformed_auth(mb_gateway):
    for header in ({}, {"Authorization": "Bearer x"}, {"Authorization": "AccessKey"}):
        resp = requests.get(mb_gateway.url + "/balance", headers=header, timeout=10)
        assert resp.status_code == 401 and resp.json()["errors"][0]["code"] == 2


def test_list_status_filter_sees_fresh_statuses(mb_client):
    import time

    m = mb_client.message_create("smsbridge", "31612345678", "x")
    time.sleep(0.6)   # two sandbox delivery steps, no fetch in between
    assert [i.id for i in mb_client.message_list(status="delivered").items] == [m.id]


def test_a_backend_without_balance_reads_the_same_from_face_and_shim(gateway, mb_config):
    """Face and SDK shim answer through one table (wire.ERROR_REPLIES): the same words."""
    from smsbridge import Bridge
    from smsbridge.compat.messagebird import Client
    from smsbridge.compat.messagebird import ErrorException as ShimErrorException

    key = "live_nobalance000000000000"
    mb_config["backends"]["nobal"] = {"plugin": "sinch", "service_plan_id": "p", "api_token": "t"}
    mb_config["gateway"]["clients"]["nobal"] = {"backend": "nobal", "messagebird": {"access_key": key}}
    server = gateway(mb_config, faces=["messagebird"])
    resp = requests.get(server.url + "/balance", headers={"Authorization": f"AccessKey {key}"}, timeout=10)
    face_error = resp.json()["errors"][0]
    assert resp.status_code == 404 and face_error["code"] == wire.CODE_NOT_FOUND
    with Bridge.from_dict({**mb_config, "default": "nobal"}) as bridge:
        with pytest.raises(ShimErrorException) as info:
            Client(bridge=bridge).balance()
    shim_error = info.value.errors[0]
    assert (shim_error.code, shim_error.description, shim_error.parameter) == \
        (face_error["code"], face_error["description"], face_error["parameter"])
