"""Inbound SMS through the gateway: journaled, announced, and forwarded to the callers (issue 15).

:func:`receive_inbound` is the one path every inbound SMS takes, whether a provider's
inbound webhook brought it (``/webhooks/<backend>/inbound``) or the sandbox inbox's
"reply" button made it up:

1. it is journaled (a provider's retry of the same message is recognised and dropped);
2. the ``smsbridge_inbound`` hook fires (the opt-out plugin reads STOP / START there);
3. it is forwarded to each gateway client that configured an ``inbound_url`` in one of
   its face sections, in that face's own webhook format and signed with that client's
   credentials: a Twilio-face client gets Twilio's incoming-message webhook with an
   ``X-Twilio-Signature`` made with its own auth token, so its TwiML handler runs as is.

Which clients get it: the client that sent the last message to the inbound's sender
(the SMS is a reply to it), else every client with an ``inbound_url`` whose pinned
backend is the one it came in through (or that is not pinned).  See docs/webhooks.md.
"""
from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from ..model import InboundMessage
from .webhooks import OutgoingWebhook, handlers

__all__ = ["receive_inbound", "new_inbound_id", "recipients_of"]

log = logging.getLogger("smsbridge.gateway.inbound")


def new_inbound_id() -> str:
    """A sortable, unguessable id for an inbound SMS: ``in_`` + time (ms, hex) + 12 hex digits."""
    return f"in_{int(time.time() * 1000):012x}{secrets.token_hex(6)}"


async def receive_inbound(gateway: Any, message: InboundMessage) -> None:
    """Journal ``message``, fire ``smsbridge_inbound`` and forward it to the gateway's clients.

    A message whose ``(backend, provider_id)`` was received before is a provider's retry:
    nothing happens the second time.  Forwarding is best effort (a client's broken
    endpoint never fails the provider's webhook); the callers' answers are logged.
    """
    from starlette.concurrency import run_in_threadpool

    new = await run_in_threadpool(gateway.bridge.receive, message)
    if not new:
        return
    table = handlers()
    for client, face, url in await run_in_threadpool(recipients_of, gateway, message):
        handler = table.get(face)
        forward = getattr(handler, "forward_inbound", None)
        if forward is None:
            log.warning("client %r has an inbound_url for face %r, which cannot forward inbound SMS",
                        client.name, face)
            continue
        try:
            hook: OutgoingWebhook = forward(message, client.credentials[face], url)
        except Exception:
            log.exception("rendering inbound %s for client %r (%s) failed", message.id, client.name, face)
            continue
        status = await gateway.post_callback(hook.url, data=hook.data, json=hook.json, method=hook.method,
                                             headers=hook.headers)
        log.info("inbound %s forwarded to client %r (%s): %s", message.id, client.name, face, status)


def recipients_of(gateway: Any, message: InboundMessage) -> list[tuple[Any, str, str]]:
    """``(client, face, inbound_url)`` for every forward this inbound SMS is due."""
    wanting = [(client, face, str(section["inbound_url"]))
               for client in gateway.clients for face, section in client.credentials.items()
               if section.get("inbound_url")]
    if not wanting:
        return []
    # A reply goes to whoever wrote to that number last.
    last = gateway.bridge.journal.records(to=message.from_, limit=1)
    owner = (last[0].gateway_client or last[0].extra.get("gateway_client")) if last else None  # journal API field
    if owner is not None and any(client.name == owner for client, _, _ in wanting):
        return [w for w in wanting if w[0].name == owner]
    return [w for w in wanting if w[0].backend in (None, message.backend)]
