"""The official ``sinch`` SDK (2.x) against ``smsbridge serve`` (real sockets, sandbox backend)."""
from __future__ import annotations

import json
import time
from datetime import datetime

import pytest
import requests

sinch = pytest.importorskip("sinch", reason="the sinch SDK (2.x) is not installed in this venv")
from sinch.domains.sms.api.v1.exceptions import SmsException  # noqa: E402
from smsbridge_plugins.sinch import wire  # noqa: E402

PLAN = "plan123"           # as in conftest.py
TOKEN = "sinch-api-token"


def wait_for(fn, until, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not until(value := fn()):
        assert time.monotonic() < deadline, value
        time.sleep(0.05)
    return value


def test_send_get_list(sinch_client, sinch_gateway):
    b = sinch_client.sms.batches.send_sms(to=["46701234567"], from_="12345", body="Hello Sinch",
                                          delivery_report="full", client_reference="ref-1")
    assert wire.is_id(b.id) and len(b.id) == 26
    assert (b.to, b.from_, b.body, b.type, b.canceled) == (["46701234567"], "12345", "Hello Sinch", "mt_text", False)
    assert isinstance(b.created_at, datetime) and b.client_reference == "ref-1" and b.delivery_report == "full"
    assert sinch_client.sms.batches.get(batch_id=b.id).id == b.id
    page = sinch_client.sms.batches.list(page_size=10)
    assert [x.id for x in page.content()] == [b.id] and not page.has_next_page
    assert sinch_gateway.bridge.record(wire.message_id_in(b.id)).text == "Hello Sinch"


def test_delivery_reports(sinch_client):
    b = sinch_client.sms.batches.send_sms(to=["46701234567"], from_="12345", body="x", delivery_report="full")
    report = wait_for(lambda: sinch_client.sms.delivery_reports.get(batch_id=b.id, report_type="full"),
                      lambda r: r.statuses and r.statuses[0].status == "Delivered")
    assert report.total_message_count == 1 and report.statuses[0].recipients == ["46701234567"]
    assert report.statuses[0].code == 0 and report.type == "delivery_report_sms"
    one = sinch_client.sms.delivery_reports.get_for_number(batch_id=b.id, recipient="46701234567")
    assert (one.status, one.recipient, one.type) == ("Delivered", "46701234567", "recipient_delivery_report_sms")
    assert [r.batch_id for r in sinch_client.sms.delivery_reports.list().content()] == [b.id]


def test_batch_to_several_recipients(sinch_client):
    b = sinch_client.sms.batches.send_sms(to=["46701234567", "46701234568"], from_="12345", body="two")
    assert b.to == ["46701234567", "46701234568"]
    assert sinch_client.sms.batches.get(batch_id=b.id).to == b.to
    summary = wait_for(lambda: sinch_client.sms.delivery_reports.get(batch_id=b.id),
                       lambda r: r.statuses and r.statuses[0].status == "Delivered")
    assert summary.statuses[0].count == 2 and summary.total_message_count == 2


def test_wrong_token_and_plan(sinch_factory):
    for kw in ({"token": "nope"}, {"plan": "otherplan"}):
        with pytest.raises(SmsException) as info:
            sinch_factory(**kw).sms.batches.send_sms(to=["46701234567"], from_="12345", body="x")
        assert info.value.response_status_code == 401
        assert info.value.http_response.body["code"] == "unauthorized"


@pytest.mark.parametrize("to", [["123"], ["abc"], []])
def test_invalid_numbers(sinch_client, to):
    with pytest.raises(SmsException) as info:
        sinch_client.sms.batches.send_sms(to=to, from_="12345", body="x")
    assert info.value.response_status_code == 400
    assert info.value.http_response.body["code"] in ("syntax_invalid_parameter_format", "syntax_constraint_violation")


def test_not_found_and_other_clients(sinch_client, sinch_factory):
    with pytest.raises(SmsException) as info:
        sinch_client.sms.batches.get(batch_id=wire.new_id())
    assert info.value.response_status_code == 404
    b = sinch_client.sms.batches.send_sms(to=["46701234567"], from_="12345", body="mine")
    other = sinch_factory(plan="otherplan", token="other-token")
    assert other.sms.batches.list().content() == []
    with pytest.raises(SmsException):
        other.sms.batches.get(batch_id=b.id)


@pytest.mark.parametrize("mode,expected", [("per_recipient", ["Queued", "Dispatched", "Delivered"]),
                                            ("per_recipient_final", ["Delivered"]),
                                            ("full", ["Delivered"])])
def test_callbacks(sinch_client, receiver, mode, expected):
    b = sinch_client.sms.batches.send_sms(to=["46701234567"], from_="12345", body="cb", delivery_report=mode,
                                          event_destination_target=receiver.url + "/dlr", client_reference="r")
    got = receiver.wait(1, where=lambda r: b'"Delivered"' in r["body"])
    assert got, receiver.requests
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert all(r["method"] == "POST" and r["path"] == "/dlr" for r in receiver.requests)
    if mode == "full":
        assert bodies == [{"type": "delivery_report_sms", "batch_id": b.id, "client_reference": "r",
                           "statuses": [{"code": 0, "count": 1, "status": "Delivered", "recipients": ["46701234567"]}],
                           "total_message_count": 1}]
    else:
        words = [x["status"] for x in bodies]
        assert words[-1] == "Delivered" and set(words) <= set(expected) and len(words) == len(set(words))
        if mode == "per_recipient_final":
            assert words == ["Delivered"]
        assert all(x["type"] == "recipient_delivery_report_sms" and x["batch_id"] == b.id for x in bodies)


def test_failed_delivery_callback(sinch_client, receiver):
    sinch_client.sms.batches.send_sms(to=["46701234599"], from_="12345", body="cb",
                                      delivery_report="per_recipient_final", event_destination_target=receiver.url)
    got = receiver.wait(1)
    assert got and json.loads(got[0]["body"])["status"] == "Failed"


HOSTILE = [
    ("POST", "/batches", b"{nope"),
    ("POST", "/batches", b"\xff\xff"),
    ("POST", "/batches", json.dumps({"to": "46701234567", "body": 5}).encode()),
    ("POST", "/batches", json.dumps({"to": [["x"]], "body": "x"}).encode()),
    ("POST", "/batches", json.dumps({"to": ["46701234567"], "body": "x", "type": "mt_binary"}).encode()),
    ("POST", "/batches", b"x" * 200_000),
    ("GET", "/batches?page=-1", None),
    ("GET", "/batches?page_size=abc", None),
    ("GET", "/batches/notanid", None),
    ("GET", "/batches/notanid/delivery_report?type=weird", None),
    ("DELETE", "/batches/" + "0" * 26, None),
    ("POST", "/batches/dry_run", b"{}"),
    ("GET", "/groups", None),
]


@pytest.mark.parametrize("method,path,body", HOSTILE)
def test_hostile_input_gets_sinch_errors(sinch_gateway, method, path, body):
    resp = requests.request(method, f"{sinch_gateway.url}/xms/v1/{PLAN}{path}", data=body,
                            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
                            timeout=10)
    assert 400 <= resp.status_code < 500, resp.text
    assert set(resp.json()) == {"code", "text"}


@pytest.mark.parametrize("method,path", [("PUT", "/batches"), ("POST", "/batches/" + "0" * 26),
                                         ("DELETE", "/batches/" + "0" * 26 + "/delivery_report"),
                                         ("PATCH", "/delivery_reports")])
def test_a_method_a_path_does_not_take_is_sinchs_405_after_authentication(sinch_gateway, method, path):
    """The face answers an unknown caller first (401), then the method (405), both in Sinch's shape."""
    url = f"{sinch_gateway.url}/xms/v1/{PLAN}{path}"
    resp = requests.request(method, url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert resp.status_code == 405 and resp.json()["code"] == "method_not_allowed", resp.text
    stranger = requests.request(method, url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert stranger.status_code == 401 and stranger.json()["code"] == "unauthorized"
