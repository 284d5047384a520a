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

from typing import ClassVar

from smsbridge import lookup as lookup_rules
from smsbridge.backend import Option
from smsbridge.backend_http import HttpBackend, status_callback_url
from smsbridge.errors import DeliveryUnknown, InvalidMessage, ProviderError, ProviderUnavailable
from smsbridge.model import Accepted, Balance, Message, StatusReport

from . import wire

__all__ = ["MessageBirdBackend"]


class MessageBirdBackend(HttpBackend):
    """MessageBird (``rest.messagebird.com``): ``/messages`` and ``/balance``."""

    options: ClassVar[dict[str, Option]] = {
        "access_key": Option(str, required=True, secret=True,
                             help="MessageBird access key (live_… or test_…)"),
        "signing_key": Option(str, secret=True,
                              help="the signing key MessageBird signs webhooks with (refuse unsigned ones)"),
    }
    capabilities = frozenset({"send", "status", "balance", "lookup"})
    lookup_pages = 10
    """How many list pages (100 messages each, newest first) ``lookup`` reads at most."""
    default_base_url = wire.DEFAULT_BASE_URL

    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", **wire.auth_header(str(self.settings.get("access_key")))}

    def send(self, message: Message) -> Accepted:
        originator = message.sender or self.settings.get("sender")
        if not originator:
            raise InvalidMessage(f"backend {self.name!r}: MessageBird needs a sender "
                                 f"(set backends.{self.name}.sender or pass sender=)", reason="bad_sender")
        report_url = status_callback_url(message)  # as MessageBird's ``reportUrl``
        body = wire.build_send(message.to, message.text, str(originator),
                               reference=message.reference or message.id or None, report_url=report_url,
                               datacoding="unicode" if message.encoding == "ucs2" else "plain")
        resp = self.transport.request("POST", "messages", json=body, sending=True)
        data = self.read_reply(resp, wire.error_from_reply, ok=(200, 201), sending=True)
        try:
            parsed = wire.parse_send_reply(data)
        except ProviderError:
            # A 2xx we cannot read: the message was probably accepted, but we have no id.
            raise DeliveryUnknown("MessageBird accepted the request but its reply has no message id",
                                  backend=self.name) from None
        return Accepted(provider_id=parsed.id, status=parsed.status, raw=data)

    def status(self, provider_id: str) -> StatusReport:
        data = self.read_reply(self.transport.request("GET", f"messages/{provider_id}"), wire.error_from_reply)
        parsed = wire.parse_message(data)
        return StatusReport(id=provider_id, status=parsed.status, updated_at=parsed.status_at,
                            description=parsed.status_word, raw=data)

    def lookup(self, message: Message) -> Accepted | None:
        """The message sent with this ``reference`` (the caller's, else smsbridge's id, as
        :meth:`send` sets it) to this recipient with this body.

        MessageBird's list filters by status only, so pages are read newest first until
        they reach messages older than the time window (then it has none)."""
        reference = message.reference or message.id
        window = lookup_rules.window(message)
        size = 100
        for page in range(self.lookup_pages):
            data = self.read_reply(self.transport.request("GET", "messages",
                                                          params=wire.list_query(limit=size, offset=page * size)),
                                   wire.error_from_reply)
            try:
                items, more = wire.parse_list_page(data)
            except ProviderError as exc:
                raise ProviderUnavailable(f"unreadable MessageBird list reply: {exc}", backend=self.name) from None
            taken = lookup_rules.claimed(message)
            for item in items:
                if item.id not in taken and item.reference == reference \
                        and any(number == message.to for number, _ in item.recipients) \
                        and lookup_rules.same_text(item.body, message.text):
                    return Accepted(provider_id=item.id, status=item.status, raw=item.raw)
            past = window is not None and any(i.created_at is not None and i.created_at < window[0] for i in items)
            if not more or past:
                return None
        raise ProviderUnavailable(f"MessageBird lists more than {self.lookup_pages * size} messages since this one"
                                  " was sent; not searched to the end", backend=self.name)

    def balance(self) -> Balance:
        data = self.read_reply(self.transport.request("GET", "balance"), wire.error_from_reply)
        amount, unit = wire.parse_balance(data)
        return Balance(amount=amount, unit=unit, backend=self.name)
