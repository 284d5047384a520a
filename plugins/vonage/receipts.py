"""Vonage's status words and moments, and the documents that carry them: delivery
receipts (posted to a send's ``callback``) and the 2.x Developer API's message search.

Status words are data (:data:`STATUSES`: the receipt's ``status``; :data:`FINAL_STATUSES`:
the search's ``final-status``), moments too (:data:`TIMES`: ``message-timestamp``,
``date-received``; :data:`SCTS`: the receipt's ``scts``).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from smsbridge.model import Status
from smsbridge.wire import StatusWords, TimeFormat

from .params import digits, one

__all__ = ["STATUSES", "FINAL_STATUSES", "TIMES", "SCTS", "render_dlr", "parse_dlr", "render_search_message"]

STATUSES = StatusWords(
    incoming={"accepted": Status.SENT, "buffered": Status.SENT, "delivered": Status.DELIVERED,
              "expired": Status.EXPIRED, "failed": Status.FAILED, "rejected": Status.REJECTED,
              "unknown": Status.UNKNOWN},
    outgoing={Status.QUEUED: "buffered", Status.SENT: "accepted", Status.DELIVERED: "delivered",
              Status.UNDELIVERED: "failed", Status.FAILED: "failed", Status.EXPIRED: "expired",
              Status.REJECTED: "rejected", Status.UNKNOWN: "unknown",
              Status.SCHEDULED: "buffered", Status.CANCELED: "rejected"},
)
"""A delivery receipt's ``status`` word (``failed`` is refined by :func:`parse_dlr`)."""

FINAL_STATUSES = StatusWords(
    incoming={"DELIVRD": Status.DELIVERED, "UNDELIV": Status.UNDELIVERED, "FAILED": Status.FAILED,
              "EXPIRED": Status.EXPIRED, "REJECTD": Status.REJECTED},
    outgoing={**dict.fromkeys(Status, ""), Status.DELIVERED: "DELIVRD", Status.UNDELIVERED: "UNDELIV",
              Status.FAILED: "FAILED", Status.EXPIRED: "EXPIRED", Status.REJECTED: "REJECTD"},
)
"""The search API's ``final-status`` (SMPP words; empty while the message is in flight)."""

TIMES = TimeFormat("%Y-%m-%d %H:%M:%S")
"""``2024-05-01 12:30:05`` (UTC): ``message-timestamp``, ``date-received``, ``date-closed``."""

SCTS = TimeFormat("%y%m%d%H%M")
"""``2405011230``: the receipt's service-centre timestamp, to the minute."""

# DLR err-code: 0 delivered, 1 unknown, 2 absent subscriber (temporary), 3 absent
# subscriber (permanent), 4 call barred, 5 portability error, 6 anti-spam rejection,
# 7 handset busy, 8 network error, 9 illegal number, 99 general error.
_ERR_CODE = {Status.DELIVERED: "0", Status.UNDELIVERED: "2", Status.FAILED: "99", Status.EXPIRED: "1",
             Status.REJECTED: "6", Status.UNKNOWN: "1", Status.SENT: "0", Status.QUEUED: "0",
             Status.SCHEDULED: "0", Status.CANCELED: "99"}
_UNDELIVERED_ERR = frozenset({"2", "3", "5", "7"})


def render_dlr(*, message_id: str, to: str, sender: str | None, status: Status | str,
               api_key: str, client_ref: str | None = None, error_code: str | None = None,
               price: str | None = None, network: str | None = None,
               at: datetime | None = None) -> dict[str, str]:
    """One delivery receipt (one per part), as Vonage sends it to ``callback``."""
    moment = at or datetime.now(timezone.utc)
    st = Status(status)
    receipt = {
        "msisdn": digits(to),
        "to": sender or "",
        "network-code": network or "",
        "messageId": message_id,
        "price": price or "0.00000000",
        "status": STATUSES.from_status(st),
        "scts": SCTS.format(moment) or "",
        "err-code": str(error_code) if error_code not in (None, "") and st != Status.DELIVERED
        else _ERR_CODE.get(st, "99"),
        "api-key": api_key,
        "message-timestamp": TIMES.format(moment) or "",
    }
    if client_ref is not None:
        receipt["client-ref"] = client_ref
    return receipt


def parse_dlr(params: Mapping[str, Any]) -> tuple[str, Status, str | None]:
    """``(message_id, status, err_code)`` from a delivery receipt.

    ``failed`` with a temporary-subscriber err-code is ``undelivered`` (the network
    tried); other failures stay ``failed``.
    """
    message_id = one(params, "messageId") or one(params, "message-id") or ""
    err = one(params, "err-code")
    status = STATUSES.to_status(one(params, "status"))
    if status == Status.FAILED and err in _UNDELIVERED_ERR:
        status = Status.UNDELIVERED
    return message_id, status, err


def render_search_message(*, message_id: str, account_id: str, to: str, sender: str | None, body: str,
                          status: Status | str, created_at: datetime | None,
                          updated_at: datetime | None, network: str | None = None) -> dict[str, Any]:
    """``GET /search/message?id=`` (Developer API, vonage 2.x/nexmo ``get_message``)."""
    final = FINAL_STATUSES.from_status(status)
    return {
        "message-id": message_id, "account-id": account_id, "network": network or "",
        "from": sender or "", "to": digits(to), "body": body,
        "price": "0.00000000", "date-received": TIMES.format(created_at),
        "final-status": final, "date-closed": TIMES.format(updated_at) if final else None,
        "latency": None, "type": "MT",
    }
