"""The core's wire convention (smsbridge.wire): the data types every provider declares and the
one implementation of what every provider does with them."""
from __future__ import annotations

import types
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsbridge import errors, ids
from smsbridge.model import Status
from smsbridge.wire import (
    ISO_MILLIS_Z,
    ISO_SECONDS,
    RFC2822,
    ErrorReplies,
    ReplyErrors,
    Rule,
    StatusWords,
    TimeFormat,
    WireError,
    check_wire,
)

EVERY_WORD = {s: s.value for s in Status}
moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))


# --------------------------------------------------------------------------- StatusWords

def test_status_words_must_name_every_status() -> None:
    with pytest.raises(ValueError, match="no word for: .*canceled"):
        StatusWords({"ok": Status.SENT}, {s: s.value for s in Status if s is not Status.CANCELED})


def test_status_words_fold_case_and_space_and_unknown_words_are_unknown() -> None:
    words = StatusWords({"DELIVRD": Status.DELIVERED}, EVERY_WORD)
    assert words.to_status(" delivrd ") is Status.DELIVERED
    assert words.to_status("brand-new-state") is Status.UNKNOWN
    assert words.to_status(None) is Status.UNKNOWN
    assert words.from_status(Status.DELIVERED) == "delivered"
    assert words.from_status("delivered") == "delivered"
    assert words.from_status("not-a-status") == "unknown"


@given(st.one_of(st.none(), st.text(), st.integers(), st.floats(allow_nan=True)))
def test_no_provider_word_raises(word: object) -> None:
    words = StatusWords({"sent": Status.SENT}, EVERY_WORD, unknown_as=Status.QUEUED)
    assert words.to_status(word) in (Status.SENT, Status.QUEUED)
    assert words.to_status(word) is (Status.SENT if isinstance(word, str) and word.strip().lower() == "sent"
                                     else Status.QUEUED)


# --------------------------------------------------------------------------- TimeFormat

def test_the_predefined_formats_render_the_providers_shapes() -> None:
    moment = datetime(2010, 8, 18, 20, 1, 40, 123456, tzinfo=timezone.utc)
    assert RFC2822.format(moment) == "Wed, 18 Aug 2010 20:01:40 +0000"
    assert ISO_SECONDS.format(moment) == "2010-08-18T20:01:40+00:00"
    assert ISO_MILLIS_Z.format(moment) == "2010-08-18T20:01:40.123Z"
    assert TimeFormat("%Y-%m-%d %H:%M:%S").format(moment.replace(tzinfo=None)) == "2010-08-18 20:01:40"
    later = moment.astimezone(timezone(timedelta(hours=2)))
    assert ISO_SECONDS.format(later) == "2010-08-18T20:01:40+00:00", "always rendered in UTC"
    assert RFC2822.format(None) is None


@pytest.mark.parametrize("text", [
    "Wed, 18 Aug 2010 20:01:40 +0000", "2010-08-18T20:01:40Z", "2010-08-18T20:01:40.000Z",
    "2010-08-18T22:01:40+02:00", "2010-08-18T22:01:40.000+0200", "2010-08-18 20:01:40",
])
def test_parsing_is_tolerant_of_every_shape_providers_write(text: str) -> None:
    for fmt in (RFC2822, ISO_SECONDS, ISO_MILLIS_Z):
        assert fmt.parse(text) == datetime(2010, 8, 18, 20, 1, 40, tzinfo=timezone.utc), (fmt, text)


@pytest.mark.parametrize("junk", [None, "", "   ", "yesterday", "2010-13-45", 12, ["2010-08-18"]])
def test_an_unreadable_moment_is_none_not_an_error(junk: object) -> None:
    assert ISO_SECONDS.parse(junk) is None


def test_a_naive_moment_is_read_in_the_declared_zone() -> None:
    cet = timezone(timedelta(hours=1))
    assert TimeFormat("%Y-%m-%d %H:%M:%S", naive_zone=cet).parse("2026-01-05 10:00:00") == \
        datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


