"""Issue 13: two gateways on one PostgreSQL journal behave as one (ids and aliases made by
one resolve in the other; the Twilio SDK sees one message list; a status callback is
posted once even when both watch the message)."""
from __future__ import annotations

import time

import requests
from test_gateway_lists import SID, TOKEN, config


def twilio(server):
    from twilio.rest import Client

    client = Client(SID, TOKEN)
    client.api.base_url = server.url
    return client


def test_a_message_created_through_one_gateway_is_fetched_through_the_other(tmp_path, gateway, postgres_url):
    shared = {**config(tmp_path), "store": postgres_url}
    one, other = gateway(shared), gateway(shared)
    created = twilio(one).messages.create(to="+36301234567", from_="+15017122661", body="through one")
    fetched = twilio(other).messages(created.sid).fetch()  # a Twilio SM… alias made by the first gateway
    assert (fetched.sid, fetched.body, fetched.to) == (created.sid, "through one", "+36301234567")
    assert [m.sid for m in twilio(other).messages.list()] == [created.sid]
    again = twilio(other).messages.create(to="+36301234568", from_="+15017122661", body="through the other")
    assert [m.sid for m in twilio(one).messages.list()] == [again.sid, created.sid]


def test_a_create_replayed_through_the_other_gateway_is_called_back_once(tmp_path, gateway, postgres_url, receiver):
    """The load balancer sends the caller's retry (same I-Twilio-Idempotency-Token) to the
    other gateway: both now watch the message, and each status is still posted once."""
    shared = {**config(tmp_path), "store": postgres_url}
    shared["backends"]["local"]["delivery_delay"] = 0.3
    shared["gateway"]["poll_interval"] = 0.05
    one, other = gateway(shared), gateway(shared)
    form = {"To": "+36301234567", "From": "+15017122661", "Body": "retried",
            "StatusCallback": receiver.url + "/status"}
    headers = {"I-Twilio-Idempotency-Token": "retry-1"}
    sids = [requests.post(f"{url}/2010-04-01/Accounts/{SID}/Messages.json", data=form, headers=headers,
                          auth=(SID, TOKEN), timeout=30).json()["sid"] for url in (one.url, other.url)]
    assert sids[0] == sids[1]
    receiver.wait_for(lambda got: any(r["params"].get("MessageStatus") == "delivered" for r in got), timeout=30)
    time.sleep(0.5)  # both watchers polled many more times
    posted = [r["params"]["MessageStatus"] for r in receiver.requests]
    assert sorted(posted) == sorted(set(posted)) and "delivered" in posted, posted
