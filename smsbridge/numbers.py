"""Phone numbers: parse anything a user types into E.164, and take E.164 apart (SPEC §8).

Every recipient goes through :func:`parse_number` before any request is made, so a
bad number raises :class:`~smsbridge.errors.InvalidNumber` and costs nothing.  The
rest of smsbridge carries numbers as E.164 strings (``"+36301234567"``); the helpers
here turn them into the shapes providers want (simpleSMS's three fields, bare digits).

Validation is delegated to Google's libphonenumber metadata (the ``phonenumbers``
package), which knows each country's real number plan; we never pattern-match
numbers ourselves.
"""
from __future__ import annotations

from typing import Any

import phonenumbers

from smsbridge.errors import InvalidNumber

__all__ = ["parse_number", "split_number", "region_of", "is_domestic", "digits"]

# libphonenumber's pseudo-region for non-geographic numbers (+800, +882, ...):
# not an ISO 3166 region, so region_of() reports None for it.
_NON_GEOGRAPHIC = "001"
_UNKNOWN_REGION = "ZZ"

# Long garbage (a pasted message body) should not turn into a huge error message.
_MAX_ECHO = 64

# A send parses its recipient once and then asks for its region (routing) and its split
# (simpleSMS) — each a full libphonenumber parse + validation, ~10 us apiece, the largest
# per-send cost in smsbridge itself (docs/performance.md).  Validated parses are kept here,
# keyed by (text, region), and every number is also filed under its E.164 form.  Bounded
# (cleared when full), so a million distinct recipients cost no memory; dict get/set are
# atomic, so threads need no lock.  PhoneNumber objects in it are never mutated.
_PARSED: dict[tuple[str, str | None], phonenumbers.PhoneNumber] = {}
_SPLIT: dict[str, tuple[str, str, str]] = {}
_CACHE_SIZE = 512


def _remember(cache: dict[Any, Any], key: object, value: object) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value


def _describe(raw: object) -> str:
    """``repr`` of the offending input for error messages, cut to a readable length."""
    text = repr(raw)
    if len(text) > _MAX_ECHO:
        text = text[: _MAX_ECHO - 4] + "...'"
    return text


def _invalid(raw: object, why: str = "") -> InvalidNumber:
    suffix = f" ({why})" if why else ""
    return InvalidNumber(f"{_describe(raw)} is not a valid phone number{suffix}")


def _try_parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """Parse and validate, or None. Only libphonenumber's own parse error is expected."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _parse(raw: object, default_region: str | None) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str):
        raise _invalid(raw, f"expected a string, got {type(raw).__name__}")
    key = (raw, default_region)
    number = _PARSED.get(key)
    if number is None:
        number = _parse_uncached(raw, default_region)
        _remember(_PARSED, key, number)
    return number


def _parse_uncached(raw: str, default_region: str | None) -> phonenumbers.PhoneNumber:
    text = raw.strip()
    if not text:
        raise _invalid(raw, "empty")
    region = default_region.upper() if default_region else None
    number = _try_parse(text, region)
    # "0036..." is the international form in most of the world (ITU-T E.164 §6,
    # and what Hungarian users type), but libphonenumber only understands it when
    # the default region's international prefix is "00", and not at all without a
    # region.  Retry as "+36..." rather than guess: a valid national reading wins.
    if number is None and text.startswith("00"):
        number = _try_parse("+" + text[2:], None)
    if number is None:
        raise _invalid(raw)
    return number


def parse_number(raw: str, default_region: str | None = "HU") -> str:
    """Return ``raw`` as an E.164 string (``"+36301234567"``).

    Accepts E.164, ``00``-international, and national numbers read in
    ``default_region`` (ISO 3166 code, the config's ``default_region``, ``HU`` by
    default; ``None`` means only international forms are accepted).  Spaces, dashes,
    dots and parentheses are ignored.

    Raises :class:`InvalidNumber`, naming the input, for anything libphonenumber
    cannot parse or does not consider a valid number, for blank strings and for
    non-strings.  For any ``str`` it raises nothing else.
    """
    number = _parse(raw, default_region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if (e164, None) not in _PARSED:  # region_of()/split_number() of the result: no second parse
        _remember(_PARSED, (e164, None), number)
    return e164


def split_number(e164: str) -> tuple[str, str, str]:
    """Split an E.164 number into ``(country_code, area_code, number)``.

    ``area_code`` is the national destination code (mobile network or geographic
    area), ``number`` the rest of the national significant number:
    ``"+36301234567"`` → ``("36", "30", "1234567")``.  This is the shape simpleSMS's
    ``sendSMS`` wants (SPEC §5).  When libphonenumber knows no destination code for
    the number, ``area_code`` is ``""``.  The three parts always concatenate to
    :func:`digits` of the number.

    Raises :class:`InvalidNumber` when ``e164`` is not a valid international number.
    """
    split = _SPLIT.get(e164) if isinstance(e164, str) else None
    if split is None:
        split = _split_uncached(e164)
        _remember(_SPLIT, e164, split)
    return split


def _split_uncached(e164: str) -> tuple[str, str, str]:
    number = _parse(e164, None)
    national = phonenumbers.national_significant_number(number)
    # The NDC is what the provider calls "area code"; for some plans libphonenumber
    # only knows the geographic area code, and for some (small countries) neither.
    ndc_len = phonenumbers.length_of_national_destination_code(number)
    if ndc_len <= 0:
        ndc_len = phonenumbers.length_of_geographical_area_code(number)
    # Never let the "area code" swallow the whole subscriber number.
    ndc_len = max(0, min(ndc_len, len(national) - 1))
    return str(number.country_code), national[:ndc_len], national[ndc_len:]


def region_of(e164: str) -> str | None:
    """ISO 3166 region of the number (``"HU"``), or None for non-geographic numbers.

    Raises :class:`InvalidNumber` when ``e164`` is not a valid international number.
    """
    region = phonenumbers.region_code_for_number(_parse(e164, None))
    if not region or region in (_NON_GEOGRAPHIC, _UNKNOWN_REGION):
        return None
    return region


def is_domestic(e164: str, region: str) -> bool:
    """True when the number belongs to ``region`` (ISO 3166 code, case-insensitive).

    Regions sharing a country code are told apart (a Canadian number is not domestic
    in ``US``), because that is how providers bill domestic and foreign messages.
    """
    return region_of(e164) == region.upper()


def digits(e164: str) -> str:
    """The number without the ``+`` (``"36301234567"``), for providers that want bare digits.

    Raises :class:`InvalidNumber` unless ``e164`` is ``+`` followed by ASCII digits.
    """
    body = e164[1:] if isinstance(e164, str) and e164.startswith("+") else ""
    if not (body.isascii() and body.isdigit()):
        raise _invalid(e164, "expected E.164, e.g. '+36301234567'")
    return body
