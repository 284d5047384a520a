"""`reconcile` for providers that can only *search* their messages (issue 11 item 9).

Twilio (list by To and DateSent, matched on body), MessageBird (by reference), Plivo (by
time window and dst), plus Infobip and Sinch (tests/test_reconcile_providers.py).  The
provider is a real `smsbridge serve` gateway speaking each provider's API over the sandbox,
which takes 1 s per message while the calling backend gives up after 0.3 s: the reply is
lost after the provider accepted.  Reconcile must find it again (no second send), and a
message the provider never got becomes `failed` only after the grace period.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from misbehaving import MisbehavingServer

from smsbridge import Bridge, DeliveryUnknown, Status
from smsbridge.model import Message

AC = "AC" + "4" * 32
PLIVO_ID = "MA" + "Q" * 18
CLIENTS = {"shop": {"twilio": {"account_sid": AC, "auth_token": "tw-tok"},
                    "messagebird": {"access_key": "mb-key"},
                    "plivo": {"auth_id": PLIVO_ID, "auth_token": "pl-tok"}}}
BACKENDS = {
    "twilio": {"plugin": "twilio", "account_sid": AC, "auth_token": "tw-tok", "sender": "+15017122661"},
    "messagebird": {"plugin": "messagebird", "access_key": "mb-key", "sender": "Shop"},
    "plivo": {"plugin": "plivo", "auth_id": PLIVO_ID, "auth_token": "pl-tok", "sender": "+14155551234"},
}


@pytest.fixture
def slow_gateway(tmp_path, gateway):
    return gateway({"backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "p.sqlite3"),
                                           "chaos": {"latency": 1.0}}},
                    "store": str(tmp_path / "gw.sqlite3"),
                    "gateway": {"clients": CLIENTS, "poll_interval": 0.05}}, faces=["twilio", "messagebird", "plivo"])


def front(tmp_path, url: str, provider: str, **options) -> dict:
    return {"backends": {"p": {**BACKENDS[provider], "base_url": url, **options}},
            "store": str(tmp_path / "front.sqlite3")}


def lose_a_reply(config: dict, text: str) -> str:
    with Bridge.from_dict(config) as bridge:
        with pytest.raises(DeliveryUnknown) as info:
            bridge.send("+36301234567", text)
        assert bridge.status(info.value.message_id).status is Status.UNKNOWN
        return info.value.message_id


@pytest.mark.parametrize("provider", sorted(BACKENDS))
def test_a_lost_reply_is_found_by_searching(tmp_path, slow_gateway, provider):
    # Other messages to the same number, earlier, must not be mistaken for it.
    with Bridge.from_dict(front(tmp_path, slow_gateway.url, provider, timeout=10)) as bridge:
        bridge.send("+36301234567", "an earlier, different text")
    message_id = lose_a_reply(front(tmp_path, slow_gateway.url, provider, timeout=0.3), "lost and found")
    time.sleep(1.3)  # the gateway finishes the send the caller gave up on
    with Bridge.from_dict(front(tmp_path, slow_gateway.url, provider, timeout=10)) as later:
        (report,) = later.reconcile()
        assert report.id == message_id and report.status is not Status.UNKNOWN, report
        record = later.record(message_id)
        assert record.phase == "accepted" and record.provider_id
        assert later.journaled(status="unknown") == []
    texts = sorted(r.text for r in slow_gateway.bridge.journaled())
    assert texts == ["an earlier, different text", "lost and found"]  # each sent exactly once


@pytest.mark.parametrize("provider", sorted(BACKENDS))
def test_not_found_is_failed_only_after_the_grace_period(tmp_path, slow_gateway, provider):
    config = front(tmp_path, slow_gateway.url, provider, timeout=10)
    with Bridge.from_dict(config) as bridge:
        bridge.send("+36301234567", "a sent message the search must not confuse with the lost one")
        if provider != "plivo":  # Plivo keeps no text: it is only searched around a journaled time
            assert bridge.backend("p").lookup(Message(to="+36301234567", text="never sent", id="sb_000")) is None
    with MisbehavingServer("hang", only="essage") as dead:  # a provider that never answers the send
        message_id = lose_a_reply(front(tmp_path, dead.url, provider, timeout=0.3), "never arrived")
    with Bridge.from_dict(config) as later:  # default grace: 10 minutes
        (report,) = later.reconcile()
        assert report.status is Status.UNKNOWN and report.description.startswith("not found yet"), report
        assert later.record(message_id).status is Status.UNKNOWN  # still unknown: nothing re-sent
    config["backends"]["p"]["reconcile_grace"] = 0
    with Bridge.from_dict(config) as later:
        (report,) = later.reconcile()
        assert report.status is Status.FAILED
        assert later.record(message_id).phase == "failed"  # safe to send again


def test_reconcile_cli_says_per_backend_what_it_could_not_check(tmp_path, slow_gateway):
    connect = {"success": True, "error": False, "access_token": "tok-1234", "expires_in": 3600}
    with MisbehavingServer("hang", only="sendSMS", replies={"connect": connect}) as hanging:
        config = {"backends": {
            "tw": {**BACKENDS["twilio"], "base_url": slow_gateway.url, "timeout": 0.3},
            "rest": {"plugin": "simplesms-rest", "username": "u", "password": "pw-1234", "domain": "d.hu",
                     "base_url": hanging.url + "/rest/SMSapi/", "timeout": 0.3}},
            "store": str(tmp_path / "front.sqlite3")}
        with Bridge.from_dict(config) as bridge:
            for name in ("tw", "rest"):
                with pytest.raises(DeliveryUnknown):
                    bridge.send("+36301234567", f"via {name}", backend=name)
    time.sleep(1.3)
    config["backends"]["tw"]["timeout"] = 10
    path = tmp_path / "smsbridge.yaml"
    path.write_text(json.dumps(config))
    out = subprocess.run([sys.executable, "-m", "smsbridge.cli", "--config", str(path), "reconcile"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "backend tw: 1 settled" in lines
    (rest,) = [line for line in lines if line.startswith("backend rest:")]
    assert "0 settled; 1 not checked" in rest and "cannot look messages up" in rest
