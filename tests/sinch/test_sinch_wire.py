"""Sinch XMS wire format: tables of the real payloads in shared/providers.md §5."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smsbridge_plugins.sinch import wire
from wire_fuzz import json_values, read_raising_only_smsbridge_errors

from smsbridge.errors import (
    AuthenticationError,
    DeliveryUnknown,
    InsufficientCredit,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
)
from smsbridge.model import Status

# What the SDK put on the wire (providers.md §5.3, verified).
SDK_SEND_BODY = {"to": ["46701234567"], "from": "12345", "body": "Hello Sinch", "type": "mt_text",
                 "delivery_report": "full", "callback_url": "http://127.0.0.1:9/dlr", "client_reference": "ref-1"}
API_BATCH = {"id": "01FC66621XXXXX119Z8PMV1QPQ", "to": ["46701234567"], "from": "12345", "canceled": False,
             "body": "Hello Sinch", "type": "mt_text", "created_at": "2019-08-24T14:15:22Z",
             "modified_at": "2019-08-24T14:15:22Z", "delivery_report": "none", "flash_message": False,
             "feedback_enabled": False}


@pytest.mark.parametrize("word,status", [
    ("Queued", Status.QUEUED), ("Dispatched", Status.SENT), ("Delivered", Status.DELIVERED),
    ("Failed", Status.UNDELIVERED), ("Expired", Status.EXPIRED), ("Rejected", Status.REJECTED),
    ("Aborted", Status.REJECTED), ("Cancelled", Status.REJECTED), ("Deleted", Status.FAILED),
    ("Unknown", Status.UNKNOWN), ("DELIVERED", Status.DELIVERED), ("huh", Status.UNKNOWN),
])
def test_status_words(word, status):
    assert wire.to_status(word) is status


@pytest.mark.parametrize("status", list(Status))
def test_status_round_trip_keeps_finality(status):
    back = wire.to_status(wire.from_status(status))
    assert back.final == status.final


def test_ids_are_ulids():
    before = wire.new_id(time.time() - 1)
    ids = [wire.new_id() for _ in range(50)]
    assert all(len(i) == 26 and wire.is_id(i) for i in ids)
    assert len(set(ids)) == 50
    assert before[:10] < ids[0][:10]          # time-ordered prefix
    assert wire.is_id(API_BATCH["id"]) and not wire.is_id("01fc66621xxxxx119z8pmv1qpq")


def test_build_send_matches_the_sdk():
    assert wire.build_send("46701234567", "Hello Sinch", "12345", delivery_report="full",
                           callback_url="http://127.0.0.1:9/dlr", client_reference="ref-1") == SDK_SEND_BODY


def test_parse_send_request_reads_the_sdk_body():
    req = wire.parse_send_request(SDK_SEND_BODY)
    assert req.to == ("+46701234567",) and req.sender == "12345" and req.body == "Hello Sinch"
    assert (req.delivery_report, req.callback_url, req.client_reference) == ("full", "http://127.0.0.1:9/dlr", "ref-1")


@pytest.mark.parametrize("data,code", [
    ({"to": [], "body": "x"}, "syntax_constraint_violation"),
    ({"body": "x"}, "syntax_constraint_violation"),
    ({"to": ["abc"], "body": "x"}, "syntax_invalid_parameter_format"),
    ({"to": [46701234567], "body": "x"}, "syntax_invalid_parameter_format"),
    ({"to": ["46701234567"]}, "syntax_constraint_violation"),
    ({"to": ["46701234567"], "body": "x", "type": "mt_binary"}, "syntax_constraint_violation"),
    ({"to": ["46701234567"], "body": "x", "delivery_report": "weird"}, "syntax_invalid_parameter_format"),
    ({"to": ["46701234567"], "body": "x", "callback_url": "x"}, "syntax_invalid_parameter_format"),
    ("[]", "syntax_invalid_json"),
])
def test_bad_send_requests(data, code):
    with pytest.raises(wire.WireError) as info:
        wire.parse_send_request(data)
    assert info.value.status == 400 and info.value.code == code
    assert set(wire.reply_for_error(info.value)[1]) == {"code", "text"}


def test_batch_json_round_trip():
    created = datetime(2019, 8, 24, 14, 15, 22, tzinfo=timezone.utc)
    data = wire.batch_json(id=API_BATCH["id"], to=["+46701234567"], sender="12345", body="Hello Sinch",
                           created_at=created)
    assert {k: data[k] for k in API_BATCH if k not in ("created_at", "modified_at")} == \
        {k: v for k, v in API_BATCH.items() if k not in ("created_at", "modified_at")}
    assert data["created_at"] == "2019-08-24T14:15:22.000Z"
    parsed = wire.parse_batch(data)
    assert parsed.to == ("+46701234567",) and parsed.created_at == created
    assert wire.parse_batch(API_BATCH).created_at == created


def test_summary_and_full_reports():
    full = wire.summary_report_json("B", [("+46701234567", Status.DELIVERED)], full=True, client_reference="r")
    assert full == {"type": "delivery_report_sms", "batch_id": "B", "client_reference": "r",
                    "statuses": [{"code": 0, "count": 1, "status": "Delivered", "recipients": ["46701234567"]}],
                    "total_message_count": 1}
    assert wire.parse_report(full).status is Status.DELIVERED
    empty = {"type": "delivery_report_sms", "batch_id": "B", "statuses": [], "total_message_count": 1}
    assert wire.parse_report(empty).status is Status.QUEUED
    mixed = wire.summary_report_json("B", [("+1", Status.DELIVERED), ("+2", Status.QUEUED)])
    assert wire.parse_report(mixed).status is Status.QUEUED


def test_recipient_report():
    at = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rep = wire.recipient_report_json("B", "+46701234567", Status.SENT, at=at, client_reference="r")
    assert rep["type"] == "recipient_delivery_report_sms" and rep["code"] == 401 and rep["status"] == "Dispatched"
    assert rep["at"] == "2024-01-01T00:00:00.000Z" and rep["recipient"] == "46701234567"
    parsed = wire.parse_report(rep)
    assert (parsed.status, parsed.recipient, parsed.at, parsed.code) == (Status.SENT, "+46701234567", at, 401)


@pytest.mark.parametrize("status,body,error", [
    (401, {"code": "unauthorized", "text": "Invalid token"}, AuthenticationError),
    (400, {"code": "syntax_invalid_parameter_format", "text": "to: invalid MSISDN"}, InvalidNumber),
    (400, {"code": "syntax_constraint_violation", "text": "body: must not be empty"}, InvalidMessage),
    (400, {"code": "syntax_constraint_violation", "text": "something else"}, ProviderError),
    (403, {"code": "insufficient_credit", "text": "no money"}, InsufficientCredit),
    (404, {"code": "not_found", "text": "x"}, NotFound),
    (503, None, ProviderUnavailable),
])
def test_error_replies(status, body, error):
    assert type(wire.error_from_reply(status, body)) is error


@pytest.mark.parametrize("exc,status", [
    (InvalidNumber("x"), 400), (InvalidMessage("x"), 400), (NotFound("x"), 404), (InsufficientCredit("x"), 403),
    (ProviderUnavailable("x"), 503), (DeliveryUnknown("x"), 500),
])
def test_reply_for_error_round_trips(exc, status):
    http_status, body = wire.reply_for_error(exc)
    assert http_status == status
    if not isinstance(exc, (ProviderUnavailable, DeliveryUnknown)):
        assert type(wire.error_from_reply(http_status, body)) is type(exc)


_json = json_values()
_keys = st.sampled_from(["to", "from", "body", "type", "delivery_report", "callback_url", "client_reference"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, st.dictionaries(_keys, _json, max_size=8)))
def test_parse_send_request_never_crashes(data):
    try:
        wire.parse_send_request(data)
    except wire.WireError as exc:
        assert exc.status == 400


@settings(max_examples=200, deadline=None)
@given(_json)
def test_reply_readers_raise_only_smsbridge_errors(data):
    read_raising_only_smsbridge_errors((wire.parse_batch, wire.parse_send_reply, wire.parse_report), data)
    wire.error_from_reply(400, data)


def test_provider_id_for_is_a_reversible_ulid_with_the_send_time():
    from smsbridge.bridge import new_message_id

    for _ in range(200):
        message_id = new_message_id()
        batch_id = wire.provider_id_for(message_id)
        assert wire.is_id(batch_id) and wire.message_id_in(batch_id) == message_id
    # The ULID's time part is the message id's milliseconds: ids sort by time.
    ms = int(message_id[3:15], 16)
    value = 0
    for ch in batch_id[:10]:
        value = value * 32 + wire._CROCKFORD.index(ch)
    assert value == ms
    assert wire.message_id_in(wire.new_id()) is None


# -- the core wire convention (issue 17) ------------------------------------------------------------

def test_the_module_follows_the_wire_convention():
    from smsbridge import wire as convention

    assert convention.check_wire(wire) == []
    assert issubclass(wire.WireError, convention.WireError)


def test_times_on_the_wire_keep_their_bytes():
    when = datetime(2019, 8, 24, 14, 15, 22, 123456, tzinfo=timezone.utc)
    assert wire.format_time(when) == "2019-08-24T14:15:22.123Z"
    assert wire.format_time(when.replace(tzinfo=None)) == "2019-08-24T14:15:22.123Z"
    assert wire.format_time(None) is None
    assert wire.parse_time("2019-08-24T14:15:22.123Z") == when.replace(microsecond=123000)
    assert wire.parse_time("2019-08-24T14:15:22") == when.replace(microsecond=0)
    assert wire.parse_time("not a date") is None and wire.parse_time(42) is None


@pytest.mark.parametrize("status,body,error", [
    (403, {"code": "forbidden", "text": "no access to this plan"}, AuthenticationError),
    (403, {"code": "out_of_credit", "text": "no money"}, InsufficientCredit),
    (400, {"code": "illegal_number_type", "text": "to: landline"}, InvalidNumber),
    (400, {"code": "syntax_invalid_parameter_format", "text": "from: too long"}, InvalidMessage),
    (401, {"code": "syntax_invalid_parameter_format", "text": "to: x"}, AuthenticationError),
    (429, {"code": "too_many_requests", "text": "slow down"}, ProviderUnavailable),
    (500, {"code": "internal_error", "text": "boom"}, ProviderUnavailable),
])
def test_more_error_replies(status, body, error):
    assert type(wire.error_from_reply(status, body)) is error


@pytest.mark.parametrize("status,body", [
    (500, {"code": "internal_error", "text": "boom"}),
    (502, None),
    (500, {"code": "syntax_invalid_parameter_format", "text": "to: x"}),
])
def test_a_5xx_to_a_send_is_delivery_unknown(status, body):
    """Sinch may have taken the batch before failing: never re-sent."""
    assert type(wire.error_from_reply(status, body, sending=True)) is DeliveryUnknown


def test_a_send_reply_without_a_batch_is_delivery_unknown():
    with pytest.raises(DeliveryUnknown):
        wire.parse_send_reply({"to": ["46701234567"]}, backend="sinch")
    assert wire.parse_send_reply(API_BATCH).id == API_BATCH["id"]


def test_a_wire_error_is_answered_as_it_is():
    refusal = wire.WireError("GET is not supported", status=405, code="method_not_allowed")
    assert wire.reply_for_error(refusal) == (405, {"code": "method_not_allowed", "text": "GET is not supported"})
    assert wire.reply_for_error(KeyError("x")) == (500, {"code": "internal_error", "text": "Internal error"})


def test_new_ids_are_ulids_of_their_time():
    ms = 1_700_000_000_000
    value = int(wire.ID_SHAPE.digits_in(wire.new_id(ms / 1000)), 16)
    assert value >> 80 == ms
