"""``smsbridge.compat.messagebird``: the ``messagebird`` SDK's SMS surface over a Bridge (SPEC §6a).

Change one import and MessageBird code sends through smsbridge::

    import smsbridge.compat.messagebird as messagebird     # was: import messagebird
    client = messagebird.Client("ACCESS_KEY")               # the key may be anything: the config decides
    msg = client.message_create("TestMessage", "+31612345678", "Hello", {"reference": "Foobar"})
    msg.id, msg.recipients["items"][0].status, msg.createdDatetime
    client.message(msg.id).recipients["items"][0].status
    client.message_list(limit=20).items
    client.balance().amount
    except messagebird.client.ErrorException as e: e.errors[0].code / .description / .parameter

or change nothing: :func:`install` makes ``import messagebird`` and ``messagebird.client``
resolve to this module (:func:`uninstall` undoes it).

The Bridge comes from ``bridge=`` or ``Bridge.from_config()`` (``$SMSBRIDGE_CONFIG``, else
``./smsbridge.yaml``), one per process and config.  Objects are built from the very JSON
the gateway's MessageBird face renders (:mod:`.wire`) and loaded the way the SDK loads it,
so attributes match (``createdDatetime`` a datetime, ``recipients["items"][i].recipient``
an int).  Ids are :func:`.wire.provider_id_for` the smsbridge id — the id the gateway shows too.
``message_list`` lists the messages sent through this module in this process (the public
Bridge API has no listing).  Not supported: ``message_delete``, MMS, voice and the other
MessageBird APIs.
"""
from __future__ import annotations

import sys
import threading
import types
from datetime import datetime, timezone
from typing import Any

from smsbridge.compat.shim import BridgeCache, ModuleAliases, bridge_attribute
from smsbridge.errors import InvalidNumber, NotFound, SmsBridgeError

from . import wire

__all__ = ["Client", "ErrorException", "SignleErrorException", "Error", "Message", "MessageList", "Recipient",
           "Balance", "install", "uninstall"]

VERSION = "2.2.0+smsbridge"


# --------------------------------------------------------------------------- objects (SDK's Base.load)

def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = wire.parse_time(value)
    return parsed.replace(microsecond=0) if parsed else None


class Base:
    def load(self, data: Any) -> Base:
        if data is not None:
            for name, value in list(data.items()):
                if hasattr(self, name) and not callable(getattr(self, name)):
                    setattr(self, name, value)
        return self


class Error(Base):
    def __init__(self) -> None:
        self.code = None
        self.description = None
        self.parameter = None

    def __str__(self) -> str:
        return str(dict(code=self.code, description=self.description, parameter=self.parameter))


class ErrorException(Exception):
    """``messagebird.client.ErrorException``: ``.errors`` is a list of :class:`Error`."""

    def __init__(self, errors: list[Error]) -> None:
        self.errors = errors
        super().__init__(" ".join(str(e) for e in errors))


class SignleErrorException(Exception):  # [sic], as in the SDK
    pass


class Recipient(Base):
    def __init__(self) -> None:
        self.recipient = None
        self.status = None
        self._statusDatetime: datetime | None = None

    @property
    def statusDatetime(self) -> datetime | None:
        return self._statusDatetime

    @statusDatetime.setter
    def statusDatetime(self, value: Any) -> None:
        self._statusDatetime = _time(value)


class Message(Base):
    def __init__(self) -> None:
        self.id = None
        self.href = None
        self.direction = None
        self.type = None
        self.originator = None
        self.body = None
        self.reference = None
        self.validity = None
        self.gateway = None
        self.typeDetails = None
        self.datacoding = None
        self.mclass = None
        self._scheduledDatetime: datetime | None = None
        self._createdDatetime: datetime | None = None
        self._recipients: dict[str, Any] | None = None

    @property
    def scheduledDatetime(self) -> datetime | None:
        return self._scheduledDatetime

    @scheduledDatetime.setter
    def scheduledDatetime(self, value: Any) -> None:
        self._scheduledDatetime = _time(value)

    @property
    def createdDatetime(self) -> datetime | None:
        return self._createdDatetime

    @createdDatetime.setter
    def createdDatetime(self, value: Any) -> None:
        self._createdDatetime = _time(value)

    @property
    def recipients(self) -> dict[str, Any] | None:
        return self._recipients

    @recipients.setter
    def recipients(self, value: dict[str, Any]) -> None:
        value = dict(value)
        value["items"] = [Recipient().load(r) for r in value["items"]]
        self._recipients = value


