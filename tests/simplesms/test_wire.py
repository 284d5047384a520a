"""simpleSMS's wire format (plugins/simplesms/wire.py): tables of the variants SPEC §5
lists, and render -> parse round trips (the face renders what the backend parses)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smsbridge_plugins.simplesms import wire

from smsbridge.errors import (
    AuthenticationError,
    ConfigError,
    DeliveryUnknown,
    InsufficientCredit,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    SmsBridgeError,
    UnsupportedOperation,
)
from smsbridge.model import MessageRecord, MonthlyStat, Status, StatusEvent

BUDAPEST = ZoneInfo("Europe/Budapest")
NOW = datetime(2024, 7, 1, 10, 0, 0, tzinfo=timezone.utc)


# -- numbers ----------------------------------------------------------------------------
@pytest.mark.parametrize("e164, parts", [
    ("+36301234567", ("36", "30", "1234567")),
    ("+36201234567", ("36", "20", "1234567")),
    ("+3612345678", ("36", "1", "2345678")),        # Budapest landline: area code 1
    ("+447911123456", ("44", "7911", "123456")),
    ("+4915112345678", ("49", "1511", "2345678")),
    ("+12025550123", ("1", "202", "5550123")),
])
def test_split_recipient(e164, parts):
    assert wire.split_recipient(e164) == dict(zip(("country_code", "area_code", "number"), parts))
    assert wire.join_recipient(*parts) == e164


def test_split_agrees_with_phonenumbers_for_a_foreign_number():
    number = phonenumbers.parse("+33612345678")
    national = phonenumbers.national_significant_number(number)
    ndc = phonenumbers.length_of_national_destination_code(number)
    assert wire.split_recipient("+33612345678") == {
        "country_code": "33", "area_code": national[:ndc], "number": national[ndc:]}


@pytest.mark.parametrize("parts, e164", [
    (("+36", "30", "1234567"), "+36301234567"), (("0036", "30", "123 4567"), "+36301234567"),
    (("36", "0630", "1234567"), "+36301234567"), (("44", "07911", "123456"), "+447911123456"),
    ((36, 30, 1234567), "+36301234567"),
])
def test_join_recipient_tolerates_plus_00_spaces_and_trunk_prefixes(parts, e164):
    assert wire.join_recipient(*parts) == e164


@pytest.mark.parametrize("parts", [
    ("36", "30", "123"), ("", "30", "1234567"), ("36", "30", ""), ("3x", "30", "1234567"),
    ("36", "30", "1234567" * 5), (None, "30", "1234567"), ("36", "30", "١٢٣٤٥٦٧"), (True, "30", "1"),
    ("36", "0044", "7911123456"), ("999", "0", "1234567"),
])
def test_join_recipient_refuses_bad_numbers(parts):
    with pytest.raises(InvalidNumber):
        wire.join_recipient(*parts)


def test_request_forms():
    assert wire.connect_form("u", "p", "d.hu") == {"username": "u", "password": "p", "domain": "d.hu"}
    assert wire.build_send("+36301234567", "Szia!") == {"country_code": "36", "area_code": "30",
                                                       "number": "1234567", "message": "Szia!"}
    assert wire.sms_id_form(1001) == {"sms_id": "1001"}
    assert wire.parse_connect_form({"userName": "u", "userPassword": "p", "domainName": "d"}) == ("u", "p", "d")
    assert wire.parse_connect_form({"username": "u", "password": "", "domain": "d"}) is None
    assert wire.parse_send_request({"strCountryCode": "36", "strAreaCode": "30", "strNumber": "1234567",
                                 "strMessage": "x"}) == ("+36301234567", "x")
    with pytest.raises(wire.WireError, match="message") as info:
        wire.parse_send_request({"country_code": "36", "area_code": "30", "number": "1234567"})
    assert (info.value.status, info.value.code, info.value.field) == (400, wire.E_BAD_REQUEST, "message")
    assert wire.parse_sms_id_form({"numSMSID": 5}) == "5"
    with pytest.raises(wire.WireError, match="numSMSID"):
        wire.parse_sms_id_form({}, part_name=lambda name: "numSMSID")


# -- replies ----------------------------------------------------------------------------
@pytest.mark.parametrize("data, expected", [
    ({"success": True, "error": False, "response": 5}, 5),
    ({"success": "true", "error": "false", "response": [1]}, [1]),
    ({"success": 1, "error": 0, "response": None}, None),
    ({"success": True, "response": {"a": 1}}, {"a": 1}),
    ({"error": False, "response": "x"}, "x"),
    ({"sms_id": 7}, {"sms_id": 7}),                               # flagless: the object is the response
    ({"success": True, "error": False, "access_token": "t"}, {"access_token": "t"}),
])
def test_parse_reply_success_variants(data, expected):
    assert wire.parse_reply(data, operation=wire.SEND) == expected


@pytest.mark.parametrize("data", [
    {"success": False, "error": True, "error_code": 301, "error_message": "Not enough credit"},
    {"success": False, "error": True, "errorCode": "301", "errorMessage": "Not enough credit"},
    {"success": False, "error": True, "code": 301, "message": "Not enough credit"},
    {"success": "false", "error": "true", "code": "301", "message": "Not enough credit"},
    {"success": False, "code": 301, "message": "Not enough credit"},            # success flag alone
    {"error": True, "error_code": 301, "error_message": "Not enough credit"},   # error flag alone
    {"error_code": 301, "error_message": "Not enough credit"},                  # no flags, a code
    {"success": True, "error": True, "error_code": 301, "message": "Not enough credit"},  # conflict: error
    {"success": False, "error": {"code": 301, "message": "Not enough credit"}},
])
def test_parse_reply_error_variants(data):
    with pytest.raises(InsufficientCredit) as info:
        wire.parse_reply(data, operation=wire.SEND, backend="primary")
    assert info.value.code == "301"
    assert info.value.backend == "primary"
    assert "Not enough credit" in str(info.value)


def test_parse_reply_refuses_non_objects():
    for data in (None, [], "x", 5):
        with pytest.raises(wire.MalformedReply):
            wire.parse_reply(data, operation=wire.CREDIT)


def test_error_messages_are_redacted_and_short():
    exc = wire.error_from_reply(200, wire.error_reply(500, "boom password=hunter2 Bearer abc.def " + "x" * 1000))
    assert "hunter2" not in str(exc) and "abc.def" not in str(exc)
    assert len(exc.message) < 300


@pytest.mark.parametrize("code, operation, cls, retry_safe", [
    (101, wire.CONNECT, AuthenticationError, True),
    (102, wire.SEND, AuthenticationError, True),
    ("102", wire.CREDIT, AuthenticationError, True),
    (201, wire.SEND, ProviderError, True),
    (202, wire.SEND, ProviderError, True),
    (203, wire.SEND, ProviderError, True),
    (301, wire.SEND, InsufficientCredit, True),
    (400, wire.SEND, ProviderError, True),
    (404, wire.STATUS, wire.MessageNotFound, False),
    (404, wire.HISTORY, NotFound, False),
    (405, wire.SEND, ProviderError, True),
    (413, wire.SEND, ProviderError, True),
    (500, wire.SEND, DeliveryUnknown, False),
    (500, wire.STATUS, ProviderUnavailable, True),
    (501, wire.MONTHLY, ProviderError, True),
    (502, wire.SEND, ProviderError, False),
    (503, wire.SEND, ProviderUnavailable, True),
    (504, wire.SEND, DeliveryUnknown, False),
    (999, wire.SEND, ProviderError, False),                   # unknown codes: not retry-safe
    (None, wire.SEND, ProviderError, False),
    ("invalid_token", wire.STATUS, AuthenticationError, True),
    ("no_credit", wire.SEND, InsufficientCredit, True),
    ("try later", wire.SEND, ProviderUnavailable, True),
    ("RATE_LIMIT", wire.SEND, ProviderUnavailable, True),
    ("sms_not_found", wire.STATUS, wire.MessageNotFound, False),
])
def test_error_table(code, operation, cls, retry_safe):
    reply = {"success": False, "error": True, **({} if code is None else {"error_code": code})}
    if operation in (wire.STATUS, wire.HISTORY):  # "no SMS with this id" needs the operation: parse_reply's
        with pytest.raises(SmsBridgeError) as info:
            wire.parse_reply(reply, operation=operation, backend="b")
        exc = info.value
    else:
        exc = wire.error_from_reply(200, reply, backend="b", sending=operation == wire.SEND)
    assert type(exc) is cls or (cls is NotFound and isinstance(exc, NotFound))
    assert exc.retry_safe is retry_safe
    assert isinstance(exc, ProviderError)  # every provider answer carries .code and .backend
    assert exc.backend == "b"


def test_message_not_found_is_both_kinds():
    with pytest.raises(NotFound) as info:
        wire.parse_reply(wire.error_reply(404, "No SMS with this id"), operation=wire.STATUS, backend="b")
    exc = info.value
    assert isinstance(exc, NotFound) and isinstance(exc, ProviderError) and exc.code == "404"


@pytest.mark.parametrize("code, expired", [
    (102, True), ("102", True), ("token_expired", True), ("invalid_token", True), ("session", True),
    (101, False), (301, False), (None, False), ("credit", False), (True, False),
])
def test_is_auth_expired(code, expired):
    assert wire.is_auth_expired(code) is expired


@pytest.mark.parametrize("status, operation, cls", [
    (401, wire.SEND, AuthenticationError), (403, wire.CREDIT, AuthenticationError),
    (429, wire.SEND, ProviderUnavailable), (503, wire.SEND, ProviderUnavailable),
    (500, wire.SEND, DeliveryUnknown), (502, wire.SEND, DeliveryUnknown), (504, wire.SEND, DeliveryUnknown),
    (502, wire.STATUS, ProviderUnavailable), (404, wire.SEND, ProviderError),
])
def test_error_from_reply_for_an_http_page(status, operation, cls):
    exc = wire.error_from_reply(status, None, backend="b", sending=operation == wire.SEND)
    assert type(exc) is cls
    if cls is ProviderError:
        assert exc.retry_safe  # a 4xx page: refused before acceptance


@pytest.mark.parametrize("status, data, operation, cls", [
    (200, {"success": False, "error": True, "error_code": 999}, wire.SEND, ProviderError),   # flags decide
    (503, {"error": "try later"}, wire.SEND, ProviderUnavailable),        # unknown code: the status decides
    (429, {"success": False, "error": True, "error_code": 999}, wire.SEND, ProviderUnavailable),
    (500, {"success": False, "error": True, "error_code": 999}, wire.SEND, DeliveryUnknown),
    (500, {"success": False, "error": True, "error_code": 999}, wire.STATUS, ProviderUnavailable),
    (400, {"success": False, "error": True, "error_code": 999}, wire.SEND, ProviderError),
    (503, {"success": False, "error": True, "error_code": 301}, wire.SEND, InsufficientCredit),  # known code
    (401, {"success": False, "error": True, "error_code": 999}, wire.SEND, AuthenticationError),
    (401, {"error": "invalid_token"}, wire.SEND, AuthenticationError),
    (401, None, wire.SEND, AuthenticationError),
    (502, None, wire.SEND, DeliveryUnknown),
    (503, None, wire.SEND, ProviderUnavailable),
    (404, {"detail": "Not Found"}, wire.SEND, ProviderError),              # flagless 4xx: a refusal
])
def test_parse_http_reply_errors(status, data, operation, cls):
    with pytest.raises(ProviderError) as info:
        wire.parse_http_reply(status, data, operation=operation, backend="b")
    assert type(info.value) is cls
    if cls is ProviderError:
        assert info.value.retry_safe is (status >= 400)


@pytest.mark.parametrize("status, data", [(200, None), (200, []), (401, wire.ok_reply(1)), (200, "x")])
def test_parse_http_reply_malformed(status, data):
    with pytest.raises(wire.MalformedReply):
        wire.parse_http_reply(status, data, operation=wire.SEND)


def test_parse_http_reply_success():
    assert wire.parse_http_reply(200, wire.ok_reply({"sms_id": 1}), operation=wire.SEND) == {"sms_id": 1}
    assert wire.parse_http_reply(500, wire.ok_reply(5), operation=wire.CREDIT) == 5   # the flags decide
    assert wire.parse_http_reply(201, {"sms_id": 1}, operation=wire.SEND) == {"sms_id": 1}


# -- connect ----------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    ("2024-07-01 13:00:00", datetime(2024, 7, 1, 11, 0, tzinfo=timezone.utc)),    # CEST, naive = Budapest
    ("2024-01-15 13:00:00", datetime(2024, 1, 15, 12, 0, tzinfo=timezone.utc)),   # CET
    ("2024-07-01T13:00:00", datetime(2024, 7, 1, 11, 0, tzinfo=timezone.utc)),
    ("2024-07-01T11:00:00Z", datetime(2024, 7, 1, 11, 0, tzinfo=timezone.utc)),
    ("2024-07-01T11:00:00.250+00:00", datetime(2024, 7, 1, 11, 0, 0, 250000, tzinfo=timezone.utc)),
    ("2024-07-01T13:00:00+0200", datetime(2024, 7, 1, 11, 0, tzinfo=timezone.utc)),
    (3600, NOW + timedelta(hours=1)),
    (3600.5, NOW + timedelta(seconds=3600.5)),
    ("3600", NOW + timedelta(hours=1)),
    (" 60 ", NOW + timedelta(minutes=1)),
    (0, NOW),
    (1719831600, datetime(2024, 7, 1, 11, 0, tzinfo=timezone.utc)),             # a Unix timestamp
])
def test_parse_expires(value, expected):
    assert wire.parse_expires(value, NOW) == expected


@pytest.mark.parametrize("value", ["soon", "", "2024-13-01 10:00:00", True, None, -5, float("nan"), [1], "1e400"])
def test_parse_expires_refuses_garbage(value):
    with pytest.raises(wire.MalformedReply):
        wire.parse_expires(value, NOW)


@pytest.mark.parametrize("data", [
    {"success": True, "error": False, "response": {"access_token": "T", "expires_in": 60}},
    {"success": True, "error": False, "access_token": "T", "expires_in": 60},
    {"access_token": "T", "expires_in": "60"},
    {"success": True, "error": False, "response": {"access_token": "T"}, "expires_in": 60},
    {"success": True, "response": {"token": "T", "expires": 60}},
])
def test_parse_token_variants(data):
    assert wire.parse_token(data, now=NOW) == ("T", NOW + timedelta(seconds=60))


def test_parse_token_without_or_with_unreadable_expiry():
    assert wire.parse_token({"success": True, "response": {"access_token": "T"}}, now=NOW) == ("T", None)
    assert wire.parse_token({"access_token": "T", "expires_in": "whenever"}, now=NOW) == ("T", None)


def test_parse_token_errors():
    with pytest.raises(AuthenticationError):
        wire.parse_token({"success": False, "error": True, "error_code": 101, "error_message": "Wrong login"})
    with pytest.raises(wire.MalformedReply):
        wire.parse_token({"success": True, "error": False, "response": {"user": "x"}})


# -- ids, statuses ----------------------------------------------------------------------
@pytest.mark.parametrize("response, expected", [
    (1001, "1001"), ("1001", "1001"), (1001.0, "1001"), ({"sms_id": 1001}, "1001"),
    ({"smsId": "abc-1"}, "abc-1"), ({"id": 5}, "5"), ([1001], "1001"), ({"sms_id": [7]}, "7"),
    (" 42 ", "42"),
])
def test_parse_sms_id(response, expected):
    assert wire.parse_send_reply(response) == expected


@pytest.mark.parametrize("response", [None, {}, {"sms_id": None}, True, "", [], [1, 2], {"sms_id": {"x": 1}}])
def test_parse_sms_id_refuses(response):
    with pytest.raises(wire.MalformedReply):
        wire.parse_send_reply(response)


@pytest.mark.parametrize("word, status", [
    ("Queued", Status.QUEUED), ("pending", Status.QUEUED), ("SENT", Status.SENT), ("Delivered", Status.DELIVERED),
    ("Undelivered", Status.UNDELIVERED), ("not delivered", Status.UNDELIVERED), ("Failed", Status.FAILED),
    ("expired", Status.EXPIRED), ("Rejected", Status.REJECTED), ("Kézbesítve", Status.DELIVERED),
    ("elküldve", Status.SENT), ("  delivered  ", Status.DELIVERED), ("3", Status.DELIVERED), (4, Status.UNDELIVERED),
    ("gibberish", Status.UNKNOWN), (None, Status.UNKNOWN),
])
def test_to_status(word, status):
    assert wire.to_status(word) is status


def test_status_words_and_codes_round_trip():
    for status in Status:
        assert wire.to_status(wire.from_status(status)) is status
        assert wire.status_from_code(wire.code_for_status(status)) is status


PHP_STATUS = {"sms_id": 1001, "country_code": "36", "area_code": "30", "number": "1234567", "message": "Hi",
              "sender": None, "created": "2024-07-01 12:00:00", "status": "Delivered", "status_code": 3,
              "status_date": "2024-07-01 12:00:05"}


@pytest.mark.parametrize("response, status, raw", [
    (PHP_STATUS, Status.DELIVERED, "Delivered"),
    ({**PHP_STATUS, "status": None}, Status.DELIVERED, 3),                          # code only
    ({"delivery_status": "Sent", "last_status_change": "2024-07-01 12:00:05"}, Status.SENT, "Sent"),
    ({"status": {"code": 4, "message": "Undelivered", "comment": "Handset unreachable"}},
     Status.UNDELIVERED, "Undelivered"),
    ({"status": "Whatever", "status_code": "2"}, Status.SENT, "Whatever"),         # unknown word, known code
    ("Delivered", Status.DELIVERED, "Delivered"),
    ([{"code": 1, "message": "Queued", "date": "2024-07-01 12:00:00"},
      {"code": 3, "message": "Delivered", "date": "2024-07-01 12:00:05"}], Status.DELIVERED, "Delivered"),
])
def test_parse_status_variants(response, status, raw):
    report = wire.parse_status(response, "1001")
    assert report.id == "1001" and report.status is status and report.raw == raw


def test_parse_status_date_is_budapest_time():
    report = wire.parse_status(PHP_STATUS, "1001")
    assert report.updated_at == datetime(2024, 7, 1, 10, 0, 5, tzinfo=timezone.utc)
    assert report.updated_at.tzinfo is timezone.utc


def test_the_repeated_autumn_hour_reads_as_summer_time():
    assert wire.parse_time("2024-10-27 02:30:00") == datetime(2024, 10, 27, 0, 30, tzinfo=timezone.utc)
    assert wire.parse_time("2024-03-31 02:30:00") is not None           # the skipped hour: read as CET
    assert wire.format_time(datetime(2024, 10, 27, 1, 30, tzinfo=timezone.utc)) == "2024-10-27 02:30:00"


def test_parse_status_refuses_no_status():
    for response in ({"sms_id": 1}, None, []):
        with pytest.raises(wire.MalformedReply):
            wire.parse_status(response, "1")


HISTORY = [
    {"code": 1, "message": "Queued", "date": "2024-07-01 12:00:00"},
    {"code": 2, "message": "Sent", "date": "2024-07-01 12:00:01"},
    {"code": 4, "message": "Undelivered", "date": "2024-07-01 12:00:05", "comment": "Handset unreachable"},
]


@pytest.mark.parametrize("response", [
    HISTORY,
    {"0": HISTORY[0], "1": HISTORY[1], "2": HISTORY[2]},            # PHP json_encode of a keyed array
    {"2": HISTORY[2], "10": HISTORY[1], "1": HISTORY[0]},           # ordered by date, not by key
    list(reversed(HISTORY)),
])
def test_parse_history_variants(response):
    events = wire.parse_history(response)
    assert [e.status for e in events] == [Status.QUEUED, Status.SENT, Status.UNDELIVERED]
    assert [e.code for e in events] == ["1", "2", "4"]
    assert events[-1].comment == "Handset unreachable" and events[-1].description == "Undelivered"
    assert events[0].at == datetime(2024, 7, 1, 10, 0, tzinfo=timezone.utc)


def test_parse_history_edges():
    assert wire.parse_history([]) == [] and wire.parse_history(None) == []
    assert [e.status for e in wire.parse_history(HISTORY[0])] == [Status.QUEUED]      # a single entry
    assert wire.parse_history([{"code": 3}])[0].status is Status.DELIVERED            # code only
    with pytest.raises(wire.MalformedReply):
        wire.parse_history("Delivered")
    with pytest.raises(wire.MalformedReply):
        wire.parse_history([1, 2])


@pytest.mark.parametrize("response, amount", [
    (100, Decimal(100)), (99.5, Decimal("99.5")), ("1 234,50", Decimal("1234.50")), ("12.5", Decimal("12.5")),
    ({"credit": 7}, Decimal(7)), ({"balance": "3"}, Decimal(3)), ({"credit_number": 0}, Decimal(0)),
])
def test_parse_credit(response, amount):
    assert wire.parse_credit(response) == amount


@pytest.mark.parametrize("response", [None, True, "lots", {"x": 1}, [], "NaN", "Infinity"])
def test_parse_credit_refuses(response):
    with pytest.raises(wire.MalformedReply):
        wire.parse_credit(response)


EXPECTED_MONTHS = [MonthlyStat("2024-01", 12, 1), MonthlyStat("2024-02", 7, 0)]


@pytest.mark.parametrize("response", [
    {"2024-01": {"domestic": 12, "foreign": 1}, "2024-02": {"domestic": 7, "foreign": 0}},
    {"2024-02": {"domestic": "7", "foreign": "0"}, "2024-01": {"domestic": "12", "foreign": "1"}},
    {"2024-1": {"domestic": 12, "foreign": 1}, "2024.02": {"domestic": 7}},
    [{"month": "2024-01", "domestic": 12, "foreign": 1}, {"month": "2024-02", "domestic": 7, "foreign": 0}],
    [{"month": "202402", "domestic": 7, "foreign": 0}, {"month": "2024-01-01", "domestic": 12, "foreign": 1}],
])
def test_parse_monthly_variants(response):
    assert wire.parse_monthly(response) == EXPECTED_MONTHS


def test_parse_monthly_edges():
    assert wire.parse_monthly([]) == [] and wire.parse_monthly({}) == []
    for bad in ({"later": {"domestic": 1}}, {"2024-13": {"domestic": 1}}, [{"domestic": 1}],
                {"2024-01": {"domestic": -1}}, {"2024-01": 5}, "x"):
        with pytest.raises(wire.MalformedReply):
            wire.parse_monthly(bad)


# -- server side ------------------------------------------------------------------------
@pytest.mark.parametrize("exc, code", [
    (InvalidNumber("bad"), 201), (InvalidMessage("message text is empty", reason="empty"), 202),
    (InvalidMessage("message text needs 14 segments"), 203), (AuthenticationError("no"), 101),
    (InsufficientCredit("poor"), 301), (NotFound("gone"), 404), (UnsupportedOperation("no stats"), 501),
    (ProviderUnavailable("down"), 503), (DeliveryUnknown("maybe"), 504),
    (ProviderError("refused", pre_acceptance=True), 203), (ProviderError("odd", code=21211), 502),
    (ConfigError("backend primary is incomplete"), 503), (SmsBridgeError("?"), 500),
])
def test_reply_for_error(exc, code):
    status, reply = wire.reply_for_error(exc)
    assert status == wire.http_status_for(code)
    assert reply == {"success": False, "error": True, "error_code": code, "error_message": exc.message}


@pytest.mark.parametrize("exc", [
    AuthenticationError("x"), InsufficientCredit("x"), ProviderUnavailable("x"), DeliveryUnknown("x"),
    ProviderError("x"), ProviderError("x", pre_acceptance=True),
])
def test_reply_for_error_round_trips_the_error_class(exc):
    """What a face answers for an error, the caller's backend raises as the same kind."""
    with pytest.raises(type(exc)) as info:
        wire.parse_reply(wire.reply_for_error(exc)[1], operation=wire.SEND)
    assert type(info.value) is type(exc) and info.value.retry_safe is exc.retry_safe


