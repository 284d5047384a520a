"""Vonage's SMS API wire format (plugins/vonage/wire.py), as tables of real payloads.

Payloads are the ones shared/providers.md §2 records (vonage 4.9.1 / 3.12 on the wire);
signatures are checked against the official SDK's own ``Auth.sign_params``.
"""
from __future__ import annotations

import base64
import time
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st
from smsbridge_plugins.vonage import wire
from wire_fuzz import json_values, read_raising_only_smsbridge_errors

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

# --------------------------------------------------------------------------- send request

def test_build_send_is_what_the_4x_sdk_sends():
    # providers.md §2.3: body to=447700900000&from=AcmeInc&text=Hello&client-ref=ref-1
    sdk_body = "to=447700900000&from=AcmeInc&text=Hello&client-ref=ref-1"
    ours = wire.build_send("+447700900000", "Hello", sender="AcmeInc", client_ref="ref-1")
    assert ours == dict(parse_qsl(sdk_body))


def test_unicode_text_is_sent_as_type_unicode():
    assert wire.build_send("+36301234567", "ő", sender="A", encoding="ucs2")["type"] == "unicode"
    assert "type" not in wire.build_send("+36301234567", "o", sender="A", encoding="gsm7")


def test_backend_params_round_trip_through_the_face_parser():
    params = wire.build_send("+36301234567", "Szia ő", sender="Acme", encoding="ucs2", client_ref="r1",
                              callback="https://x.test/dlr", status_report=True, ttl=60000)
    parsed = wire.parse_send_request(params)
    assert parsed == wire.SendRequest(to="+36301234567", text="Szia ő", sender="Acme", client_ref="r1",
                                      callback="https://x.test/dlr", status_report=True, type="unicode")


def test_json_bodies_with_native_types_parse_too():
    parsed = wire.parse_send_request({"to": 36301234567, "from": "Acme", "text": "hi", "status-report-req": False})
    assert parsed.to == "+36301234567" and parsed.status_report is False


@pytest.mark.parametrize("params, status", [
    ({"from": "A", "text": "hi"}, "2"),
    ({"to": "36301234567", "text": "hi"}, "2"),
    ({"to": "36301234567", "from": "A"}, "2"),
    ({"to": "36301234567", "from": "A", "text": ""}, "2"),
    ({"to": "36-30-123", "from": "A", "text": "hi"}, "3"),
    ({"to": "abc", "from": "A", "text": "hi"}, "3"),
    ({"to": "36301234567", "from": "A", "text": "hi", "type": "wap"}, "3"),
    ({"to": "36301234567", "from": "A", "text": "hi", "type": "binary", "body": "00"}, "3"),
    ({"to": "36301234567", "from": "A", "text": "hi", "callback": "ftp://x"}, "23"),
    ({"to": "36301234567", "from": "A", "text": "\ud800"}, "3"),       # a lone surrogate from JSON
    ({"to": "36301234567", "from": "\udfff", "text": "hi"}, "3"),
])
def test_unusable_requests_get_vonages_status_codes(params, status):
    with pytest.raises(wire.WireError) as caught:
        wire.parse_send_request(params)
    assert caught.value.code == status and caught.value.status == 200


@pytest.mark.parametrize("to, e164", [("447700900000", "+447700900000"), ("+36301234567", "+36301234567"),
                                      ("0036301234567", "+36301234567")])
def test_numbers_arrive_as_bare_digits(to, e164):
    assert wire.parse_send_request({"to": to, "from": "A", "text": "x"}).to == e164


# --------------------------------------------------------------------------- credentials

def test_credentials_from_a_basic_header():
    header = "Basic " + base64.b64encode(b"abc123:s3cr3t").decode()
    assert header == "Basic YWJjMTIzOnMzY3IzdA=="  # providers.md §2.3
    creds = wire.credentials_from(header, {})
    assert (creds.how, creds.api_key, creds.api_secret) == ("basic", "abc123", "s3cr3t")


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(),
                                    "Basic " + base64.b64encode(b"\xff\xfe:x").decode()])
def test_broken_basic_headers_carry_no_usable_credentials(header):
    creds = wire.credentials_from(header, {})
    assert creds.how == "basic" and (creds.api_key is None or creds.api_secret is None)


def test_credentials_from_the_body_and_from_a_signature():
    body = wire.credentials_from(None, {"api_key": "k", "api_secret": "s", "to": "1"})
    assert (body.how, body.api_key, body.api_secret) == ("body", "k", "s")
    signed = wire.credentials_from(None, {"api_key": "k", "timestamp": "1", "sig": "ab", "to": "1"})
    assert (signed.how, signed.sig, signed.timestamp) == ("signature", "ab", "1")
    assert signed.signed == {"api_key": "k", "timestamp": "1", "to": "1"}
    assert wire.credentials_from(None, {"to": "1"}).how == "none"


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_signatures_match_the_official_sdk(method):
    from vonage_http_client.auth import Auth

    params = {"to": "447700900000", "from": "Acme&Co", "text": "a=b & c", "api_key": "k", "timestamp": 1700000000}
    expected = Auth(api_key="k", signature_secret="secret-123", signature_method=method).sign_params(dict(params))
    assert wire.sign(params, "secret-123", method) == expected