class Links(Base):
    def __init__(self) -> None:
        self.first = None
        self.previous = None
        self.next = None
        self.last = None


class MessageList(Base):
    def __init__(self) -> None:
        self.limit = None
        self.offset = None
        self.count = None
        self.totalCount = None
        self._links: Links | None = None
        self._items: list[Message] | None = None

    @property
    def links(self) -> Links | None:
        return self._links

    @links.setter
    def links(self, value: Any) -> None:
        self._links = Links().load(value)  # type: ignore[assignment]

    @property
    def items(self) -> list[Message] | None:
        return self._items

    @items.setter
    def items(self, value: Any) -> None:
        self._items = [Message().load(item) for item in value or []]  # type: ignore[misc]

    def __str__(self) -> str:
        return f"{self.__class__!s} with {len(self.items or [])} items.\n"  # the SDK's own wording


class Balance(Base):
    def __init__(self) -> None:
        self.amount = None
        self.type = None
        self.payment = None


# --------------------------------------------------------------------------- the Bridge

_bridges = BridgeCache()  # one Bridge per process and config file, shared by every Client
# MessageBird id -> the smsbridge ids behind it (one per recipient), newest last; this
# process's sends, for message() of multi-recipient messages and message_list().
_sent: dict[str, list[str]] = {}
_sent_lock = threading.Lock()
_HREF = wire.DEFAULT_BASE_URL


def _exception(error: BaseException) -> ErrorException:
    """The SDK's exception for ``error``, in the very words the gateway face answers it
    with (:data:`.wire.ERROR_REPLIES`)."""
    _, body = wire.reply_for_error(error)
    return ErrorException([Error().load(item) for item in body["errors"]])  # type: ignore[misc]


