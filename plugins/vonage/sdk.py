"""``smsbridge.compat.vonage``: the Vonage SDKs' SMS surface over a Bridge (SPEC §6a).

Both generations of the SDK, one import::

    # vonage 2.x / 3.x (and nexmo): dicts in, dicts out, refusals in the dict
    from smsbridge.compat.vonage import Client, Sms
    client = Client(key=KEY, secret=SECRET)
    reply = Sms(client).send_message({"from": "AcmeInc", "to": "447911123456", "text": "Hello"})
    reply["messages"][0]["status"]                      # "0"; client.sms.send_message works too

    # vonage 4.x: models in, models out, refusals raised (SmsError)
    from smsbridge.compat.vonage import Auth, Vonage, SmsMessage
    client = Vonage(Auth(api_key=KEY, api_secret=SECRET))
    response = client.sms.send(SmsMessage(to="447911123456", from_="AcmeInc", text="Hello"))
    response.message_count, response.messages[0].message_id

or change nothing: :func:`install` makes ``import vonage`` and ``import vonage_sms`` (and
their ``.errors``) resolve here; :func:`uninstall` undoes it.

The Bridge comes from ``bridge=`` or ``Bridge.from_config()`` (``$SMSBRIDGE_CONFIG``, else
``./smsbridge.yaml``).  Requests are read by the gateway face's own parser
(:func:`.wire.parse_send_request`) and replies are the dicts it renders, so the shim and
``/sms/json`` behave alike: ``message-count`` is the number of parts, each part has its
own ``message-id`` (:func:`.wire.message_ids_for`, the ids the gateway shows too).
Credentials are not checked: the smsbridge config decides where messages go.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from smsbridge.compat.shim import BridgeCache, ModuleAliases, bridge_attribute
from smsbridge.errors import SmsBridgeError, UnsupportedOperation

from . import wire

__all__ = [
    "Client", "Sms", "Account",
    "Vonage", "Auth", "HttpClientOptions", "SmsMessage", "SmsResponse", "MessageResponse", "Balance",
    "VonageError", "SmsError", "PartialFailureError", "ClientError", "ServerError", "AuthenticationError",
    "HttpRequestError", "InvalidAuthError",
    "install", "uninstall",
]

# --------------------------------------------------------------------------- errors
# One tree serving both SDK generations: 3.x catches ClientError/ServerError, 4.x catches
# VonageError/SmsError/HttpRequestError; AuthenticationError is both's.


class VonageError(Exception):
    """``vonage_utils.errors.VonageError``: base of the 4.x SDK's errors."""


class SmsError(VonageError):
    """``vonage_sms.errors.SmsError``: a refused message (4.x ``sms.send``)."""


class PartialFailureError(SmsError):
    """``vonage_sms.errors.PartialFailureError``: some parts of a long message refused."""

    def __init__(self, response: Any) -> None:
        self.message = "Sms.send_message method partially failed. Not all of the message(s) sent successfully."
        super().__init__(self.message)
        self.response = response


class InvalidAuthError(VonageError):
    """``vonage_http_client.errors.InvalidAuthError``: an impossible credential combination."""


class ClientError(VonageError):
    """``vonage.errors.ClientError`` (2.x/3.x): a 4xx answer."""


class ServerError(VonageError):
    """``vonage.errors.ServerError``: a 5xx answer."""


