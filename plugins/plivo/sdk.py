"""``smsbridge.compat.plivo``: the ``plivo`` SDK's messaging surface over a Bridge (SPEC §6a).

Change one import and Plivo code sends through smsbridge::

    import smsbridge.compat.plivo as plivo               # was: import plivo
    client = plivo.RestClient("<auth_id>", "<auth_token>")  # anything: the config decides
    r = client.messages.create(src="+14156667777", dst="+14156667778", text="Hello, world!")
    r.message_uuid[0], r.api_id, r.message
    m = client.messages.get(r.message_uuid[0]); m.message_state, m.units, m.error_code
    client.messages.list(limit=20)        # iterable; .objects, .meta
    client.account.get().cash_credits
    except plivo.exceptions.PlivoRestError as e: ...

or change nothing: :func:`install` makes ``import plivo`` and ``plivo.exceptions`` resolve
to this module (:func:`uninstall` undoes it).

The Bridge comes from ``bridge=`` or ``Bridge.from_config()`` (``$SMSBRIDGE_CONFIG``, else
``./smsbridge.yaml``), one per process and config.  Objects carry the SDK's attributes,
built from the JSON the gateway's Plivo face renders (:mod:`.wire`): ``message_uuid`` a
list of UUID4 strings (:func:`.wire.provider_id_for` the smsbridge id), ``units`` an int,
``total_amount`` a string, ``error_code`` ``"000"`` unless it failed.  Errors raise the
class the SDK picks for the HTTP status the face would answer.  ``messages.list`` lists
the Bridge's journaled messages newest first, as Plivo lists an account's messages: a page
costs a journal range and one status look-up per message on it, however many were sent
(the module keeps no per-message state).  ``url`` (status callbacks) is
passed to the Bridge as ``extra["status_callback"]``: a backend that delivers status
callbacks hands it to its provider; the others ignore it (the gateway calls it itself).
"""
from __future__ import annotations

import os
import pprint
import sys
import types
from collections.abc import Iterator
from typing import Any

from smsbridge.compat.shim import BridgeCache, ModuleAliases, bridge_attribute
from smsbridge.errors import InvalidNumber, NotFound, SmsBridgeError

from . import wire

__all__ = ["RestClient", "Client", "exceptions", "PlivoRestError", "AuthenticationError", "InvalidRequestError",
           "PlivoServerError", "PlivoXMLError", "ResourceNotFoundError", "ValidationError", "ForbiddenError",
           "GeoPermissionError", "install", "uninstall"]

__version__ = "4.63.0+smsbridge"
_PLACEHOLDER_AUTH_ID = "MA" + "X" * 18


# --------------------------------------------------------------------------- plivo.exceptions

class PlivoRestError(Exception):
    pass


class AuthenticationError(PlivoRestError):
    pass


class InvalidRequestError(PlivoRestError):
    pass


class PlivoServerError(PlivoRestError):
    pass


class PlivoXMLError(PlivoRestError):
    pass


class ResourceNotFoundError(PlivoRestError):
    pass


class ValidationError(PlivoRestError):
    pass


class ForbiddenError(PlivoRestError):
    pass


class GeoPermissionError(PlivoRestError):
    pass


exceptions = types.ModuleType("plivo.exceptions", "smsbridge's stand-in for plivo.exceptions")
for _cls in (PlivoRestError, AuthenticationError, InvalidRequestError, PlivoServerError, PlivoXMLError,
             ResourceNotFoundError, ValidationError, ForbiddenError, GeoPermissionError):
    setattr(exceptions, _cls.__name__, _cls)


def _exception_for(status: int, error: str, *, posting_message: bool = False) -> PlivoRestError:
    """The class ``plivo.rest.client.Client.process_response`` raises for ``status``."""
    if status == 400:
        return ValidationError(error)
    if status == 401:
        return AuthenticationError(error)
    if status == 403:
        return (GeoPermissionError if posting_message else ForbiddenError)(error)
    if status == 404:
        return ResourceNotFoundError(error)
    if status in (405, 409, 422):
        return InvalidRequestError(error)
    if status == 500:
        return PlivoServerError(error)
    return PlivoRestError(f'Received status code {status} for the HTTP method "POST"' if posting_message
                          else error)


def _exception(exc: BaseException, *, posting_message: bool = False) -> PlivoRestError:
    """The SDK's exception for ``exc``: the status and text the gateway's Plivo face would
    answer (:data:`.wire.ERROR_REPLIES`), read as the SDK reads them."""
    status, body = wire.reply_for_error(exc)
    return _exception_for(status, body["error"], posting_message=posting_message)


