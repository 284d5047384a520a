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

from smsbridge import lookup as lookup_rules
from smsbridge.backend import Option
from smsbridge.backend_http import HttpBackend, status_callback_url
from smsbridge.errors import (
    DeliveryUnknown,
    InvalidMessage,
    ProviderError,
    ProviderUnavailable,
    UnsupportedOperation,
)
from smsbridge.model import Accepted, Balance, Message, StatusReport

from . import wire

__all__ = ["PlivoBackend"]


class PlivoBackend(HttpBackend):
    """Plivo Message API."""

    options: ClassVar[dict[str, Option]] = {
        "auth_id": Option(str, required=True, help="Plivo Auth ID (MA… or SA…, 20 characters)"),
        "auth_token": Option(str, required=True, secret=True, help="Plivo Auth Token"),
    }
    capabilities = frozenset({"send", "status", "balance", "lookup"})
    lookup_pages = 25
    """How many list pages (20 messages each, Plivo's maximum) ``lookup`` reads at most."""
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
        data = self.read_reply(resp, wire.error_from_reply, ok=range(200, 300), sending=True)
        try:
            uuids = wire.parse_send_reply(data)
        except ProviderError:
            raise DeliveryUnknown("Plivo accepted the request but its reply has no message_uuid",
                                  backend=self.name) from None
        return Accepted(provider_id=uuids[0], raw=data)

    def status(self, provider_id: str) -> StatusReport:
        resp = self.transport.request("GET", wire.message_detail_path(self.auth_id, provider_id))
        data = self.read_reply(resp, wire.error_from_reply)
        parsed = wire.parse_message(data)
        description = parsed.state if not parsed.error_code else f"{parsed.state} (error {parsed.error_code})"
        return StatusReport(id=provider_id, status=parsed.status, updated_at=parsed.time,
                            description=description, raw=data)

    def lookup(self, message: Message) -> Accepted | None:
        """Plivo keeps neither a client reference nor the text: list the outbound messages
        to ``message.to`` in the time window (and from its sender, when known), and take the
        one nearest the time it was journaled."""
        window = lookup_rules.window(message)
        if window is None:  # with neither text nor reference, only the time tells messages apart
            raise UnsupportedOperation("Plivo messages can only be looked up around the time they were journaled")
        after, before = window
        taken = lookup_rules.claimed(message)
        sender = message.sender or self.settings.get("sender")
        wanted = wire.sender_digits(sender)
        candidates = []
        size = 20
        for page in range(self.lookup_pages):
            query = wire.list_query(message.to, after=after, before=before, limit=size, offset=page * size)
            data = self.read_reply(self.transport.request("GET", wire.message_path(self.auth_id), params=query),
                                   wire.error_from_reply)
            try:
                items, more = wire.parse_list(data)
            except ProviderError as exc:
                raise ProviderUnavailable(f"unreadable Plivo list reply: {exc}", backend=self.name) from None
            candidates += [item for item in items
                           if item.uuid not in taken and item.to == message.to
                           and lookup_rules.in_window(item.time, message)
                           and (wanted is None or wire.sender_of(item) in (None, wanted))]
            if not more:
                break
        else:
            raise ProviderUnavailable(f"Plivo lists more than {self.lookup_pages * size} messages to {message.to}"
                                      " in the time window; not searched to the end", backend=self.name)
        if not candidates:
            return None
        at = lookup_rules.journaled_at(message)
        best = min(candidates, key=lambda item: abs((item.time - at).total_seconds())
                   if at is not None and item.time is not None else 0.0)
        return Accepted(provider_id=best.uuid, status=best.status, segments=best.units, raw=best.raw)

    def balance(self) -> Balance:
        data = self.read_reply(self.transport.request("GET", wire.account_path(self.auth_id)), wire.error_from_reply)
        amount = wire.parse_account(data)
        currency = data.get("currency") if isinstance(data, dict) else None
        unit = currency if isinstance(currency, str) else "USD"
        return Balance(amount=amount, unit=unit, backend=self.name)
