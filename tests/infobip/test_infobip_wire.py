"""Infobip wire format (v3 and the deprecated v2): the real payloads of shared/providers.md §6."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smsbridge_plugins.infobip import wire
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

# What the 6.x SDK put on the wire (providers.md §6.3, verified).
SDK6_BODY = {"messages": [{"sender": "InfoSMS", "destinations": [{"to": "41793026727"}],
                           "content": {"text": "Hello Infobip"},
                           "webhooks": {"delivery": {"url": "http://127.0.0.1:9/dlr"}, "callbackData": "ref-1"}}]}
# A 5.x body: every unset field an explicit null.
SDK5_BODY = {"bulkId": None, "messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727", "messageId": None}],
                                           "text": "Hello Infobip", "flash": None, "language": None,
                                           "transliteration": None, "intermediateReport": None,
                                           "notifyUrl": "http://127.0.0.1:9/dlr", "notifyContentType": None,
                                           "callbackData": None, "validityPeriod": None, "sendAt": None,
                                           "deliveryTimeWindow": None, "regional": None, "entityId": None,
                                           "applicationId": None}],
             "sendingSpeedLimit": None, "urlOptions": None, "tracking": None}
STATUS_PENDING = {"groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED",
                  "description": "Message sent to next instance"}


@pytest.mark.parametrize("obj,status", [
    (STATUS_PENDING, Status.QUEUED),
    ({"groupId": 1, "groupName": "PENDING", "id": 7, "name": "PENDING_ENROUTE"}, Status.SENT),
    ({"groupId": 1, "groupName": "PENDING", "id": 3, "name": "PENDING_WAITING_DELIVERY"}, Status.SENT),
    ({"groupId": 3, "groupName": "DELIVERED", "id": 2, "name": "DELIVERED_TO_OPERATOR"}, Status.SENT),
    ({"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"}, Status.DELIVERED),
    ({"groupId": 2, "groupName": "UNDELIVERABLE", "id": 4, "name": "UNDELIVERABLE_REJECTED_OPERATOR"}, Status.FAILED),
    ({"groupId": 2, "groupName": "UNDELIVERABLE", "id": 9, "name": "UNDELIVERABLE_NOT_DELIVERED"}, Status.UNDELIVERED),
    ({"groupId": 4, "groupName": "EXPIRED", "id": 15, "name": "EXPIRED_EXPIRED"}, Status.EXPIRED),
    ({"groupId": 5, "groupName": "REJECTED", "id": 12, "name": "REJECTED_NOT_ENOUGH_CREDITS"}, Status.REJECTED),
    ({"groupName": "ACCEPTED"}, Status.QUEUED),
    ({"groupId": 3}, Status.DELIVERED),
    ({"name": "REJECTED_SOMETHING_NEW"}, Status.REJECTED),
    ("DELIVERED_TO_HANDSET", Status.DELIVERED),
    (None, Status.UNKNOWN), ({}, Status.UNKNOWN),
])
def test_status_objects(obj, status):
    assert wire.status_from_object(obj) is status


@pytest.mark.parametrize("status", list(Status))
def test_status_objects_are_complete_and_read_back(status):
    obj = wire.status_object(status)
    assert set(obj) == {"groupId", "groupName", "id", "name", "description"}
    back = wire.status_from_object(obj)
    assert back.final == status.final


def test_build_send_matches_the_sdk():
    assert wire.build_send("+41793026727", "Hello Infobip", "InfoSMS", notify_url="http://127.0.0.1:9/dlr",
                           callback_data="ref-1") == SDK6_BODY


def test_parse_v3_request():
    [req] = wire.parse_send_request(SDK6_BODY)
    assert req.sender == "InfoSMS" and req.text == "Hello Infobip"
    assert [d.to for d in req.destinations] == ["+41793026727"]
    assert req.notify_url == "http://127.0.0.1:9/dlr" and req.callback_data == "ref-1"


def test_parse_v2_request_with_nulls():
    [req] = wire.parse_send_request_v2(SDK5_BODY)
    assert req.sender == "InfoSMS" and req.text == "Hello Infobip" and req.bulk_id is None
    assert req.destinations == (wire.Destination("+41793026727", None),)
    assert req.notify_url == "http://127.0.0.1:9/dlr"
    assert wire.parse_send_request_v2(wire.build_send_v2("+41793026727", "x", None))[0].sender is None


@pytest.mark.parametrize("version,data,prop", [
    (3, {"messages": []}, "messages"),
    (3, {"messages": [{"destinations": [], "content": {"text": "x"}}]}, "messages[0].destinations"),
    (3, {"messages": [{"destinations": [{"to": "abc"}], "content": {"text": "x"}}]}, "messages[0].destinations[0].to"),
    (3, {"messages": [{"destinations": [{"to": "41793026727"}], "content": {}}]}, "messages[0].content.text"),
    (3, {"messages": [{"destinations": [{"to": "41793026727"}], "content": None}]}, "messages[0].content.text"),
    (2, {"messages": [{"destinations": [{"to": "41793026727"}], "text": None}]}, "messages[0].text"),
    (2, {"messages": [{"destinations": [{"to": None}], "text": "x"}]}, "messages[0].destinations[0].to"),
    (2, {"messages": [{"destinations": [{"to": "41793026727"}], "text": "x", "notifyUrl": "x"}]}, "messages[0].notifyUrl"),
    (2, [], "body"),
])
def test_bad_requests_name_the_property(version, data, prop):
    parse = wire.parse_send_request if version == 3 else wire.parse_send_request_v2
    with pytest.raises(wire.WireError) as info:
        parse(data)
    assert info.value.status == 400
    assert info.value.violations[0][0] == prop
    v3 = wire.reply_for_error(info.value)[1]
    assert set(v3) == {"errorCode", "description", "action", "violations", "resources"} and v3["errorCode"] == "E400"
    v2 = wire.ERROR_REPLIES_V2.reply(info.value)[1]
    assert v2["requestError"]["serviceException"]["messageId"] == "BAD_REQUEST"
    assert prop in v2["requestError"]["serviceException"]["validationErrors"]


def test_send_replies_both_versions():
    v3 = wire.send_reply("B1", [("m1", "+41793026727", Status.QUEUED, 1)], version=3)
    assert v3 == {"bulkId": "B1", "messages": [{"messageId": "m1", "status": STATUS_PENDING,
                                                 "destination": "41793026727", "details": {"messageCount": 1}}]}
    v2 = wire.send_reply(None, [("m1", "+41793026727", Status.QUEUED, 2)], version=2)
    assert v2 == {"messages": [{"to": "41793026727", "status": STATUS_PENDING, "messageId": "m1", "smsCount": 2}]}
    for reply in (v3, v2):
        [p] = wire.parse_send_reply(reply)
        assert (p.message_id, p.to, p.status) == ("m1", "+41793026727", Status.QUEUED)


@pytest.mark.parametrize("name,error", [
    ("REJECTED_NOT_ENOUGH_CREDITS", InsufficientCredit), ("REJECTED_DESTINATION", InvalidNumber),
    ("REJECTED_NETWORK", ProviderError), ("PENDING_ACCEPTED", None),
])
def test_rejections_in_a_send_reply(name, error):
    [p] = wire.parse_send_reply(wire.send_reply(None, [("m", "+1", wire.status_object(name=name), 1)]))
    exc = wire.rejection_for_status(p, backend="ib")
    assert (type(exc) if exc else None) is error
    if error is ProviderError:
        assert exc.retry_safe


def test_reports_and_dates():
    sent = datetime(2019, 11, 9, 16, 0, tzinfo=timezone.utc)
    r3 = wire.report_json(message_id="m", to="+41793026727", sender="InfoSMS", status=Status.DELIVERED, sent_at=sent,
                          done_at=sent, bulk_id="B", callback_data="ref-1")
    assert r3["sentAt"] == "2019-11-09T16:00:00.000+0000" and r3["sender"] == "InfoSMS" and r3["messageCount"] == 1
    assert r3["error"]["name"] == "NO_ERROR"
    r2 = wire.report_json(message_id="m", to="+41793026727", sender="InfoSMS", status=Status.UNDELIVERED,
                          sent_at=sent, done_at=None, version=2)
    assert r2["from"] == "InfoSMS" and r2["smsCount"] == 1 and "sender" not in r2
    parsed = wire.parse_reports(wire.reports_json([r3, r2]))
    assert [(p.message_id, p.status, p.done_at, p.error) for p in parsed] == \
        [("m", Status.DELIVERED, sent, None), ("m", Status.UNDELIVERED, sent, "EC_UNKNOWN_SUBSCRIBER")]
    assert wire.parse_time("2019-11-09T16:00:00.000+0000") == sent
    assert wire.parse_time("2019-11-09T16:00:00Z") == sent


def test_logs():
    log3 = wire.log_json(message_id="m", to="+4179", sender="S", text="t", status=Status.SENT, sent_at=None,
                         done_at=None)
    assert log3["destination"] == "4179" and log3["content"] == {"text": "t"}
    assert set(wire.logs_json([log3])) == {"results", "cursor"}
    assert wire.parse_reports(wire.logs_json([log3]))[0].to == "+4179"
    log2 = wire.log_json(message_id="m", to="+4179", sender="S", text="t", status=Status.SENT, sent_at=None,
                         done_at=None, version=2)
    assert log2["from"] == "S" and log2["text"] == "t"


def test_balance():
    assert wire.parse_balance({"balance": 47.79, "currency": "EUR"}) == (Decimal("47.79"), "EUR")
    assert wire.balance_json(Decimal("47.79")) == {"balance": 47.79, "currency": "EUR"}


@pytest.mark.parametrize("status,body,error", [
    (401, {"requestError": {"serviceException": {"messageId": "UNAUTHORIZED", "text": "Invalid login details"}}},
     AuthenticationError),
    (401, {"errorCode": "E401", "description": "Unauthorized", "action": "", "violations": [], "resources": []},
     AuthenticationError),
    (400, {"errorCode": "E400", "description": "Request cannot be processed.", "action": "a",
           "violations": [{"property": "messages[0].destinations", "violation": "must not be empty"}],
           "resources": []}, InvalidNumber),
    (400, {"requestError": {"serviceException": {"messageId": "BAD_REQUEST", "text": "Bad request",
                                                  "validationErrors": {"messages[0].text": ["must not be blank"]}}}},
     InvalidMessage),
    (404, None, NotFound),
    (429, {"requestError": {"serviceException": {"messageId": "TOO_MANY_REQUESTS", "text": "slow"}}},
     ProviderUnavailable),
    (500, "x", ProviderUnavailable),
])
def test_error_replies(status, body, error):
    assert type(wire.error_from_reply(status, body)) is error


def test_a_5xx_to_a_send_is_delivery_unknown():
    """Infobip may have accepted the message before failing: never sent twice."""
    assert type(wire.error_from_reply(500, "x", sending=True)) is DeliveryUnknown
    assert type(wire.error_from_reply(503, None, sending=True)) is ProviderUnavailable


@pytest.mark.parametrize("exc,status", [
    (InvalidNumber("x"), 400), (InvalidMessage("x"), 400), (NotFound("x"), 404),
    (ProviderUnavailable("x"), 503), (DeliveryUnknown("x"), 500),
])
def test_reply_for_error_round_trips(exc, status):
    for replies in (wire.ERROR_REPLIES, wire.ERROR_REPLIES_V2):
        got, body = replies.reply(exc)
        assert got == status
        back = wire.error_from_reply(got, body)
        if status < 500:
            assert type(back) is type(exc)


@pytest.mark.parametrize("header,key", [("App 003026abc", "003026abc"), ("app k", "k"), ("Basic abc", None),
                                        ("App ", None), (None, None)])
def test_auth_header(header, key):
    assert wire.parse_auth_header(header) == key


_json = json_values(max_leaves=25)
_msg_keys = st.sampled_from(["from", "sender", "destinations", "text", "content", "notifyUrl", "webhooks",
                             "callbackData", "bulkId"])
_message = st.dictionaries(_msg_keys, _json, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, st.fixed_dictionaries({"messages": st.lists(_message, max_size=3)})))
def test_parsers_never_crash(data):
    for parse in (wire.parse_send_request, wire.parse_send_request_v2):
        try:
            parse(data)
        except wire.WireError as exc:
            assert exc.status == 400


@settings(max_examples=200, deadline=None)
@given(_json)
def test_reply_readers_raise_only_smsbridge_errors(data):
    read_raising_only_smsbridge_errors((wire.parse_send_reply, wire.parse_reports, wire.parse_balance), data)
    wire.error_from_reply(400, data)
    wire.status_from_object(data)


def test_provider_id_for_is_reversible():
    from smsbridge.bridge import new_message_id

    for _ in range(200):
        message_id = new_message_id()
        assert wire.message_id_in(wire.provider_id_for(message_id)) == message_id
    assert wire.message_id_in(wire.new_message_id()) is None and wire.message_id_in("my-id-1") is None


def test_the_wire_module_follows_the_convention():
    from smsbridge.wire import check_wire

    assert check_wire(wire) == []


@pytest.mark.parametrize("status", list(Status))
def test_status_words_both_ways(status):
    word = wire.from_status(status)
    assert wire.status_object(status)["name"] == word
    assert wire.to_status(word).final == status.final
    assert wire.to_status(word.lower()) is wire.to_status(word)


def test_unknown_words_read_as_unknown():
    assert wire.to_status("NOT_A_WORD") is Status.UNKNOWN and wire.to_status(None) is Status.UNKNOWN
    assert wire.to_status("REJECTED") is Status.REJECTED  # a bare group name


def test_moments_keep_their_bytes():
    moment = datetime(2019, 11, 9, 16, 0, 0, 123456, tzinfo=timezone.utc)
    assert wire.format_time(moment) == "2019-11-09T16:00:00.123+0000"
    assert wire.format_time(moment.replace(tzinfo=None)) == "2019-11-09T16:00:00.123+0000"
    assert wire.format_time(None) is None
    assert wire.parse_time("2019-11-09T16:00:00.123+0000") == moment.replace(microsecond=123000)
    assert wire.parse_time("not a date") is None and wire.parse_time(None) is None


def test_a_refusal_lists_every_violation():
    err = wire.invalid("messages[0].destinations[0].to", "invalid destination address",
                       ("messages[0].destinations[1].to", "invalid destination address"))
    assert (err.status, err.field, err.message) == (400, "messages[0].destinations[0].to", wire.INVALID)
    status, v3 = wire.reply_for_error(err)
    assert status == 400 and [v["property"] for v in v3["violations"]] == [
        "messages[0].destinations[0].to", "messages[0].destinations[1].to"]
    _, v2 = wire.ERROR_REPLIES_V2.reply(err)
    assert set(v2["requestError"]["serviceException"]["validationErrors"]) == {
        "messages[0].destinations[0].to", "messages[0].destinations[1].to"}
    assert type(wire.error_from_reply(400, v3)) is InvalidNumber


@pytest.mark.parametrize("status,v2", [(400, 400), (401, 401), (405, 400), (409, 400), (413, 400), (429, 429),
                                       (500, 500), (503, 500)])
def test_v2_errors_use_statuses_the_5x_sdk_reads(status, v2):
    assert wire.v2_status(status) == v2


@pytest.mark.parametrize("body", [{"errorCode": "E400", "violations": 5}, {"errorCode": "E400", "violations": "x"},
                                  {"requestError": {"serviceException": {"validationErrors": 5}}}])
def test_odd_error_bodies_still_read(body):
    assert type(wire.error_from_reply(400, body)) is ProviderError
