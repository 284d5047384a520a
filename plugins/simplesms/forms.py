"""simpleSMS request parameters: the REST forms a backend posts, and what a face reads back.

A face reads REST's names (``country_code``) and SOAP's part names (``strCountryCode``)
alike, so both faces share these readers.  A request a reader refuses raises the
core's :class:`~smsbridge.wire.WireError` (code 400), naming the missing field in the
face's own words (``part_name``: REST's ``country_code``, SOAP's ``strCountryCode``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from smsbridge.wire import WireError

from .codes import E_BAD_REQUEST
from .error_map import refusal
from .recipients import join_recipient, split_recipient
from .values import first_of, id_text

__all__ = ["connect_form", "build_send", "sms_id_form", "parse_connect_form", "parse_send_request",
           "parse_sms_id_form"]


def connect_form(username: str, password: str, domain: str) -> dict[str, str]:
    """The ``connect`` POST form."""
    return {"username": username, "password": password, "domain": domain}


def build_send(e164: str, text: str) -> dict[str, str]:
    """The ``sendSMS`` POST form: the split number and the text."""
    return {**split_recipient(e164), "message": text}


def sms_id_form(sms_id: str) -> dict[str, str]:
    """The ``getStatus`` / ``getHistory`` POST form."""
    return {"sms_id": str(sms_id)}


def parse_connect_form(form: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """``(username, password, domain)`` from a connect request, or ``None`` if any is missing.

    SOAP's names (``userName``, ``userPassword``, ``domainName``) are accepted too.
    """
    values = []
    for keys in (("username", "userName"), ("password", "userPassword"), ("domain", "domainName")):
        value = first_of(form, keys)
        if not isinstance(value, str) or value == "":
            return None
        values.append(value)
    return values[0], values[1], values[2]


def _missing(field: str, part_name: Callable[[str], str]) -> WireError:
    """The refusal of a request without ``field`` (a malformed request, code 400)."""
    error = refusal(E_BAD_REQUEST, f"Missing parameter: {part_name(field)}")
    error.field = field
    return error


def parse_send_request(form: Mapping[str, Any], *, part_name: Callable[[str], str] = str) -> tuple[str, str]:
    """``(e164, text)`` from a sendSMS request (REST or SOAP field names).

    Raises :class:`WireError` for a missing field (a malformed request, code 400) and
    :class:`InvalidNumber` for a bad number (code 201).  An empty text is *not* refused
    here: the Bridge refuses it (InvalidMessage "empty", code 202).
    """
    fields = (("country_code", "strCountryCode"), ("area_code", "strAreaCode"), ("number", "strNumber"),
              ("message", "strMessage"))
    values = []
    for keys in fields:
        value = first_of(form, keys)
        if value is None:
            raise _missing(keys[0], part_name)
        values.append(value)
    country, area, number, text = values
    if not isinstance(text, str):
        text = str(text)
    return join_recipient(country, area, number), text


def parse_sms_id_form(form: Mapping[str, Any], *, part_name: Callable[[str], str] = str) -> str:
    """The ``sms_id`` of a getStatus/getHistory request (:class:`WireError` if missing).

    ``numSMSID`` (SOAP) and ``smsId`` / ``id`` are accepted too.
    """
    value = first_of(form, ("sms_id", "numSMSID", "smsId", "smsID", "id"))
    if value is None or isinstance(value, (dict, list)):
        raise _missing("sms_id", part_name)
    return id_text(value)