def test_a_4x_sdk_request_verifies_although_it_signed_its_unset_fields():
    """The 4.x SDK signs ``model_dump`` including None fields; requests then drops them."""
    from vonage_http_client.auth import Auth
    from vonage_sms import SmsMessage

    now = int(time.time())
    signed_by_sdk = SmsMessage(to="447700900000", from_="Acme", text="Hi", client_ref="r").model_dump(by_alias=True)
    signed_by_sdk.update(api_key="k", timestamp=now)
    sig = Auth(api_key="k", signature_secret="secret-123", signature_method="sha256").sign_params(signed_by_sdk)
    on_the_wire = {k: str(v) for k, v in signed_by_sdk.items() if v is not None}
    on_the_wire["sig"] = sig
    creds = wire.credentials_from(None, on_the_wire)
    assert wire.check_signature(creds, "secret-123")
    assert not wire.check_signature(creds, "wrong-secret")


@pytest.mark.parametrize("method", ["md5", "sha512", None, "md5hash"])
def test_3x_style_signatures_verify(method):
    params = {"to": "447700900000", "from": "Acme", "text": "Hi", "api_key": "k", "timestamp": str(int(time.time()))}
    params["sig"] = wire.sign(params, "s", method)
    assert wire.check_signature(wire.credentials_from(None, params), "s")


def test_old_or_missing_timestamps_fail():
    params = {"to": "1", "text": "x", "api_key": "k", "timestamp": str(int(time.time()) - 3600)}
    params["sig"] = wire.sign(params, "s", "md5")
    assert not wire.check_signature(wire.credentials_from(None, params), "s")
    params = {"to": "1", "api_key": "k"}
    params["sig"] = wire.sign(params, "s", "md5")
    assert not wire.check_signature(wire.credentials_from(None, params), "s")
    bad = {"to": "1", "api_key": "k", "timestamp": "soon", "sig": "00"}
    assert not wire.check_signature(wire.credentials_from(None, bad), "s")


# --------------------------------------------------------------------------- send reply

def test_success_reply_is_vonages_all_strings_shape():
    reply = wire.render_send_reply(to="+447700900000", message_ids=["0A0000000123ABCD1"], client_ref="ref-1",
                                   remaining_balance="3.14159265", message_price="0.03330000", network="23410")
    assert reply == {"message-count": "1", "messages": [{
        "to": "447700900000", "message-id": "0A0000000123ABCD1", "status": "0", "remaining-balance": "3.14159265",
        "message-price": "0.03330000", "network": "23410", "client-ref": "ref-1"}]}


def test_a_long_message_has_one_entry_per_part():
    ids = wire.message_ids_for("sb_0123", 3)
    reply = wire.render_send_reply(to="+36301234567", message_ids=ids)
    assert reply["message-count"] == "3" and [m["message-id"] for m in reply["messages"]] == ids
    result = wire.parse_send_reply(reply)
    assert result.segments == 3 and result.message_ids == ids


def test_the_official_sdk_reads_our_reply():
    from vonage_sms import SmsResponse

    reply = wire.render_send_reply(to="+36301234567", message_ids=wire.message_ids_for("sb_x", 2), client_ref="r")
    response = SmsResponse(**reply)
    assert response.message_count == "2" and response.messages[1].client_ref == "r"


@given(st.text(min_size=1, max_size=40), st.integers(min_value=1, max_value=10))
def test_message_ids_look_like_vonages_and_are_deterministic(message_id, parts):
    ids = wire.message_ids_for(message_id, parts)
    assert len(ids) == parts == len(set(ids))
    assert all(len(i) == 32 and all(c in "0123456789ABCDEF" for c in i) for i in ids)
    assert ids == wire.message_ids_for(message_id, parts)


def test_error_reply_shape():
    # providers.md §2.2: {"message-count":"1","messages":[{"status":"4","error-text":"Bad Credentials"}]}
    assert wire.render_send_error("4") == {"message-count": "1",
                                          "messages": [{"status": "4", "error-text": "Bad Credentials"}]}


