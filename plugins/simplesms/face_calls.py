"""What both simpleSMS gateway faces do for a call, written once (SPEC §5, §6).

The REST face (:mod:`.gateway_rest`) and the SOAP face (:mod:`.gateway_soap`) differ in
how a call arrives (form fields and a bearer token; SOAP parts in a ``PHPSESSID``
session) and how its answer is written (JSON; a PHP-style SOAP envelope).  What a call
*does* is here, so both faces answer alike: which client a ``connect`` names, the
``sms_id`` an accepted message gets, which message an ``sms_id`` names and who may see
it, and each operation's ``response`` payload (built by :mod:`.wire`).
"""
from __future__ import annotations

import asyncio
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from smsbridge.errors import NotFound
from smsbridge.gateway.faces import visible_to

from . import wire

__all__ = ["FaceCalls", "ALIAS_KIND"]

ALIAS_KIND = "simplesms"
"""The journal alias kind of ``sms_id``\\ s: an ``sms_id`` names the same message on both faces."""

# Both faces hand out ids from the same space; one lock keeps the check and the insert of
# a new id together (they also run on the event loop, between two awaits).
_ids_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _ids_lock() -> asyncio.Lock:
    """One lock per event loop (one per gateway app) around picking a fresh ``sms_id``."""
    loop = asyncio.get_running_loop()
    lock = _ids_locks.get(loop)
    if lock is None:
        lock = _ids_locks[loop] = asyncio.Lock()
    return lock


Call = Callable[[Any, Mapping[str, Any]], Awaitable[Any]]


class FaceCalls:
    """The calls after ``connect``, each ``(client, params) -> response payload``.

    ``params`` uses either face's names (:mod:`.wire` reads both); ``part_name`` turns
    :mod:`.wire`'s field names into the face's own for "Missing parameter" refusals.
    """

    ALIAS_KIND = ALIAS_KIND

    def __init__(self, gateway: Any, *, part_name: Callable[[str], str] = lambda name: name) -> None:
        self.gateway = gateway
        self._part_name = part_name

    def handlers(self) -> dict[str, Call]:
        """Operation name -> its call."""
        return {wire.SEND: self.send_sms, wire.CREDIT: self.get_credit, wire.MONTHLY: self.get_monthly,
                wire.STATUS: self.get_status, wire.HISTORY: self.get_history}

    def authenticate(self, params: Mapping[str, Any]) -> tuple[Any, str, str] | None:
        """``(client, username, domain)`` for a ``connect``'s credentials, else ``None``."""
        credentials = wire.parse_connect_form(params)
        if credentials is None:
            return None
        username, password, domain = credentials
        client = self.gateway.authenticate("simplesms", username=username, password=password, domain=domain)
        return None if client is None else (client, username, domain)

    # -- operations ----------------------------------------------------------------------
    async def send_sms(self, client: Any, params: Mapping[str, Any]) -> Any:
        to, text = wire.parse_send_request(params, part_name=self._part_name)
        receipt = await self.gateway.send(client, to, text)
        return wire.send_response(await self._new_sms_id(receipt.id))

    async def get_status(self, client: Any, params: Mapping[str, Any]) -> Any:
        sms_id, message_id = await self._owned(client, params)
        record = await self.gateway.record(message_id)
        return wire.status_response(record, sms_id)

    async def get_history(self, client: Any, params: Mapping[str, Any]) -> Any:
        sms_id, message_id = await self._owned(client, params)
        events = await run_in_threadpool(self.gateway.bridge.history, message_id)
        return wire.history_response(events)

    async def get_credit(self, client: Any, params: Mapping[str, Any]) -> Any:
        balance = await run_in_threadpool(self.gateway.bridge.balance, client.backend)
        return wire.credit_response(balance.amount)

    async def get_monthly(self, client: Any, params: Mapping[str, Any]) -> Any:
        stats = await run_in_threadpool(self.gateway.bridge.monthly_stats, client.backend)
        return wire.monthly_response(stats)

    # -- ids -----------------------------------------------------------------------------
    async def _owned(self, client: Any, params: Mapping[str, Any]) -> tuple[str, str]:
        """The ``sms_id`` asked for and its smsbridge id, if this client sent it (else 404)."""
        sms_id = wire.parse_sms_id_form(params, part_name=self._part_name)
        message_id = await self.gateway.resolve(ALIAS_KIND, sms_id) if sms_id.isascii() and sms_id.isdigit() \
            else None
        if message_id is None:
            raise NotFound(wire.ERROR_MESSAGES[wire.E_NOT_FOUND])
        try:
            record = await run_in_threadpool(self.gateway.bridge.record, message_id)
        except NotFound:
            raise NotFound(wire.ERROR_MESSAGES[wire.E_NOT_FOUND]) from None
        if not visible_to(record, client):
            raise NotFound(wire.ERROR_MESSAGES[wire.E_NOT_FOUND])
        return sms_id, message_id

    async def _new_sms_id(self, message_id: str) -> str:
        """A numeric id for an accepted message, stored as its alias: the one
        :data:`.wire.ID_SHAPE` derives from the message id (milliseconds times 1000 plus
        three digits: increasing, below 2**53 so JavaScript reads it exactly), or, when
        another message holds that one, the current milliseconds times 1000 plus three
        random digits."""
        async with _ids_lock():
            sms_id = wire.provider_id_for(message_id)
            while await self.gateway.resolve(ALIAS_KIND, sms_id) is not None:
                sms_id = str(int(time.time() * 1000) * 1000 + secrets.randbelow(1000))
            await self.gateway.alias(ALIAS_KIND, sms_id, message_id)
            return sms_id
