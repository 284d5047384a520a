"""Twilio's ``Balance.json``, both ways: ``{"account_sid", "balance": "12.30", "currency"}``
(the amount a string, two decimals unless it has more)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from smsbridge.errors import ProviderError

__all__ = ["render_balance", "parse_balance"]


def render_balance(account_sid: str, amount: Decimal | str | float, currency: str) -> dict[str, Any]:
    value = Decimal(str(amount))
    return {"account_sid": account_sid, "balance": f"{value:.2f}" if value == value.quantize(Decimal("0.01"))
            else str(value), "currency": currency}


def parse_balance(payload: Any) -> tuple[Decimal, str]:
    if not isinstance(payload, Mapping):
        raise ProviderError("Twilio balance reply is not a JSON object")
    try:
        amount = Decimal(str(payload.get("balance")))
    except (InvalidOperation, ValueError):
        raise ProviderError(f"Twilio balance is not a number: {payload.get('balance')!r}") from None
    return amount, str(payload.get("currency") or "USD")
