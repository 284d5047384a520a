"""``smsbridge.compat.twilio``: the ``twilio`` SDK's messaging surface over a Bridge (SPEC §6a).

Change one import and Twilio code sends through smsbridge::

    from smsbridge.compat.twilio import Client        # was: from twilio.rest import Client
    client = Client(account_sid, auth_token)          # credentials: anything; the config decides
    m = client.messages.create(to="+36301234567", from_="+15017122661", body="Hi")
    m.sid, m.status, m.num_segments, m.error_code, m.date_created
    client.messages(m.sid).fetch().status
    client.messages.list(limit=20)
    client.balance.fetch().balance

or change nothing: ``smsbridge.compat.twilio.install()`` makes ``import twilio.rest`` and
``twilio.base.exceptions`` resolve to this module, while every other ``twilio.*`` module
(``twilio.twiml``, ``twilio.request_validator``, ``twilio.http``) stays the real SDK's
(:func:`uninstall` undoes it).

The Bridge comes from ``bridge=`` or ``Bridge.from_config()`` (``$SMSBRIDGE_CONFIG``, else
``./smsbridge.yaml``), one per process and config.  Return objects are built from the
very JSON the gateway's Twilio face renders (:mod:`.wire`), then read the way the SDK
reads it, so attribute types match the SDK's (``num_segments`` a str, dates
``datetime`` in UTC, ``error_code`` an int or None).  Sids are ``wire.provider_id_for(id)``:
the same sid the gateway shows, and it carries the smsbridge id, so no lookup table is
needed to fetch.  ``MessageInstance.smsbridge_id`` is the smsbridge id itself.

Not supported (raise ``TwilioRestException``): MMS (``media_url``), update/cancel/
delete.  ``status_callback`` is passed to the Bridge as ``extra["status_callback"]`` (as
the gateway faces do): a Twilio (or Infobip) backend hands it to its provider, which then
calls it; other backends ignore it. ``create_async``/``fetch_async``/``list_async`` run
the blocking calls in a worker thread.
"""
from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

from smsbridge.compat.shim import BridgeCache, ModuleAliases, bridge_attribute, overlay, real_sdk_installed
from smsbridge.errors import NotFound, SmsBridgeError, UnsupportedOperation

from . import api, wire

__all__ = ["Client", "TwilioException", "TwilioRestException", "MessageInstance", "BalanceInstance",
           "RequestValidator", "install", "uninstall"]

_PLACEHOLDER_SID = "AC" + "0" * 32


# --------------------------------------------------------------------------- exceptions

class TwilioException(Exception):
    """Base of the SDK's errors (``twilio.base.exceptions.TwilioException``)."""


class TwilioRestException(TwilioException):
    """An error reply, with the SDK's attributes: ``status`` (HTTP), ``code`` (Twilio's
    error code), ``msg`` (``"Unable to create record: ..."``), ``uri``, ``method``, ``details``."""

    def __init__(self, status: int, uri: str, msg: str = "", code: int | None = None, method: str = "GET",
                 details: object | None = None) -> None:
        super().__init__(msg)
        self.uri = uri
        self.status = status
        self.msg = msg
        self.code = code
        self.method = method
        self.details = details

    def __str__(self) -> str:
        return f"HTTP {self.status} error: {self.msg}"


def _rest_error(error: BaseException, *, verb: str, method: str, uri: str, to: str | None = None
                ) -> TwilioRestException:
    """The SDK's exception for what the gateway face would have answered: both answer
    through the wire's :data:`~.wire.ERROR_REPLIES`."""
    status, body = wire.reply_for_error(error, to=to)
    return TwilioRestException(status, uri, f"Unable to {verb} record: {body['message']}", body["code"], method)


# --------------------------------------------------------------------------- the Bridge

_bridges = BridgeCache()  # one Bridge per process and config file, shared by every Client


# --------------------------------------------------------------------------- instances

def _date(value: Any) -> datetime | None:
    # twilio.base.deserialize.rfc2822_datetime: UTC datetime, seconds precision
    return wire.parse_time(value)


