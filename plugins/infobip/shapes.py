"""The small shapes every other Infobip wire module uses: auth, ids, moments, numbers.

Kept apart so that the status, send, report and error modules can share them without
importing :mod:`.wire` (which re-exports them all).
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from smsbridge import ids
from smsbridge.gateway.faces import scheme_credential
from smsbridge.wire import TimeFormat

__all__ = ["AUTH_SCHEME", "DEFAULT_BASE_URL", "TIMES", "ID_SHAPE", "auth_header", "parse_auth_header",
           "new_message_id", "new_bulk_id", "digits", "plus", "given"]

AUTH_SCHEME = "App"
DEFAULT_BASE_URL = "https://api.infobip.com"

TIMES = TimeFormat("%Y-%m-%dT%H:%M:%S.%3f+0000")
"""Infobip's ``yyyy-MM-dd'T'HH:mm:ss.SSS+0000``: ``2019-11-09T16:00:00.000+0000``."""

ID_SHAPE = ids.GroupedHex((12, 4, 8, 8), salt="infobip:")
"""A message as an Infobip messageId, ``xxxxxxxxxxxx-xxxx-xxxxxxxx-xxxxxxxx`` (:mod:`smsbridge.ids`):
what the face shows when the caller named no ``messageId``, reversible to the smsbridge id."""


def auth_header(api_key: str) -> dict[str, str]:
    return {"Authorization": f"{AUTH_SCHEME} {api_key}"}


def parse_auth_header(value: str | None) -> str | None:
    """The API key from an ``Authorization: App <key>`` header, else ``None``."""
    return scheme_credential(value, AUTH_SCHEME)


def new_message_id() -> str:
    """Infobip message ids are free strings; ours look like the provider's UUID-ish ones."""
    return str(uuid.uuid4())


def new_bulk_id() -> str:
    return "bulk-" + uuid.uuid4().hex[:24]


def digits(number: str) -> str:
    """A number as Infobip writes it: E.164 without the ``+``."""
    return number.strip().lstrip("+")


def plus(number: Any) -> str | None:
    """A number Infobip wrote, back in E.164 (``None`` when absent)."""
    return ("+" + digits(str(number))) if number else None


def given(mapping: Mapping[str, Any], key: str) -> Any:
    """A request value, an explicit ``null`` read as absent (the 5.x SDK sends every unset field)."""
    value = mapping.get(key)
    return None if value is None else value
