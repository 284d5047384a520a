"""The Twilio backend: smsbridge -> Twilio's REST API (or anything speaking it).

Config (SPEC §3)::

    twilio:
      plugin: twilio
      account_sid: ${TWILIO_ACCOUNT_SID}
      auth_token: ${TWILIO_AUTH_TOKEN}
      sender: "+15005550006"            # or messaging_service_sid
      # base_url: https://api.twilio.com  (an smsbridge gateway works too)

Capabilities: send, status (Twilio's message fetch), balance (``Balance.json``), lookup
(the message list by ``To`` and ``DateSent>``, matched on body and time: Twilio keeps no
client reference).  Twilio
keeps no per-message status history, so ``history`` falls back to smsbridge's journal.
The wire format lives in :mod:`.wire`; failure classification in
:class:`~smsbridge.transport.HttpTransport` (SPEC §7).
"""
from __future__ import annotations

from typing import Any

from smsbridge import lookup as lookup_rules
from smsbridge.backend import Option
from smsbridge.backend_http import HttpBackend, reply_json
from smsbridge.errors import DeliveryUnknown, InvalidMessage, ProviderError, ProviderUnavailable
from smsbridge.model import Accepted, Balance, Message, StatusReport

from . import wire

__all__ = ["TwilioBackend"]


class TwilioBackend(HttpBackend):
    """Send through Twilio Programmable Messaging."""

    options = {
        "account_sid": Option(str, required=True, help="Twilio account SID (AC...)"),
        "auth_token": Option(str, required=True, secret=True, help="Twilio auth token"),
        "messaging_service_sid": Option(str, help="send through a Messaging Service (MG...) instead of a sender"),
        "status_callback": Option(str, help="URL Twilio posts status changes to (StatusCallback)"),
    }
    capabilities = frozenset({"send", "status", "balance", "lookup"})
    default_base_url = "https://api.twilio.com"
    lookup_pages = 10
    """How many list pages (100 messages each) ``lookup`` reads before it gives up."""

    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": "smsbridge-twilio"}

    def http_auth(self) -> Any:
        return (str(self.settings["account_sid"]), str(self.settings["auth_token"]))

    @property
    def account_sid(self) -> str:
        return str(self.settings["account_sid"])

    # -- operations --------------------------------------------------------------------
    def send(self, message: Message) -> Accepted:
        sender = message.sender or self.settings.get("sender")
        service = self.settings.get("messaging_service_sid")
        if not sender and not service:
            raise InvalidMessage(f"backend {self.name!r} needs a sender: set 'sender' (a Twilio number) or "
                                 "'messaging_service_sid'", reason="bad_sender")
        extra = message.extra or {}
        # the caller's own URL, else this backend's, else the gateway's webhook (issue 15)
        callback = extra.get("status_callback") or self.settings.get("status_callback") or extra.get("webhook_url")
        form = wire.build_send(message.to, message.text, sender=sender, status_callback=callback,
                                messaging_service_sid=service if not message.sender else None)
        response = self.transport.request("POST", wire.messages_path(self.account_sid), data=form, sending=True)
        if response.status_code >= 300:
            raise wire.error_from_reply(response.status_code, reply_json(response), backend=self.name,
                                        sending=True)
        try:
            parsed = wire.parse_send_reply(response.json())
        except (ValueError, ProviderError) as exc:
            # A 2xx means Twilio took it; an unreadable body does not undo that.
            raise DeliveryUnknown(f"Twilio accepted the request but its reply is unreadable: {exc}",
                                  backend=self.name) from None
        return Accepted(provider_id=parsed.sid, status=parsed.status,
                        segments=parsed.segments or message.segments, raw=parsed.word)

    def status(self, provider_id: str) -> StatusReport:
        response = self.transport.request("GET", wire.message_path(self.account_sid, provider_id))
        if response.status_code != 200:
            raise wire.error_from_reply(response.status_code, reply_json(response), backend=self.name)
        try:
            parsed = wire.parse_send_reply(response.json())
        except (ValueError, ProviderError) as exc:
            raise ProviderUnavailable(f"unreadable Twilio reply: {exc}", backend=self.name) from None
        description = parsed.error_message or None
        if parsed.error_code and description:
            description = f"{description} (error {parsed.error_code})"
        return StatusReport(id=provider_id, status=parsed.status, updated_at=parsed.updated_at,
                            description=description, raw=parsed.word)

    def lookup(self, message: Message) -> Accepted | None:
        """Twilio keeps no client reference: list the messages to ``message.to`` sent since
        it was journaled (``DateSent>``), and match the body and the time window."""
        window = lookup_rules.window(message)
        path: str | None = wire.messages_path(self.account_sid)
        params: dict[str, str] | None = wire.list_query(message.to, sent_after=window[0] if window else None)
        for _ in range(self.lookup_pages):
            assert path is not None
            response = self.transport.request("GET", path, params=params)
            if response.status_code != 200:
                raise wire.error_from_reply(response.status_code, reply_json(response), backend=self.name)
            try:
                found, path = wire.parse_list(response.json())
            except (ValueError, ProviderError) as exc:
                raise ProviderUnavailable(f"unreadable Twilio list reply: {exc}", backend=self.name) from None
            taken = lookup_rules.claimed(message)
            for item in found:
                if item.sid not in taken and item.to in (None, message.to) \
                        and lookup_rules.same_text(item.body, message.text) \
                        and lookup_rules.in_window(item.created_at or item.sent_at, message):
                    return Accepted(provider_id=item.sid, status=item.status,
                                    segments=item.segments or message.segments, raw=item.word)
            if path is None:
                return None
            params = None  # next_page_uri carries the query
        raise ProviderUnavailable(f"Twilio lists more than {self.lookup_pages} pages of messages to {message.to}"
                                  " in the time window; not searched to the end", backend=self.name)

    def balance(self) -> Balance:
        response = self.transport.request("GET", wire.balance_path(self.account_sid))
        if response.status_code != 200:
            raise wire.error_from_reply(response.status_code, reply_json(response), backend=self.name)
        try:
            amount, currency = wire.parse_balance(response.json())
        except ValueError:
            raise ProviderUnavailable("unreadable Twilio balance reply", backend=self.name) from None
        return Balance(amount=amount, unit=currency, backend=self.name)