class MessageInstance:
    """A message, with ``twilio.rest.api.v2010.account.message.MessageInstance``'s attributes."""

    class Status:
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        DELIVERED = "delivered"
        UNDELIVERED = "undelivered"
        RECEIVING = "receiving"
        RECEIVED = "received"
        ACCEPTED = "accepted"
        SCHEDULED = "scheduled"
        READ = "read"
        PARTIALLY_DELIVERED = "partially_delivered"
        CANCELED = "canceled"

    class Direction:
        INBOUND = "inbound"
        OUTBOUND_API = "outbound-api"
        OUTBOUND_CALL = "outbound-call"
        OUTBOUND_REPLY = "outbound-reply"

    def __init__(self, payload: dict[str, Any], client: Client, smsbridge_id: str | None = None) -> None:
        self._client = client
        self._payload = payload
        self.body: str | None = payload.get("body")
        self.num_segments: str | None = payload.get("num_segments")
        self.direction: str | None = payload.get("direction")
        self.from_: str | None = payload.get("from")
        self.to: str | None = payload.get("to")
        self.date_updated = _date(payload.get("date_updated"))
        self.price: str | None = payload.get("price")
        self.error_message: str | None = payload.get("error_message")
        self.uri: str | None = payload.get("uri")
        self.account_sid: str | None = payload.get("account_sid")
        self.num_media: str | None = payload.get("num_media")
        self.status: str | None = payload.get("status")
        self.messaging_service_sid: str | None = payload.get("messaging_service_sid")
        self.sid: str | None = payload.get("sid")
        self.date_sent = _date(payload.get("date_sent"))
        self.date_created = _date(payload.get("date_created"))
        code = payload.get("error_code")
        self.error_code: int | None = int(code) if code is not None else None
        self.price_unit: str | None = payload.get("price_unit")
        self.api_version: str | None = payload.get("api_version")
        self.subresource_uris: dict[str, Any] | None = payload.get("subresource_uris")
        self.smsbridge_id = smsbridge_id

    def fetch(self) -> MessageInstance:
        return self._client.messages(self.sid or "").fetch()

    def update(self, *args: Any, **kwargs: Any) -> MessageInstance:
        return self._client.messages(self.sid or "").update(*args, **kwargs)

    def delete(self) -> bool:
        return self._client.messages(self.sid or "").delete()

    def __repr__(self) -> str:
        return f"<Twilio.Api.V2010.MessageInstance account_sid={self.account_sid} sid={self.sid}>"


class BalanceInstance:
    """``client.balance.fetch()``: ``account_sid``, ``balance`` (str), ``currency``."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.account_sid: str | None = payload.get("account_sid")
        self.balance: str | None = payload.get("balance")
        self.currency: str | None = payload.get("currency")

    def __repr__(self) -> str:
        return f"<Twilio.Api.V2010.BalanceInstance account_sid={self.account_sid}>"


# --------------------------------------------------------------------------- resources

class MessageContext:
    """``client.messages(sid)``."""

    def __init__(self, client: Client, account_sid: str, sid: str) -> None:
        self._client = client
        self._account_sid = account_sid
        self.sid = sid
        self._uri = f"/Accounts/{account_sid}/Messages/{sid}.json"

    def fetch(self) -> MessageInstance:
        message_id = wire.message_id_in(self.sid)
        bridge = self._client.bridge
        try:
            if message_id is None:
                raise NotFound("no such message")
            bridge.status(message_id)          # refresh from the provider where it can say
            record = bridge.record(message_id)
        except NotFound:
            raise TwilioRestException(404, self._uri, f"Unable to fetch record: The requested resource "
                                      f"/{wire.API_VERSION}{self._uri} was not found", api.E_NOT_FOUND,
                                      "GET") from None
        except SmsBridgeError as exc:
            raise _rest_error(exc, verb="fetch", method="GET", uri=self._uri) from None
        return self._client._instance(record, self._account_sid)

    async def fetch_async(self) -> MessageInstance:
        """The SDK's ``await client.messages(sid).fetch_async()``."""
        import asyncio

        return await asyncio.to_thread(self.fetch)

    def update(self, *args: Any, **kwargs: Any) -> MessageInstance:
        raise TwilioRestException(405, self._uri, "Unable to update record: smsbridge cannot update, cancel or "
                                  "redact messages", api.E_METHOD_NOT_ALLOWED, "POST")

    def delete(self) -> bool:
        raise TwilioRestException(405, self._uri, "Unable to delete record: smsbridge keeps every message in "
                                  "its journal", api.E_METHOD_NOT_ALLOWED, "DELETE")

    def __repr__(self) -> str:
        return f"<Twilio.Api.V2010.MessageContext account_sid={self._account_sid} sid={self.sid}>"


