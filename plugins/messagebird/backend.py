"""MessageBird backend: send, status and balance over the legacy SMS REST API.

Config (SPEC §3 common keys plus)::

    backends:
      mb:
        plugin: messagebird
        access_key: ${MESSAGEBIRD_ACCESS_KEY}
        sender: MyShop                # originator: required by MessageBird, per message or here
        # base_url: https://rest.messagebird.com
"""
from __future__ import annotations

import threading
from typing import Any, ClassVar

from smsbridge.backend import Backend, Option
from smsbridge.errors import DeliveryUnknown, InvalidMessage, ProviderError
from smsbridge.model import Accepted, Balance, Message, StatusReport
from smsbridge.transport import HttpTransport

from . import wire

__all__ = ["MessageBirdBackend"]


class MessageBirdBackend(Backend):
    """MessageBird (``rest.messagebird.com``): ``/messages`` and ``/balance``."""

    options: ClassVar[dict[str, Option]] = {
        "access_key": Option(str, required=True, secret=True,
                             help="MessageBird access key (live_… or test_…)"),
    }
    capabilities = frozenset({"send", "status", "balance"})
    default_base_url = wire.DEFAULT_BASE_URL

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        self._transport: HttpTransport | None = None
        self._lock = threading.Lock()

    @property
    def transport(self) -> HttpTransport:
        with self._lock:
            if self._transport is None:
                headers = {"Accept": "application/json", **wire.auth_header(str(self.settings.get("access_key")))}
                self._transport = HttpTransport(self.name, base_url=self.base_url,
                                                timeout=float(self.settings.get("timeout") or 10),
                                                verify=_verify(self.settings.get("verify")), headers=headers)
            return self._transport

    def send(self, message: Message) -> Accepted:
        originator = message.sender or self.settings.get("sender")
        if not originator:
            raise InvalidMessage(f"backend {self.name!r}: MessageBird needs a sender "
                                 f"(set backends.{self.name}.sender or pass sender=)")
        report_url = _extra_url(message)
        body = wire.build_send(message.to, message.text, str(originator),
                               reference=message.reference or message.id or None, report_url=report_url,
                               datacoding="unicode" if message.encoding == "ucs2" else "plain")
        resp = self.transport.request("POST", "messages", json=body, sending=True)
        data = _json(resp)
        if resp.status_code not in (200, 201):
            raise wire.error_for_reply(resp.status_code, data, backend=self.name)
        try:
            parsed = wire.parse_message(data)
        except ProviderError:
            # A 2xx we cannot read: the message was probably accepted, but we have no id.
            raise DeliveryUnknown("MessageBird accepted the request but its reply has no message id",
                                  backend=self.name) from None
        return Accepted(provider_id=parsed.id, status=parsed.status, raw=data)

    def status(self, provider_id: str) -> StatusReport:
        resp = self.transport.request("GET", f"messages/{provider_id}")
        data = _json(resp)
        if resp.status_code != 200:
            raise wire.error_for_reply(resp.status_code, data, backend=self.name)
        parsed = wire.parse_message(data)
        return StatusReport(id=provider_id, status=parsed.status, updated_at=parsed.status_at,
                            description=parsed.status_word, raw=data)

    def balance(self) -> Balance:
        resp = self.transport.request("GET", "balance")
        data = _json(resp)
        if resp.status_code != 200:
            raise wire.error_for_reply(resp.status_code, data, backend=self.name)
        amount, unit = wire.parse_balance(data)
        return Balance(amount=amount, unit=unit, backend=self.name)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _json(resp: Any) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _verify(value: Any) -> bool | str:
    return True if value is None else value


def _extra_url(message: Message) -> str | None:
    """``Message.extra["status_callback"]`` (the Bridge's documented hint) as MessageBird's ``reportUrl``."""
    value = (message.extra or {}).get("status_callback")
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None
