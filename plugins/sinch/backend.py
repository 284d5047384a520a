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

import threading
from typing import Any, ClassVar

from smsbridge.backend import Backend, Option
from smsbridge.errors import ConfigError, DeliveryUnknown, NotFound, ProviderError
from smsbridge.model import Accepted, Message, Status, StatusReport
from smsbridge.transport import HttpTransport

from . import wire

__all__ = ["SinchBackend"]


class SinchBackend(Backend):
    """Sinch XMS: ``/xms/v1/{service_plan_id}/batches`` and delivery reports."""

    options: ClassVar[dict[str, Option]] = {
        "service_plan_id": Option(str, required=True, help="Sinch SMS service plan id"),
        "api_token": Option(str, required=True, secret=True, help="Sinch SMS API token (Bearer)"),
        "region": Option(str, default="us", help="SMS API region: us, eu, au, br or ca"),
    }
    capabilities = frozenset({"send", "status"})
    default_base_url = None

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        region = str(settings.get("region") or "us").lower()
        if region not in wire.REGIONS and not settings.get("base_url"):
            raise ConfigError(f"unknown Sinch region {region!r} (one of {', '.join(wire.REGIONS)})",
                              path=f"backends.{name}.region")
        self.region = region
        self._transport: HttpTransport | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return str(self.settings.get("base_url") or wire.base_url_for_region(self.region))

    @property
    def plan(self) -> str:
        return str(self.settings.get("service_plan_id"))

    @property
    def transport(self) -> HttpTransport:
        with self._lock:
            if self._transport is None:
                self._transport = HttpTransport(
                    self.name, base_url=self.base_url, timeout=float(self.settings.get("timeout") or 10),
                    verify=True if self.settings.get("verify") is None else self.settings.get("verify"),
                    headers={"Accept": "application/json",
                             "Authorization": f"Bearer {self.settings.get('api_token')}"})
            return self._transport

    def send(self, message: Message) -> Accepted:
        value = (message.extra or {}).get("status_callback")  # the Bridge's documented hint
        callback = value if isinstance(value, str) and value.startswith(("http://", "https://")) else None
        body = wire.build_send(message.to, message.text, message.sender or self.settings.get("sender"),
                               delivery_report="per_recipient_final" if callback else "full",
                               callback_url=callback, client_reference=message.reference or message.id or None)
        resp = self.transport.request("POST", wire.batches_path(self.plan), json=body, sending=True)
        data = _json(resp)
        if not 200 <= resp.status_code < 300:
            raise wire.error_for_reply(resp.status_code, data, backend=self.name)
        try:
            batch = wire.parse_batch(data)
        except ProviderError:
            raise DeliveryUnknown("Sinch accepted the request but its reply has no batch id",
                                  backend=self.name) from None
        return Accepted(provider_id=batch.id, raw=data)

    def status(self, provider_id: str) -> StatusReport:
        resp = self.transport.request("GET", wire.report_path(self.plan, provider_id), params={"type": "summary"})
        data = _json(resp)
        if resp.status_code == 404:
            # No report yet, or no such batch: the batch itself tells which.
            batch_resp = self.transport.request("GET", wire.batch_path(self.plan, provider_id))
            batch = _json(batch_resp)
            if batch_resp.status_code != 200:
                raise wire.error_for_reply(batch_resp.status_code, batch, backend=self.name)
            parsed_batch = wire.parse_batch(batch)
            status = Status.REJECTED if parsed_batch.canceled else Status.QUEUED
            return StatusReport(id=provider_id, status=status,
                                description="Cancelled" if parsed_batch.canceled else "no delivery report yet",
                                raw=batch)
        if resp.status_code != 200:
            raise wire.error_for_reply(resp.status_code, data, backend=self.name)
        report = wire.parse_report(data)
        if report.batch_id != provider_id:
            raise NotFound(f"Sinch returned a report for another batch ({report.batch_id})")
        return StatusReport(id=provider_id, status=report.status, updated_at=report.at,
                            description=report.status_word, raw=data)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _json(resp: Any) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None