def test_http_status_for():
    assert [wire.http_status_for(c) for c in (101, 102, 201, 301, 400, 404, 405, 413, 500, 504)] == \
        [401, 401, 200, 200, 400, 200, 405, 413, 500, 200]


def test_status_response_has_the_data_given_at_sending():
    record = MessageRecord(id="sb_1", to="+36301234567", text="Szia", status=Status.DELIVERED,
                           created_at=datetime(2024, 7, 1, 10, 0, tzinfo=timezone.utc),
                           updated_at=datetime(2024, 7, 1, 10, 0, 5, tzinfo=timezone.utc))
    assert wire.status_response(record, "1001") == {
        "sms_id": 1001, "country_code": "36", "area_code": "30", "number": "1234567", "message": "Szia",
        "sender": None, "created": "2024-07-01 12:00:00", "status": "Delivered", "status_code": 3,
        "status_date": "2024-07-01 12:00:05"}


def test_fallback_timezone_matches_zoneinfo():
    fallback = wire._CentralEurope()
    moment = datetime(2023, 1, 1, tzinfo=timezone.utc)
    while moment.year < 2026:
        assert moment.astimezone(fallback).replace(tzinfo=None) == moment.astimezone(BUDAPEST).replace(tzinfo=None)
        wall = moment.replace(tzinfo=None)
        assert wall.replace(tzinfo=fallback).utcoffset() == wall.replace(tzinfo=BUDAPEST).utcoffset()
        moment += timedelta(minutes=30)


