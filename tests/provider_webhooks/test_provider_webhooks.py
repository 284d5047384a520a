"""Each provider's recorded delivery-report and inbound webhooks, posted to a real ``serve``.

The journal changes exactly for validly signed requests; invalid and missing signatures
get 403 and change nothing; duplicates and out-of-order reports never move a status
backwards; a report for a message not yet journaled is kept until it appears.
"""
from __future__ import annotations

from typing import Any

import pytest
import requests
from provider_webhooks.payloads import PROVIDERS, SIGNED, fixture, intermediate, journal_sent, post, webhook_config

from smsbridge import Bridge
from smsbridge.model import Message, Status
from smsbridge.reports import claim_reports

pytestmark = pytest.mark.usefixtures("hooks")


@pytest.fixture
def served(gateway: Any, tmp_path: Any) -> Any:
    server = gateway(Bridge.from_dict(webhook_config(tmp_path)))
    return server


def _url(server: Any, backend: str, kind: str) -> str:
    return f"{server.url}/webhooks/{backend}/{kind}"


def _events(bridge: Bridge, message_id: str) -> list[tuple[str, str | None]]:
    """The message's events in the order they were written (events carry the provider's own
    time, and the recorded payloads are dated years ago)."""
    rows = bridge.journal._db.execute("SELECT status, description FROM events WHERE message_id=? ORDER BY rowid",
                                      (message_id,)).fetchall()
    return [(r[0], r[1]) for r in rows]


# -- delivery reports ---------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
def test_valid_report_updates_the_journal_once(provider: str, served: Any, hooks: Any) -> None:
    data = fixture(provider, "status")
    message_id = journal_sent(served.bridge, provider, data["provider_id"])
    first = post(provider, _url(served, provider, "status"), data)
    assert first.status_code in (200, 204), first.text
    again = post(provider, _url(served, provider, "status"), data)  # the provider retries
    assert again.status_code in (200, 204)
    record = served.bridge.journal.get(message_id)
    assert record.status == Status(data["status"])
    events = _events(served.bridge, message_id)
    assert [e[0] for e in events] == ["queued", data["status"]]  # one event per change, none for the retry
    word = (data["payload"]["results"][0]["status"]["name"] if provider == "infobip"
            else data["payload"].get("MessageStatus") or data["payload"].get("status")
            or data["payload"].get("Status"))
    assert word in events[-1][1]  # the provider's own word is kept
    assert [(c[0], c[1], c[2], c[3].raw) for c in hooks.changes] == [(message_id, Status.QUEUED,
                                                                       Status(data["status"]), word)]
    assert served.bridge.status(message_id).status == Status(data["status"])


@pytest.mark.parametrize("how", ["invalid", "missing"])
@pytest.mark.parametrize("provider", SIGNED)
def test_bad_or_missing_signature_is_refused_and_changes_nothing(provider: str, how: str, served: Any,
                                                                  hooks: Any) -> None:
    data = fixture(provider, "status")
    message_id = journal_sent(served.bridge, provider, data["provider_id"])
    response = post(provider, _url(served, provider, "status"), data, how)
    assert response.status_code == 403
    assert served.bridge.journal.get(message_id).status == Status.QUEUED
    assert [e[0] for e in _events(served.bridge, message_id)] == ["queued"]
    assert hooks.changes == []


def test_infobip_does_not_sign_so_unsigned_reports_are_taken(served: Any) -> None:
    data = fixture("infobip", "status")
    message_id = journal_sent(served.bridge, "infobip", data["provider_id"])
    assert post("infobip", _url(served, "infobip", "status"), data, "missing").status_code == 200
    assert served.bridge.journal.get(message_id).status == Status.DELIVERED


@pytest.mark.parametrize("provider", PROVIDERS)
def test_out_of_order_reports_never_overwrite_a_final_status(provider: str, served: Any) -> None:
    final, earlier = fixture(provider, "status"), intermediate(provider)
    message_id = journal_sent(served.bridge, provider, final["provider_id"])
    assert post(provider, _url(served, provider, "status"), final).status_code in (200, 204)
    assert post(provider, _url(served, provider, "status"), earlier).status_code in (200, 204)
    assert served.bridge.journal.get(message_id).status == Status(final["status"])
    assert [e[0] for e in _events(served.bridge, message_id)] == ["queued", final["status"]]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_reports_in_order_record_each_step(provider: str, served: Any) -> None:
    final, earlier = fixture(provider, "status"), intermediate(provider)
    message_id = journal_sent(served.bridge, provider, final["provider_id"])
    post(provider, _url(served, provider, "status"), earlier)
    assert served.bridge.journal.get(message_id).status == Status.SENT
    post(provider, _url(served, provider, "status"), final)
    assert [e[0] for e in _events(served.bridge, message_id)] == ["queued", "sent", final["status"]]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_report_before_its_message_is_kept_and_applied_when_it_appears(provider: str, served: Any) -> None:
    data = fixture(provider, "status")
    assert post(provider, _url(served, provider, "status"), data).status_code in (200, 204)
    bridge = served.bridge
    assert bridge.journal.records() == []
    # The send's reply arrives after its delivery report: the Bridge journals it as accepted
    # and claims what was kept (Bridge._accepted does exactly this).
    message = Message(to="+15558675310", text="hello", id="sb_0000000000000000000000aa")
    bridge.journal.begin(message, attempt=provider)
    bridge.journal.accepted(message.id, provider, data["provider_id"], Status.QUEUED)
    assert claim_reports(bridge, message.id, provider, data["provider_id"]) == 1
    assert bridge.journal.get(message.id).status == Status(data["status"])
    assert claim_reports(bridge, message.id, provider, data["provider_id"]) == 0  # claimed once