class MessageList:
    """``client.messages``: ``create``, ``list``, ``stream``, and ``client.messages(sid)``."""

    def __init__(self, client: Client, account_sid: str) -> None:
        self._client = client
        self._account_sid = account_sid
        self._uri = f"/Accounts/{account_sid}/Messages.json"

    def __call__(self, sid: str) -> MessageContext:
        return MessageContext(self._client, self._account_sid, sid)

    def get(self, sid: str) -> MessageContext:
        return self(sid)

    def create(self, to: Any = None, status_callback: Any = None, *args: Any, from_: Any = None,
               body: Any = None, messaging_service_sid: Any = None, media_url: Any = None,
               **options: Any) -> MessageInstance:
        """Send one SMS; the SDK's keyword arguments (``to``, ``from_``, ``body``, ...).

        Options Twilio has and smsbridge needs not (``validity_period``, ``smart_encoded``,
        ``shorten_urls``, ...) are accepted and ignored, like a provider ignoring hints.
        """
        form = {k: v for k, v in {"To": to, "From": from_, "Body": body,
                                  "MessagingServiceSid": messaging_service_sid,
                                  "StatusCallback": status_callback}.items() if v is not None}
        if media_url:
            form["MediaUrl"] = media_url
        try:
            request = wire.parse_send_request({k: str(v) if not isinstance(v, list) else v
                                               for k, v in form.items()})
        except wire.WireError as exc:
            raise _rest_error(exc, verb="create", method="POST", uri=self._uri) from None
        bridge = self._client.bridge
        # Passed through as the gateway faces do: a backend that can deliver status
        # callbacks (twilio, infobip) hands the URL to its provider; the others ignore it.
        extra = {"status_callback": request.status_callback} if request.status_callback else None
        try:
            receipt = bridge.send(request.to, request.body, sender=request.sender, extra=extra)
        except SmsBridgeError as exc:
            raise _rest_error(exc, verb="create", method="POST", uri=self._uri, to=request.to) from None
        payload = wire.render_message(
            account_sid=self._account_sid, sid=wire.provider_id_for(receipt.id), to=receipt.to, body=request.body,
            status=receipt.status, sender=receipt.sender or request.sender, segments=receipt.segments,
            created_at=receipt.created_at, updated_at=receipt.created_at,
            messaging_service_sid=request.messaging_service_sid)
        return MessageInstance(payload, self._client, receipt.id)

    async def create_async(self, to: Any = None, status_callback: Any = None, *args: Any, from_: Any = None,
                           body: Any = None, messaging_service_sid: Any = None, media_url: Any = None,
                           **options: Any) -> MessageInstance:
        """The SDK's ``await client.messages.create_async(...)``: :meth:`create` in a worker
        thread, so the event loop is not blocked while the Bridge sends."""
        import asyncio

        return await asyncio.to_thread(self.create, to, status_callback, *args, from_=from_, body=body,
                                       messaging_service_sid=messaging_service_sid, media_url=media_url,
                                       **options)

    async def list_async(self, **filters: Any) -> list[MessageInstance]:
        """The SDK's ``await client.messages.list_async(...)``."""
        import asyncio

        return await asyncio.to_thread(lambda: self.list(**filters))

    def stream(self, to: Any = None, from_: Any = None, date_sent: Any = None, date_sent_before: Any = None,
               date_sent_after: Any = None, limit: int | None = None, page_size: int | None = None
               ) -> Iterator[MessageInstance]:
        """Journaled messages, newest first, filtered like Twilio's list."""
        journaled = getattr(self._client.bridge, "journaled", None)
        if journaled is None:
            raise TwilioRestException(405, self._uri, "Unable to fetch page: this Bridge cannot list messages",
                                      api.E_METHOD_NOT_ALLOWED, "GET")
        size = max(1, min(int(page_size or 200), 1000))
        yielded, offset = 0, 0
        while limit is None or yielded < limit:
            batch = journaled(limit=size, offset=offset)
            for record in batch:
                if record.phase == "failed":
                    continue  # refused sends raised an error; Twilio has no record of them
                if to is not None and record.to != str(to):
                    continue
                if from_ is not None and record.sender != str(from_):
                    continue
                if not _date_matches(record.created_at, date_sent, date_sent_before, date_sent_after):
                    continue
                yield self._client._instance(record, self._account_sid)
                yielded += 1
                if limit is not None and yielded >= limit:
                    return
            if len(batch) < size:
                return
            offset += size

    def list(self, to: Any = None, from_: Any = None, date_sent: Any = None, date_sent_before: Any = None,
             date_sent_after: Any = None, limit: int | None = None, page_size: int | None = None
             ) -> list[MessageInstance]:
        return list(self.stream(to=to, from_=from_, date_sent=date_sent, date_sent_before=date_sent_before,
                                date_sent_after=date_sent_after, limit=limit, page_size=page_size))

    def __repr__(self) -> str:
        return "<Twilio.Api.V2010.MessageList>"


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _date_matches(created: datetime | None, on: Any, before: Any, after: Any) -> bool:
    if on is None and before is None and after is None:
        return True
    if created is None:
        return False
    day = _day(created)
    assert day is not None
    if on is not None and day != _day(on):
        return False
    last, first = _day(before), _day(after)
    if last is not None and day > last:  # Twilio's DateSent< is inclusive of the day
        return False
    if first is not None and day < first:
        return False
    return True


