"""Twilio's ``Balance.json``, both ways: ``{"account_sid", "balance": "12.30", "currency"}``
(the amount a string, two decimals unless it has more)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from smsbridge.wire import amount_in

__all__ = ["render_balance", "parse_balance"]


def render_balance(account_sid: str, amount: Decimal | str | float, currency: str) -> dict[str, Any]:
    value = Decimal(str(amount))
    return {"account_sid": account_sid, "balance": f"{value:.2f}" if value == value.quantize(Decimal("0.01"))
            else str(value), "currency": currency}


def parse_balance(payload: Any) -> tuple[Decimal, str]:
    amount = amount_in(payload, "balance", "Twilio")
    return amount, str(payload.get("currency") or "USD")
