"""Sinch backend: send and status over the SMS REST API (XMS), service-plan token auth.

Config (SPEC §3 common keys plus)::

    backends:
      sinch:
        plugin: sinch
        service_plan_id: ${SINCH_SERVICE_PLAN_ID}
        api_token: ${SINCH_API_TOKEN}
        region: eu                     # us (default), eu, au, br, ca
        sender: "12345"                # optional with a default originator pool
        # base_url: https://eu.sms.api.sinch.com   (overrides region)

The SMS API has no balance call, so ``balance`` is not a capability.
"""
from __future__ import annotations

from typing import Any, ClassVar

from smsbridge import lookup as lookup_rules
from smsbridge.backend import Option
from smsbridge.backend_http import HttpBackend, status_callback_url
from smsbridge.errors import ConfigError, NotFound, ProviderError
from smsbridge.model import Accepted, Message, Status, StatusReport

from . import wire

__all__ = ["SinchBackend"]


class SinchBackend(HttpBackend):
    """Sinch XMS: ``/xms/v1/{service_plan_id}/batches`` and delivery reports."""

    options: ClassVar[dict[str, Option]] = {
        "service_plan_id": Option(str, required=True, help="Sinch SMS service plan id"),
        "api_token": Option(str, required=True, secret=True, help="Sinch SMS API token (Bearer)"),
        "region": Option(str, default="us", help="SMS API region: us, eu, au, br or ca"),
        "webhook_secret": Option(str, secret=True,
                                 help="the secret Sinch signs callbacks with (refuse unsigned ones)"),
    }
    capabilities = frozenset({"send", "status", "lookup"})
    default_base_url = None

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        region = str(settings.get("region") or "us").lower()
        if region not in wire.REGIONS and not settings.get("base_url"):
            raise ConfigError(f"unknown Sinch region {region!r} (one of {', '.join(wire.REGIONS)})",
                              path=f"backends.{name}.region")
        self.region = region

    @property
    def base_url(self) -> str:
        return str(self.settings.get("base_url") or wire.base_url_for_region(self.region))

    @property
    def plan(self) -> str:
        return str(self.settings.get("service_plan_id"))

    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "Authorization": f"Bearer {self.settings.get('api_token')}"}

    def send(self, message: Message) -> Accepted:
        callback = status_callback_url(message)
        body = wire.build_send(message.to, message.text, message.sender or self.settings.get("sender"),
                               delivery_report="per_recipient_final" if callback else "full",
                               callback_url=callback, client_reference=message.reference or message.id or None)
        resp = self.transport.request("POST", wire.batches_path(self.plan), json=body, sending=True)
        data = self.read_reply(resp, wire.error_from_reply, ok=range(200, 300),
                               sending=True)
        batch = wire.parse_send_reply(data, backend=self.name)
        return Accepted(provider_id=batch.id, raw=data)

    def lookup(self, message: Message) -> Accepted | None:
        """The batch sent with this message's ``client_reference`` (its reference, else
        smsbridge's id), to this recipient with this text; ``None`` if Sinch has none.

        With a caller-chosen reference reused for an identical text to the same number,
        an earlier message could match; batches the journal already holds for other
        messages (``smsbridge.lookup.claimed``) are skipped, so only an earlier message
        journaled elsewhere could.
        """
        reference = message.reference or message.id
        resp = self.transport.request("GET", wire.batches_path(self.plan),
                                      params={"client_reference": reference, "page_size": 100})
        data = self.read_reply(resp, wire.error_from_reply)
        taken = lookup_rules.claimed(message)  # batches the journal holds for other messages
        for raw in (data.get("batches") or []) if isinstance(data, dict) else []:
            try:
                batch = wire.parse_batch(raw)
            except ProviderError:
                continue
            if batch.id not in taken and raw.get("client_reference") == reference and message.to in batch.to \
                    and lookup_rules.same_text(raw.get("body"), message.text):
                return Accepted(provider_id=batch.id, raw=raw)
        return None

    def status(self, provider_id: str) -> StatusReport:
        resp = self.transport.request("GET", wire.report_path(self.plan, provider_id), params={"type": "summary"})
        data = self.read_reply(resp, wire.error_from_reply, ok=(200, 404))
        if resp.status_code == 404:
            # No report yet, or no such batch: the batch itself tells which.
            batch = self.read_reply(self.transport.request("GET", wire.batch_path(self.plan, provider_id)),
                                    wire.error_from_reply)
            parsed_batch = wire.parse_batch(batch)
            status = Status.REJECTED if parsed_batch.canceled else Status.QUEUED
            return StatusReport(id=provider_id, status=status,
                                description="Cancelled" if parsed_batch.canceled else "no delivery report yet",
                                raw=batch)
        report = wire.parse_report(data)
        if report.batch_id != provider_id:
            raise NotFound(f"Sinch returned a report for another batch ({report.batch_id})")
        return StatusReport(id=provider_id, status=report.status, updated_at=report.at,
                            description=report.status_word, raw=data)