# --------------------------------------------------------------------------- response objects

class ResponseObject:
    """``plivo.base.ResponseObject``: the JSON's keys as attributes."""

    def __init__(self, dct: dict[str, Any]) -> None:
        self.__dict__.update(dct)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __getitem__(self, item: Any) -> Any:
        try:
            return self.__dict__[item]
        except KeyError:
            return self.__dict__["objects"][item]

    def __setitem__(self, key: str, value: Any) -> None:
        self.__dict__[key] = value

    def __str__(self) -> str:
        return pprint.pformat({k: v for k, v in self.__dict__.items() if k != "client"})

    __repr__ = __str__


class Message(ResponseObject):
    """``plivo.resources.messages.Message``; ``.id`` is the message UUID."""

    _identifier_string = "message_uuid"

    def __init__(self, client: Any, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.client = client

    @property
    def id(self) -> str:
        value = self.__dict__.get(self._identifier_string)
        if not value:
            raise ValueError(f"{self._identifier_string} must be set")
        return value

    def get(self) -> Message:
        return self.client.messages.get(self.id)

    def delete(self) -> None:
        raise InvalidRequestError("Cannot delete a Message resource")

    def update(self) -> None:
        raise InvalidRequestError("Cannot update a Message resource")


class ListMessagesResponseObject(ResponseObject):
    def __init__(self, client: Any, dct: dict[str, Any]) -> None:
        super().__init__(dct)
        self.error = dct.get("error")
        self.objects = dct.get("objects")
        self.meta = dct.get("meta")
        self.apiID = dct.get("api_id")

    def __iter__(self) -> Iterator[Message]:
        return iter(self.objects or [])

    def __len__(self) -> int:
        return len(self.objects or [])

    def has_error(self) -> bool:
        return self.error is not None


class Account(ResponseObject):
    def __init__(self, client: Any, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.client = client

    @property
    def id(self) -> str:
        return self.__dict__.get("auth_id", "")


# --------------------------------------------------------------------------- the Bridge

_bridges = BridgeCache()  # one Bridge per process and config file, shared by every RestClient
_LIST_SCAN_PAGE = 100
"""Journal records read per step while ``messages.list`` fills a page."""


class Messages:
    """``client.messages``."""

    def __init__(self, client: RestClient) -> None:
        self.client = client

    def create(self, dst: str | None = None, text: str | None = None, src: str | None = None, type_: str = "sms",
               url: str | None = None, method: str = "POST", log: str = "true", trackable: bool = False,
               powerpack_uuid: str | None = None, media_urls: list[str] | None = None,
               media_ids: list[str] | None = None, message_expiry: int | None = None, **more: Any) -> ResponseObject:
        # The SDK's own client-side checks, with its messages.
        if not isinstance(dst, str):
            raise ValidationError("dst should be of type: ['str']")
        if src is not None and src in dst.split("<"):
            raise ValidationError("destination number cannot be same as source number")
        if src is None and powerpack_uuid is None:
            raise ValidationError("Specify either powerpack_uuid or src in request params to send a message")
        if src is not None and powerpack_uuid is not None:
            raise ValidationError("Both powerpack_uuid and src cannot be specified. Specify either powerpack_uuid "
                                  "or src in request params to send a message.")
        if type_ != "sms" or media_urls or media_ids:
            raise ValidationError("smsbridge sends SMS only (type_='sms', no media)")
        try:
            req = wire.parse_send_request({"src": src, "dst": dst, "text": text, "type": type_,
                                           "powerpack_uuid": powerpack_uuid, "method": method, "url": url})
        except wire.WireError as exc:
            raise _exception(exc, posting_message=True) from None
        bridge = self.client.bridge
        uuids: list[str] = []
        invalid: list[str] = []
        first_error: SmsBridgeError | None = None
        for number in req.dst:
            try:
                receipt = bridge.send(number, req.text, sender=req.src,
                                      extra={"status_callback": req.url} if req.url else None)
            except InvalidNumber as exc:
                invalid.append(number)
                first_error = first_error or exc
                continue
            except SmsBridgeError as exc:
                if not uuids:
                    raise _exception(exc, posting_message=True) from None
                break
            uuids.append(wire.provider_id_for(receipt.id))
        if not uuids:
            raise _exception(first_error or InvalidNumber("invalid dst"), posting_message=True) from None
        return ResponseObject(wire.send_reply(wire.new_uuid(), uuids, invalid))

    def _message(self, message_uuid: str, message_id: str) -> Message:
        bridge = self.client.bridge
        report = bridge.status(message_id)
        record = bridge.record(message_id)
        data = wire.message_object(auth_id=self.client.auth_id, message_uuid=message_uuid, to=record.to,
                                   sender=record.sender, status=report.status, time=record.created_at,
                                   units=record.segments)
        data["api_id"] = wire.new_uuid()
        return Message(self.client, data)

    def _page(self, limit: int, offset: int, message_state: str | None) -> tuple[list[Message], bool]:
        """The journal's messages ``offset .. offset + limit`` (newest first, never-accepted
        ones left out), and whether more follow.  Only messages on the page are refreshed
        from the provider — and, with ``message_state``, those whose state must be checked
        to know whether they belong on it."""
        journal = self.client.bridge.journal
        page: list[Message] = []
        skip = offset
        before: str | None = None
        while True:
            records = journal.records(limit=_LIST_SCAN_PAGE, before=before)
            for record in records:
                if record.phase == "failed":
                    continue
                message = None
                if message_state:
                    message = self._message(wire.provider_id_for(record.id), record.id)
                    if getattr(message, "message_state", None) != message_state:
                        continue
                if skip:
                    skip -= 1
                    continue
                if len(page) == limit:
                    return page, True
                page.append(message or self._message(wire.provider_id_for(record.id), record.id))
            if len(records) < _LIST_SCAN_PAGE:
                return page, False
            before = journal.cursor(records[-1])

    def get(self, message_uuid: str) -> Message:
        if not isinstance(message_uuid, str):
            raise ValidationError("message_uuid should be of type: ['str']")
        message_id = wire.message_id_in(message_uuid)  # the UUID carries the smsbridge id
        try:
            if message_id is None:
                raise NotFound("not found")
            return self._message(message_uuid, message_id)
        except SmsBridgeError as exc:
            raise _exception(exc) from None

    def list(self, limit: int | None = None, offset: int | None = None, message_state: str | None = None,
             **filters: Any) -> ListMessagesResponseObject:
        if limit is not None and not 0 < limit <= 20:
            raise ValidationError("limit should be 0 < limit <= 20")
        if offset is not None and offset < 0:
            raise ValidationError("offset should be 0 <= offset")
        limit, offset = limit or 20, offset or 0
        try:
            page, more = self._page(limit, offset, message_state)
        except SmsBridgeError as exc:
            raise _exception(exc) from None
        # As the gateway's Plivo face: what was walked, plus one when more follow — enough for
        # the SDK's paging, without counting (and refreshing) every message ever sent.
        data = wire.list_reply(wire.new_uuid(), self.client.auth_id, [], limit=limit, offset=offset,
                               total=offset + len(page) + (1 if more else 0))
        data["meta"] = ResponseObject(data["meta"])
        data["objects"] = page
        return ListMessagesResponseObject(self.client, data)


class Accounts:
    def __init__(self, client: RestClient) -> None:
        self.client = client

    def get(self) -> Account:
        try:
            bal = self.client.bridge.balance()
        except SmsBridgeError as exc:
            raise _exception(exc) from None
        return Account(self.client, wire.account_reply(wire.new_uuid(), self.client.auth_id, bal.amount,
                                                       unit=bal.unit))


class RestClient:
    """``plivo.RestClient(auth_id=None, auth_token=None, proxies=None, timeout=5)``; ``bridge=``
    picks the Bridge.  Credentials are not checked: the smsbridge config decides."""

    def __init__(self, auth_id: str | None = None, auth_token: str | None = None, proxies: Any = None,
                 timeout: int = 5, *, bridge: Any = None) -> None:
        self.auth_id = auth_id or os.environ.get("PLIVO_AUTH_ID") or _PLACEHOLDER_AUTH_ID
        self.auth_token = auth_token
        self.proxies = proxies
        self.timeout = timeout
        self._bridge = bridge
        self.messages = Messages(self)
        self.account = Accounts(self)

    bridge = bridge_attribute(_bridges)

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


Client = RestClient


# --------------------------------------------------------------------------- install()

_aliases = ModuleAliases(lambda: {"plivo": sys.modules[__name__], "plivo.exceptions": exceptions})


def install() -> None:
    """Make ``import plivo`` and ``plivo.exceptions`` resolve to this shim (like PyMySQL's
    ``install_as_MySQLdb()``); call before the application imports plivo."""
    _aliases.install()


def uninstall() -> None:
    """Undo :func:`install`: the real ``plivo`` package (if any) imports again."""
    _aliases.uninstall()