# -- round trips: what a face renders, a backend parses -----------------------------------
def _unambiguous_in_budapest(moment: datetime) -> bool:
    """Not in the repeated autumn hour, which a naive Budapest time cannot tell apart."""
    local = moment.astimezone(BUDAPEST).replace(tzinfo=None)
    return local.replace(tzinfo=BUDAPEST, fold=0).utcoffset() == local.replace(tzinfo=BUDAPEST, fold=1).utcoffset()


aware_datetimes = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31),
                               timezones=st.just(timezone.utc)).map(lambda d: d.replace(microsecond=0)) \
    .filter(_unambiguous_in_budapest)
statuses = st.sampled_from(list(Status))
e164_numbers = st.sampled_from(["+36301234567", "+36209876543", "+3612345678", "+447911123456",
                                "+4915112345678", "+12025550123", "+33612345678", "+61412345678"])


@given(anything=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                             lambda inner: st.lists(inner, max_size=3)
                             | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10))
def test_ok_reply_round_trip(anything):
    assert wire.parse_reply(wire.ok_reply(anything), operation=wire.CREDIT) == anything


@given(code=st.sampled_from(sorted(wire.ERROR_MESSAGES)), message=st.text(max_size=50),
       operation=st.sampled_from(wire.OPERATIONS))