class BalanceList:
    """``client.balance``."""

    def __init__(self, client: Client, account_sid: str) -> None:
        self._client = client
        self._account_sid = account_sid

    def fetch(self) -> BalanceInstance:
        uri = f"/Accounts/{self._account_sid}/Balance.json"
        try:
            balance = self._client.bridge.balance()
        except UnsupportedOperation as exc:
            raise TwilioRestException(404, uri, f"Unable to fetch record: {exc}", api.E_NOT_FOUND, "GET") from None
        except SmsBridgeError as exc:
            raise _rest_error(exc, verb="fetch", method="GET", uri=uri) from None
        return BalanceInstance(wire.render_balance(self._account_sid, balance.amount, balance.unit))


class AccountContext:
    """``client.api.v2010.account`` / ``client.api.v2010.accounts(sid)``."""

    def __init__(self, client: Client, account_sid: str) -> None:
        self.sid = account_sid
        self.messages = MessageList(client, account_sid)
        self.balance = BalanceList(client, account_sid)


class _V2010:
    def __init__(self, client: Client) -> None:
        self._client = client
        self.account = AccountContext(client, client.account_sid)

    def accounts(self, sid: str) -> AccountContext:
        return AccountContext(self._client, sid)


class _Api:
    """``client.api``: ``v2010``, ``account``, ``messages``, ``balance``; ``base_url`` is kept
    (code written for the gateway may set it) but unused: there is no HTTP here."""

    def __init__(self, client: Client) -> None:
        self.base_url = "https://api.twilio.com"
        self.v2010 = _V2010(client)
        self.account = self.v2010.account
        self.messages = self.account.messages
        self.balance = self.account.balance


# --------------------------------------------------------------------------- the client

