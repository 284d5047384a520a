"""Twilio's message JSON, both ways: one message, and a page of messages.

Twilio quirks that are the contract (verified against twilio 9.13, providers.md §1):
``num_segments`` and ``num_media`` are *strings*; ``price`` is a string or null; a list
needs its paging keys and exactly one non-paging key, ``messages``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from smsbridge.errors import ProviderError
from smsbridge.model import Status
from smsbridge.wire import readable

from .api import API_VERSION, message_path, messages_path
from .statuses import STATUSES, default_error_code, int_or_none
from .times import TIMES

__all__ = ["render_message", "ParsedMessage", "parse_send_reply", "parse_list", "render_list"]


def render_message(*, account_sid: str, sid: str, to: str, body: str, status: Status | str,
                   sender: str | None = None, segments: int = 1, created_at: datetime | None = None,
                   updated_at: datetime | None = None, sent_at: datetime | None = None,
                   error_code: int | str | None = None, error_message: str | None = None,
                   messaging_service_sid: str | None = None, price: str | None = None,
                   price_unit: str = "USD") -> dict[str, Any]:
    """Twilio's message JSON, every key the SDK reads, with Twilio's value types."""
    word = STATUSES.from_status(status)
    created = created_at or updated_at
    updated = updated_at or created_at
    if sent_at is None and word in ("sent", "delivered", "undelivered", "read"):
        sent_at = updated
    code = int_or_none(error_code)
    if code is None and word in ("failed", "undelivered"):
        code = default_error_code(status)
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": TIMES.format(created),
        "date_sent": TIMES.format(sent_at),
        "date_updated": TIMES.format(updated),
        "direction": "outbound-api",
        "error_code": code,
        "error_message": error_message if code is not None or word in ("failed", "undelivered") else None,
        "from": sender,
        "messaging_service_sid": messaging_service_sid,
        "num_media": "0",
        "num_segments": str(int(segments or 1)),
        "price": price,
        "price_unit": price_unit,
        "sid": sid,
        "status": word,
        "subresource_uris": {
            "media": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}/Media.json",
        },
        "to": to,
        "uri": message_path(account_sid, sid),
    }


@dataclass(frozen=True)
class ParsedMessage:
    """What the backend keeps from a message JSON."""

    sid: str
    status: Status
    word: str
    segments: int | None
    to: str | None
    sender: str | None
    error_code: str | None
    error_message: str | None
    created_at: datetime | None
    updated_at: datetime | None
    body: str | None = None
    sent_at: datetime | None = None


def parse_send_reply(payload: Any) -> ParsedMessage:
    """Read a message JSON: Twilio's reply to a send, and to a fetch (the same shape).
    Raises ProviderError when it is not one."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("sid"), str) or not payload["sid"]:
        raise ProviderError("Twilio replied without a message sid")
    word = str(payload.get("status") or "")
    segments: int | None
    try:
        segments = int(str(payload.get("num_segments")))
    except ValueError:
        segments = None
    code = payload.get("error_code")
    return ParsedMessage(
        sid=payload["sid"], status=STATUSES.to_status(word), word=word, segments=segments,
        to=payload.get("to"), sender=payload.get("from"),
        error_code=None if code in (None, "") else str(code),
        error_message=payload.get("error_message"),
        created_at=TIMES.parse(payload.get("date_created")),
        updated_at=TIMES.parse(payload.get("date_updated")),
        body=payload.get("body") if isinstance(payload.get("body"), str) else None,
        sent_at=TIMES.parse(payload.get("date_sent")),
    )


def parse_list(payload: Any) -> tuple[list[ParsedMessage], str | None]:
    """``(messages, next_page_uri)`` of a list reply; raises ProviderError when it is none."""
    found = readable(payload, "messages", parse_send_reply, "Twilio")
    next_uri = payload.get("next_page_uri")
    return found, next_uri if isinstance(next_uri, str) and next_uri else None


def render_list(messages: list[dict[str, Any]], *, account_sid: str, page: int, page_size: int,
                has_more: bool, filters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Twilio's list JSON: records under ``messages`` plus every paging key.

    ``next_page_uri`` is a path from the domain root (the SDK joins it to its base URL)
    and ``null`` on the last page.
    """
    base = messages_path(account_sid)
    kept = {k: v for k, v in (filters or {}).items() if v not in (None, "")}

    def uri(p: int) -> str:
        return base + "?" + urlencode({**kept, "PageSize": page_size, "Page": p})

    start = page * page_size
    return {
        "messages": messages,
        "end": start + max(len(messages) - 1, 0),
        "first_page_uri": uri(0),
        "next_page_uri": uri(page + 1) if has_more else None,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": uri(page - 1) if page > 0 else None,
        "start": start,
        "uri": uri(page),
    }