class HttpRequestError(VonageError):
    """``vonage_http_client.errors.HttpRequestError`` (4.x): an HTTP error answer; ``.message``."""

    def __init__(self, message: str, response: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.response = response


class AuthenticationError(ClientError, HttpRequestError):
    """401: ``vonage.errors.AuthenticationError`` and ``vonage_http_client``'s alike."""

    def __init__(self, message: str = "Authentication failed", response: Any = None) -> None:
        HttpRequestError.__init__(self, message, response)


# --------------------------------------------------------------------------- the Bridge

_bridges = BridgeCache()  # one Bridge per process and config file, shared by every client


class _HasBridge:
    _bridge: Any = None

    bridge = bridge_attribute(_bridges)


def _send(bridge: Any, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``(http_status, reply)`` for one ``/sms/json`` request: the face's logic, minus HTTP."""
    try:
        sms = wire.parse_send_request(params)
    except wire.WireError as exc:
        return wire.reply_for_error(exc, to=str(params.get("to") or "") or None)
    try:
        # ``callback`` passes through as the gateway faces pass it: a backend that delivers
        # status callbacks hands it to its provider; the others ignore it.
        receipt = bridge.send(sms.to, sms.text, sender=sms.sender, reference=sms.client_ref,
                              extra={"status_callback": sms.callback} if sms.callback else None)
    except SmsBridgeError as exc:
        return wire.reply_for_error(exc, to=sms.to)
    ids = wire.message_ids_for(receipt.id, receipt.segments)
    return 200, wire.render_send_reply(to=receipt.to, message_ids=ids, client_ref=sms.client_ref,
                                       account_ref=sms.account_ref)


def _balance(bridge: Any, refused: Callable[[int, SmsBridgeError], Exception]) -> dict[str, Any]:
    """The ``get-balance`` reply both SDK generations read; a failure is raised as
    ``refused(http_status, error)`` (404: the backend has no balance, else 503)."""
    try:
        balance = bridge.balance()
    except SmsBridgeError as exc:
        raise refused(404 if isinstance(exc, UnsupportedOperation) else 503, exc) from None
    return wire.render_balance(balance.amount)


# --------------------------------------------------------------------------- 2.x / 3.x

class Sms:
    """``vonage.Sms(client)`` (2.x) and ``client.sms`` (3.x): ``send_message(params) -> dict``.

    Like those SDKs it does not raise on a refusal: check ``reply["messages"][0]["status"]``.
    Given a 4.x :class:`Vonage` client it also offers ``send(SmsMessage)``.
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(params, dict):
            raise ClientError("send_message takes a dict of parameters")
        status, reply = _send(self._client.bridge, params)
        if status >= 500:
            raise ServerError(f"{status} response: {reply.get('detail') or reply.get('title')}")
        if status >= 400:
            raise ClientError(f"{status} response: {reply.get('detail') or reply.get('title')}")
        return reply

    def send(self, message: SmsMessage) -> SmsResponse:
        return _Sms4(self._client).send(message)


class Account:
    """``client.account`` (3.x): ``get_balance() -> {"value": float, "autoReload": bool}``."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def get_balance(self) -> dict[str, Any]:
        return _balance(self._client.bridge, lambda status, exc: ClientError(f"404 response: {exc}") if status == 404
                        else ServerError(f"balance unavailable: {exc}"))


class Client(_HasBridge):
    """``vonage.Client`` (2.x/3.x) and ``nexmo.Client``: SMS and balance, backed by a Bridge."""

    def __init__(self, key: str | None = None, secret: str | None = None, signature_secret: str | None = None,
                 signature_method: str | None = None, application_id: str | None = None,
                 private_key: Any = None, app_name: str | None = None, app_version: str | None = None,
                 timeout: Any = None, pool_connections: int = 10, pool_maxsize: int = 10, max_retries: int = 3,
                 *, bridge: Any = None, **kwargs: Any) -> None:
        self.api_key = key or os.environ.get("VONAGE_API_KEY")
        self.api_secret = secret or os.environ.get("VONAGE_API_SECRET")
        self.signature_secret = signature_secret or os.environ.get("VONAGE_SIGNATURE_SECRET")
        self.signature_method = signature_method or os.environ.get("VONAGE_SIGNATURE_METHOD")
        self.application_id = application_id
        self.timeout = timeout
        self._bridge = bridge
        self._host = "rest.nexmo.com"
        self._api_host = "api.nexmo.com"
        self.sms = Sms(self)
        self.account = Account(self)

    def host(self, value: str | None = None) -> str:
        """Kept for code that points the SDK at a gateway; unused here (no HTTP)."""
        if value is not None:
            self._host = value
        return self._host

    def api_host(self, value: str | None = None) -> str:
        if value is not None:
            self._api_host = value
        return self._api_host

    # deprecated 2.x spellings
    def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.sms.send_message(params)

    def get_balance(self) -> dict[str, Any]:
        return self.account.get_balance()

    def __repr__(self) -> str:
        return f"<smsbridge.compat.vonage.Client key={self.api_key!r}>"


# --------------------------------------------------------------------------- 4.x models

class _Model:
    """Just enough of pydantic's BaseModel: keyword construction, ``model_dump``, equality."""

    _fields: tuple[str, ...] = ()
    _aliases: dict[str, str] = {}

    def model_dump(self, by_alias: bool = False, exclude_none: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self._fields:
            value = getattr(self, name)
            if isinstance(value, list):
                value = [v.model_dump(by_alias=by_alias, exclude_none=exclude_none) if isinstance(v, _Model)
                         else v for v in value]
            if exclude_none and value is None:
                continue
            out[self._aliases.get(name, name) if by_alias else name] = value
        return out

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.model_dump() == other.model_dump()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return " ".join(f"{k}={v!r}" for k, v in self.model_dump().items())


class SmsMessage(_Model):
    """``vonage_sms.SmsMessage``: one SMS to send (``to`` as digits, ``from_``, ``text``, ...)."""

    _fields = ("to", "from_", "text", "sig", "client_ref", "type", "ttl", "status_report_req", "callback",
               "message_class", "body", "udh", "protocol_id", "account_ref", "entity_id", "content_id",
               "trusted_number")
    _aliases = {"from_": "from", "client_ref": "client-ref", "status_report_req": "status-report-req",
                "message_class": "message-class", "protocol_id": "protocol-id", "account_ref": "account-ref",
                "entity_id": "entity-id", "content_id": "content-id", "trusted_number": "trusted-number"}

    def __init__(self, to: str, from_: str, text: str, sig: str | None = None, client_ref: str | None = None,
                 type: str | None = None, ttl: int | None = None, status_report_req: bool | None = None,
                 callback: str | None = None, message_class: int | None = None, body: str | None = None,
                 udh: str | None = None, protocol_id: int | None = None, account_ref: str | None = None,
                 entity_id: str | None = None, content_id: str | None = None,
                 trusted_number: bool | None = None) -> None:
        # The SDK validates these client-side (pydantic) and raises ValueError subclasses.
        if type is not None and type not in ("text", "binary", "unicode"):
            raise ValueError("type must be 'text', 'binary' or 'unicode'")
        if (body is not None or udh is not None) and type != "binary":
            raise ValueError('This parameter can only be set when the "type" parameter is set to "binary".')
        if client_ref is not None and len(client_ref) > 100:
            raise ValueError("client_ref must be at most 100 characters")
        if ttl is not None and not 20000 <= int(ttl) <= 604800000:
            raise ValueError("ttl must be between 20000 and 604800000 (milliseconds)")
        if callback is not None and len(callback) > 100:
            raise ValueError("callback must be at most 100 characters")
        self.to, self.from_, self.text = to, from_, text
        self.sig, self.client_ref, self.type, self.ttl = sig, client_ref, type, ttl
        self.status_report_req, self.callback, self.message_class = status_report_req, callback, message_class
        self.body, self.udh, self.protocol_id, self.account_ref = body, udh, protocol_id, account_ref
        self.entity_id, self.content_id, self.trusted_number = entity_id, content_id, trusted_number


class MessageResponse(_Model):
    """``vonage_sms.MessageResponse``: one part of a sent message; every value a str."""

    _fields = ("to", "message_id", "status", "remaining_balance", "message_price", "network", "client_ref",
               "account_ref")
    _aliases = {"message_id": "message-id", "remaining_balance": "remaining-balance",
                "message_price": "message-price", "client_ref": "client-ref", "account_ref": "account-ref"}

    def __init__(self, **data: Any) -> None:
        for name in self._fields:
            setattr(self, name, data.get(self._aliases.get(name, name), data.get(name)))


class SmsResponse(_Model):
    """``vonage_sms.SmsResponse``: ``message_count`` (str) and ``messages``."""

    _fields = ("message_count", "messages")
    _aliases = {"message_count": "message-count"}

    def __init__(self, **data: Any) -> None:
        self.message_count: str = str(data.get("message-count", data.get("message_count")))
        self.messages: list[MessageResponse] = [m if isinstance(m, MessageResponse) else MessageResponse(**m)
                                                for m in data.get("messages") or []]


class Balance(_Model):
    """``vonage_account.Balance``: ``value`` (float), ``auto_reload``."""

    _fields = ("value", "auto_reload")
    _aliases = {"auto_reload": "autoReload"}

    def __init__(self, value: float, auto_reload: bool | None = None) -> None:
        self.value = value
        self.auto_reload = auto_reload


# --------------------------------------------------------------------------- 4.x client

class Auth:
    """``vonage.Auth`` (``vonage_http_client.Auth``), with the SDK's combination checks."""

    def __init__(self, api_key: str | None = None, api_secret: str | None = None, application_id: str | None = None,
                 private_key: Any = None, signature_secret: str | None = None,
                 signature_method: str | None = "md5") -> None:
        if (api_secret or signature_secret) and not api_key:
            raise InvalidAuthError("`api_key` must be set when `api_secret` or `signature_secret` is set.")
        if api_key and not (api_secret or signature_secret):
            raise InvalidAuthError("At least one of `api_secret` and `signature_secret` must be set if "
                                   "`api_key` is set.")
        if bool(application_id) != bool(private_key):
            raise InvalidAuthError("Both `application_id` and `private_key` must be set or both must be None.")
        self._api_key, self._api_secret = api_key, api_secret
        self._application_id = application_id
        self._signature_secret, self._signature_method = signature_secret, signature_method

    @property
    def api_key(self) -> str | None:
        return self._api_key

    @property
    def api_secret(self) -> str | None:
        return self._api_secret

    @property
    def application_id(self) -> str | None:
        return self._application_id

    def __repr__(self) -> str:
        return f"<Auth api_key={self._api_key!r}>"


class HttpClientOptions:
    """``vonage.HttpClientOptions``: accepted (code written for the gateway sets hosts) but
    unused here — there is no HTTP between the shim and the Bridge."""

    def __init__(self, api_host: str = "api.nexmo.com", rest_host: str | None = "rest.nexmo.com",
                 video_host: str | None = "video.api.vonage.com", timeout: int | None = None,
                 pool_connections: int | None = 10, pool_maxsize: int | None = 10,
                 max_retries: int | None = 3) -> None:
        self.api_host, self.rest_host, self.video_host = api_host, rest_host, video_host
        self.timeout, self.pool_connections, self.pool_maxsize = timeout, pool_connections, pool_maxsize
        self.max_retries = max_retries


class _Sms4:
    """``client.sms`` of a 4.x :class:`Vonage`: ``send(SmsMessage) -> SmsResponse``."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def send(self, message: SmsMessage) -> SmsResponse:
        if not isinstance(message, SmsMessage):
            raise TypeError("send() takes an SmsMessage")
        params = {k: v for k, v in message.model_dump(by_alias=True).items() if v is not None}
        status, reply = _send(self._client.bridge, params)
        if status >= 400:
            detail = reply.get("detail") or reply.get("title") or ""
            error = AuthenticationError if status == 401 else HttpRequestError
            raise error(f"{status} response from smsbridge. Error response body: {detail}")
        # the SDK's own checks (vonage_sms.Sms.send)
        if int(reply["message-count"]) > 1:
            if any(m.get("status") != "0" for m in reply["messages"]):
                raise PartialFailureError(reply)
        else:
            first = reply["messages"][0]
            if int(first["status"]) != 0:
                raise SmsError(f"Sms.send_message method failed with error code {first['status']}: "
                               f"{first['error-text']}")
        return SmsResponse(**reply)


class _Account4:
    def __init__(self, client: Any) -> None:
        self._client = client

    def get_balance(self) -> Balance:
        data = _balance(self._client.bridge,
                        lambda status, exc: HttpRequestError(f"{status} response from smsbridge: {exc}"))
        return Balance(value=data["value"], auto_reload=data["autoReload"])


class Vonage(_HasBridge):
    """``vonage.Vonage`` (4.x): ``.sms.send(SmsMessage)`` and ``.account.get_balance()``."""

    def __init__(self, auth: Auth, http_client_options: HttpClientOptions | None = None, *,
                 bridge: Any = None) -> None:
        self.auth = auth
        self.http_client_options = http_client_options or HttpClientOptions()
        self._bridge = bridge
        self.sms = _Sms4(self)
        self.account = _Account4(self)

    def __repr__(self) -> str:
        return f"<smsbridge.compat.vonage.Vonage {self.auth!r}>"


# --------------------------------------------------------------------------- install()

_ALIASES = ("vonage", "vonage.errors", "vonage_sms", "vonage_sms.errors")
_aliases = ModuleAliases(lambda: dict.fromkeys(_ALIASES, sys.modules[__name__]))


def install() -> None:
    """Make ``import vonage`` and ``import vonage_sms`` (and their ``.errors``) resolve to
    this shim.  Call before the application imports them."""
    _aliases.install()


def uninstall() -> None:
    """Undo :func:`install`."""
    _aliases.uninstall()


errors = sys.modules[__name__]  # ``vonage.errors.ClientError`` after install()