@given(moments, st.sampled_from([RFC2822, ISO_SECONDS, ISO_MILLIS_Z, TimeFormat("%Y-%m-%d %H:%M:%S"),
                                  TimeFormat("%Y-%m-%dT%H:%M:%S.%3f+0000")]))
def test_what_a_format_renders_it_reads_back(moment: datetime, fmt: TimeFormat) -> None:
    keeps_millis = "%3f" in fmt.pattern
    expected = moment.replace(microsecond=(moment.microsecond // 1000) * 1000 if keeps_millis else 0)
    assert fmt.parse(fmt.format(moment)) == expected


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.sampled_from(
    [timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11))])))
def test_rfc2822_is_what_the_email_package_writes(moment: datetime) -> None:
    """The hand-written formatter (issue 18) against the standard library's, for any
    moment in any zone: always rendered in UTC, to the second."""
    from email.utils import format_datetime

    assert RFC2822.format(moment) == format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0))


# --------------------------------------------------------------------------- ReplyErrors

ACME = ReplyErrors(provider="Acme", read=lambda data: (data["error"]["code"], data["error"]["message"]),
                   auth=[7], throttle=["slow"], credit=[25], invalid_number=[21211], invalid_message=[30007],
                   not_found=[20404])


def _reply(code: object, text: str = "no") -> dict[str, object]:
    return {"error": {"code": code, "message": text}}


@pytest.mark.parametrize("status,payload,sending,expected", [
    (401, None, False, errors.AuthenticationError), (403, {}, True, errors.AuthenticationError),
    (400, _reply(7), True, errors.AuthenticationError), (400, _reply("7"), True, errors.AuthenticationError),
    (429, None, True, errors.ProviderUnavailable), (503, None, True, errors.ProviderUnavailable),
    (400, _reply("slow"), True, errors.ProviderUnavailable),
    (402, None, True, errors.InsufficientCredit), (400, _reply(25), True, errors.InsufficientCredit),
    (400, _reply(21211), True, errors.InvalidNumber), (400, _reply(30007), True, errors.InvalidMessage),
    (404, None, False, errors.NotFound), (400, _reply(20404), False, errors.NotFound),
    (500, _reply(1), True, errors.DeliveryUnknown), (502, "not json", True, errors.DeliveryUnknown),
    (500, None, False, errors.ProviderUnavailable),
    (400, _reply(1), True, errors.ProviderError), (422, "garbage", True, errors.ProviderError),
])
def test_reply_errors_classify_by_status_and_code(status: int, payload: object, sending: bool,
                                                  expected: type[Exception]) -> None:
    error = ACME.error_from_reply(status, payload, backend="acme", sending=sending)
    assert type(error) is expected


def test_a_refusal_is_retry_safe_and_a_5xx_to_a_send_never_is() -> None:
    refused = ACME.error_from_reply(400, _reply(1, "bad"), backend="acme", sending=True)
    assert refused.retry_safe and refused.code == "1" and "bad" in str(refused)
    unknown = ACME.error_from_reply(500, _reply(99, "oops"), backend="acme", sending=True)
    assert not unknown.retry_safe and unknown.code == "99" and unknown.backend == "acme"


def test_special_answers_first() -> None:
    table = ReplyErrors(provider="Acme", read=lambda d: (d, None), invalid_number=[1],
                        special=lambda status, code, text, backend: errors.NotFound("gone") if code == 1 else None)
    assert isinstance(table.error_from_reply(400, 1), errors.NotFound)
    assert isinstance(table.error_from_reply(400, 2), errors.ProviderError)


# --------------------------------------------------------------------------- ErrorReplies

def _body(status: int, code: object, message: str, **context: object) -> dict[str, object]:
    return {"status": status, "code": code, "message": message, **context}


REPLIES = ErrorReplies(body=_body, internal="internal", rules=[
    Rule(errors.InvalidMessage, 400, "too_long", reason="too_long"),
    Rule(errors.InvalidMessage, 400, "bad"),
    Rule(errors.DeliveryUnknown, 502, "unknown", "may have been sent"),
    Rule(errors.ProviderError, 503, "later", retry_safe=True),
    Rule(errors.ProviderError, 502, "provider"),
])


