"""ReplyErrors.special_send: a provider's rule for a code that means "maybe accepted" only
on a send (simpleSMS's 500/504 in an HTTP 200 reply), consulted before ``special``."""
from __future__ import annotations

from typing import Any

from smsbridge.errors import DeliveryUnknown, ProviderError, ProviderUnavailable, SmsBridgeError
from smsbridge.wire import ReplyErrors


def _read(payload: Any) -> tuple[Any, str | None]:
    return payload.get("code"), payload.get("text")


def _maybe_accepted(http_status: int, code: Any, text: str, backend: str | None) -> SmsBridgeError | None:
    return DeliveryUnknown(text, code=code, backend=backend) if code == 7 else None


def _busy(http_status: int, code: Any, text: str, backend: str | None) -> SmsBridgeError | None:
    return ProviderUnavailable(text, code=code, backend=backend) if code == 7 else None


def test_special_send_answers_first_on_a_send_only():
    table = ReplyErrors(provider="P", read=_read, special=_busy, special_send=_maybe_accepted)
    assert type(table.error_from_reply(200, {"code": 7, "text": "x"}, sending=True)) is DeliveryUnknown
    assert type(table.error_from_reply(200, {"code": 7, "text": "x"})) is ProviderUnavailable
    assert type(table.error_from_reply(400, {"code": 8, "text": "x"}, sending=True)) is ProviderError


def test_without_special_send_nothing_changes():
    table = ReplyErrors(provider="P", read=_read, special=_busy)
    assert type(table.error_from_reply(200, {"code": 7, "text": "x"}, sending=True)) is ProviderUnavailable
    assert type(table.error_from_reply(500, {}, sending=True)) is DeliveryUnknown
