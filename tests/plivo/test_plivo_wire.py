"""Plivo wire format: tables of the real payloads in shared/providers.md §4."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smsbridge_plugins.plivo import wire
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
from smsbridge.wire import TimeFormat, check_wire
from smsbridge.wire import WireError as CoreWireError

AUTH_ID = "MA" + "X" * 18
# What the SDK put on the wire (providers.md §4.3, verified).
SDK_SEND_BODY = {"dst": "14155556789", "text": "Hello Plivo", "src": "14155551234", "type": "sms",
                 "url": "http://127.0.0.1:9/status", "method": "POST", "log": "true", "trackable": False}
API_SEND_REPLY = {"api_id": "db342550-7f1d-11e1-8ea7-1231380bc196", "message": "message(s) queued",
                  "message_uuid": ["db3ce55a-7f1d-11e1-8ea7-1231380bc196"]}
API_ACCOUNT = {"account_type": "standard", "api_id": "x", "auth_id": AUTH_ID, "auto_recharge": False,
               "billing_mode": "prepaid", "cash_credits": "9.80450", "name": "n", "resource_uri": "/v1/Account/x/",
               "timezone": "Asia/Kolkata"}


@pytest.mark.parametrize("word,status", [
    ("queued", Status.QUEUED), ("sent", Status.SENT), ("delivered", Status.DELIVERED), ("read", Status.DELIVERED),
    ("undelivered", Status.UNDELIVERED), ("failed", Status.FAILED), ("rejected", Status.REJECTED),
    ("whatever", Status.UNKNOWN), (None, Status.UNKNOWN),
])
def test_status_words(word, status):
    assert wire.to_status(word) is status


@pytest.mark.parametrize("status", list(Status))
def test_from_status_is_a_word_the_sdk_list_filter_accepts(status):
    assert wire.from_status(status) in ("queued", "sent", "failed", "delivered", "undelivered", "rejected", "read")


def test_uuid_and_auth_id_shapes():
    u = wire.new_uuid()
    assert wire.is_uuid(u) and u[14] == "4"
    assert wire.is_auth_id(AUTH_ID) and wire.is_auth_id("SA" + "1" * 18)
    assert not wire.is_auth_id("MA123") and not wire.is_auth_id("XX" + "X" * 18)


def test_paths_end_with_a_slash():
    assert wire.message_path(AUTH_ID) == f"v1/Account/{AUTH_ID}/Message/"
    assert wire.message_detail_path(AUTH_ID, "u") == f"v1/Account/{AUTH_ID}/Message/u/"
    assert wire.account_path(AUTH_ID) == f"v1/Account/{AUTH_ID}/"


def test_build_send_matches_the_sdk():
    assert wire.build_send("+14155551234", "+14155556789", "Hello Plivo", url="http://127.0.0.1:9/status") == SDK_SEND_BODY


def test_parse_send_request_reads_the_sdk_body():
    req = wire.parse_send_request(SDK_SEND_BODY)
    assert req.dst == ("+14155556789",) and req.src == "+14155551234"
    assert req.text == "Hello Plivo" and req.url == "http://127.0.0.1:9/status" and req.method == "POST"


def test_multi_destination_and_sanitising():
    req = wire.parse_send_request({"src": "+1 (415) 555-1234", "dst": "14155556789<+1-415-555-6790", "text": "x"})
    assert req.dst == ("+14155556789", "+14155556790") and req.src == "+14155551234"
    alpha = wire.parse_send_request({"src": "MyShop", "dst": "14155556789", "text": "x"})
    assert alpha.src == "MyShop"


@pytest.mark.parametrize("data,fragment", [
    ({"dst": "1415", "text": "x"}, "src"),
    ({"src": "1", "text": "x"}, "dst"),
    ({"src": "1", "dst": "abc", "text": "x"}, "dst"),
    ({"src": "1", "dst": "14155556789"}, "text"),
    ({"src": "1", "dst": "14155556789", "text": ""}, "text"),
    ({"src": "1", "dst": "14155556789", "text": "x", "type": "mms"}, "type"),
    ({"src": "1", "dst": "14155556789", "text": "x", "url": "nope"}, "url"),
    ({"src": "1", "dst": "14155556789", "text": "x", "method": "PUT"}, "method"),
    ([], "JSON"),
])
def test_bad_send_requests_are_400(data, fragment):
    with pytest.raises(wire.WireError) as info:
        wire.parse_send_request(data)
    assert info.value.status == 400 and fragment in info.value.message


def test_send_reply_both_ways():
    reply = wire.send_reply(API_SEND_REPLY["api_id"], API_SEND_REPLY["message_uuid"])
    assert reply == API_SEND_REPLY
    assert wire.parse_send_reply(API_SEND_REPLY) == API_SEND_REPLY["message_uuid"]
    with pytest.raises(ProviderError):
        wire.parse_send_reply({"api_id": "x"})


def test_message_object_round_trip():
    when = datetime(2024, 5, 1, 10, 11, 12, tzinfo=timezone.utc)
    obj = wire.message_object(auth_id=AUTH_ID, message_uuid="db3ce55a-7f1d-11e1-8ea7-1231380bc196",
                              to="+14155556789", sender="+14155551234", status=Status.DELIVERED, time=when, units=2)
    for key in ("message_uuid", "message_state", "message_direction", "message_type", "message_time", "from_number",
                "to_number", "units", "total_rate", "total_amount", "error_code", "resource_uri"):
        assert key in obj
    assert obj["error_code"] == "000" and obj["message_state"] == "delivered" and obj["to_number"] == "14155556789"
    assert obj["message_time"] == "2024-05-01 10:11:12+00:00" and obj["total_amount"] == "0.01000"
    parsed = wire.parse_message(obj)
    assert (parsed.status, parsed.to, parsed.units, parsed.error_code, parsed.time) == \
        (Status.DELIVERED, "+14155556789", 2, None, when)
    failed = wire.message_object(auth_id=AUTH_ID, message_uuid="u", to="+1", sender=None, status=Status.UNDELIVERED,
                                 time=when)
    assert failed["error_code"] != "000"


def test_list_reply_meta():
    data = wire.list_reply("a", AUTH_ID, [{}], limit=1, offset=0, total=2)
    assert data["meta"] == {"limit": 1, "next": f"/v1/Account/{AUTH_ID}/Message/?limit=1&offset=1", "offset": 0,
                            "previous": None, "total_count": 2}


def test_account_both_ways():
    assert wire.parse_account(API_ACCOUNT) == Decimal("9.80450")
    assert wire.account_reply("a", AUTH_ID, Decimal("9.8045"))["cash_credits"] == "9.80450"


@pytest.mark.parametrize("status,body,error", [
    (401, {"api_id": "a", "error": "authentication_failed"}, AuthenticationError),
    (400, {"api_id": "a", "error": "invalid dst parameter"}, InvalidNumber),
    (400, {"api_id": "a", "error": "text parameter not present"}, InvalidMessage),
    (402, {"api_id": "a", "error": "insufficient credit"}, InsufficientCredit),
    (404, {"api_id": "a", "error": "not found"}, NotFound),
    (429, {"api_id": "a", "error": "rate_limit_exceeded"}, ProviderUnavailable),
    (403, {"api_id": "a", "error": "forbidden"}, AuthenticationError),
    (400, {"api_id": "a", "error": "message expiry is invalid"}, ProviderError),
    (500, "garbage", ProviderUnavailable),
])
def test_error_replies(status, body, error):
    assert type(wire.error_from_reply(status, body)) is error


@pytest.mark.parametrize("status,body", [(500, "garbage"), (502, {"api_id": "a", "error": "insufficient credit"})])
def test_a_5xx_to_a_send_is_delivery_unknown(status, body):
    """Plivo may have accepted it before failing: never re-sent (the core's rule, whatever the text)."""
    assert type(wire.error_from_reply(status, body, sending=True)) is DeliveryUnknown


@pytest.mark.parametrize("exc,status", [
    (InvalidNumber("x"), 400), (InvalidMessage("x"), 400), (NotFound("x"), 404), (InsufficientCredit("x"), 402),
    (ProviderUnavailable("x"), 503), (DeliveryUnknown("x"), 500), (AuthenticationError("upstream"), 500),
])
def test_reply_for_error(exc, status):
    reply_status, body = wire.reply_for_error(exc)
    assert reply_status == status and set(body) == {"api_id", "error"}


def test_a_wire_error_is_answered_as_it_is():
    assert wire.reply_for_error(wire.WireError("dst parameter not present", status=400))[1]["error"] == \
        "dst parameter not present"
    assert issubclass(wire.WireError, CoreWireError)


def test_callback_params_and_back():
    params = wire.callback_params(message_uuid="u", to="+14155556789", sender="+14155551234",
                                  status=Status.UNDELIVERED, units=1)
    for key in ("MessageUUID", "To", "From", "Type", "Status", "Units", "TotalRate", "TotalAmount", "ErrorCode"):
        assert key in params
    assert params["Status"] == "undelivered" and params["To"] == "14155556789"
    assert wire.parse_callback(params) == ("u", Status.UNDELIVERED, params["ErrorCode"])
    ok = wire.callback_params(message_uuid="u", to="+1", sender=None, status=Status.DELIVERED)
    assert "ErrorCode" not in ok


_json = json_values()
_keys = st.sampled_from(["src", "dst", "text", "type", "url", "method", "log", "powerpack_uuid"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, st.dictionaries(_keys, _json, max_size=8)))
def test_parse_send_request_never_crashes(data):
    try:
        req = wire.parse_send_request(data)
    except wire.WireError as exc:
        assert exc.status == 400
    else:
        assert req.dst and req.text


@settings(max_examples=200, deadline=None)
@given(_json)
def test_reply_readers_raise_only_smsbridge_errors(data):
    read_raising_only_smsbridge_errors((wire.parse_message, wire.parse_account, wire.parse_send_reply), data)
    wire.error_from_reply(400, data)


def test_provider_id_for_is_a_reversible_uuid4():
    import uuid

    from smsbridge.bridge import new_message_id

    for _ in range(200):
        message_id = new_message_id()
        u = wire.provider_id_for(message_id)
        assert uuid.UUID(u).version == 4 and uuid.UUID(u).variant == uuid.RFC_4122
        assert wire.message_id_in(u) == message_id
    assert wire.message_id_in(wire.new_uuid()) is None and wire.message_id_in("x") is None


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("url", ["https://example.com/cb", "https://example.com/cb?b=2&a=1"])
def test_signature_v3_validates_with_the_sdk(method, url):
    plivo_sig = pytest.importorskip("plivo.utils.signature_v3")
    params = wire.callback_params(message_uuid="u", to="+14155556789", sender=None, status=Status.DELIVERED)
    sig = wire.signature_v3(method, url, params, "31415926", "token")
    assert plivo_sig.validate_v3_signature(method, url, "31415926", "token", sig, dict(params))
    assert not plivo_sig.validate_v3_signature(method, url, "31415926", "other", sig, dict(params))


def test_the_wire_module_follows_the_convention():
    assert check_wire(wire) == []


@pytest.mark.parametrize("when,text", [
    (datetime(2024, 5, 1, 10, 11, 12, tzinfo=timezone.utc), "2024-05-01 10:11:12+00:00"),
    (datetime(2024, 5, 1, 10, 11, 12, 123456, tzinfo=timezone.utc), "2024-05-01 10:11:12.123456+00:00"),
    (datetime(2024, 5, 1, 10, 11, 12, 5), "2024-05-01 10:11:12.000005+00:00"),
])
def test_message_time_is_isoformat_with_a_space(when, text):
    """``%.f``: the fraction as ``isoformat`` writes it (none when zero), read back to the moment."""
    assert wire.format_time(when) == text == when.replace(tzinfo=timezone.utc).isoformat(sep=" ")
    assert wire.parse_time(text) == when.replace(tzinfo=timezone.utc)


def test_the_fraction_token_is_the_cores():
    fmt = TimeFormat("%H:%M:%S%.f")
    assert fmt.format(datetime(2024, 1, 1, 1, 2, 3)) == "01:02:03"
    assert fmt.format(datetime(2024, 1, 1, 1, 2, 3, 40)) == "01:02:03.000040"


@pytest.mark.parametrize("sender,written", [("+14155551234", "14155551234"), ("MyShop", "MyShop"), (None, None)])
def test_sender_digits(sender, written):
    """A number sender is written as digits, an alphanumeric one as it is (``src``, ``from_number``, ``From``)."""
    assert wire.sender_digits(sender) == written
