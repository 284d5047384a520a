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
from typing import TYPE_CHECKING, Any, Callable, Collection, Mapping

from .backend import Backend

if TYPE_CHECKING:
    from .model import Message
    from .transport import HttpTransport

__all__ = ["HttpBackend", "http_transport", "configured_timeout", "reply_json", "status_callback_url"]

DEFAULT_TIMEOUT = 10.0

ErrorForReply = Callable[..., Exception]
"""A wire module's ``error_for_reply(http_status, json_or_None, backend=name)``."""


def configured_timeout(settings: Mapping[str, Any]) -> float:
    """The backend's ``timeout`` in seconds (SPEC §3; 10 when unset)."""
    return float(settings.get("timeout") or DEFAULT_TIMEOUT)


def http_transport(backend: Backend, *, base_url: str | None = None, headers: dict[str, str] | None = None,
                   auth: Any = None) -> "HttpTransport":
    """A new transport for ``backend``: its ``base_url`` (or the given one, e.g. a WSDL's
    URL), ``timeout`` and ``verify`` from its settings, and the provider's headers and auth."""
    from .transport import HttpTransport

    verify = backend.settings.get("verify")
    return HttpTransport(backend.name, base_url=backend.base_url if base_url is None else base_url,
                         timeout=configured_timeout(backend.settings),
                         verify=True if verify is None else verify, headers=headers, auth=auth)


def reply_json(response: Any) -> Any:
    """The reply's JSON body, or ``None`` when it has none (the caller decides what that means)."""
    try:
        return response.json()
    except ValueError:
        return None


def status_callback_url(message: "Message") -> str | None:
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
    def transport(self) -> "HttpTransport":
        with self._transport_lock:
            if self._transport is None:
                self._transport = http_transport(self, headers=self.http_headers(), auth=self.http_auth())
            return self._transport

    def read_reply(self, response: Any, error_for_reply: ErrorForReply, *,
                   ok: Collection[int] = (200,)) -> Any:
        """The reply's JSON (``None`` if it has none) when its status is in ``ok``; else raise
        ``error_for_reply(status, json, backend=self.name)``, the provider's reading of it."""
        data = reply_json(response)
        if response.status_code not in ok:
            raise error_for_reply(response.status_code, data, backend=self.name)
        return data

    def close(self) -> None:
        with self._transport_lock:
            if self._transport is not None:
                self._transport.close()
                self._transport = None
