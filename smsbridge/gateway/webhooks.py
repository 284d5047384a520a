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
  (:mod:`smsbridge.reports`);
- a final status is never replaced by another status, and a report never moves a
  message backwards (``sent`` after ``delivered`` arrives out of order: ignored);
- the provider's own word is kept as the event's description.

No starlette import at module level: plugins import the types below cheaply.
"""
from __future__ import annotations

import json as json_mod
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from ..reports import RANK, DeliveryReport

__all__ = ["WebhookRequest", "DeliveryReport", "ReceivedSMS", "OutgoingWebhook", "WebhookAnswer",
           "WebhookRejected", "handlers", "routes", "normalise_number", "RANK"]

log = logging.getLogger("smsbridge.gateway.webhooks")


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
class ReceivedSMS:
    """One inbound SMS as a handler parsed it; the core adds the id, the backend and the
    time it arrived (``received_at`` is the provider's own time, for the record)."""

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
    data: Mapping[str, str] | bytes | None = None
    """A form (a mapping), or the exact body bytes (signed JSON: set Content-Type)."""
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookAnswer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"


def handlers() -> dict[str, Any]:
    """Every registered webhook handler by name (a backend plugin / face name)."""
    from .. import plugins

    found: dict[str, Any] = {}
    # pluggy makes each call (issue 17: hookimpl options and argument subsets honoured);
    # each plugin's register is bound to its name, so a clash names both plugins.
    for plugin_name, call in plugins.each_impl("smsbridge_webhooks"):
        def register(name: str, handler: Any, _plugin: str = plugin_name) -> None:
            if name in found and found[name][0] != _plugin:
                from ..errors import ConfigError

                raise ConfigError(f"webhook handler {name!r} is registered by both {found[name][0]!r} and {_plugin!r}")
            found[name] = (_plugin, handler)
        call(register=register)
    loaded: dict[str, Any] = {}
    for name, (plugin, handler) in found.items():
        try:
            loaded[name] = plugins.resolve(handler) if isinstance(handler, str) else handler
        except Exception as exc:  # one broken plugin must not take the gateway down
            log.warning("webhook handler %r of plugin %r failed to load: %s: %s", name, plugin,
                        type(exc).__name__, exc)
    return loaded


def normalise_number(value: str) -> str:
    """A sender or recipient as E.164 where it is a full number without its ``+``
    (Vonage's ``msisdn``, Infobip's ``from``); short codes and alphanumerics as given."""
    text = str(value or "").strip()
    if re.fullmatch(r"\d{8,15}", text):
        return "+" + text
    if re.fullmatch(r"00\d{8,15}", text):
        return "+" + text[2:]
    return text


def routes(gateway: Any) -> list[Any]:
    """``/webhooks/{backend}/status`` and ``/webhooks/{backend}/inbound`` (GET and POST: Vonage
    and MessageBird report with GET)."""
    from starlette.routing import Route

    hooks = WebhookRoutes(gateway)
    return [Route("/webhooks/{backend}/status", hooks.status, methods=["GET", "POST"]),
            Route("/webhooks/{backend}/inbound", hooks.inbound, methods=["GET", "POST"])]


class WebhookRoutes:
    """The request handlers: find the backend's handler, verify, parse, apply."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway
        self.handlers = handlers()
        self.public_url = (gateway.bridge.config.gateway or {}).get("public_url")

    def _handler(self, name: str) -> tuple[Any, Any]:
        bridge = self.gateway.bridge
        if name not in bridge.config.backends:
            raise WebhookRejected(404, f"no backend called {name!r} is configured")
        handler = self.handlers.get(bridge.config.backends[name]["plugin"])
        if handler is None:
            raise WebhookRejected(404, f"backend {name!r} takes no webhooks")
        if bridge.backend_incomplete(name):
            raise WebhookRejected(503, f"backend {name!r} is not fully configured")
        return handler, bridge.backend(name).settings

    async def _request(self, request: Any) -> WebhookRequest:
        from .http import read_body

        body = await read_body(request)
        url = str(request.url)
        if self.public_url:
            url = str(self.public_url).rstrip("/") + request.url.path + (f"?{request.url.query}"
                                                                         if request.url.query else "")
        query = tuple(parse_qsl(request.url.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in request.headers.items()}
        return WebhookRequest(method=request.method.upper(), url=url, path=request.url.path, query=query,
                              headers=headers, body=body)

    async def _take(self, request: Any, kind: str) -> Any:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import Response

        from .http import BadRequest

        name = request.path_params["backend"]
        try:
            handler, settings = self._handler(name)
            webhook = await self._request(request)
            verify = getattr(handler, "verify", None)
            if verify is not None:
                verify(webhook, settings, kind)
            if kind == "status":
                parse = getattr(handler, "status_reports", None)
            else:
                parse = getattr(handler, "inbound_messages", None)
            if parse is None:
                raise WebhookRejected(404, f"backend {name!r} takes no {kind} webhooks")
            try:
                items = list(parse(webhook))
            except WebhookRejected:
                raise
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise WebhookRejected(400, f"unreadable {kind} webhook: {type(exc).__name__}") from None
        except WebhookRejected as exc:
            if exc.status == 403:
                log.warning("%s webhook for backend %r refused: %s", kind, name, exc.detail)
            return Response(exc.detail, status_code=exc.status, media_type="text/plain")
        except BadRequest as exc:
            return Response(exc.detail, status_code=exc.status, media_type="text/plain")
        if kind == "status":
            from ..reports import apply_report

            for report in items:
                outcome = await run_in_threadpool(apply_report, self.gateway.bridge, name, report)
                log.info("delivery report %s/%s for backend %r: %s", report.provider_id or report.message_id,
                         report.word, name, outcome)
        else:
            from ..model import InboundMessage
            from .inbound import new_inbound_id, receive_inbound

            for sms in items:
                # When smsbridge received it (the provider's own time stays in ``raw``): the
                # journal's order and ``inbound(since=...)`` paging must follow arrival.
                received = datetime.now(timezone.utc)
                message = InboundMessage(id=new_inbound_id(), from_=normalise_number(sms.from_),
                                         to=normalise_number(sms.to), text=sms.text, received_at=received,
                                         backend=name, provider_id=sms.provider_id, raw=sms.raw)
                await receive_inbound(self.gateway, message)
        answer = getattr(handler, "answer", None)
        reply = answer(kind) if answer is not None else WebhookAnswer()
        return Response(reply.body, status_code=reply.status, media_type=reply.content_type)

    async def status(self, request: Any) -> Any:
        return await self._take(request, "status")

    async def inbound(self, request: Any) -> Any:
        return await self._take(request, "inbound")
