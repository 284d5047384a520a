"""Scheduled messages through the official Twilio SDK (issue 12, item 4): ScheduleType=fixed
+ SendAt, held by smsbridge; cancel with Status=canceled; Twilio's scheduling rules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

SERVICE = "MG" + "a" * 32


def test_schedule_then_cancel_through_the_sdk(twilio_client, twilio_gateway):
    send_at = datetime.now(timezone.utc) + timedelta(hours=2)
    m = twilio_client.messages.create(to="+36301234567", messaging_service_sid=SERVICE, body="later",
                                      schedule_type="fixed", send_at=send_at)
    assert m.status == "scheduled"
    assert twilio_client.messages(m.sid).fetch().status == "scheduled"
    (record,) = twilio_gateway.bridge.journaled()
    assert record.phase == "scheduled" and abs(record.send_at - send_at) < timedelta(seconds=1)
    assert twilio_gateway.bridge.dispatch() == []  # not due
    canceled = twilio_client.messages(m.sid).update(status="canceled")
    assert canceled.status == "canceled"
    assert twilio_client.messages(m.sid).fetch().status == "canceled"
    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(TwilioRestException) as again:  # no longer scheduled
        twilio_client.messages(m.sid).update(status="canceled")
    assert again.value.status == 400


def test_twilio_scheduling_rules(twilio_client, twilio_gateway):
    from twilio.base.exceptions import TwilioRestException

    soon = datetime.now(timezone.utc) + timedelta(minutes=5)
    with pytest.raises(TwilioRestException) as no_service:
        twilio_client.messages.create(to="+36301234567", from_="+15017122661", body="x", schedule_type="fixed",
                                      send_at=datetime.now(timezone.utc) + timedelta(hours=1))
    assert no_service.value.code == 35111
    for when in (soon, datetime.now(timezone.utc) + timedelta(days=40)):
        with pytest.raises(TwilioRestException) as lead:
            twilio_client.messages.create(to="+36301234567", messaging_service_sid=SERVICE, body="x",
                                          schedule_type="fixed", send_at=when)
        assert lead.value.code == 35114
    assert twilio_gateway.bridge.journaled() == []
