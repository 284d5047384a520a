"""`reconcile` over real sockets: a reply lost after the provider accepted is found again.

The gateway's sandbox takes 1 s per message; the calling backend gives up after 0.3 s
(DeliveryUnknown, journaled unknown). Once the gateway has finished, `reconcile` asks the
provider — Infobip by the messageId smsbridge chose, Sinch by client_reference — and the
journal learns the message was sent: no second send, nothing lost.
"""
from __future__ import annotations

import time

import pytest

from smsbridge import Bridge, DeliveryUnknown, Status

CLIENTS = {"shop": {"infobip": {"api_key": "ib-key"}, "sinch": {"service_plan_id": "plan1", "api_token": "tok"}}}


@pytest.fixture
def slow_gateway(tmp_path, gateway):
    return gateway({"backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "p.sqlite3"),
                                           "chaos": {"latency": 1.0}}},
                    "store": str(tmp_path / "gw.sqlite3"),
                    "gateway": {"clients": CLIENTS, "poll_interval": 0.05}}, faces=["infobip", "sinch"])


@pytest.mark.parametrize("backend", [
    {"plugin": "infobip", "api_key": "ib-key"},
    {"plugin": "sinch", "service_plan_id": "plan1", "api_token": "tok"},
])
def test_lost_reply_is_found_by_reconcile(tmp_path, slow_gateway, backend):
    config = {"backends": {"p": {**backend, "base_url": slow_gateway.url, "timeout": 0.3}},
              "store": str(tmp_path / "front.sqlite3")}
    with Bridge.from_dict(config) as bridge:
        with pytest.raises(DeliveryUnknown) as info:
            bridge.send("+36301234567", "lost and found")
        message_id = info.value.message_id
        assert bridge.status(message_id).status is Status.UNKNOWN
    time.sleep(1.2)  # the gateway finishes the send the caller gave up on
    config["backends"]["p"]["timeout"] = 10  # later, another process: patient enough for look-ups
    with Bridge.from_dict(config) as later:
        (report,) = later.reconcile()
        assert report.id == message_id and report.status is not Status.UNKNOWN
        assert later.record(message_id).phase == "accepted"
        assert later.journaled(status="unknown") == []
    assert len(slow_gateway.bridge.journaled()) == 1  # the provider got it exactly once


@pytest.mark.parametrize("backend", [
    {"plugin": "infobip", "api_key": "ib-key"},
    {"plugin": "sinch", "service_plan_id": "plan1", "api_token": "tok"},
])
def test_lookup_of_a_message_the_provider_never_got_is_none(tmp_path, slow_gateway, backend):
    from smsbridge.model import Message

    config = {"backends": {"p": {**backend, "base_url": slow_gateway.url}}}
    with Bridge.from_dict(config) as bridge:
        assert bridge.backend("p").lookup(Message(to="+36301234567", text="never sent", id="sb_000")) is None