@pytest.mark.parametrize("status, text, error", [
    ("1", "Throttled", ProviderUnavailable),
    ("2", "Missing to param", InvalidMessage),
    ("3", "Invalid to address", InvalidNumber),
    ("3", "Invalid from param", InvalidMessage),
    ("4", "Bad Credentials", AuthenticationError),
    ("5", "Internal Error", ProviderUnavailable),
    ("6", "Invalid Message", InvalidMessage),
    ("7", "Number barred", ProviderError),
    ("8", "Partner account barred", AuthenticationError),
    ("9", "Quota Exceeded - rejected", InsufficientCredit),
    ("12", "Message too long", InvalidMessage),
    ("14", "Invalid Signature", AuthenticationError),
    ("15", "Illegal Sender Address - rejected", InvalidMessage),
    ("29", "Non White-listed Destination - rejected", ProviderError),
    ("33", "Number de-activated", InvalidNumber),
    ("99", None, ProviderError),
])
def test_statuses_map_to_smsbridge_errors(status, text, error):
    with pytest.raises(error) as caught:
        wire.parse_send_reply(wire.render_send_error(status, text), backend="vg")
    if isinstance(caught.value, ProviderError):
        assert caught.value.retry_safe  # a non-zero status: Vonage did not accept it
        assert caught.value.code == status


def test_partial_acceptance_is_not_retry_safe():
    reply = {"message-count": "2", "messages": [{"status": "0", "message-id": "A"},
                                                {"status": "5", "error-text": "Internal Error"}]}
    with pytest.raises(ProviderError) as caught:
        wire.parse_send_reply(reply)
    assert not caught.value.retry_safe


@pytest.mark.parametrize("payload", [None, {}, {"messages": []}, {"message-count": "1", "messages": [{"status": "0"}]},
                                     "<html>"])
def test_unreadable_200_replies_are_delivery_unknown(payload):
    with pytest.raises(DeliveryUnknown):
        wire.parse_send_reply(payload)


@pytest.mark.parametrize("http, sending, error", [
    (401, True, AuthenticationError), (429, True, ProviderUnavailable), (503, True, ProviderUnavailable),
    (400, True, ProviderError), (404, False, NotFound), (500, True, DeliveryUnknown), (502, True, DeliveryUnknown),
    (500, False, ProviderUnavailable),
])
def test_http_errors_map_to_smsbridge_errors(http, sending, error):
    assert type(wire.error_from_reply(http, {"title": "x"}, sending=sending)) is error


@pytest.mark.parametrize("error, http, status", [
    (InvalidNumber("'+1' is not a valid phone number"), 200, "3"),
    (InvalidMessage("needs 9 segments, more than max_segments 6", reason="too_long"), 200, "12"),
    (InvalidMessage("invalid sender '!!'", reason="bad_sender"), 200, "15"),
    (InvalidMessage("vetoed"), 200, "6"),
    (InsufficientCredit("no credit"), 200, "9"),
    (ProviderUnavailable("down"), 200, "5"),
    (AuthenticationError("upstream"), 200, "5"),
    (ProviderError("refused", pre_acceptance=True), 200, "5"),
    (DeliveryUnknown("lost"), 502, None),
    (ProviderError("odd"), 502, None),
])
def test_face_answers_for_smsbridge_errors(error, http, status):
    got_http, body = wire.reply_for_error(error, to="+36301234567")
    assert got_http == http
    if status is not None:
        assert body["message-count"] == "1" and body["messages"][0]["status"] == status
        assert body["messages"][0]["to"] == "36301234567"


@pytest.mark.parametrize("error", [InvalidNumber("bad number"), InsufficientCredit("x"), ProviderUnavailable("x"),
                                   InvalidMessage("too long: 9 segments")])
def test_face_errors_read_back_as_the_same_error_class(error):
    _, body = wire.reply_for_error(error)
    with pytest.raises(type(error)):
        wire.parse_send_reply(body)


# --------------------------------------------------------------------------- balance

def test_balance_round_trip():
    assert wire.render_balance(Decimal("10.28")) == {"value": 10.28, "autoReload": False}
    assert wire.parse_balance({"value": 10.28, "autoReload": False}) == Decimal("10.28")
    with pytest.raises(ProviderError):
        wire.parse_balance({"autoReload": False})


# --------------------------------------------------------------------------- delivery receipts

def test_dlr_fields():
    at = datetime(2024, 5, 1, 12, 30, 5, tzinfo=timezone.utc)
    dlr = wire.render_dlr(message_id="0A0000000123ABCD1", to="+447700900000", sender="AcmeInc",
                          status=Status.DELIVERED, api_key="abc123", client_ref="ref-1", at=at)
    assert dlr == {"msisdn": "447700900000", "to": "AcmeInc", "network-code": "", "messageId": "0A0000000123ABCD1",
                   "price": "0.00000000", "status": "delivered", "scts": "2405011230", "err-code": "0",
                   "api-key": "abc123", "message-timestamp": "2024-05-01 12:30:05", "client-ref": "ref-1"}
    assert wire.parse_dlr(dlr) == ("0A0000000123ABCD1", Status.DELIVERED, "0")


