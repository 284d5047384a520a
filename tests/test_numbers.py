"""Phone number parsing and splitting (SPEC §5, §8)."""
from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smsbridge.errors import InvalidNumber
from smsbridge.numbers import digits, is_domestic, parse_number, region_of, split_number

FAST = settings(max_examples=200, deadline=None)


# --- parse_number ---------------------------------------------------------------

@pytest.mark.parametrize(
    "raw",
    [
        "+36301234567",
        "+36 30 123 4567",
        "+36-30-123-4567",
        "+36 (30) 123-4567",
        "0036301234567",
        "00 36 30 123 4567",
        "06301234567",
        "06 30 123 4567",
        "301234567",
        "  +36301234567\n",
    ],
)
def test_hungarian_forms(raw: str) -> None:
    assert parse_number(raw) == "+36301234567"
    assert parse_number(raw, "HU") == "+36301234567"


def test_budapest_landline() -> None:
    assert parse_number("06 1 234 5678") == "+3612345678"


def test_us_number() -> None:
    assert parse_number("+1 415 555 2671") == "+14155552671"
    assert parse_number("(415) 555-2671", "US") == "+14155552671"
    assert parse_number("+1 415 555 2671", None) == "+14155552671"
    assert parse_number("+1 415 555 2671", "us") == "+14155552671"


def test_international_prefix_without_region() -> None:
    # "00" works even where it is not the region's prefix (US dials 011).
    assert parse_number("0036301234567", None) == "+36301234567"
    assert parse_number("0036301234567", "US") == "+36301234567"


def test_national_form_needs_a_region() -> None:
    with pytest.raises(InvalidNumber, match="'06301234567' is not a valid phone number"):
        parse_number("06301234567", None)


@pytest.mark.parametrize(
    "raw",
    ["+3612", "12", "hello", "+36 30 123", "+999123456789", "+36301234567890123", "06 30 123 45"],
)
def test_invalid_numbers_are_named(raw: str) -> None:
    with pytest.raises(InvalidNumber) as info:
        parse_number(raw)
    assert f"{raw!r} is not a valid phone number" in str(info.value)


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_blank_is_invalid(raw: str) -> None:
    with pytest.raises(InvalidNumber, match="not a valid phone number"):
        parse_number(raw)


@pytest.mark.parametrize("raw", [None, 36301234567, b"+36301234567", ["+36301234567"]])
def test_non_string_is_invalid(raw: object) -> None:
    with pytest.raises(InvalidNumber, match="expected a string"):
        parse_number(raw)  # type: ignore[arg-type]


def test_long_garbage_is_cut_in_the_message() -> None:
    with pytest.raises(InvalidNumber) as info:
        parse_number("x" * 10_000)
    assert len(str(info.value)) < 120


@FAST
@given(st.text(max_size=60), st.sampled_from(["HU", "US", "GB", None]))
def test_parse_raises_only_invalid_number(raw: str, region: str | None) -> None:
    try:
        result = parse_number(raw, region)
    except InvalidNumber as exc:
        assert "is not a valid phone number" in str(exc)
    else:
        assert result.startswith("+") and result[1:].isdigit()
        assert parse_number(result, None) == result  # E.164 is a fixed point


@FAST
@given(st.text(alphabet="+0123456789 -()", max_size=20), st.sampled_from(["HU", "US", None]))
def test_parse_raises_only_invalid_number_on_digitish_text(raw: str, region: str | None) -> None:
    try:
        result = parse_number(raw, region)
    except InvalidNumber:
        return
    assert phonenumbers.is_valid_number(phonenumbers.parse(result))


# --- split_number ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("e164", "parts"),
    [
        ("+36301234567", ("36", "30", "1234567")),
        ("+36201234567", ("36", "20", "1234567")),
        ("+36701234567", ("36", "70", "1234567")),
        ("+3612345678", ("36", "1", "2345678")),
        ("+3646123456", ("36", "46", "123456")),
        ("+14155552671", ("1", "415", "5552671")),
        ("+390612345678", ("39", "06", "12345678")),  # Italy keeps the leading 0
    ],
)
def test_split_known(e164: str, parts: tuple[str, str, str]) -> None:
    assert split_number(e164) == parts


def test_split_rejects_invalid() -> None:
    with pytest.raises(InvalidNumber, match="'\\+3612'"):
        split_number("+3612")
    with pytest.raises(InvalidNumber):
        split_number("06301234567")  # not E.164


def _example_numbers() -> list[str]:
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and phonenumbers.is_valid_number(example):
                out.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return out


EXAMPLES = _example_numbers()


def test_split_every_region_example() -> None:
    assert len(EXAMPLES) > 300
    for e164 in EXAMPLES:
        country, area, rest = split_number(e164)
        assert country + area + rest == digits(e164), e164
        assert country and rest, e164


@FAST
@given(st.sampled_from(EXAMPLES), st.text(alphabet="0123456789", min_size=1, max_size=4))
def test_split_concatenates_to_digits(example: str, tail: str) -> None:
    # Vary the subscriber part of real example numbers; keep the ones still valid.
    candidate = example[: -len(tail)] + tail if len(tail) < len(example) - 3 else example
    try:
        e164 = parse_number(candidate, None)
    except InvalidNumber:
        assume(False)
        return
    country, area, rest = split_number(e164)
    assert country + area + rest == digits(e164)
    assert rest


# --- region_of / is_domestic / digits -------------------------------------------

def test_region_of() -> None:
    assert region_of("+36301234567") == "HU"
    assert region_of("+14155552671") == "US"
    assert region_of("+16135550123") == "CA"  # shares +1 with the US
    assert region_of("+80012345678") is None  # international freephone, no region


def test_is_domestic() -> None:
    assert is_domestic("+36301234567", "HU")
    assert is_domestic("+36301234567", "hu")
    assert not is_domestic("+14155552671", "HU")
    assert not is_domestic("+16135550123", "US")


def test_digits() -> None:
    assert digits("+36301234567") == "36301234567"
    for bad in ("36301234567", "+", "+36 30", "+３６", ""):
        with pytest.raises(InvalidNumber):
            digits(bad)