def test_error_replies_match_on_class_and_fields_first_rule_wins() -> None:
    assert REPLIES.reply(errors.InvalidMessage("x", reason="too_long")) == (400, _body(400, "too_long", "x"))
    assert REPLIES.reply(errors.InvalidMessage("too long, in English", reason="empty"))[1]["code"] == "bad"
    assert REPLIES.reply(errors.DeliveryUnknown("boom"))[1] == _body(502, "unknown", "may have been sent")
    assert REPLIES.reply(errors.ProviderUnavailable("down"))[0] == 503
    assert REPLIES.reply(errors.ProviderError("odd"))[0] == 502


def test_a_wire_error_reads_as_it_stands_and_anything_else_is_internal() -> None:
    assert REPLIES.reply(WireError("Missing to", status=422, code=2), to="+1") == \
        (422, _body(422, 2, "Missing to", to="+1"))
    assert REPLIES.reply(KeyError("secret-ish detail")) == (500, _body(500, "internal", "Internal error"))


# --------------------------------------------------------------------------- check_wire

def test_check_wire_names_what_a_module_lacks() -> None:
    module = types.ModuleType("half")
    module.STATUSES = StatusWords({}, EVERY_WORD)  # type: ignore[attr-defined]
    module.TIMES = ISO_SECONDS  # type: ignore[attr-defined]
    module.ID_SHAPE = ids.Uuid4(salt="half:")  # type: ignore[attr-defined]
    module.to_status = module.STATUSES.to_status  # type: ignore[attr-defined]
    problems = check_wire(module)
    assert "REPLY_ERRORS is not a ReplyErrors" in problems
    assert "WireError is not smsbridge.wire.WireError or a subclass of it" in problems
    assert "build_send() is missing" in problems
    assert not any("STATUSES" in p or "TIMES" in p or "ID_SHAPE" in p or "to_status" in p for p in problems)


def test_outgoing_defaults_to_each_statuss_first_word_so_only_exceptions_are_written() -> None:
    incoming = {"Sent": Status.SENT, "Dispatched": Status.SENT, **{s.value.title(): s for s in Status}}
    words = StatusWords(incoming, {Status.UNKNOWN: "Pending"})
    assert words.from_status(Status.SENT) == "Sent"  # the first of the two words for SENT
    assert words.from_status(Status.UNKNOWN) == "Pending"  # the exception as written
    assert words.from_status(Status.CANCELED) == "Canceled"
    with pytest.raises(ValueError, match="no word for: scheduled"):
        StatusWords({"sent": Status.SENT}, {s: s.value for s in Status if s is not Status.SCHEDULED})


# --------------------------------------------------------------------------- list replies

def test_readable_leaves_out_the_items_a_provider_parser_refuses() -> None:
    from smsbridge.wire import readable

    def parse(item: object) -> int:
        if not isinstance(item, int):
            raise errors.ProviderError(f"not a message: {item!r}")
        return item * 2

    assert readable({"messages": [1, "mms", 2, None, 3]}, "messages", parse, "Acme") == [2, 4, 6]
    with pytest.raises(ZeroDivisionError):  # only a provider's refusal is skipped, never a bug
        readable({"messages": [1]}, "messages", lambda item: item / 0, "Acme")
    for reply in ({}, {"messages": "none"}, [1, 2], None):
        with pytest.raises(errors.ProviderError, match="Acme's list reply has no 'messages' list"):
            readable(reply, "messages", parse, "Acme")


def test_amount_in_reads_a_balance_exactly_or_names_what_is_wrong() -> None:
    from decimal import Decimal

    from smsbridge.wire import amount_in

    assert amount_in({"balance": 0.1}, "balance", "Acme") == Decimal("0.1")  # not 0.1000000000000000055...
    assert amount_in({"balance": "12.30"}, "balance", "Acme") == Decimal("12.30")
    for reply in ({}, {"balance": None}, {"balance": "lots"}, ["12"], None):
        with pytest.raises(errors.ProviderError, match="Acme's balance reply has no readable 'balance'"):
            amount_in(reply, "balance", "Acme")
