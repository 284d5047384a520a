"""Backends that speak HTTP: their :class:`~smsbridge.transport.HttpTransport`, built once
from the common settings, and their JSON replies.

Every HTTP backend needs the same plumbing, whatever its provider:

- one pooled transport, built on first use and never in ``__init__`` (``smsbridge config
  check`` constructs every backend and must stay offline), built once even when
  ``send_many``'s threads race for it, and released by ``close()``;
- ``base_url``, ``timeout`` and ``verify`` taken from the SPEC §3 common keys;
- a reply body read as JSON, ``None`` when it is not JSON (an error page, an empty body),
  so that the provider's wire module decides what the HTTP status and body mean.

:class:`HttpBackend` holds that; a plugin's backend subclasses it and says only what is
its provider's: headers and auth (:meth:`HttpBackend.http_headers`,
:meth:`HttpBackend.http_auth`) and its wire module's error mapping
(:meth:`HttpBackend.read_reply`).  ``requests`` is imported when the first transport is
built, not when a plugin module is.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from .backend import Backend

if TYPE_CHECKING:
    from .model import Message
    from .transport import HttpTransport

__all__ = ["HttpBackend", "http_transport", "configured_timeout", "configured_max_reply_bytes", "reply_json",
           "send_reply_error", "status_callback_url"]

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_REPLY_BYTES = 1024 * 1024

ErrorForReply = Callable[..., Exception]
"""A wire module's ``error_from_reply(http_status, json_or_None, backend=name)``."""


def _takes_sending(reader: Callable[..., Any]) -> bool:
    """Whether a reply reader accepts ``sending=`` (readers written before the wire
    convention do not); asked only on the error path."""
    import inspect

    try:
        parameters = inspect.signature(reader).parameters
    except (TypeError, ValueError):
        return False
    return "sending" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def configured_timeout(settings: Mapping[str, Any]) -> float:
    """The backend's ``timeout`` in seconds (SPEC §3; 10 when unset)."""
    return float(settings.get("timeout") or DEFAULT_TIMEOUT)


def configured_max_reply_bytes(settings: Mapping[str, Any]) -> int:
    """The backend's ``max_reply_bytes`` (issue 11; 1 MiB when unset)."""
    return int(settings.get("max_reply_bytes") or DEFAULT_MAX_REPLY_BYTES)


def send_reply_error(http_status: int, error: Exception, *, backend: str | None = None) -> Exception:
    """The core rule for an HTTP error reply *to a send* (issue 11), applied after the
    provider's wire module has read it into ``error``.

    Any 5xx to a send may follow acceptance (the provider failed while, or after, handling
    it), so it is :class:`~smsbridge.errors.DeliveryUnknown` — never failed over, journaled
    ``unknown``, its idempotency key kept.  The one exception is a 503 the provider's
    module reads as retry-safe (a documented refusal before acceptance, e.g. "try later"),
    like 429.  Every other error (4xx, provider-specific codes) stays the provider's.
    """
    from .errors import DeliveryUnknown, ProviderError

    if http_status < 500 or isinstance(error, DeliveryUnknown):
        return error
    if http_status == 503 and getattr(error, "retry_safe", False):
        return error
    text = getattr(error, "message", None) or str(error)
    code = error.code if isinstance(error, ProviderError) and error.code is not None else http_status
    return DeliveryUnknown(f"answered HTTP {http_status} to a send: {text}; the message may have been "
                           "accepted, so it is not re-sent", code=code, backend=backend)


def http_transport(backend: Backend, *, base_url: str | None = None, headers: dict[str, str] | None = None,
                   auth: Any = None) -> HttpTransport:
    """A new transport for ``backend``: its ``base_url`` (or the given one, e.g. a WSDL's
    URL), ``timeout`` and ``verify`` from its settings, and the provider's headers and auth."""
    from .transport import HttpTransport

    verify = backend.settings.get("verify")
    return HttpTransport(backend.name, base_url=backend.base_url if base_url is None else base_url,
                         timeout=configured_timeout(backend.settings),
                         verify=True if verify is None else verify, headers=headers, auth=auth,
                         max_reply_bytes=configured_max_reply_bytes(backend.settings))


def reply_json(response: Any) -> Any:
    """The reply's JSON body, or ``None`` when it has none (the caller decides what that means)."""
    try:
        return response.json()
    except ValueError:
        return None


def status_callback_url(message: Message) -> str | None:
    """``Message.extra["status_callback"]`` (the Bridge's documented hint) when it is an
    ``http(s)://`` URL, for providers that take a per-message delivery-report URL; else
    ``extra["webhook_url"]``: the gateway's own ``/webhooks/<backend>/status`` when
    ``gateway.public_url`` is configured (issue 15)."""
    for key in ("status_callback", "webhook_url"):
        value = (message.extra or {}).get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    return None


class HttpBackend(Backend):
    """A backend talking to its provider through one lazily built :class:`HttpTransport`."""

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        self._transport: HttpTransport | None = None
        self._transport_lock = threading.Lock()

    def http_headers(self) -> dict[str, str]:
        """Headers sent with every request; called once, when the transport is built."""
        return {"Accept": "application/json"}

    def http_auth(self) -> Any:
        """``requests`` auth for every request (e.g. a Basic pair), or ``None``; called once,
        when the transport is built, so it may raise ``ConfigError`` for missing credentials."""
        return None

    @property
    def transport(self) -> HttpTransport:
        with self._transport_lock:
            if self._transport is None:
                self._transport = http_transport(self, headers=self.http_headers(), auth=self.http_auth())
            return self._transport

    def read_reply(self, response: Any, error_from_reply: ErrorForReply, *,
                   ok: Collection[int] = (200,), sending: bool = False) -> Any:
        """The reply's JSON (``None`` if it has none) when its status is in ``ok``; else raise
        ``error_from_reply(status, json, backend=self.name)``, the provider's reading of it —
        told ``sending=True`` on a send when it takes that keyword (a wire module's
        ``error_from_reply`` does), and for a send passed through :func:`send_reply_error`,
        the core rule for 5xx; a success whose body is no JSON is
        :class:`~smsbridge.errors.DeliveryUnknown`."""
        data = reply_json(response)
        if response.status_code not in ok:
            context: dict[str, Any] = {"backend": self.name}
            if sending and _takes_sending(error_from_reply):
                context["sending"] = True
            error = error_from_reply(response.status_code, data, **context)
            if sending:
                error = send_reply_error(response.status_code, error, backend=self.name)
            raise error
        if sending and data is None:
            # A success status with a body nobody can read: the provider took the request,
            # and we cannot tell what it did with it (issue 11: unreadable reply to a send).
            from .errors import DeliveryUnknown

            raise DeliveryUnknown(f"answered HTTP {response.status_code} to a send with a body that is not JSON; "
                                  "the message may have been accepted, so it is not re-sent", backend=self.name)
        return data

    def close(self) -> None:
        with self._transport_lock:
            if self._transport is not None:
                self._transport.close()
                self._transport = None
