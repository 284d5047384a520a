"""`status()`/`history()` answer from the journal whenever the provider look-up fails (issue 11 item 6).

A front Bridge sends through the Twilio backend to a real gateway (Twilio face over the
sandbox); a later Bridge on the same journal points that backend at a provider that answers
404 (it "lost" the message), 500, or refuses connections.  None of that is an error for
the caller: the journal knows the message was accepted.
"""
from __future__ import annotations

import pytest
from scripted_server import ScriptedServer

from smsbridge import Bridge, Status

AC = "AC" + "1" * 32
TOKEN = "shop-auth-token"


def front(tmp_path, base_url: str) -> Bridge:
    return Bridge.from_dict({"backends": {"tw": {"plugin": "twilio", "account_sid": AC, "auth_token": TOKEN,
                                                 "sender": "+15017122661", "base_url": base_url, "timeout": 3}},
                             "store": str(tmp_path / "front.sqlite3")})


@pytest.fixture
def sent(tmp_path, gateway):
    server = gateway({"backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "sb.sqlite3"),
                                             "delivery_delay": 3600}},
                      "store": str(tmp_path / "gw.sqlite3"),
                      "gateway": {"clients": {"shop": {"twilio": {"account_sid": AC, "auth_token": TOKEN}}}}},
                     faces=["twilio"])
    with front(tmp_path, server.url) as bridge:
        receipt = bridge.send("+36301234567", "journaled and accepted")
        assert bridge.status(receipt.id).status is Status.QUEUED  # the provider answers, while it can
    return receipt


@pytest.mark.parametrize("answer", [404, 500, "refused"])
def test_a_failing_provider_look_up_is_answered_from_the_journal(tmp_path, sent, answer, free_port):
    twilio_404 = {"code": 20404, "message": "The requested resource was not found", "status": 404}
    if answer == "refused":
        url, server = f"http://127.0.0.1:{free_port}", None
    else:
        server = ScriptedServer(lambda request: (answer, twilio_404 if answer == 404 else "<h1>oops</h1>"))
        url = server.url
    try:
        with front(tmp_path, url) as later:
            report = later.status(sent.id)
            assert (report.id, report.status) == (sent.id, Status.QUEUED)
            events = later.history(sent.id)
            assert [e.status for e in events] == [Status.QUEUED]
            assert later.record(sent.id).phase == "accepted"  # nothing was rewritten
        if server is not None:  # the provider really was asked
            assert server.requests and all(r.method == "GET" and sent.provider_id in r.path
                                           for r in server.requests)
    finally:
        if server is not None:
            server.close()


def test_history_too_answers_from_the_journal_when_the_provider_lost_the_message(tmp_path):
    config = {"backends": {"sb": {"plugin": "sandbox", "path": str(tmp_path / "provider.sqlite3"),
                                  "delivery_delay": 3600}},
              "store": str(tmp_path / "journal.sqlite3")}
    with Bridge.from_dict(config) as bridge:
        receipt = bridge.send("+36301234567", "the provider will forget this")
    (tmp_path / "provider.sqlite3").unlink()  # the provider lost it: its look-ups say NotFound
    config["backends"]["sb"]["path"] = str(tmp_path / "other.sqlite3")
    with Bridge.from_dict(config) as later:
        assert later.status(receipt.id).status is Status.QUEUED
        assert [e.status for e in later.history(receipt.id)] == [Status.QUEUED]
