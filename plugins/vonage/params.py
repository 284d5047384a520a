"""Reading Vonage's request parameters: every value arrives as text, whether the SDK
posted a form, a query or JSON (which may carry numbers, booleans and lone surrogates)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["one", "encodable", "truthy", "digits"]


def one(params: Mapping[str, Any], key: str) -> str | None:
    """``params[key]`` as text (the last of a repeated key), or ``None`` when absent."""
    value = params.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encodable(value: str) -> bool:
    """False for text no SMS, hash or database can hold (a lone UTF-16 surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def truthy(value: str | None, default: bool) -> bool:
    """A Vonage flag (``status-report-req``): anything but 0/false/no/off is on."""
    if value is None or value == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def digits(number: str) -> str:
    """A number as Vonage writes it: bare digits, no ``+``."""
    return number[1:] if number.startswith("+") else number
