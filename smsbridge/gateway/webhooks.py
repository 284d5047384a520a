"""Providers' webhooks into smsbridge: delivery reports and inbound SMS (issue 15).

``smsbridge serve`` answers ``/webhooks/<backend>/status`` and ``/webhooks/<backend>/inbound``
for every configured backend whose plugin registered a webhook handler through the
``smsbridge_webhooks`` hook.  This module is the provider-neutral part: routing, the
request as a handler sees it, storage, idempotence and ordering.  A handler (in
``plugins/<provider>/webhooks.py``) only verifies and parses; it never touches the journal.

A handler is any object (a module will do) with some of these attributes:

``verify(request, settings, kind) -> None``
    Check the signature of a :class:`WebhookRequest` (``kind`` is ``"status"`` or
    ``"inbound"``) with the backend's :class:`~smsbridge.config.Settings`; raise
    :class:`WebhookRejected` (403) when it is missing or wrong.  Absent: the provider
    does not sign (Infobip), and every request is taken.
``status_reports(request) -> Iterable[DeliveryReport]``
    The delivery reports in one request (Infobip batches up to 100); raise
    :class:`WebhookRejected` (400) for a payload that is not one.
``inbound_messages(request) -> Iterable[ReceivedSMS]``
    The inbound SMS in one request.
``answer(kind) -> WebhookAnswer``
    What the provider expects back (Twilio: an empty TwiML ``<Response/>``); default 200,
    empty.
``forward_inbound(message, credentials, url) -> OutgoingWebhook``
    The face side: an :class:`~smsbridge.model.InboundMessage` as this provider's own
    inbound webhook, for a gateway client of the face of the same name, signed with that
    client's ``credentials`` (its ``gateway.clients.<client>.<face>`` section).

Rules the core applies the same way for every provider:

- a request whose signature fails changes nothing and gets 403;
- a report is matched to its message by the smsbridge id (when the provider echoes a
  client reference) or by ``(backend, provider id)``; a report for a message not (yet)
  journaled is kept and applied when the message is accepted
  (:meth:`~smsbridge.bridge.Bridge.inbound`'s sibling ``Bridge.apply_report``);
- a final status is never replaced by another status, and a report never moves a
  message backwards (``sent`` after ``delivered`` arrives out of order: ignored);
- the provider's own word is kept as the event's description.

No starlette import at module level: plugins import the types below cheaply.
"""
from __future__ import annotations

import json as json_mod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl

from ..model import Status

__all__ = ["WebhookRequest", "DeliveryReport", "ReceivedSMS", "OutgoingWebhook", "WebhookAnswer",
           "WebhookRejected", "handlers", "handler_for", "RANK"]


class WebhookRejected(Exception):
    """A webhook smsbridge does not take: ``status`` 403 (signature) or 400 (payload)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class WebhookRequest:
    """One webhook request as a handler sees it.

    ``url`` is the URL the provider called (and signed): ``gateway.public_url`` joined
    with the path and query when configured, else the URL the request arrived at.
    ``headers`` have lower-case names.
    """

    method: str
    url: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def form_pairs(self) -> list[tuple[str, str]]:
        """The url-encoded body's pairs (a GET: the query's)."""
        if self.method in ("GET", "HEAD") or not self.body:
            return list(self.query)
        try:
            return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise WebhookRejected(400, "malformed form body") from None

    def form(self) -> dict[str, str]:
        return dict(self.form_pairs())

    def json(self) -> Any:
        try:
            return json_mod.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise WebhookRejected(400, "malformed JSON body") from None

    def params(self) -> dict[str, Any]:
        """The fields however they came: a JSON object body, a form body, or the query."""
        if self.body and ("json" in self.content_type or self.body.lstrip()[:1] == b"{"):
            data = self.json()
            if not isinstance(data, dict):
                raise WebhookRejected(400, "expected a JSON object")
            return data
        return self.form()


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery report, normalised. ``word`` is the provider's own status word."""

    status: Status
    word: str
    provider_id: str | None = None
    message_id: str | None = None
    """smsbridge's id, when the provider echoes it back (a client reference)."""
    at: datetime | None = None
    code: str | None = None
    description: str | None = None
    raw: Any = None


@dataclass(frozen=True)
class ReceivedSMS:
    """One inbound SMS as a handler parsed it; the core adds the id and the backend."""

    from_: str
    to: str
    text: str
    provider_id: str | None = None
    received_at: datetime | None = None
    raw: Any = None


@dataclass(frozen=True)
class OutgoingWebhook:
    """A webhook smsbridge sends (an inbound SMS forwarded in a face's format)."""

    url: str
    method: str = "POST"
    data: Mapping[str, str] | None = None
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookAnswer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"


RANK: dict[Status, int] = {
    Status.UNKNOWN: 0, Status.SCHEDULED: 1, Status.QUEUED: 2, Status.SENT: 3,
    Status.DELIVERED: 9, Status.UNDELIVERED: 9, Status.FAILED: 9, Status.EXPIRED: 9,
    Status.REJECTED: 9, Status.CANCELED: 9,
}
"""How far along a status is: a report never moves a message to a lower rank, and
nothing replaces a final status (rank 9)."""


def handlers() -> dict[str, Any]:
    """Every registered webhook handler by name (a backend plugin / face name)."""
    from .. import plugins

    found: dict[str, Any] = {}
    for impl in plugins.manager().hook.smsbridge_webhooks.get_hookimpls():
        def register(name: str, handler: Any, _plugin: str = impl.plugin_name) -> None:
            if name in found and found[name][0] != _plugin:
                from ..errors import ConfigError

                raise ConfigError(f"webhook handler {name!r} is registered by both {found[name][0]!r} and {_plugin!r}")
            found[name] = (_plugin, handler)
        impl.function(register=register)
    return {name: (plugins.resolve(h) if isinstance(h, str) else h) for name, (_, h) in found.items()}


def handler_for(name: str, *, table: Mapping[str, Any] | None = None) -> Any | None:
    return (table if table is not None else handlers()).get(name)


def _as_list(items: Iterable[Any] | None) -> list[Any]:
    return list(items or ())
