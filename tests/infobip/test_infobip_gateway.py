"""The official Infobip SDKs against ``smsbridge serve`` (real sockets, sandbox backend):
``infobip-api-python-client`` 6.x in this venv (``/sms/3``), ``infobip-api-python-sdk`` 5.x
(``/sms/2``, pydantic v1) in its own venv, driven through a subprocess."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import requests
from smsbridge_plugins.infobip import wire

API_KEY = "infobip-api-key"   # as in conftest.py
OTHER_KEY = "other-infobip-key"
PROBE = Path(__file__).with_name("infobip5_probe.py")


def sdk6():
    pytest.importorskip("infobip_api_client", reason="infobip-api-python-client 6.x is not installed in this venv")
    from infobip_api_client import exceptions, models

    return models, exceptions


def send6(api, to="41793026727", **webhooks):
    models, _ = sdk6()
    hooks = None
    if webhooks:
        hooks = models.SmsWebhooks(delivery=models.SmsMessageDeliveryReporting(url=webhooks["url"]),
                                   callback_data=webhooks.get("callback_data"))
    message = models.SmsMessage(sender="InfoSMS", destinations=[models.SmsDestination(to=t) for t in to.split(",")],
                                content=models.SmsMessageContent(models.SmsTextContent(text="Hello Infobip")),
                                webhooks=hooks)
    return api.send_sms_messages(sms_request=models.SmsRequest(messages=[message]))


# -- 6.x ---------------------------------------------------------------------------------------

def test_v3_send_reports_logs(infobip_api, infobip_gateway):
    r = send6(infobip_api)
    [m] = r.messages
    assert m.status.group_name.value == "PENDING" and m.status.name == "PENDING_ACCEPTED"
    assert m.destination == "41793026727" and m.details.message_count == 1 and r.bulk_id is None
    upstream = infobip_gateway.bridge.record(wire.message_id_in(m.message_id))
    assert (upstream.text, upstream.sender) == ("Hello Infobip", "InfoSMS")

    # Infobip hands each delivery report out once, when the message is final.
    deadline = time.monotonic() + 5
    while not (reports := infobip_api.get_outbound_sms_message_delivery_reports(message_id=m.message_id).results):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    [rep] = reports
    assert (rep.message_id, rep.to, rep.sender, rep.status.name) == (m.message_id, "41793026727", "InfoSMS",
                                                                      "DELIVERED_TO_HANDSET")
    assert rep.error.name == "NO_ERROR" and rep.done_at >= rep.sent_at
    assert infobip_api.get_outbound_sms_message_delivery_reports(message_id=m.message_id).results == []

    logs = infobip_api.get_outbound_sms_message_logs(message_id=[m.message_id])
    assert [log.message_id for log in logs.results] == [m.message_id]
    assert logs.results[0].content.actual_instance.text == "Hello Infobip"


def test_v3_bulk(infobip_api):
    r = send6(infobip_api, to="41793026727,41793026728")
    assert r.bulk_id and len({m.message_id for m in r.messages}) == 2
    logs = infobip_api.get_outbound_sms_message_logs(bulk_id=[r.bulk_id])
    assert {log.destination for log in logs.results} == {"41793026727", "41793026728"}


def test_v3_wrong_key(infobip_factory):
    _, exceptions = sdk6()
    with pytest.raises(exceptions.UnauthorizedException) as info:
        send6(infobip_factory("wrong"))
    assert info.value.status == 401 and info.value.data.error_code == "E401"


def test_v3_invalid_number(infobip_api):
    _, exceptions = sdk6()
    with pytest.raises(exceptions.BadRequestException) as info:
        send6(infobip_api, to="123")
    assert info.value.data.violations[0].var_property == "messages[0].destinations[0].to"


def test_v3_partly_invalid(infobip_api):
    r = send6(infobip_api, to="41793026727,123")
    assert [m.status.name for m in r.messages] == ["PENDING_ACCEPTED", "REJECTED_DESTINATION"]


def test_v3_insufficient_credit_is_a_rejected_status(gateway, infobip_config):
    infobip_config["backends"]["local"]["credit"] = 0
    srv = gateway(infobip_config, faces=["infobip"])
    from infobip_api_client import ApiClient, Configuration
    from infobip_api_client.api.sms_api import SmsApi

    r = send6(SmsApi(ApiClient(Configuration(host=srv.url, api_key=API_KEY))))
    assert r.messages[0].status.name == "REJECTED_NOT_ENOUGH_CREDITS" and r.messages[0].status.group_id == 5


def test_clients_see_only_their_own(infobip_api, infobip_factory):
    m = send6(infobip_api).messages[0]
    other = infobip_factory(OTHER_KEY)
    assert other.get_outbound_sms_message_logs(message_id=[m.message_id]).results == []
    assert other.get_outbound_sms_message_logs().results == []


def test_v3_webhook(infobip_api, receiver):
    r = send6(infobip_api, url=receiver.url + "/ib", callback_data="ref-1")
    got = receiver.wait(1)
    assert got, "no delivery report arrived"
    assert got[0]["method"] == "POST" and got[0]["path"] == "/ib"
    [result] = json.loads(got[0]["body"])["results"]
    assert result["messageId"] == r.messages[0].message_id and result["status"]["groupName"] == "DELIVERED"
    assert result["callbackData"] == "ref-1" and result["sender"] == "InfoSMS" and result["messageCount"] == 1
    time.sleep(0.3)
    assert len(receiver.requests) == 1  # final report only, without intermediateReport


def test_balance(infobip_gateway):
    resp = requests.get(infobip_gateway.url + "/account/1/balance", headers={"Authorization": f"App {API_KEY}"},
                        timeout=10)
    assert resp.status_code == 200 and resp.json()["balance"] == 50.0


HOSTILE = [
    ("POST", "/sms/3/messages", b"{x"),
    ("POST", "/sms/3/messages", b"\xff"),
    ("POST", "/sms/3/messages", json.dumps({"messages": {"a": 1}}).encode()),
    ("POST", "/sms/3/messages", json.dumps({"messages": [{"destinations": "x", "content": {"text": "x"}}]}).encode()),
    ("POST", "/sms/3/messages", json.dumps({"messages": [{"destinations": [{"to": "41793026727"}],
                                                          "content": {"text": 5}}]}).encode()),
    ("POST", "/sms/2/text/advanced", json.dumps({"messages": [{"destinations": [{"to": None}], "text": "x"}]}).encode()),
    ("POST", "/sms/2/text/advanced", b"x" * 200_000),
    ("GET", "/sms/3/reports?limit=abc", None),
    ("GET", "/sms/3/messages", None),
    ("GET", "/sms/2/text/advanced", None),      # a 405, as the 5.x SDK reads it: 400
    ("DELETE", "/sms/1/bulks/status", None),
    ("GET", "/sms/3/nothing", None),
    ("GET", "/sms/1/nothing", None),
]


@pytest.mark.parametrize("method,path,body", HOSTILE)
def test_hostile_input_gets_infobip_errors(infobip_gateway, method, path, body):
    resp = requests.request(method, infobip_gateway.url + path, data=body,
                            headers={"Authorization": f"App {API_KEY}", "Content-Type": "application/json"}, timeout=10)
    assert 400 <= resp.status_code < 500, resp.text
    data = resp.json()
    if path.startswith("/sms/3/"):
        assert set(data) == {"errorCode", "description", "action", "violations", "resources"}
    else:
        assert set(data["requestError"]["serviceException"]) >= {"messageId", "text"}


# -- 5.x, in its own venv -------------------------------------------------------------------

def probe(python, url, key, step, arg=None):
    cmd = [python, str(PROBE), url, key, step] + ([arg] if arg else [])
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_v2_sdk5_send_reports_logs(infobip5_python, infobip_gateway):
    sent = probe(infobip5_python, infobip_gateway.url, API_KEY, "send")
    assert sent["class"] == "SendSMSResponse" and sent["status_code"] == 200
    [m] = sent["data"]["messages"]
    assert m["status"]["name"] == "PENDING_ACCEPTED" and m["to"] == "41793026727"
    assert infobip_gateway.bridge.record(wire.message_id_in(m["message_id"])).text == "Hello from 5.x"
    deadline = time.monotonic() + 10
    while True:
        reports = probe(infobip5_python, infobip_gateway.url, API_KEY, "reports", m["message_id"])
        assert reports["class"] == "OutboundDeliveryReportsResponse"
        if reports["data"]["results"]:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    [rep] = reports["data"]["results"]
    assert rep["status"]["group_name"] == "DELIVERED" and rep["sms_count"] == 1
    logs = probe(infobip5_python, infobip_gateway.url, API_KEY, "logs", m["message_id"])
    assert logs["class"] == "OutboundMessageLogsResponse"
    [log] = logs["data"]["results"]
    assert (log["message_id"], log["to"], log["status"]["name"]) == (m["message_id"], "41793026727",
                                                                       "DELIVERED_TO_HANDSET")


def test_v2_sdk5_errors(infobip5_python, infobip_gateway):
    bad_key = probe(infobip5_python, infobip_gateway.url, "wrong", "send")
    assert bad_key["class"] == "SMSResponseError" and bad_key["status_code"] == 401
    assert bad_key["data"]["request_error"]["service_exception"]["message_id"] == "UNAUTHORIZED"
    bad_number = probe(infobip5_python, infobip_gateway.url, API_KEY, "send", "123")
    assert bad_number["class"] == "SMSResponseError" and bad_number["status_code"] == 400
    errors = bad_number["data"]["request_error"]["service_exception"]["validation_errors"]
    assert "messages[0].destinations[0].to" in errors


def test_v2_sdk5_webhook(infobip5_python, infobip_gateway, receiver):
    sent = probe(infobip5_python, infobip_gateway.url, API_KEY, "send-notify", receiver.url + "/v2")
    assert sent["data"]["messages"][0]["message_id"] == "my-id-1"   # the caller's own id
    got = receiver.wait(1)
    assert got
    [result] = json.loads(got[0]["body"])["results"]
    assert (result["messageId"], result["from"], result["smsCount"], result["callbackData"]) == \
        ("my-id-1", "InfoSMS", 1, "cb-5")


def test_unfiltered_report_poll_sees_fresh_statuses(infobip_api):
    """Polling /sms/3/reports without a messageId (what Infobip's docs suggest) works too."""
    m = send6(infobip_api).messages[0]
    deadline = time.monotonic() + 5
    while not (results := infobip_api.get_outbound_sms_message_delivery_reports().results):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert [r.message_id for r in results] == [m.message_id]
    assert infobip_api.get_outbound_sms_message_delivery_reports().results == []