class Client:
    """``messagebird.Client(access_key, http_client=None)``; ``bridge=`` picks the Bridge."""

    def __init__(self, access_key: str | None = None, http_client: Any = None, *, bridge: Any = None) -> None:
        self.access_key = access_key
        self.http_client = http_client  # accepted for signature compatibility; never used
        self._bridge = bridge

    bridge = bridge_attribute(_bridges)

    # -- SMS ---------------------------------------------------------------------------------
    def message_create(self, originator: str, recipients: Any, body: str, params: dict[str, Any] | None = None
                       ) -> Message:
        """Send ``body`` to ``recipients`` (a str, comma string or list) from ``originator``."""
        if isinstance(recipients, list):
            recipients = ",".join(str(r) for r in recipients)
        data = dict(params or {})
        data.update({"originator": originator, "body": body, "recipients": recipients})
        try:
            req = wire.parse_send_request(data)
        except wire.WireError as exc:
            raise _exception(exc) from None
        receipts = []
        first_error: SmsBridgeError | None = None
        for number in req.recipients:
            try:
                receipts.append(self.bridge.send(
                    number, req.body, sender=req.originator, reference=req.reference,
                    extra={"status_callback": req.report_url} if req.report_url else None))
            except InvalidNumber as exc:  # MessageBird drops incorrect recipients
                first_error = first_error or exc
            except SmsBridgeError as exc:
                if not receipts:
                    raise _exception(exc) from None
                break
        if not receipts:
            raise _exception(first_error or InvalidNumber("no (correct) recipients found")) from None
        mb_id = wire.provider_id_for(receipts[0].id)
        with _sent_lock:
            _sent[mb_id] = [r.id for r in receipts]
        created = receipts[0].created_at or datetime.now(timezone.utc)
        payload = wire.message_json(id=mb_id, originator=req.originator, body=req.body,
                                    recipients=[(r.to, r.status, r.created_at) for r in receipts],
                                    created_at=created, reference=req.reference,
                                    datacoding=req.datacoding or "plain", validity=req.validity, href_base=_HREF)
        return Message().load(payload)  # type: ignore[return-value]

    def _ids(self, mb_id: str) -> list[str]:
        with _sent_lock:
            known = _sent.get(mb_id)
        if known:
            return list(known)
        message_id = wire.message_id_in(str(mb_id))
        if message_id is None:
            raise NotFound("message not found")
        return [message_id]

    def _payload(self, mb_id: str, ids: list[str]) -> dict[str, Any]:
        recipients = []
        head: Any = None
        for message_id in ids:
            report = self.bridge.status(message_id)
            record = self._record(message_id)
            head = head or record
            recipients.append((record.to if record else "", report.status, report.updated_at))
        return wire.message_json(id=mb_id, originator=getattr(head, "sender", None), body=getattr(head, "text", ""),
                                 recipients=recipients, created_at=getattr(head, "created_at", None),
                                 reference=getattr(head, "reference", None),
                                 datacoding="unicode" if getattr(head, "encoding", "gsm7") == "ucs2" else "plain",
                                 href_base=_HREF)

    def _record(self, message_id: str) -> Any:
        record = getattr(self.bridge, "record", None)  # Bridge.record: the journal's view (to, text, sender)
        return record(message_id) if record else None

    def message(self, id: str) -> Message:
        """Fetch a message sent through smsbridge (by the id ``message_create`` returned)."""
        try:
            return Message().load(self._payload(str(id), self._ids(str(id))))  # type: ignore[return-value]
        except SmsBridgeError as exc:
            raise _exception(exc) from None

    def message_list(self, limit: int = 20, offset: int = 0, status: str | None = None) -> MessageList:
        """This process's messages sent through the shim, newest first."""
        with _sent_lock:
            groups = list(_sent.items())[::-1]
        items = []
        try:
            for mb_id, ids in groups:
                payload = self._payload(mb_id, ids)
                if status and payload["recipients"]["items"][0]["status"] != status:
                    continue
                items.append(payload)
        except SmsBridgeError as exc:
            raise _exception(exc) from None
        page = items[offset:offset + limit]
        return MessageList().load(wire.list_json(page, offset=offset, limit=limit or 20, total=len(items),  # type: ignore[return-value]
                                                 href_base=_HREF))

    def message_delete(self, id: str) -> None:
        raise _exception(wire.WireError("smsbridge cannot delete messages", code=wire.CODE_INVALID))

    def balance(self) -> Balance:
        try:
            bal = self.bridge.balance()
        except SmsBridgeError as exc:
            raise _exception(exc) from None
        unit = "credits" if bal.unit.lower().startswith("credit") else bal.unit.lower()
        return Balance().load(wire.balance_json(bal.amount, unit))  # type: ignore[return-value]


# --------------------------------------------------------------------------- install()

client = sys.modules[__name__]  # so that ``messagebird.client.ErrorException`` works after install()


def _stand_ins() -> dict[str, types.ModuleType]:
    """``messagebird`` and ``messagebird.client``, as install() puts them in ``sys.modules``."""
    me = sys.modules[__name__]
    package = types.ModuleType("messagebird", "smsbridge's stand-in for the messagebird package")
    package.__path__ = []  # type: ignore[attr-defined]
    for name in __all__:
        setattr(package, name, getattr(me, name))
    package.client = me  # type: ignore[attr-defined]
    package.__version__ = VERSION  # type: ignore[attr-defined]
    return {"messagebird": package, "messagebird.client": me}


_aliases = ModuleAliases(_stand_ins)


def install() -> None:
    """Make ``import messagebird`` and ``messagebird.client`` resolve to this shim, like
    PyMySQL's ``install_as_MySQLdb()``; call before the application imports messagebird."""
    _aliases.install()


def uninstall() -> None:
    """Undo :func:`install`: the real ``messagebird`` package (if any) imports again."""
    _aliases.uninstall()