class Client:
    """``twilio.rest.Client``, messaging only, backed by a Bridge.

    Takes the SDK's arguments (``username``, ``password``, ``account_sid``, ``region``,
    ``http_client``, ``environment``, ``edge``, ...) plus ``bridge=``; credentials are not
    checked (the smsbridge config decides where messages go).  ``account_sid`` shows up in
    the returned objects, as Twilio's would.
    """

    def __init__(self, username: str | None = None, password: str | None = None, account_sid: str | None = None,
                 region: str | None = None, http_client: Any = None, environment: Any = None,
                 edge: str | None = None, user_agent_extensions: Any = None, credential_provider: Any = None,
                 *, bridge: Any = None) -> None:
        env = environment if environment is not None else os.environ
        self.username = username or env.get("TWILIO_ACCOUNT_SID")
        self.password = password or env.get("TWILIO_AUTH_TOKEN")
        self.account_sid = account_sid or self.username or _PLACEHOLDER_SID
        self.region = region or env.get("TWILIO_REGION")
        self.edge = edge or env.get("TWILIO_EDGE")
        self.http_client = http_client
        self._bridge = bridge
        self.api = _Api(self)
        self.messages = self.api.messages
        self.balance = self.api.balance

    bridge = bridge_attribute(_bridges)

    @property
    def auth(self) -> tuple[str | None, str | None]:
        return self.username, self.password

    def _instance(self, record: Any, account_sid: str) -> MessageInstance:
        payload = wire.render_message(
            account_sid=account_sid, sid=wire.provider_id_for(record.id), to=record.to, body=record.text,
            status=record.status, sender=record.sender, segments=record.segments, created_at=record.created_at,
            updated_at=record.updated_at, error_code=wire.shown_error_code(record.status, record.error_code),
            error_message=record.error)
        return MessageInstance(payload, self, record.id)

    def __repr__(self) -> str:
        return f"<smsbridge.compat.twilio.Client {self.account_sid}>"


# --------------------------------------------------------------------------- webhooks

class RequestValidator:
    """``twilio.request_validator.RequestValidator`` (HMAC-SHA1 ``X-Twilio-Signature``)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def compute_signature(self, uri: str, params: Any) -> str:
        return wire.signature(self._token, uri, _pairs(params))

    def validate(self, uri: str, params: Any, signature: str) -> bool:
        import hmac

        return hmac.compare_digest(self.compute_signature(uri, params or {}), signature or "")


def _pairs(params: Any) -> list[tuple[str, Any]]:
    if hasattr(params, "getall"):      # Flask/werkzeug MultiDict
        return [(k, v) for k in params for v in params.getall(k)]
    if hasattr(params, "getlist"):     # Django QueryDict
        return [(k, v) for k in params for v in params.getlist(k)]
    return list(dict(params or {}).items())


# --------------------------------------------------------------------------- install()

def _stand_ins() -> dict[str, types.ModuleType]:
    """What install() puts in ``sys.modules``.

    With the real ``twilio`` installed, only what the shim replaces: ``twilio.rest``
    (its ``Client``; the SDK's other ``twilio.rest.*`` submodules still import) and
    ``twilio.base.exceptions`` (the SDK's module with the shim's ``TwilioException`` and
    ``TwilioRestException``, so ``except TwilioRestException`` catches the shim's
    errors). ``twilio.twiml``, ``twilio.request_validator``, ``twilio.http`` and the rest
    are the real SDK's. Without it, stand-ins for ``twilio``, ``twilio.base`` and
    ``twilio.request_validator`` (the shim's own ``RequestValidator``) too.
    """
    me = sys.modules[__name__]
    if real_sdk_installed("twilio"):
        real_exceptions = importlib.import_module("twilio.base.exceptions")
        return {"twilio.rest": me,
                "twilio.base.exceptions": overlay("twilio.base.exceptions", real_exceptions, me,
                                                  ("TwilioException", "TwilioRestException"))}
    package = types.ModuleType("twilio", "smsbridge's stand-in for the twilio package")
    package.__path__ = []  # type: ignore[attr-defined]
    base = types.ModuleType("twilio.base")
    base.__path__ = []  # type: ignore[attr-defined]
    base.exceptions = me  # type: ignore[attr-defined]
    package.rest = me  # type: ignore[attr-defined]
    package.base = base  # type: ignore[attr-defined]
    package.request_validator = me  # type: ignore[attr-defined]
    package.__version__ = "9.13.0+smsbridge"  # type: ignore[attr-defined]
    return {"twilio": package, "twilio.rest": me, "twilio.base": base,
            "twilio.base.exceptions": me, "twilio.request_validator": me}


_aliases = ModuleAliases(_stand_ins)


def install() -> None:
    """Make ``import twilio.rest`` (and ``twilio.base.exceptions``,
    ``twilio.request_validator``) resolve to this shim, like PyMySQL's
    ``install_as_MySQLdb()``.  Call before the application imports twilio."""
    _aliases.install()


def uninstall() -> None:
    """Undo :func:`install`: the real ``twilio`` package (if any) imports again."""
    _aliases.uninstall()
