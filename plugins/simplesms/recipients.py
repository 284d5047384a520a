"""simpleSMS numbers: E.164 <-> ``country_code`` / ``area_code`` / ``number`` (SPEC §5)."""
from __future__ import annotations

import re
from typing import Any

from smsbridge.errors import InvalidNumber

from .values import shorten

__all__ = ["split_recipient", "join_recipient"]


def split_recipient(e164: str) -> dict[str, str]:
    """``"+36301234567"`` → ``{"country_code": "36", "area_code": "30", "number": "1234567"}``.

    The area code is libphonenumber's national destination code (SPEC §5); raises
    :class:`InvalidNumber` for anything that is not a valid international number.
    """
    from smsbridge.numbers import split_number

    country, area, number = split_number(e164)
    return {"country_code": country, "area_code": area, "number": number}


def join_recipient(country_code: Any, area_code: Any, number: Any) -> str:
    """The three sendSMS fields back into E.164 (server side); :class:`InvalidNumber` if bad.

    Each field must be ASCII digits (the area code may be empty); spaces, dashes and a
    leading ``+`` or ``00`` on the country code are tolerated, and so is a national trunk
    prefix written before the area code (``06 30`` in Hungary, ``07911`` in the UK) when
    the number is only valid without it.
    """
    from smsbridge.numbers import parse_number

    parts = []
    for name, value in (("country_code", country_code), ("area_code", area_code), ("number", number)):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise InvalidNumber(f"{name} must be digits, not {type(value).__name__}")
        text = re.sub(r"[\s\-.()]", "", str(value))
        if name == "country_code":
            text = text.lstrip("+")
            if text.startswith("00"):
                text = text[2:]
        if text and not (text.isascii() and text.isdigit()):
            raise InvalidNumber(f"{name} must be digits, not {shorten(str(value))!r}")
        parts.append(text)
    country, area, rest = parts
    if not country or not rest:
        raise InvalidNumber("country_code and number are required")
    if len(country + area + rest) > 17:
        raise InvalidNumber("the number is too long")
    try:
        return parse_number(f"+{country}{area}{rest}", None)
    except InvalidNumber:
        if not area.startswith("0"):
            raise
        # A national trunk prefix kept on the area code ("06 30", "07911"): read the
        # national form in the country's own region, and insist it stays in that country.
        import phonenumbers

        region = phonenumbers.region_code_for_country_code(int(country))
        e164 = parse_number(area + rest, region) if region not in ("ZZ", "001") else ""
        if not e164.startswith(f"+{country}"):
            raise
        return e164
