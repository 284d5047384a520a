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

import threading
from typing import Any, ClassVar

from smsbridge.backend import Backend, Option
from smsbridge.errors import DeliveryUnknown, InvalidMessage, ProviderError
from smsbridge.model import Accepted, Balance, Message, StatusReport
from smsbridge.transport import HttpTransport

from . import wire

__all__ = ["PlivoBackend"]


class PlivoBackend(Backend):
    """Plivo Message API."""

    options: ClassVar[dict[str, Option]] = {
        "auth_id": Option(str, required=True, help="Plivo Auth ID (MA… or SA…, 20 characters)"),
        "auth_token": Option(str, required=True, secret=True, help="Plivo Auth Token"),
    }
    capabilities = frozenset({"send", "status", "balance"})
    default_base_url = wire.DEFAULT_BASE_URL

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        self._transport: HttpTransport | None = None
        self._lock = threading.Lock()

    @property
    def auth_id(self) -> str:
        return str(self.settings.get("auth_id"))

    @property
    def transport(self) -> HttpTransport:
        with self._lock:
            if self._transport is None:
                self._transport = HttpTransport(
                    self.name, base_url=self.base_url, timeout=float(self.settings.get("timeout") or 10),
                    verify=True if self.settings.get("verify") is None else self.settings.get("verify"),
                    headers={"Accept": "application/json"},
                    auth=(self.auth_id, str(self.settings.get("auth_token"))))
            return self._transport

    def send(self, message: Message) -> Accepted:
        src = message.sender or self.settings.get("sender")
        if not src:
            raise InvalidMessage(f"backend {self.name!r}: Plivo needs a sender "
                                 f"(set backends.{self.name}.sender or pass sender=)")
        value = (message.extra or {}).get("status_callback")  # the Bridge's documented hint
        url = value if isinstance(value, str) and value.startswith(("http://", "https://")) else None
        body = wire.build_send(str(src), message.to, message.text, url=url)
        resp = self.transport.request("POST", wire.message_path(self.auth_id), json=body, sending=True)
        data = _json(resp)
        if not 200 <= resp.status_code < 300:
            raise wire.error_for_reply(resp.status_code, data, backend=self.name)
        try:
            uuids = wire.parse_send_reply(data)
        except ProviderError:
            raise DeliveryUnknown("Plivo accepted the request but its reply has no message_uuid",
                                  backend=self.name) from None
        return Accepted(provider_id=uuids[0], raw=data)

    def status(self, provider_id: str) -> StatusReport:
        resp = self.transport.request("GET", wire.message_detail_path(self.auth_id, provider_id))
        data = _json(resp)
        if resp.status_code != 200:
            raise wire.error_for_reply(resp.status_code, data, backend=self.name)
        parsed = wire.parse_message(data)
        description = parsed.state if not parsed.error_code else f"{parsed.state} (error {parsed.error_code})"
        return StatusReport(id=provider_id, status=parsed.status, updated_at=parsed.time,
                            description=description, raw=data)

    def balance(self) -> Balance:
        resp = self.transport.request("GET", wire.account_path(self.auth_id))
        data = _json(resp)
        if resp.status_code != 200:
            raise wire.error_for_reply(resp.status_code, data, backend=self.name)
        amount = wire.parse_account(data)
        unit = data.get("currency") if isinstance(data, dict) and isinstance(data.get("currency"), str) else "USD"
        return Balance(amount=amount, unit=unit, backend=self.name)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _json(resp: Any) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None
