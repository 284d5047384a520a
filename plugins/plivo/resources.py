"""Plivo's resources other than the send: message objects, message lists, the account.

Each is written (``message_object``, ``list_reply``, ``account_reply``: the face and the
SDK shim) and read (``parse_message``, ``parse_list``, ``parse_account``: the backend) by
the same module, so what the face renders is what the backend and the SDK read.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from smsbridge.errors import ProviderError
from smsbridge.model import Status
from smsbridge.wire import amount_in, readable

from .vocabulary import (
    STATUSES,
    TIMES,
    account_path,
    digits_of,
    error_code_for,
    message_detail_path,
    message_path,
    sender_digits,
)

__all__ = ["ParsedMessage", "message_object", "parse_message", "list_query", "parse_list", "sender_of",
           "list_reply", "account_reply", "parse_account"]


@dataclass(frozen=True)
class ParsedMessage:
    uuid: str
    status: Status
    state: str | None
    to: str | None
    units: int | None
    error_code: str | None
    time: datetime | None
    raw: Mapping[str, Any]


# -- message objects -----------------------------------------------------------------------------

def message_object(*, auth_id: str, message_uuid: str, to: str, sender: str | None,
                   status: Status | str, time: datetime | None, units: int = 1,
                   error_code: str | None = None, rate: str = "0.00500",
                   country_iso2: str | None = None) -> dict[str, Any]:
    """``GET …/Message/{uuid}/``'s object, with every key the SDK's ``Message`` has."""
    amount = Decimal(rate) * units
    return {
        "api_id": None,
        "error_code": error_code if error_code is not None else (error_code_for(status) or "000"),
        "from_number": sender_digits(sender),
        "message_direction": "outbound",
        "message_state": STATUSES.from_status(status),
        "message_time": TIMES.format(time),
        "message_type": "sms",
        "message_uuid": message_uuid,
        "resource_uri": "/" + message_detail_path(auth_id, message_uuid),
        "to_number": digits_of(to),
        "total_amount": f"{amount:.5f}",
        "total_rate": rate,
        "units": units,
        "destination_country_iso2": country_iso2,
        "powerpack_id": None,
        "requester_ip": "127.0.0.1",
        "is_domestic": False,
        "replaced_sender": "",
        "tendlc_campaign_id": None,
        "tendlc_registration_status": None,
        "conversation_id": "",
        "conversation_origin": "",
        "conversation_expiration_timestamp": "",
    }


def parse_message(data: Any) -> ParsedMessage:
    """A message object read; :class:`ProviderError` when it has no ``message_uuid``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("message_uuid"), str):
        raise ProviderError("Plivo reply has no message_uuid")
    units = data.get("units")
    try:
        units = int(units) if units is not None else None
    except (TypeError, ValueError):
        units = None
    code = data.get("error_code")
    to = data.get("to_number")
    return ParsedMessage(uuid=data["message_uuid"], status=STATUSES.to_status(data.get("message_state")),
                         state=data.get("message_state"), to=("+" + str(to)) if to else None,
                         units=units, error_code=None if code in (None, "", "000") else str(code),
                         time=TIMES.parse(data.get("message_time")), raw=data)


# -- message lists -------------------------------------------------------------------------------

def list_query(dst: str, *, after: datetime | None, before: datetime | None, limit: int = 20,
               offset: int = 0) -> dict[str, str]:
    """A message list to ``dst`` within a time window (``message_time__gte``/``__lte``, UTC,
    as the SDK's ``message_time__gte=`` sends it), outbound only."""
    query = {"to_number": digits_of(dst), "message_direction": "outbound", "limit": str(limit),
             "offset": str(offset)}
    if after is not None:
        query["message_time__gte"] = after.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if before is not None:
        query["message_time__lte"] = before.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return query


def parse_list(data: Any) -> tuple[list[ParsedMessage], bool]:
    """``(messages, more)`` of a list reply (``more``: ``meta.next`` is set).
    Raises ProviderError when the reply is no list."""
    found = readable(data, "objects", parse_message, "Plivo")
    meta = data.get("meta")
    return found, isinstance(meta, Mapping) and bool(meta.get("next"))


def sender_of(parsed: ParsedMessage) -> str | None:
    """The ``from_number`` of a listed message, as digits (or the alphanumeric sender)."""
    value = parsed.raw.get("from_number")
    return str(value) if value not in (None, "") else None


def list_reply(api_id: str, auth_id: str, objects: list[dict[str, Any]], *, limit: int, offset: int,
               total: int) -> dict[str, Any]:
    """A list page with the ``meta`` (``next``/``previous`` links) the SDK pages by."""
    base = "/" + message_path(auth_id)
    nxt = f"{base}?limit={limit}&offset={offset + limit}" if offset + limit < total else None
    prev = f"{base}?limit={limit}&offset={max(offset - limit, 0)}" if offset > 0 else None
    return {"api_id": api_id,
            "meta": {"limit": limit, "next": nxt, "offset": offset, "previous": prev,
                     "total_count": total},
            "objects": objects}


# -- the account ---------------------------------------------------------------------------------

def account_reply(api_id: str, auth_id: str, cash_credits: Decimal | str, *, name: str = "smsbridge",
                  unit: str = "USD") -> dict[str, Any]:
    """``GET /v1/Account/{auth_id}/``: ``cash_credits`` as a string, as Plivo writes it."""
    try:
        credits = f"{Decimal(str(cash_credits)):.5f}"
    except InvalidOperation:
        credits = str(cash_credits)
    return {
        "account_type": "standard", "address": "", "api_id": api_id, "auth_id": auth_id,
        "auto_recharge": False, "billing_mode": "prepaid", "cash_credits": credits, "city": "",
        "name": name, "resource_uri": "/" + account_path(auth_id), "state": "",
        "timezone": "UTC", "currency": unit,
    }


def parse_account(data: Any) -> Decimal:
    return amount_in(data, "cash_credits", "Plivo")
