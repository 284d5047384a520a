"""Infobip delivery reports and message logs (``GET /sms/3/reports`` / ``/sms/1/reports``,
``/sms/3/logs`` / ``/sms/1/logs`` -> ``{"results":[…]}``: ``sender``/``messageCount`` in
v3, ``from``/``smsCount`` in v1/v2; the delivery-report webhook has the same shape) and
the account balance (``GET /account/1/balance``), both ways.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from smsbridge.model import Status
from smsbridge.wire import amount_in

from .shapes import TIMES, digits, plus
from .statuses import ParsedStatus, error_object, status_from_object, status_object

__all__ = ["report_json", "reports_json", "parse_reports", "log_json", "logs_json", "balance_json",
           "parse_balance"]


def _price(amount: Decimal | float = 0.0, currency: str = "EUR") -> dict[str, Any]:
    return {"pricePerMessage": float(amount), "currency": currency}


def report_json(*, message_id: str, to: str, sender: str | None, status: Status | str,
                sent_at: datetime | None, done_at: datetime | None, count: int = 1,
                bulk_id: str | None = None, callback_data: str | None = None, version: int = 3,
                price: Decimal | float = 0.0, currency: str = "EUR") -> dict[str, Any]:
    report: dict[str, Any] = {
        "bulkId": bulk_id,
        "messageId": message_id,
        "to": digits(to),
        "sentAt": TIMES.format(sent_at),
        "doneAt": TIMES.format(done_at or sent_at),
        "price": _price(price, currency),
        "status": status_object(status),
        "error": error_object(status),
        "mccMnc": None,
        "callbackData": callback_data,
    }
    if version >= 3:
        report["sender"] = sender
        report["messageCount"] = count
        report["platform"] = {"entityId": None, "applicationId": None}
    else:
        report["from"] = sender
        report["smsCount"] = count
    return {k: v for k, v in report.items() if v is not None}


def reports_json(reports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"results": reports}


def parse_reports(data: Any) -> list[ParsedStatus]:
    """``{"results": [...]}`` of reports, logs or a delivery-report webhook."""
    results = data.get("results") if isinstance(data, Mapping) else None
    out = []
    for r in results or []:
        if not isinstance(r, Mapping):
            continue
        raw_status, raw_error = r.get("status"), r.get("error")
        status = raw_status if isinstance(raw_status, Mapping) else {}
        error = raw_error if isinstance(raw_error, Mapping) else {}
        out.append(ParsedStatus(
            message_id=r.get("messageId") if isinstance(r.get("messageId"), str) else None,
            to=plus(r.get("to") or r.get("destination")), status=status_from_object(status),
            name=status.get("name"), group=status.get("groupName"),
            bulk_id=r.get("bulkId") if isinstance(r.get("bulkId"), str) else None,
            done_at=TIMES.parse(r.get("doneAt")),
            error=error.get("name") if error.get("name") not in (None, "NO_ERROR") else None, raw=r))
    return out


def log_json(*, message_id: str, to: str, sender: str | None, text: str, status: Status | str,
             sent_at: datetime | None, done_at: datetime | None, count: int = 1, bulk_id: str | None = None,
             version: int = 3) -> dict[str, Any]:
    if version >= 3:
        log = {"sender": sender, "destination": digits(to), "bulkId": bulk_id, "messageId": message_id,
               "sentAt": TIMES.format(sent_at), "doneAt": TIMES.format(done_at or sent_at),
               "messageCount": count, "price": _price(), "status": status_object(status),
               "error": error_object(status), "content": {"text": text},
               "platform": {"entityId": None, "applicationId": None}}
    else:
        log = {"bulkId": bulk_id, "messageId": message_id, "to": digits(to), "from": sender, "text": text,
               "sentAt": TIMES.format(sent_at), "doneAt": TIMES.format(done_at or sent_at), "smsCount": count,
               "price": _price(), "status": status_object(status), "error": error_object(status)}
    return {k: v for k, v in log.items() if v is not None}


def logs_json(logs: list[dict[str, Any]], *, version: int = 3, limit: int = 50) -> dict[str, Any]:
    if version >= 3:
        return {"results": logs, "cursor": {"limit": limit, "nextCursor": None}}
    return {"results": logs}


def balance_json(amount: Decimal | float, currency: str = "EUR") -> dict[str, Any]:
    return {"balance": float(amount), "currency": currency}


def parse_balance(data: Any) -> tuple[Decimal, str]:
    amount = amount_in(data, "balance", "Infobip")
    return amount, str(data.get("currency") or "EUR")