@pytest.mark.parametrize("status, word, back", [
    (Status.SENT, "accepted", Status.SENT), (Status.QUEUED, "buffered", Status.SENT),
    (Status.DELIVERED, "delivered", Status.DELIVERED), (Status.EXPIRED, "expired", Status.EXPIRED),
    (Status.FAILED, "failed", Status.FAILED), (Status.UNDELIVERED, "failed", Status.UNDELIVERED),
    (Status.REJECTED, "rejected", Status.REJECTED), (Status.UNKNOWN, "unknown", Status.UNKNOWN),
])
def test_dlr_status_words_round_trip(status, word, back):
    dlr = wire.render_dlr(message_id="X", to="+1", sender=None, status=status, api_key="k")
    assert dlr["status"] == word
    assert wire.parse_dlr(dlr)[1] is back


def test_search_message_shape():
    at = datetime(2024, 5, 1, tzinfo=timezone.utc)
    found = wire.render_search_message(message_id="ABC", account_id="k", to="+36301234567", sender="A", body="hi",
                                       status=Status.DELIVERED, created_at=at, updated_at=at)
    assert found["final-status"] == "DELIVRD" and found["to"] == "36301234567"
    assert found["date-received"] == "2024-05-01 00:00:00"


# --------------------------------------------------------------------------- the core's wire convention

def test_the_wire_module_follows_the_convention():
    from smsbridge.wire import WireError, check_wire

    assert check_wire(wire) == []
    assert issubclass(wire.WireError, WireError)
    refusal = wire.WireError("Missing to param", code="2", field="to")  # a refused message: HTTP 200
    assert (refusal.status, refusal.code, refusal.field, refusal.message) == (200, "2", "to", "Missing to param")
    assert wire.reply_for_error(refusal, to="+36301234567") == (200, wire.render_send_error("2", "Missing to param",
                                                                                            to="+36301234567"))
    http_level = wire.WireError("Bad body", status=400, code=None)
    assert wire.reply_for_error(http_level) == (400, wire.http_error_body(400, "Bad body"))


def test_the_first_part_id_carries_the_message_id():
    message_id = "sb_0192a3b4c5d6e7f8a9b0c1d2"
    first, second = wire.message_ids_for(message_id, 2)
    assert first == wire.provider_id_for(message_id) and first == first.upper() and len(first) == 32
    assert wire.message_id_in(first) == message_id
    assert wire.message_id_in(first.lower()) == message_id  # the face upper-cases, a caller may not
    assert wire.message_id_in(second) is None                # other parts: journal aliases
    assert wire.message_id_in("0A0000000123ABCD") is None    # a real Vonage id is not ours


@pytest.mark.parametrize("word, status", [("DELIVERED", Status.DELIVERED), (" buffered ", Status.SENT),
                                          ("accepted", Status.SENT), ("something new", Status.UNKNOWN)])
def test_status_words_are_data(word, status):
    assert wire.to_status(word) is status


def test_every_status_has_a_receipt_word_and_a_final_status():
    assert {wire.from_status(s) for s in Status} <= set(wire.STATUSES.incoming)
    assert wire.FINAL_STATUSES.from_status(Status.QUEUED) == ""


def test_message_timestamps_both_ways():
    at = datetime(2024, 5, 1, 12, 30, 5, tzinfo=timezone.utc)
    assert wire.format_time(at) == "2024-05-01 12:30:05"
    assert wire.parse_time("2024-05-01 12:30:05") == at
    assert wire.parse_time("not a time") is None and wire.parse_time("") is None


@pytest.mark.parametrize("http, payload, error", [
    (200, {"message-count": "1", "messages": [{"status": "4", "error-text": "Bad Credentials"}]}, AuthenticationError),
    (200, {"message-count": "1", "messages": [{"status": "3", "error-text": "Invalid to address"}]}, InvalidNumber),
    (200, {"message-count": "1", "messages": [{"status": "3", "error-text": "Invalid from param"}]}, InvalidMessage),
    (200, {"message-count": "1", "messages": [{"status": "29"}]}, ProviderError),
    (403, {"title": "Forbidden"}, AuthenticationError),
    (500, None, ProviderUnavailable),
])
def test_one_table_reads_per_message_statuses_and_http_statuses(http, payload, error):
    got = wire.error_from_reply(http, payload, backend="vg")
    assert type(got) is error


@given(json_values(floats=True), st.sampled_from([200, 400, 401, 429, 500, 503]))
def test_hostile_replies_read_as_smsbridge_errors_only(payload, http):
    read_raising_only_smsbridge_errors([wire.parse_send_reply, wire.parse_balance], payload)
    assert isinstance(wire.error_from_reply(http, payload, sending=True), Exception)
