"""Plivo backend: send, status and balance over ``/v1/Account/{auth_id}/…``.

Config (SPEC §3 common keys plus)::

    backends:
      plivo:
        plugin: plivo
        auth_id: ${PLIVO_AUTH_ID}          # MA… or SA…, 20 characters
        auth_token: ${PLIVO_AUTH_TOKEN}
        sender: "+14155551234"             # src: required by Plivo, per message or here
        # base_url: https://api.plivo.com
"""
from __future__ import annotations

from typing import Any, ClassVar

from smsbridge.backend import Option
from smsbridge.backend_http import HttpBackend, status_callback_url
from smsbridge.errors import DeliveryUnknown, InvalidMessage, ProviderError
from smsbridge.model import Accepted, Balance, Message, StatusReport

from . import wire

__all__ = ["PlivoBackend"]


class PlivoBackend(HttpBackend):
    """Plivo Message API."""

    options: ClassVar[dict[str, Option]] = {
        "auth_id": Option(str, required=True, help="Plivo Auth ID (MA… or SA…, 20 characters)"),
        "auth_token": Option(str, required=True, secret=True, help="Plivo Auth Token"),
    }
    capabilities = frozenset({"send", "status", "balance"})
    default_base_url = wire.DEFAULT_BASE_URL

    @property
    def auth_id(self) -> str:
        return str(self.settings.get("auth_id"))

    def http_auth(self) -> Any:
        return (self.auth_id, str(self.settings.get("auth_token")))

    def send(self, message: Message) -> Accepted:
        src = message.sender or self.settings.get("sender")
        if not src:
            raise InvalidMessage(f"backend {self.name!r}: Plivo needs a sender "
                                 f"(set backends.{self.name}.sender or pass sender=)", reason="bad_sender")
        body = wire.build_send(str(src), message.to, message.text, url=status_callback_url(message))
        resp = self.transport.request("POST", wire.message_path(self.auth_id), json=body, sending=True)
        data = self.read_reply(resp, wire.error_for_reply, ok=range(200, 300), sending=True)
        try:
            uuids = wire.parse_send_reply(data)
        except ProviderError:
            raise DeliveryUnknown("Plivo accepted the request but its reply has no message_uuid",
                                  backend=self.name) from None
        return Accepted(provider_id=uuids[0], raw=data)

    def status(self, provider_id: str) -> StatusReport:
        resp = self.transport.request("GET", wire.message_detail_path(self.auth_id, provider_id))
        data = self.read_reply(resp, wire.error_for_reply)
        parsed = wire.parse_message(data)
        description = parsed.state if not parsed.error_code else f"{parsed.state} (error {parsed.error_code})"
        return StatusReport(id=provider_id, status=parsed.status, updated_at=parsed.time,
                            description=description, raw=data)

    def balance(self) -> Balance:
        data = self.read_reply(self.transport.request("GET", wire.account_path(self.auth_id)), wire.error_for_reply)
        amount = wire.parse_account(data)
        unit = data.get("currency") if isinstance(data, dict) and isinstance(data.get("currency"), str) else "USD"
        return Balance(amount=amount, unit=unit, backend=self.name)