def test_error_reply_round_trip(code, message, operation):
    with pytest.raises(ProviderError) as info:
        wire.parse_reply(wire.error_reply(code, message), operation=operation)
    assert info.value.code == str(code)
    expected = wire.error_from_reply(200, wire.error_reply(code, message), sending=operation == wire.SEND)
    if isinstance(expected, wire.MessageNotFound) and operation not in (wire.STATUS, wire.HISTORY):
        expected = ProviderError("no SMS id was asked for")
    if operation == wire.CONNECT:  # a refused connect is a refused login, whatever the code
        expected = wire.refused_login(expected)
    assert type(info.value) is type(expected)


@given(token=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1,
                     max_size=64), expires=aware_datetimes)
def test_token_round_trip(token, expires):
    assert wire.parse_token(wire.token_reply(token, expires), now=NOW) == (token, expires)


@given(sms_id=st.integers(min_value=0, max_value=2**53) | st.from_regex(r"[0-9A-Za-z_-]{1,20}", fullmatch=True))
def test_sms_id_round_trip(sms_id):
    reply = wire.ok_reply(wire.send_response(sms_id))
    assert wire.parse_send_reply(wire.parse_reply(reply, operation=wire.SEND)) == str(sms_id).strip()


@given(to=e164_numbers, text=st.text(min_size=1, max_size=40), status=statuses, created=aware_datetimes,
       delay=st.integers(min_value=0, max_value=10**6))
