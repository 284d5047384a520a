"""The sandbox inbox: Mailpit for SMS, on ``smsbridge serve`` (docs/inbox.md).

- ``/ui``: server-rendered pages with a little vanilla JS (no build step, no CDN):
  a live, searchable message list, a message page, buttons and chaos switches;
- ``/api/v1/``: the same as JSON, described at ``/api/v1/openapi.json``, with a
  server-sent event stream at ``/api/v1/events``.

On when the config has a simulator backend (the sandbox), unless ``gateway.ui: false``;
``gateway.ui: true`` forces it on.  Who may use it (:func:`guard`): with no
``gateway.ui_password``, only clients on the loopback interface, and only under a
loopback ``Host`` (no DNS rebinding); with one, anybody who gives it as the password of
HTTP Basic authentication (any user name).  Requests that change something must carry
JSON (``Content-Type: application/json``), which a foreign web page cannot send without
a CORS preflight that the inbox never grants: no cross-site requests.
"""
from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute

__all__ = ["inbox_routes", "enabled", "guard"]

LOOPBACK_CLIENTS = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def enabled(gateway: Any) -> bool:
    """``gateway.ui`` if set, else whether a simulator backend is configured."""
    from ...config import _coerce

    option = (gateway.bridge.config.gateway or {}).get("ui")
    if option is not None:
        return bool(_coerce(option, bool, "gateway.ui", gateway.bridge.config))
    from .service import Inbox

    return bool(Inbox(gateway).simulators())


def _host_name(request: Request) -> str:
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def guard(request: Request, password: str | None) -> Response | None:
    """``None`` if the request may use the inbox, else the answer that refuses it."""
    api = request.url.path.startswith("/api/")
    if password is None:
        client = request.client.host if request.client else ""
        if client not in LOOPBACK_CLIENTS or _host_name(request).lower() not in LOOPBACK_HOSTS:
            detail = ("the sandbox inbox answers only local clients (127.0.0.1, ::1); set gateway.ui_password "
                      "to open it to the network")
            return JSONResponse({"error": detail, "status": 403}, status_code=403) if api else \
                PlainTextResponse(detail, status_code=403)
    else:
        given = ""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                given = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                given = ""
        if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), password.encode("utf-8")):
            headers = {"WWW-Authenticate": 'Basic realm="smsbridge inbox", charset="UTF-8"'}
            detail = "the sandbox inbox needs the password (gateway.ui_password) by HTTP Basic authentication"
            return JSONResponse({"error": detail, "status": 401}, status_code=401, headers=headers) if api else \
                PlainTextResponse(detail, status_code=401, headers=headers)
    if request.method in ("POST", "PUT", "PATCH") and \
            request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return JSONResponse({"error": "send JSON (Content-Type: application/json)", "status": 415},
                            status_code=415)
    return None


def inbox_routes(gateway: Any) -> list[BaseRoute]:
    """The inbox's routes, or none when it is off; sets ``gateway.inbox``."""
    if not enabled(gateway):
        return []
    from . import api, ui
    from .service import Inbox

    password = (gateway.bridge.config.gateway or {}).get("ui_password")
    inbox = Inbox(gateway, password=str(password) if password else None)
    gateway.inbox = inbox
    gateway.errors("/api/v1", lambda request, status, detail: JSONResponse({"error": detail, "status": status},
                                                                          status_code=status))
    gateway.errors("/ui", lambda request, status, detail: PlainTextResponse(f"{status}: {detail}",
                                                                           status_code=status))
    return api.routes(inbox) + ui.routes(inbox)
