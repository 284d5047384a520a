"""``gateway.clients``: the applications allowed to call the gateway, and how they log in.

::

    gateway:
      clients:
        shop:
          backend: primary            # optional: pin to a backend; omitted: routes decide
          twilio: {account_sid: AC…, auth_token: ${SHOP_TWILIO_TOKEN}}

Each face (HTTP shim) declares the credential keys of its section when it registers;
``config check`` validates every client against them.  No starlette import here.
"""
from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..config import Config, _coerce, _reject_unknown, _suggest

__all__ = ["GatewayClient", "parse_clients", "check_clients", "GATEWAY_KEYS"]

GATEWAY_KEYS = ("clients", "max_body", "poll_interval", "chaos", "public_url", "auth_failures", "auth_window",
                "header_timeout", "body_timeout", "keep_alive", "max_connections", "dispatch_interval", "ui",
                "ui_password")

FACE_KEYS = ("inbound_url",)
"""Keys every face section of a client takes besides the face's own credentials (issue 15:
where that client's inbound SMS go, in that face's format)."""


@dataclass(frozen=True)
class GatewayClient:
    """One calling application; ``credentials`` maps a shim name to its credential section."""

    name: str
    backend: str | None = None
    credentials: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __repr__(self) -> str:  # never show credentials
        return f"GatewayClient({self.name!r}, backend={self.backend!r}, shims={sorted(self.credentials)})"

    def matches(self, shim: str, given: Mapping[str, Any]) -> bool:
        """Constant-time comparison of every given credential with this client's section."""
        section = self.credentials.get(shim)
        if section is None or not given:
            return False
        ok = True
        for key, value in given.items():
            expected = section.get(key)
            if expected is None or value is None:
                ok = False
                continue
            # surrogatepass: a hostile lone surrogate must compare unequal, not raise.
            ok &= hmac.compare_digest(str(expected).encode("utf-8", "surrogatepass"),
                                      str(value).encode("utf-8", "surrogatepass"))
        return ok


def parse_clients(config: Config) -> list[GatewayClient]:
    """The configured clients (shape-checked; credential keys are checked by :func:`check_clients`)."""
    gateway = config.gateway or {}
    _reject_unknown(gateway, GATEWAY_KEYS, "gateway", config)
    raw = gateway.get("clients") or {}
    if not isinstance(raw, Mapping):
        raise config.error("gateway.clients", "must be a mapping of client names to their credentials")
    clients = []
    for name, section in raw.items():
        path = f"gateway.clients.{name}"
        if not isinstance(section, Mapping):
            raise config.error(path, "must be a mapping (backend, and one section per provider face)")
        backend = section.get("backend")
        if backend is not None and backend not in config.backends:
            raise config.error(f"{path}.backend", f"names no configured backend: {backend!r}"
                                                  f"{_suggest(str(backend), list(config.backends))}")
        creds = {}
        for shim, values in section.items():
            if shim == "backend":
                continue
            if not isinstance(values, Mapping):
                from .. import plugins

                hint = _suggest(str(shim), ["backend", *sorted(plugins.registry().http_shims)])
                if hint:  # a typo (``backnd: primary``), not a face section
                    raise config.error(f"{path}.{shim}", f"unknown key {shim!r}{hint}")
                raise config.error(f"{path}.{shim}", "must be a mapping of credential keys (or the key is"
                                                     " 'backend')")
            creds[str(shim)] = dict(values)
        clients.append(GatewayClient(str(name), backend, creds))
    return clients


def check_clients(config: Config) -> list[GatewayClient]:
    """Validate ``gateway`` against the installed faces' declared credential keys."""
    from .. import plugins

    clients = parse_clients(config)
    faces = plugins.registry().http_shims
    for client in clients:
        for shim, values in client.credentials.items():
            path = f"gateway.clients.{client.name}.{shim}"
            if shim not in faces:
                raise config.error(path, f"no installed gateway face is called {shim!r}"
                                         f"{_suggest(shim, sorted(faces))}; installed: {', '.join(sorted(faces))}")
            specs = faces[shim].extra.get("clients") or {}
            if specs:
                _reject_unknown(values, (*specs, *FACE_KEYS), path, config)
                for key, spec in specs.items():
                    if key in values and values[key] is not None:
                        _coerce(values[key], spec.kind, f"{path}.{key}", config)
                    elif spec.required:
                        raise config.error(path, f"{key!r} is required for the {shim} face")
            url = values.get("inbound_url")
            if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
                raise config.error(f"{path}.inbound_url", "must be an http:// or https:// URL")
    options = config.gateway or {}
    for key, kind in (("max_body", int), ("poll_interval", float), ("auth_failures", int), ("auth_window", float),
                      ("header_timeout", float), ("body_timeout", float), ("keep_alive", float),
                      ("max_connections", int), ("dispatch_interval", float)):
        if key in options:
            value = _coerce(options[key], kind, f"gateway.{key}", config)
            if not 0 < value < 1e9:  # also refuses NaN
                raise config.error(f"gateway.{key}", "must be a positive number")
    if "chaos" in options:
        _coerce(options["chaos"], bool, "gateway.chaos", config)
    if options.get("public_url") is not None:
        url = urlsplit(str(options["public_url"]))
        if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
            raise config.error("gateway.public_url", "must be an http(s) URL such as https://sms.example.com"
                                                     " (no query or fragment)")
    if options.get("ui") is not None:  # issue 14: the sandbox inbox's switch and password
        _coerce(options["ui"], bool, "gateway.ui", config)
    if options.get("ui_password") is not None and not (isinstance(options["ui_password"], str)
                                                       and options["ui_password"]):
        raise config.error("gateway.ui_password", "must be a non-empty string")
    return clients
