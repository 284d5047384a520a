"""MessageBird wire format: tables of the real payloads in shared/providers.md §3."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from smsbridge_plugins.messagebird import wire

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

# What the SDK put on the wire (providers.md §3.3, verified).
SDK_SEND_BODY = {"reference": "ref-1", "reportUrl": "http://127.0.0.1:9/dlr", "originator": "smsbridge",
                 "body": "Hello MB", "recipients": "31612345678"}

# A message JSON as the API documents it (providers.md §3.2).
API_MESSAGE = {
    "id": "e8077d803532c0b5937c639b60216938", "href": "https://rest.messagebird.com/messages/e8077d80",
    "direction": "mt", "type": "sms", "originator": "YourName", "body": "This is a test message",
    "reference": None, "validity": None, "gateway": None, "typeDetails": {}, "datacoding": "plain",
    "mclass": 1, "scheduledDatetime": None, "createdDatetime": "2016-05-03T14:26:57+00:00",
    "recipients": {"totalCount": 1, "totalSentCount": 1, "totalDeliveredCount": 0,
                   "totalDeliveryFailedCount": 0,
                   "items": [{"recipient": 31612345678, "status": "sent",
                              "statusDatetime": "2016-05-03T14:26:57+00:00"}]},
}


@pytest.mark.parametrize("word,status", [
    ("scheduled", Status.QUEUED), ("sent", Status.SENT), ("buffered", Status.SENT),
    ("delivered", Status.DELIVERED), ("expired", Status.EXPIRED), ("delivery_failed", Status.UNDELIVERED),
    ("SENT", Status.SENT), ("nonsense", Status.UNKNOWN), (None, Status.UNKNOWN),
])
def test_status_words(word, status):
    assert wire.to_status(word) is status


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_word_that_reads_back_close(status):
    word = wire.from_status(status)
    assert word in wire.STATUSES.incoming
    back = wire.to_status(word)
    assert back.final == status.final or status is Status.UNKNOWN


def test_ids_are_32_hex():
    ids = {wire.new_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(wire.is_id(i) for i in ids)
    assert not wire.is_id("SM" + "0" * 32)


def test_build_send_matches_what_the_sdk_writes():
    body = wire.build_send("+31612345678", "Hello MB", "smsbridge", reference="ref-1",
                           report_url="http://127.0.0.1:9/dlr")
    assert body == SDK_SEND_BODY


def test_parse_send_request_reads_the_sdk_body():
    req = wire.parse_send_request(SDK_SEND_BODY)
    assert req.recipients == ("+31612345678",)
    assert (req.originator, req.body, req.reference, req.report_url) == \
        ("smsbridge", "Hello MB", "ref-1", "http://127.0.0.1:9/dlr")


@pytest.mark.parametrize("recipients,expected", [
    ("31612345678,31687654321", ("+31612345678", "+31687654321")),
    (["31612345678", "+31687654321"], ("+31612345678", "+31687654321")),
    (31612345678, ("+31612345678",)),
    ([31612345678], ("+31612345678",)),
    (" +31612345678 , ", ("+31612345678",)),
])
def test_recipients_comma_string_or_array(recipients, expected):
    req = wire.parse_send_request({"originator": "x", "body": "b", "recipients": recipients})
    assert req.recipients == expected


@pytest.mark.parametrize("data,code,parameter", [
    ({"originator": "x", "body": "b", "recipients": ""}, 9, "recipients"),
    ({"originator": "x", "body": "b"}, 9, "recipients"),
    ({"originator": "x", "body": "b", "recipients": "abc"}, 9, "recipients"),
    ({"originator": "x", "body": "b", "recipients": [{"a": 1}]}, 9, "recipients"),
    ({"originator": "x", "body": "b", "recipients": True}, 9, "recipients"),
    ({"body": "b", "recipients": "31612345678"}, 9, "originator"),
    ({"originator": "x", "recipients": "31612345678"}, 9, "body"),
    ({"originator": "x", "body": "", "recipients": "31612345678"}, 9, "body"),
    ({"originator": "x", "body": 5, "recipients": "31612345678"}, 9, "body"),
    ({"originator": "averyveryverylongname", "body": "b", "recipients": "31612345678"}, 10, "originator"),
    ({"originator": "x", "body": "b", "recipients": "31612345678", "type": "binary"}, 10, "type"),
    ({"originator": "x", "body": "b", "recipients": "31612345678", "reportUrl": "ftp://x"}, 10, "reportUrl"),
    ({"originator": "x", "body": "b", "recipients": "31612345678", "datacoding": "x"}, 10, "datacoding"),
    ([1, 2], 21, None),
    ("text", 21, None),
])
def test_bad_send_requests_are_422_with_a_parameter(data, code, parameter):
    with pytest.raises(wire.WireError) as info:
        wire.parse_send_request(data)
    assert info.value.code == code and info.value.field == parameter
    assert info.value.status == 422
    status, body = wire.reply_for_error(info.value)
    assert status == 422 and body == {"errors": [{"code": code, "description": info.value.message,
                                                  "parameter": parameter}]}


def test_message_json_round_trip_and_types():
    created = datetime(2016, 5, 3, 14, 26, 57, 123456, tzinfo=timezone.utc)
    data = wire.message_json(id="e8077d803532c0b5937c639b60216938", originator="YourName",
                             body="This is a test message", recipients=[("+31612345678", Status.SENT, None)],
                             created_at=created)
    assert set(API_MESSAGE) <= set(data)
    assert data["createdDatetime"] == "2016-05-03T14:26:57+00:00"
    item = data["recipients"]["items"][0]
    assert item["recipient"] == 31612345678 and isinstance(item["recipient"], int)
    assert item["status"] == "sent"
    json.dumps(data)
    parsed = wire.parse_message(data)
    assert parsed.status is Status.SENT and parsed.recipients == (("+31612345678", "sent"),)


def test_parse_api_message():
    parsed = wire.parse_message(API_MESSAGE)
    assert parsed.id == "e8077d803532c0b5937c639b60216938"
    assert parsed.status is Status.SENT
    assert parsed.created_at == datetime(2016, 5, 3, 14, 26, 57, tzinfo=timezone.utc)


@pytest.mark.parametrize("status,counts", [
    (Status.DELIVERED, (1, 1, 0)), (Status.UNDELIVERED, (1, 0, 1)), (Status.QUEUED, (1, 0, 0)),
    (Status.SCHEDULED, (0, 0, 0)),
])
def test_recipient_counters(status, counts):
    data = wire.message_json(id=wire.new_id(), originator="x", body="b",
                             recipients=[("+31612345678", status, None)], created_at=None)
    r = data["recipients"]
    assert (r["totalSentCount"], r["totalDeliveredCount"], r["totalDeliveryFailedCount"]) == counts


def test_list_json_has_the_sdk_keys_and_links():
    data = wire.list_json([API_MESSAGE], offset=0, limit=1, total=3)
    assert set(data) == {"offset", "limit", "count", "totalCount", "links", "items"}
    assert set(data["links"]) == {"first", "previous", "next", "last"}
    assert data["links"]["previous"] is None and "offset=1" in data["links"]["next"]
    assert [m.id for m in wire.parse_list(data)] == [API_MESSAGE["id"]]


def test_balance_both_ways():
    assert wire.parse_balance({"payment": "prepaid", "type": "credits", "amount": 9.2}) == (Decimal("9.2"), "credits")
    assert wire.balance_json(Decimal("9.2")) == {"payment": "prepaid", "type": "credits", "amount": 9.2}
    with pytest.raises(ProviderError):
        wire.parse_balance({})


@pytest.mark.parametrize("status,body,error", [
    (401, {"errors": [{"code": 2, "description": "Request not allowed (incorrect access_key)",
                       "parameter": "access_key"}]}, AuthenticationError),
    (422, {"errors": [{"code": 9, "description": "no (correct) recipients found",
                       "parameter": "recipients"}]}, InvalidNumber),
    (422, {"errors": [{"code": 25, "description": "Not enough balance", "parameter": None}]}, InsufficientCredit),
    (404, {"errors": [{"code": 20, "description": "message not found", "parameter": None}]}, NotFound),
    (422, {"errors": [{"code": 9, "description": "body is required", "parameter": "body"}]}, InvalidMessage),
    (422, {"errors": [{"code": 99, "description": "Internal error", "parameter": None}]}, ProviderError),
    (422, {"errors": [{"code": 10, "description": "type is invalid", "parameter": "type"}]}, ProviderError),
    (503, "not json", ProviderUnavailable),
    (429, None, ProviderUnavailable),
    (500, None, ProviderUnavailable),
])
def test_error_replies(status, body, error):
    exc = wire.error_from_reply(status, body, backend="mb")
    assert type(exc) is error
    if type(exc) is ProviderError:  # MessageBird documents no refusal as coming before acceptance
        assert not exc.retry_safe and exc.code == str(body["errors"][0]["code"])


@pytest.mark.parametrize("status,body", [(500, None), (502, "<html>"),
                                          (500, {"errors": [{"code": 99, "description": "Internal error"}]})])
def test_a_5xx_to_a_send_is_unknown(status, body):
    assert type(wire.error_from_reply(status, body, sending=True)) is DeliveryUnknown


def test_face_errors_read_back_as_the_same_error_class():
    for error in (InvalidNumber("x"), InvalidMessage("empty"), InsufficientCredit("x"), NotFound("x"),
                  InvalidMessage("bad sender", reason="bad_sender")):
        status, body = wire.reply_for_error(error)
        assert type(wire.error_from_reply(status, body, sending=True)) is type(error)
    status, body = wire.reply_for_error(DeliveryUnknown("upstream may have sent it"))
    assert not wire.error_from_reply(status, body, sending=True).retry_safe  # never failed over


@pytest.mark.parametrize("exc,status,code", [
    (InvalidNumber("bad"), 422, 9), (InvalidMessage("empty"), 422, 10), (NotFound("x"), 404, 20),
    (InsufficientCredit("x"), 422, 25), (ProviderUnavailable("down"), 422, 99),
    (DeliveryUnknown("?"), 422, 99), (AuthenticationError("upstream"), 422, 99),
])
def test_faces_only_use_statuses_the_sdk_parses(exc, status, code):
    got_status, body = wire.reply_for_error(exc)
    assert (got_status, body["errors"][0]["code"]) == (status, code)
    assert got_status in (401, 404, 405, 422)


@pytest.mark.parametrize("header,key", [
    ("AccessKey test_gshuPaZoeEG6ovbc8M79w0QyM", "test_gshuPaZoeEG6ovbc8M79w0QyM"),
    ("accesskey  abc ", "abc"), ("Bearer abc", None), ("AccessKey", None), ("", None), (None, None),
])
def test_auth_header(header, key):
    assert wire.parse_auth_header(header) == key


def test_report_query_round_trip():
    at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    q = wire.report_query(id="e8077d803532c0b5937c639b60216938", recipient="+31612345678",
                          status=Status.DELIVERED, at=at, reference="ref-1")
    assert q == {"id": "e8077d803532c0b5937c639b60216938", "reference": "ref-1", "recipient": "31612345678",
                 "status": "delivered", "statusDatetime": "2024-01-02T03:04:05+00:00"}
    assert wire.parse_report(q) == ("e8077d803532c0b5937c639b60216938", "+31612345678", Status.DELIVERED, at)
    failed = wire.report_query(id="x", recipient="+1", status=Status.UNDELIVERED, at=at)
    assert failed["status"] == "delivery_failed" and failed["statusReason"]


# -- hostile input: a face's parser raises only WireError, whatever the JSON ------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from wire_fuzz import json_values, read_raising_only_smsbridge_errors  # noqa: E402

_json = json_values(floats=True)
_keys = st.sampled_from(["originator", "body", "recipients", "reference", "reportUrl", "datacoding", "type",
                         "validity"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, st.dictionaries(_keys, _json, max_size=8)))
def test_parse_send_request_never_crashes(data):
    try:
        req = wire.parse_send_request(data)
    except wire.WireError as exc:
        assert exc.status in (401, 404, 422)
    else:
        assert req.recipients and all(r.startswith("+") for r in req.recipients)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_reply_readers_raise_only_smsbridge_errors(data):
    read_raising_only_smsbridge_errors((wire.parse_message, wire.parse_balance, wire.parse_list), data)
    wire.error_from_reply(422, data)


def test_id_for_is_reversible_for_smsbridge_ids():
    from smsbridge.bridge import new_message_id

    for _ in range(200):
        message_id = new_message_id()
        mb_id = wire.provider_id_for(message_id)
        assert wire.is_id(mb_id) and wire.message_id_in(mb_id) == message_id
    assert wire.message_id_in(wire.new_id()) is None
    assert wire.is_id(wire.provider_id_for("some-other-id")) and wire.message_id_in("nope") is None


def test_the_wire_module_follows_the_core_convention():
    from smsbridge.wire import check_wire

    assert check_wire(wire) == []


def test_moments_as_the_api_writes_them():
    at = datetime(2016, 5, 3, 14, 26, 57, 999999, tzinfo=timezone.utc)
    assert wire.format_time(at) == "2016-05-03T14:26:57+00:00"
    assert wire.format_time(at.replace(tzinfo=None)) == "2016-05-03T14:26:57+00:00"
    for text in ("2016-05-03T14:26:57+00:00", "2016-05-03T14:26:57Z", "2016-05-03T16:26:57+02:00"):
        assert wire.parse_time(text) == at.replace(microsecond=0)
    assert wire.parse_time("yesterday") is None and wire.parse_time(None) is None


def test_error_codes_carry_their_parameter_and_print_bare():
    code = wire.ErrorCode(9, "recipients")
    assert code == 9 and str(code) == "9" and json.dumps({"code": code}) == '{"code": 9}'
    assert code.parameter == "recipients"
    err = wire.error_from_reply(422, {"errors": [{"code": 21, "description": "Bad request", "parameter": None}]})
    assert err.code == "21"