def test_status_round_trip(to, text, status, created, delay):
    updated = created + timedelta(seconds=delay)
    record = MessageRecord(id="sb_x", to=to, text=text, status=status, created_at=created, updated_at=updated)
    response = wire.status_response(record, "77")
    report = wire.parse_status(response, "77")
    # A Budapest wall-clock time in the hour the clocks go back names two instants; the
    # provider's offset-less format cannot tell them apart: either reading is right.
    readings = {updated, updated - timedelta(hours=1), updated + timedelta(hours=1)} \
        if _ambiguous_in_budapest(updated) else {updated}
    assert report.updated_at in readings
    assert (report.status, report.raw) == (status, wire.from_status(status))
    assert wire.join_recipient(response["country_code"], response["area_code"], response["number"]) == to


@given(events=st.lists(st.builds(StatusEvent, status=statuses, at=aware_datetimes,
                                 comment=st.none() | st.text(min_size=1, max_size=20)), max_size=6))
def test_history_round_trip(events):
    parsed = wire.parse_history(wire.history_response(events))
    expected = sorted(events, key=lambda e: e.at)
    assert [(e.status, e.at, e.comment) for e in parsed] == [(e.status, e.at, e.comment) for e in expected]


@given(amount=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_credit_round_trip(amount):
    assert wire.parse_credit(wire.credit_response(amount)) == amount


@given(stats=st.dictionaries(st.tuples(st.integers(2000, 2099), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
                             st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), max_size=12))
def test_monthly_round_trip(stats):
    rows = [MonthlyStat(m, d, f) for m, (d, f) in stats.items()]
    assert wire.parse_monthly(wire.monthly_response(rows)) == sorted(rows, key=lambda s: s.month)


@settings(max_examples=200)
@given(to=e164_numbers)
def test_recipient_round_trip(to):
    parts = wire.split_recipient(to)
    assert wire.join_recipient(parts["country_code"], parts["area_code"], parts["number"]) == to
    assert wire.parse_send_request(wire.build_send(to, "x")) == (to, "x")


def _ambiguous_in_budapest(at: datetime) -> bool:
    local = at.astimezone(ZoneInfo("Europe/Budapest")).replace(tzinfo=None)
    zone = ZoneInfo("Europe/Budapest")
    return local.replace(tzinfo=zone, fold=0).utcoffset() != local.replace(tzinfo=zone, fold=1).utcoffset()


# -- the core's convention -----------------------------------------------------------------
def test_wire_follows_the_core_convention():
    from smsbridge.wire import check_wire

    assert check_wire(wire) == []


def test_provider_id_for_is_a_time_ordered_number_that_carries_nothing():
    from smsbridge import ids

    first = ids.new_message_id()
    later = f"sb_{int(first[3:15], 16) + 1:012x}{first[15:]}"      # one millisecond after
    sms_id = wire.provider_id_for(first)
    assert sms_id == wire.provider_id_for(first)                     # every process proposes the same
    assert sms_id.isdigit() and int(sms_id) < 2**53                  # JavaScript reads it exactly
    assert int(wire.provider_id_for(later)) > int(sms_id)            # increasing with time
    assert int(sms_id) // 1000 == int(first[3:15], 16)               # milliseconds * 1000 + 3 digits
    assert wire.message_id_in(sms_id) is None                        # the journal's alias finds it
    assert int(wire.provider_id_for("not-ours")) < 2**53


@pytest.mark.parametrize("word, status", [
    ("not_delivered", Status.UNDELIVERED), ("in-progress", Status.SENT), ("IN PROGRESS", Status.SENT),
    ("0", Status.UNKNOWN), (9, Status.CANCELED), ("nem kézbesíthető", Status.UNDELIVERED),
])
def test_status_spellings(word, status):
    assert wire.to_status(word) is status


def test_times_are_budapest_wall_clock_both_ways():
    summer = datetime(2024, 7, 1, 10, 0, tzinfo=timezone.utc)
    assert wire.format_time(summer) == "2024-07-01 12:00:00"
    assert wire.format_time(summer.replace(tzinfo=None)) == "2024-07-01 12:00:00"   # naive = UTC
    assert wire.parse_time("2024-07-01 12:00:00") == summer
    assert wire.parse_time("2024.07.01 12:00") == summer                            # PHP's variants
    assert wire.parse_time(summer.timestamp()) == summer
    assert wire.parse_time("garbage") is None and wire.parse_time(None) is None


def test_a_send_reads_codes_500_and_504_as_maybe_accepted():
    for code in (wire.E_INTERNAL, wire.E_UNKNOWN):
        reply = wire.error_reply(code)
        assert type(wire.error_from_reply(200, reply, sending=True)) is DeliveryUnknown
        assert type(wire.error_from_reply(200, reply)) is ProviderUnavailable


def test_refusal_is_the_cores_wire_error():
    from smsbridge.wire import WireError

    refusal = wire.refusal(wire.E_SESSION)
    assert isinstance(refusal, WireError) and wire.WireError is WireError
    assert (refusal.status, refusal.code, refusal.message) == (401, 102, wire.ERROR_MESSAGES[wire.E_SESSION])
    assert wire.reply_for_error(refusal) == (401, wire.error_reply(102))
