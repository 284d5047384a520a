"""Scheduled create, then cancel, through the MessageBird and Sinch SDKs (issue 12, item 4)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

MB_KEY = "mb-access-key"
PLAN, SINCH_TOKEN = "shopplan", "sinch-token"


@pytest.fixture
def server(tmp_path, gateway):
    return gateway({
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "p.sqlite3")}},
        "store": str(tmp_path / "j.sqlite3"),
        "gateway": {"clients": {"shop": {"messagebird": {"access_key": MB_KEY},
                                         "sinch": {"service_plan_id": PLAN, "api_token": SINCH_TOKEN}}}},
    })


def mb(server):
    import messagebird
    from messagebird.client import USER_AGENT
    from messagebird.http_client import HttpClient

    return messagebird.Client(MB_KEY, http_client=HttpClient(server.url, MB_KEY, USER_AGENT))


def test_messagebird_scheduled_datetime_then_delete(server):
    client = mb(server)
    when = (datetime.now(timezone.utc) + timedelta(days=1)).replace(microsecond=0)
    m = client.message_create("smsbridge", ["31612345678", "31612345679"], "tomorrow",
                              {"scheduledDatetime": when.isoformat()})
    assert [item.status for item in m.recipients["items"]] == ["scheduled", "scheduled"]
    assert m.scheduledDatetime == when
    fetched = client.message(m.id)
    assert fetched.scheduledDatetime == when and fetched.recipients["items"][0].status == "scheduled"
    client.message_delete(m.id)
    assert {r.status.value for r in server.bridge.journaled()} == {"canceled"}
    assert server.bridge.dispatch(now=when + timedelta(seconds=1)) == []


def test_messagebird_immediate_send_reads_sent(server):
    client = mb(server)
    m = client.message_create("smsbridge", ["31612345678"], "now")
    assert m.recipients["items"][0].status == "sent" and m.scheduledDatetime is None


def test_sinch_send_at_then_cancel(server):
    from sinch import SinchClient

    client = SinchClient(service_plan_id=PLAN, sms_api_token=SINCH_TOKEN, sms_region="eu")
    client.configuration.sms_domain_with_service_plan_id = server.url
    when = datetime.now(timezone.utc) + timedelta(hours=3)
    batch = client.sms.batches.send_sms(to=["46701234567"], from_="12345", body="later", send_at=when)
    (record,) = server.bridge.journaled()
    assert record.phase == "scheduled" and abs(record.send_at - when) < timedelta(seconds=1)
    canceled = client.sms.batches.cancel(batch_id=batch.id)
    assert canceled.canceled is True
    assert server.bridge.record(record.id).status.value == "canceled"


def test_infobip_send_at_then_cancel_the_bulk(tmp_path, gateway):
    from infobip_api_client import ApiClient, Configuration, models
    from infobip_api_client.api.sms_api import SmsApi

    server = gateway({
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "p.sqlite3")}},
        "store": str(tmp_path / "j.sqlite3"),
        "gateway": {"clients": {"shop": {"infobip": {"api_key": "ib-key"}}}},
    })
    api = SmsApi(ApiClient(Configuration(host=server.url, api_key="ib-key")))
    when = datetime.now(timezone.utc) + timedelta(days=2)
    message = models.SmsMessage(destinations=[models.SmsDestination(to="36301234567")], sender="smsbridge",
                                content=models.SmsMessageContent(actual_instance=models.SmsTextContent(text="later")))
    options = models.SmsMessageRequestOptions(schedule=models.SmsRequestSchedulingSettings(bulk_id="my-bulk",
                                                                                           send_at=when))
    reply = api.send_sms_messages(sms_request=models.SmsRequest(messages=[message], options=options))
    assert reply.bulk_id == "my-bulk"
    (record,) = server.bridge.journaled()
    assert record.phase == "scheduled" and abs(record.send_at - when) < timedelta(seconds=1)
    status = api.update_scheduled_sms_messages_status(
        bulk_id="my-bulk", sms_update_status_request=models.SmsUpdateStatusRequest(status=models.SmsBulkStatus.CANCELED))
    assert status.status == models.SmsBulkStatus.CANCELED
    assert server.bridge.record(record.id).status.value == "canceled"
