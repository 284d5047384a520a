"""Lists are indexed queries with date filters (issue 12, item 3): the providers' date
parameters bound the journal query, paging is keyset, and every list is an index range."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

SID, TOKEN = "AC" + "1" * 32, "tok-123"
PLIVO_ID, PLIVO_TOKEN = "MA" + "A" * 18, "plivo-token"
PLAN, SINCH_TOKEN = "shopplan", "sinch-token"
IB_KEY = "infobip-key"
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


def config(tmp_path) -> dict:
    return {
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "p.sqlite3")}},
        "store": str(tmp_path / "j.sqlite3"),
        "gateway": {"clients": {
            "shop": {"twilio": {"account_sid": SID, "auth_token": TOKEN},
                     "plivo": {"auth_id": PLIVO_ID, "auth_token": PLIVO_TOKEN},
                     "sinch": {"service_plan_id": PLAN, "api_token": SINCH_TOKEN},
                     "infobip": {"api_key": IB_KEY}},
            "other": {"twilio": {"account_sid": "AC" + "2" * 32, "auth_token": "other-token"}},
        }},
    }


@pytest.fixture
def server(tmp_path, gateway):
    return gateway(config(tmp_path))


def twilio(server):
    from twilio.rest import Client

    client = Client(SID, TOKEN)
    client.api.base_url = server.url
    return client


def test_twilio_sdk_date_sent_filters_and_keyset_paging(server):
    client = twilio(server)
    sids = [client.messages.create(to="+36301234567", from_="+15017122661", body=f"m{n}").sid for n in range(7)]
    assert client.messages.list(date_sent_before=LONG_AGO) == []
    assert len(client.messages.list(date_sent_after=LONG_AGO)) == 7
    today = datetime.now(timezone.utc)
    assert len(client.messages.list(date_sent=today)) == 7
    assert client.messages.list(date_sent=today + timedelta(days=2)) == []
    # Paging: the SDK follows next_page_uri (a PageToken cursor) through every page, newest first.
    walked = [m.sid for m in client.messages.stream(page_size=3)]
    assert walked == list(reversed(sids))
    page = client.messages.page(page_size=3)
    assert "PageToken=PA" in page._payload["next_page_uri"]


def test_twilio_bad_date_is_a_400(server):
    reply = requests.get(f"{server.url}/2010-04-01/Accounts/{SID}/Messages.json", auth=(SID, TOKEN),
                         params={"DateSent<": "yesterday"}, timeout=5)
    assert reply.status_code == 400 and reply.json()["code"] == 21200


def test_plivo_message_time_filters(server):
    url = f"{server.url}/v1/Account/{PLIVO_ID}/Message/"
    auth = (PLIVO_ID, PLIVO_TOKEN)
    for n in range(3):
        assert requests.post(url, json={"src": "+15017122661", "dst": "36301234567", "text": f"p{n}"},
                             auth=auth, timeout=5).status_code == 202

    def listed(**params: str) -> list:
        reply = requests.get(url, params=params, auth=auth, timeout=5)
        assert reply.status_code == 200, reply.text
        return reply.json()["objects"]

    assert listed(message_time__lt="2020-01-01 00:00") == []
    assert len(listed(message_time__gte="2020-01-01 00:00:00")) == 3
    assert listed(message_time__gt=(datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")) == []
    assert len(listed(limit="2")) == 2 and len(listed(limit="2", offset="2")) == 1
    assert requests.get(url, params={"message_time__lt": "soon"}, auth=auth, timeout=5).status_code == 400


def test_sinch_start_and_end_date(server):
    url = f"{server.url}/xms/v1/{PLAN}/batches"
    headers = {"Authorization": f"Bearer {SINCH_TOKEN}"}
    for n in range(2):
        assert requests.post(url, json={"from": "12345", "to": ["36301234567"], "body": f"s{n}"}, headers=headers,
                             timeout=5).status_code == 201

    def count(**params: str) -> int:
        reply = requests.get(url, params=params, headers=headers, timeout=5)
        assert reply.status_code == 200, reply.text
        return len(reply.json()["batches"])

    assert count() == 2
    assert count(end_date="2020-01-01T00:00:00Z") == 0
    assert count(start_date="2020-01-01") == 2
    assert count(start_date=(datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d")) == 0


def test_infobip_sent_since_and_until(server):
    headers = {"Authorization": f"App {IB_KEY}"}
    reply = requests.post(f"{server.url}/sms/3/messages", headers=headers, timeout=5, json={
        "messages": [{"sender": "smsbridge", "destinations": [{"to": "36301234567"}], "content": {"text": "ib"}}]})
    assert reply.status_code == 200, reply.text

    def logs(**params: str) -> list:
        got = requests.get(f"{server.url}/sms/3/logs", params=params, headers=headers, timeout=5)
        assert got.status_code == 200, got.text
        return got.json()["results"]

    assert len(logs()) == 1
    assert logs(sentUntil="2020-01-01T00:00:00.000+0000") == []
    assert len(logs(sentSince="2020-01-01T00:00:00.000+0000")) == 1


def test_every_face_list_query_is_an_index_range(server):
    journal = server.bridge.journal
    now = datetime.now(timezone.utc)
    for filters in ({"client": "shop"}, {"client": "shop", "sent_before": now}, {"client": "shop", "sent_after": now},
                    {"client": "shop", "created_after": LONG_AGO, "created_before": now},
                    {"client": "shop", "to": "+36301234567"}, {"client": "shop", "before": "1:sb_x"}):
        plan = " ".join(journal.query_plan(**filters))
        assert "SCAN messages" not in plan and "USING" in plan, (filters, plan)
