"""Twilio's wire format (plugins/twilio/wire.py), as tables of real payloads.

Payloads are the ones shared/providers.md §1 records from twilio 9.13 on the wire.
Round trips prove the module is written once: what the backend builds is what the face
parses, what the face renders is what the backend (and the SDK) parse.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st
from smsbridge_plugins.twilio import wire

import smsbridge.wire
from smsbridge import (
    AuthenticationError,
    DeliveryUnknown,
    InsufficientCredit,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    Status,
)

AC = "AC" + "0" * 32


# --------------------------------------------------------------------------- the convention

def test_the_wire_module_follows_the_core_convention():
    assert smsbridge.wire.check_wire(wire) == []
    assert issubclass(wire.WireError, smsbridge.wire.WireError)
    refused = wire.WireError("A 'To' phone number is required.", code=21604, field="To")
    assert (refused.status, refused.code, refused.field) == (400, 21604, "To")


def test_the_face_answers_errors_from_the_wire_table():
    """The face and the SDK shim answer from one table, so a caller sees the same error."""
    from smsbridge_plugins.twilio.gateway import TwilioFace

    assert TwilioFace.errors.replies is wire.ERROR_REPLIES


# --------------------------------------------------------------------------- status words

@pytest.mark.parametrize("word, status", [
    ("queued", Status.QUEUED), ("accepted", Status.QUEUED),
    ("sending", Status.QUEUED), ("sent", Status.SENT), ("partially_delivered", Status.SENT),
    ("delivered", Status.DELIVERED), ("read", Status.DELIVERED), ("undelivered", Status.UNDELIVERED),
    ("failed", Status.FAILED), ("canceled", Status.CANCELED), ("scheduled", Status.SCHEDULED), ("Delivered", Status.DELIVERED),
    ("something-new", Status.UNKNOWN), ("", Status.UNKNOWN), (None, Status.UNKNOWN),
])
def test_twilio_words_map_onto_status(word, status):
    assert wire.to_status(word) is status


@pytest.mark.parametrize("status, word", [
    (Status.QUEUED, "queued"), (Status.SENT, "sent"), (Status.DELIVERED, "delivered"),
    (Status.UNDELIVERED, "undelivered"), (Status.FAILED, "failed"),
    (Status.EXPIRED, "undelivered"), (Status.REJECTED, "failed"), (Status.UNKNOWN, "sending"),
])
def test_status_renders_as_a_twilio_word(status, word):
    assert wire.from_status(status) == word


@pytest.mark.parametrize("status", list(Status))
def test_every_status_survives_the_round_trip_up_to_twilio_vocabulary(status):
    # Twilio has no expired/rejected/unknown: those come back as the nearest Twilio meaning
    back = wire.to_status(wire.from_status(status))
    expected = {Status.EXPIRED: Status.UNDELIVERED, Status.REJECTED: Status.FAILED,
                Status.UNKNOWN: Status.QUEUED}.get(status, status)
    assert back is expected
    assert back.final == status.final  # a final message never reads as in flight, and vice versa


# --------------------------------------------------------------------------- ids

def test_sid_embeds_smsbridge_ids_reversibly():
    message_id = "sb_018f3c2a1b2c9d8e7f6a5b4c"
    sid = wire.provider_id_for(message_id)
    assert wire.MESSAGE_SID_RE.match(sid) and len(sid) == 34
    assert wire.message_id_in(sid) == message_id
    assert wire.provider_id_for(message_id) == sid  # deterministic: shim and gateway agree


@given(st.text(alphabet="0123456789abcdef", min_size=24, max_size=24))
def test_any_smsbridge_id_round_trips_through_its_sid(hexpart):
    message_id = "sb_" + hexpart
    assert wire.message_id_in(wire.provider_id_for(message_id)) == message_id


@pytest.mark.parametrize("message_id", ["42", "018f3c2a-uuid-ish", "x" * 80, "sb_TOOSHORT"])
def test_other_ids_get_a_well_formed_sid_but_need_the_alias_table(message_id):
    sid = wire.provider_id_for(message_id)
    assert wire.MESSAGE_SID_RE.match(sid)
    assert wire.message_id_in(sid) is None


@pytest.mark.parametrize("sid", ["SM" + "0" * 32, "SMnothex", "", "SM" + "0" * 33, "MM" + "f" * 32, None, 42])
def test_forged_or_malformed_sids_yield_no_id(sid):
    assert wire.message_id_in(sid) is None


def test_tampered_sid_is_not_decoded():
    sid = wire.provider_id_for("sb_018f3c2a1b2c9d8e7f6a5b4c")
    tampered = sid[:10] + ("0" if sid[10] != "0" else "1") + sid[11:]
    assert wire.message_id_in(tampered) is None


# --------------------------------------------------------------------------- create

def test_create_form_is_what_the_sdk_sends():
    # providers.md §1.3: body To=%2B15558675310&StatusCallback=...&From=%2B15017122661&Body=Hello
    sdk_body = "To=%2B15558675310&StatusCallback=http%3A%2F%2F127.0.0.1%3A9%2Fcb&From=%2B15017122661&Body=Hello"
    ours = wire.build_send("+15558675310", "Hello", sender="+15017122661", status_callback="http://127.0.0.1:9/cb")
    assert ours == dict(parse_qsl(sdk_body))


def test_backend_form_round_trips_through_the_face_parser():
    form = wire.build_send("+36301234567", "Szia ő", sender="Acme", status_callback="https://x.test/cb",
                            messaging_service_sid="MG" + "1" * 32)
    parsed = wire.parse_send_request(form)
    assert parsed == wire.CreateRequest(to="+36301234567", body="Szia ő", sender="Acme",
                                        status_callback="https://x.test/cb", messaging_service_sid="MG" + "1" * 32)


@pytest.mark.parametrize("form, status, code", [
    ({"Body": "hi", "From": "+15017122661"}, 400, 21604),
    ({"To": "  ", "Body": "hi"}, 400, 21604),
    ({"To": "+36301234567", "From": "+15017122661"}, 400, 21602),
    ({"To": "+36301234567", "Body": ""}, 400, 21602),
    ({"To": "+36301234567", "Body": "x" * 1601}, 400, 21617),
    ({"To": "+36301234567", "Body": "hi", "MediaUrl": "https://x.test/a.png"}, 400, 21620),
    ({"To": "+36301234567", "Body": "hi", "StatusCallback": "javascript:alert(1)"}, 400, 21609),
    ({"To": "+36301234567", "Body": "\ud800"}, 400, 21200),   # lone surrogate (Python callers only)
])
def test_unusable_create_forms_get_twilios_own_codes(form, status, code):
    with pytest.raises(wire.WireError) as caught:
        wire.parse_send_request(form)
    assert (caught.value.status, caught.value.code) == (status, code)


def test_repeated_form_keys_keep_the_last_value():
    parsed = wire.parse_send_request({"To": ["+1", "+36301234567"], "Body": ["a", "b"]})
    assert (parsed.to, parsed.body) == ("+36301234567", "b")


# --------------------------------------------------------------------------- message JSON

SDK_KEYS = {"account_sid", "api_version", "body", "date_created", "date_sent", "date_updated", "direction",
            "error_code", "error_message", "from", "messaging_service_sid", "num_media", "num_segments", "price",
            "price_unit", "sid", "status", "subresource_uris", "to", "uri"}


def test_message_json_has_every_key_with_twilios_types():
    created = datetime(2010, 8, 18, 20, 1, 40, tzinfo=timezone.utc)
    sid = "SM" + "a" * 32
    payload = wire.render_message(account_sid=AC, sid=sid, to="+15558675310", body="Hello", status=Status.QUEUED,
                                  sender="+15017122661", segments=2, created_at=created, updated_at=created)
    assert set(payload) == SDK_KEYS
    assert payload["date_created"] == "Wed, 18 Aug 2010 20:01:40 +0000"   # RFC 2822
    assert payload["date_sent"] is None                                    # not sent yet
    assert payload["num_segments"] == "2" and payload["num_media"] == "0"  # strings
    assert payload["error_code"] is None and payload["price"] is None
    assert payload["uri"] == f"/2010-04-01/Accounts/{AC}/Messages/{sid}.json"
    assert payload["direction"] == "outbound-api" and payload["api_version"] == "2010-04-01"


def test_failed_messages_always_carry_an_error_code():
    undelivered = wire.render_message(account_sid=AC, sid="SM" + "b" * 32, to="+1", body="x",
                                      status=Status.UNDELIVERED)
    failed = wire.render_message(account_sid=AC, sid="SM" + "b" * 32, to="+1", body="x", status=Status.FAILED,
                                 error_code="30007")
    assert undelivered["error_code"] == 30003 and failed["error_code"] == 30007


def test_rendered_message_parses_back():
    at = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    payload = wire.render_message(account_sid=AC, sid="SM" + "c" * 32, to="+36301234567", body="x",
                                  status=Status.DELIVERED, sender="Acme", segments=3, created_at=at, updated_at=at)
    parsed = wire.parse_send_reply(payload)
    assert (parsed.sid, parsed.status, parsed.word, parsed.segments) == ("SM" + "c" * 32, Status.DELIVERED,
                                                                         "delivered", 3)
    assert parsed.updated_at == at and parsed.to == "+36301234567" and parsed.sender == "Acme"


def test_a_real_twilio_reply_parses():
    # the shape of Twilio's documented example reply
    real = {"account_sid": AC, "api_version": "2010-04-01", "body": "Hello",
            "date_created": "Thu, 24 Aug 2023 05:01:45 +0000", "date_sent": "Thu, 24 Aug 2023 05:01:45 +0000",
            "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000", "direction": "outbound-api", "error_code": None,
            "error_message": None, "from": "+15017122661", "num_media": "0", "num_segments": "1",
            "price": "-0.00790", "price_unit": "USD", "messaging_service_sid": None,
            "sid": "SM" + "1" * 32, "status": "sent", "subresource_uris": {}, "to": "+15558675310",
            "uri": f"/2010-04-01/Accounts/{AC}/Messages/SM{'1' * 32}.json"}
    parsed = wire.parse_send_reply(real)
    assert parsed.status is Status.SENT and parsed.segments == 1
    assert parsed.created_at == datetime(2023, 8, 24, 5, 1, 45, tzinfo=timezone.utc)


@pytest.mark.parametrize("payload", [None, [], {}, {"sid": ""}, {"sid": 5}, "SM..."])
def test_replies_without_a_sid_are_provider_errors(payload):
    with pytest.raises(ProviderError):
        wire.parse_send_reply(payload)


@pytest.mark.parametrize("text", ["", "yesterday", None, 17, "Wed, 99 Foo 2010"])
def test_unparseable_dates_are_none(text):
    assert wire.parse_time(text) is None


@pytest.mark.parametrize("status, code, shown", [
    (Status.FAILED, "30007", 30007), (Status.UNDELIVERED, 30005, 30005), (Status.EXPIRED, "30003", 30003),
    (Status.FAILED, "EC_UNKNOWN", None), (Status.FAILED, "1", None), (Status.FAILED, None, None),
    (Status.DELIVERED, "30007", None),   # a delivered message shows no error code
])
def test_only_failed_messages_show_a_twilio_error_code(status, code, shown):
    assert wire.shown_error_code(status, code) == shown


def test_the_other_twilio_time_forms():
    at = datetime(2024, 5, 1, 12, 30, 5, tzinfo=timezone.utc)
    assert wire.list_query("+1", sent_after=at)["DateSent>"] == "2024-05-01T12:30:05Z"
    assert "DateSent>" not in wire.list_query("+1")
    assert wire.DLR_DONE_DATE.parse("2405011230") == datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)
    assert wire.DLR_DONE_DATE.parse("not a date") is None and wire.DLR_DONE_DATE.parse(None) is None
    assert wire.format_time(at) == "Wed, 01 May 2024 12:30:05 +0000"
    assert wire.parse_time("Wed, 01 May 2024 12:30:05 +0000") == at


# --------------------------------------------------------------------------- list JSON

def test_list_json_has_the_paging_keys_the_sdk_needs():
    page = wire.render_list([{"sid": "SM1"}, {"sid": "SM2"}], account_sid=AC, page=1, page_size=2, has_more=True,
                            filters={"To": "+36301234567", "From": ""})
    meta = {"end", "first_page_uri", "next_page_uri", "page", "page_size", "previous_page_uri", "start", "uri"}
    assert set(page) == meta | {"messages"}  # exactly one non-meta key: the SDK finds the records there
    assert page["next_page_uri"].startswith(f"/2010-04-01/Accounts/{AC}/Messages.json?")
    assert dict(parse_qsl(page["next_page_uri"].split("?")[1])) == {"To": "+36301234567", "PageSize": "2",
                                                                    "Page": "2"}
    assert (page["start"], page["end"], page["page"]) == (2, 3, 1)
    last = wire.render_list([], account_sid=AC, page=0, page_size=50, has_more=False)
    assert last["next_page_uri"] is None and last["previous_page_uri"] is None


@pytest.mark.parametrize("query, window", [({}, (0, 50)), ({"PageSize": "5"}, (0, 5)),
                                           ({"PageSize": "5", "Page": "3"}, (3, 5))])
def test_page_window(query, window):
    assert wire.page_window(query) == window


@pytest.mark.parametrize("query", [{"PageSize": "0"}, {"PageSize": "-1"}, {"PageSize": "abc"},
                                   {"PageSize": "100000"}, {"Page": "-2"}, {"Page": "1e3"}])
def test_bad_paging_is_a_400(query):
    with pytest.raises(wire.WireError) as caught:
        wire.page_window(query)
    assert caught.value.status == 400


# --------------------------------------------------------------------------- errors

def test_error_json_is_twilios_and_never_rfc9457():
    body = wire.render_error(400, 21211, "The 'To' number +10000000000 is not a valid phone number.")
    assert body == {"code": 21211, "message": "The 'To' number +10000000000 is not a valid phone number.",
                    "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}
    assert not {"type", "title"} <= set(body)  # would turn the SDK's TwilioRestException into a ServiceException


@pytest.mark.parametrize("http, payload, sending, error", [
    (401, {"code": 20003, "message": "Authenticate", "status": 401}, True, AuthenticationError),
    (400, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}, True,
     InvalidNumber),
    (400, {"code": 21604, "message": "A 'To' phone number is required."}, True, InvalidNumber),
    (400, {"code": 21602, "message": "Message body is required."}, True, InvalidMessage),
    (400, {"code": 21617, "message": "too long"}, True, InvalidMessage),
    (400, {"code": 20005, "message": "Account not active"}, True, InsufficientCredit),
    (429, {"code": 20429, "message": "Too Many Requests"}, True, ProviderUnavailable),
    (503, {"code": 20503, "message": "Service unavailable"}, True, ProviderUnavailable),
    (503, None, True, ProviderUnavailable),
    (404, {"code": 20404, "message": "not found"}, False, NotFound),
    (500, {"code": 20500, "message": "Internal"}, True, DeliveryUnknown),
    (502, None, True, DeliveryUnknown),
    (500, None, False, ProviderUnavailable),
    (400, {"code": 21610, "message": "unsubscribed recipient"}, True, ProviderError),
])
def test_error_replies_map_to_smsbridge_errors(http, payload, sending, error):
    got = wire.error_from_reply(http, payload, backend="tw", sending=sending)
    assert type(got) is error
    if type(got) is ProviderError:
        assert got.retry_safe and got.code == "21610"  # a 4xx: Twilio created nothing


@pytest.mark.parametrize("error, status, code", [
    (InvalidNumber("'+1' is not a valid phone number"), 400, 21211),
    (InvalidMessage("text needs 9 segments, more than max_segments 6", reason="too_long"), 400, 21617),
    (InvalidMessage("invalid sender '!!!'", reason="bad_sender"), 400, 21212),
    (InvalidMessage("vetoed by opt-out plugin", reason="vetoed"), 400, 30007),
    (NotFound("no such message"), 404, 20404),
    (InsufficientCredit("no credit"), 400, 20005),
    (ProviderUnavailable("down"), 503, 20503),
    (AuthenticationError("upstream refused our token"), 503, 20503),
    (DeliveryUnknown("timeout after sending"), 502, 20500),
    (ProviderError("refused", pre_acceptance=True), 400, 30007),
    (ProviderError("odd"), 502, 20500),
])
def test_face_answers_for_smsbridge_errors(error, status, code):
    got_status, body = wire.reply_for_error(error, to="+1")
    assert (got_status, body["code"], body["status"]) == (status, code, status)
    assert set(body) == {"code", "message", "more_info", "status"}


@pytest.mark.parametrize("error", [InvalidNumber("x"), InsufficientCredit("x"), ProviderUnavailable("x"),
                                   DeliveryUnknown("x"), NotFound("x"), InvalidMessage("too long: 9 segments", reason="too_long")])
def test_face_errors_read_back_as_the_same_error_class(error):
    status, body = wire.reply_for_error(error)
    assert type(wire.error_from_reply(status, body, sending=True)) is type(error)


@pytest.mark.parametrize("reason, code", [
    ("too_long", 21617), ("bad_sender", 21212), ("sender_unsupported", 21212), ("empty", 21602),
    ("opted_out", 21610), ("not_scheduled", 21200), ("bad_request", 21200), ("vetoed", 30007),
    ("bad_text", 30007),
])
def test_invalid_messages_read_by_reason_not_by_text(reason, code):
    # the text says "too long" whatever the reason: only the reason decides
    status, body = wire.reply_for_error(InvalidMessage("too long, empty sender", reason=reason))
    assert (status, body["code"]) == (400, code)


def test_21211_names_the_number_when_the_request_is_known():
    _, named = wire.reply_for_error(InvalidNumber("'+1' is not a valid phone number"), to="+10000000000")
    assert named["message"] == "The 'To' number +10000000000 is not a valid phone number."
    _, plain = wire.reply_for_error(InvalidNumber("'+1' is not a valid phone number"))
    assert plain["message"] == "The 'To' number is not a valid phone number."
    _, other = wire.reply_for_error(NotFound("x"), to="+10000000000")  # only 21211 names it
    assert other["message"] == "The requested resource was not found"


def test_refusals_are_answered_as_they_are():
    status, body = wire.reply_for_error(wire.WireError("SendAt is odd", code=35114))
    assert (status, body) == (400, wire.render_error(400, 35114, "SendAt is odd"))
    status, body = wire.reply_for_error(RuntimeError("secret detail"))
    assert (status, body["code"], body["message"]) == (500, 20500, "Internal error")


def test_upstream_credential_trouble_is_not_reported_as_the_callers():
    status, _ = wire.reply_for_error(AuthenticationError("gateway's own upstream token"))
    assert status != 401


# --------------------------------------------------------------------------- balance

def test_balance_round_trip():
    body = wire.render_balance(AC, Decimal("12.3"), "USD")
    assert body == {"account_sid": AC, "balance": "12.30", "currency": "USD"}
    assert wire.parse_balance(body) == (Decimal("12.30"), "USD")
    assert wire.parse_balance({"account_sid": AC, "balance": "0.001", "currency": "EUR"}) == (Decimal("0.001"), "EUR")


@pytest.mark.parametrize("payload", [None, {"balance": "lots"}, {}])
def test_bad_balance_replies(payload):
    with pytest.raises(ProviderError):
        wire.parse_balance(payload)


# --------------------------------------------------------------------------- status callbacks

def test_status_callback_form_fields():
    at = datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)
    sid = "SM" + "d" * 32
    form = wire.status_callback_form(account_sid=AC, sid=sid, status=Status.UNDELIVERED, to="+36301234567",
                                     sender="+15017122661", done_at=at)
    assert form == {"AccountSid": AC, "ApiVersion": "2010-04-01", "MessageSid": sid, "SmsSid": sid,
                    "MessageStatus": "undelivered", "SmsStatus": "undelivered", "To": "+36301234567",
                    "From": "+15017122661", "ErrorCode": "30003", "RawDlrDoneDate": "2405011230"}
    assert wire.parse_status_callback(form) == (sid, Status.UNDELIVERED, "30003")
    delivered = wire.status_callback_form(account_sid=AC, sid=sid, status=Status.DELIVERED, to="+1")
    assert "ErrorCode" not in delivered


def test_signature_is_the_one_twilios_validator_checks():
    from twilio.request_validator import RequestValidator

    url = "https://example.test/twilio/status?x=1"
    form = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered", "Body": "a&b=c ő", "To": "+1"}
    signature = wire.signature("token-123", url, form)
    validator = RequestValidator("token-123")
    assert signature == validator.compute_signature(url, form)
    assert validator.validate(url, form, signature)
    assert not RequestValidator("other").validate(url, form, signature)


def test_signature_matches_for_repeated_values():
    from twilio.request_validator import RequestValidator

    class Multi(dict):
        def getall(self, key):
            return self[key]

    params = Multi({"MediaUrl": ["b", "a"], "To": ["+1"]})
    assert wire.signature("t", "https://x.test/", params) == RequestValidator("t").compute_signature(
        "https://x.test/", params)
