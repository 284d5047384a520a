"""Infobip backend: send (``/sms/3/messages``), status (reports, then logs), balance.

Config (SPEC §3 common keys plus)::

    backends:
      infobip:
        plugin: infobip
        api_key: ${INFOBIP_API_KEY}
        base_url: https://xxxxx.api.infobip.com    # your account's own base URL
        sender: InfoSMS

Infobip hands out each delivery report **once** (``GET /sms/3/reports``); the backend
keeps the last status it saw, and falls back to the message logs (``/sms/3/logs``, 48 h)
when no new report is waiting.
"""
from __future__ import annotations

import threading
from typing import Any, ClassVar

from smsbridge.backend import Option
from smsbridge.backend_http import HttpBackend, status_callback_url
from smsbridge.errors import DeliveryUnknown, NotFound, ProviderError
from smsbridge.model import Accepted, Balance, Message, StatusReport

from . import wire

__all__ = ["InfobipBackend"]


class InfobipBackend(HttpBackend):
    """Infobip SMS API v3."""

    options: ClassVar[dict[str, Option]] = {
        "api_key": Option(str, required=True, secret=True, help="Infobip API key (Authorization: App …)"),
    }
    capabilities = frozenset({"send", "status", "balance", "lookup"})
    default_base_url = wire.DEFAULT_BASE_URL

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        self._lock = threading.Lock()
        self._seen: dict[str, StatusReport] = {}

    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", **wire.auth_header(str(self.settings.get("api_key")))}

    def send(self, message: Message) -> Accepted:
        # Infobip lets the caller name the message: use smsbridge's id, so a message whose
        # reply was lost can be found again by `reconcile` (lookup below).
        body = wire.build_send(message.to, message.text, message.sender or self.settings.get("sender"),
                               notify_url=status_callback_url(message), callback_data=message.reference or None,
                               message_id=message.id or None)
        resp = self.transport.request("POST", "sms/3/messages", json=body, sending=True)
        data = self.read_reply(resp, wire.error_from_reply, ok=range(200, 300), sending=True)
        try:
            parsed = wire.parse_send_reply(data)[0]
        except ProviderError:
            raise DeliveryUnknown("Infobip accepted the request but its reply lists no message",
                                  backend=self.name) from None
        rejected = wire.rejection_for_status(parsed, backend=self.name)
        if rejected is not None:
            raise rejected
        if not parsed.message_id:
            raise DeliveryUnknown("Infobip accepted the request but its reply has no messageId", backend=self.name)
        return Accepted(provider_id=parsed.message_id, status=parsed.status, raw=data)

    def status(self, provider_id: str) -> StatusReport:
        for path in ("sms/3/reports", "sms/3/logs"):
            data = self.read_reply(self.transport.request("GET", path, params={"messageId": provider_id}),
                                   wire.error_from_reply)
            for parsed in wire.parse_reports(data):
                if parsed.message_id == provider_id:
                    report = StatusReport(id=provider_id, status=parsed.status, updated_at=parsed.done_at,
                                          description=parsed.name, raw=parsed.raw)
                    with self._lock:
                        self._seen[provider_id] = report
                    return report
        with self._lock:
            if provider_id in self._seen:
                return self._seen[provider_id]
        raise NotFound(f"Infobip has no report or log for message {provider_id}")

    def lookup(self, message: Message) -> Accepted | None:
        """Infobip's logs by ``messageId`` (= smsbridge's id, set at sending)."""
        data = self.read_reply(self.transport.request("GET", "sms/3/logs", params={"messageId": message.id}),
                               wire.error_from_reply)
        for parsed in wire.parse_reports(data):
            if parsed.message_id == message.id:
                return Accepted(provider_id=message.id, status=parsed.status, raw=parsed.raw)
        return None

    def balance(self) -> Balance:
        data = self.read_reply(self.transport.request("GET", "account/1/balance"), wire.error_from_reply)
        amount, unit = wire.parse_balance(data)
        return Balance(amount=amount, unit=unit, backend=self.name)