def test_unknown_backend_and_wrong_payload(served: Any) -> None:
    assert requests.post(_url(served, "nosuch", "status"), data={}, timeout=5).status_code == 404
    twilio = fixture("twilio", "status")
    del twilio["payload"]["MessageStatus"], twilio["payload"]["SmsStatus"]
    assert post("twilio", _url(served, "twilio", "status"), twilio).status_code == 400
    sinch = {"method": "POST", "encoding": "json", "payload": {"type": "delivery_report_sms"}}
    assert post("sinch", _url(served, "sinch", "status"), sinch).status_code == 400


def test_signatures_cover_the_public_url_behind_a_proxy(gateway: Any, tmp_path: Any) -> None:
    public = "https://sms.example.com/gw"
    server = gateway(Bridge.from_dict(webhook_config(tmp_path, public_url=public)))
    data = fixture("twilio", "status")
    message_id = journal_sent(server.bridge, "twilio", data["provider_id"])
    local = _url(server, "twilio", "status")
    assert post("twilio", local, data).status_code == 403  # Twilio signed the URL it called
    assert post("twilio", local, data, signed_url=f"{public}/webhooks/twilio/status").status_code == 204
    assert server.bridge.journal.get(message_id).status == Status.DELIVERED


# -- inbound SMS --------------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
def test_inbound_is_normalised_journaled_and_announced_once(provider: str, served: Any,
                                                            hooks: Any) -> None:
    data = fixture(provider, "inbound")
    assert post(provider, _url(served, provider, "inbound"), data).status_code in (200, 204)
    assert post(provider, _url(served, provider, "inbound"), data).status_code in (200, 204)  # a retry
    got = served.bridge.inbound()
    assert len(got) == 1
    message = got[0]
    assert (message.from_, message.to, message.text, message.backend, message.provider_id) == (
        data["from"], data["to"], data["text"], provider, data["provider_id"])
    assert message.raw and message.id.startswith("in_")
    assert [m.id for m in hooks.inbound] == [message.id]


@pytest.mark.parametrize("how", ["invalid", "missing"])
@pytest.mark.parametrize("provider", SIGNED)
def test_inbound_with_bad_or_missing_signature_is_refused(provider: str, how: str, served: Any,
                                                          hooks: Any) -> None:
    data = fixture(provider, "inbound")
    assert post(provider, _url(served, provider, "inbound"), data, how).status_code == 403
    assert served.bridge.inbound() == []
    assert hooks.inbound == []


def test_twilio_inbound_answers_empty_twiml(served: Any) -> None:
    response = post("twilio", _url(served, "twilio", "inbound"), fixture("twilio", "inbound"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.endswith("<Response></Response>")


@pytest.mark.parametrize("encoding", ["form", "json"])
def test_vonage_receipts_by_post_form_and_post_json(encoding: str, served: Any) -> None:
    data = fixture("vonage", "status")
    data.update(method="POST", encoding=encoding)
    message_id = journal_sent(served.bridge, "vonage", data["provider_id"])
    assert post("vonage", _url(served, "vonage", "status"), data, "invalid").status_code == 403
    assert post("vonage", _url(served, "vonage", "status"), data).status_code == 204
    assert served.bridge.journal.get(message_id).status == Status.DELIVERED


def test_a_failed_report_keeps_the_providers_error_code(served: Any) -> None:
    data = fixture("twilio", "status")
    data["payload"].update(MessageStatus="undelivered", SmsStatus="undelivered", ErrorCode="30003")
    message_id = journal_sent(served.bridge, "twilio", data["provider_id"])
    assert post("twilio", _url(served, "twilio", "status"), data).status_code == 204
    assert served.bridge.journal.get(message_id).status == Status.UNDELIVERED
    [last] = [e for e in served.bridge.journal.events(message_id) if e.status == Status.UNDELIVERED]
    assert (last.code, last.description) == ("30003", "Twilio: undelivered (error 30003)")
