"""Tolerant readers of the loosely typed values in simpleSMS replies (shared by the wire modules).

PHP hands out booleans as ``1``/``"true"``, ids as numbers or strings, and keys the
documentation does not fix; these small readers say once how each is read.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from smsbridge.errors import redact

__all__ = ["first_of", "as_flag", "code_number", "clean_message", "shorten", "number_if_digits", "id_text"]

# A hostile or broken server must not flood error messages or logs.
_MAX_MESSAGE = 200


def first_of(data: Mapping[str, Any], keys: Iterable[str]) -> Any:
    """The value of the first key present with a non-null value."""
    for key in keys:
        value = data.get(key)
        if value is not None:
            return value
    return None


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def as_flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def code_number(code: Any) -> int | None:
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, float) and code.is_integer():
        return int(code)
    if isinstance(code, str) and code.strip().isdigit() and len(code.strip()) < 10:
        return int(code.strip())
    return None


def clean_message(message: Any) -> str:
    if message is None or isinstance(message, (Mapping, list)):
        return ""
    return shorten(redact(" ".join(str(message).split())), _MAX_MESSAGE)


def shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def number_if_digits(value: str | int) -> str | int:
    text = str(value)
    canonical = text.isascii() and text.isdigit() and len(text) <= 16 and (text == "0" or text[0] != "0")
    # "007" stays a string (its zeros are part of it), and so does anything a JavaScript
    # client could not read exactly as a number (2**53 and up).
    return int(text) if canonical and int(text) < 2**53 else text


def id_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
