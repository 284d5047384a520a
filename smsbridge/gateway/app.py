"""The gateway app: a Starlette application assembled from the registered faces.

Faces are found through the ``smsbridge_http_shims`` hook (see hookspecs.py); each gets
the :class:`Gateway` — the Bridge, client authentication, id aliases, status watching and
webhook delivery — and returns its routes.  Faces may claim a path prefix with
:meth:`Gateway.errors` so that 404/405/413/500 answers under it come in their provider's
shape.
"""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import logging
import time
from collections import deque
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .. import plugins
from ..errors import ProviderError
from ..model import MessageRecord, Receipt
from .clients import GatewayClient, check_clients
from .http import DEFAULT_MAX_BODY, BadRequest

__all__ = ["Gateway", "build_app"]

log = logging.getLogger("smsbridge.gateway")

WATCH_FOR = 72 * 3600.0  # seconds a message's status is watched for callbacks before giving up

ErrorRenderer = Callable[[Request, int, str], Response]
Notify = Callable[[MessageRecord], "Awaitable[None] | None"]

CALLBACK_LOG = 1000  # webhook posts remembered for the sandbox inbox (issue 14); oldest go first
_notifying: contextvars.ContextVar[str | None] = contextvars.ContextVar("smsbridge_notifying", default=None)


class Gateway:
    """What a face works with; one per app. See docs/architecture.md for the contract."""

    def __init__(self, bridge: Any) -> None:
        self.bridge = bridge
        self.clients: list[GatewayClient] = check_clients(bridge.config)
        options = bridge.config.gateway or {}
        self.max_body = int(options.get("max_body", DEFAULT_MAX_BODY))
        self.poll_interval = float(options.get("poll_interval", 1.0))
        self._renderers: list[tuple[str, ErrorRenderer]] = []
        self._watched: dict[str, tuple[Any, list[Notify]]] = {}
        self._watch_until: dict[str, float] = {}
        self._watch_task: asyncio.Task[None] | None = None
        self._callbacks: set[asyncio.Task[None]] = set()
        self._session: Any = None
        self._inline = _never_blocks(bridge)
        # Each webhook post: message id (when sent from a watch), url without query, status.
        self.callback_log: deque[dict[str, Any]] = deque(maxlen=CALLBACK_LOG)

    # -- clients ---------------------------------------------------------------------------
    def authenticate(self, shim: str, **credentials: Any) -> GatewayClient | None:
        """The client whose ``shim`` section matches all ``credentials``, else ``None``."""
        found = None
        for client in self.clients:  # no early exit: timing does not reveal which client matched
            if client.matches(shim, credentials) and found is None:
                found = client
        return found

    def clients_for(self, shim: str) -> list[GatewayClient]:
        return [c for c in self.clients if shim in c.credentials]

    # -- messages --------------------------------------------------------------------------
    async def send(self, client: GatewayClient | None, to: str, text: str, *, sender: str | None = None,
                   reference: str | None = None, extra: Mapping[str, Any] | None = None) -> Receipt:
        """Send through the Bridge (in a worker thread), pinned to the client's backend if any."""
        backend = client.backend if client is not None else None

        def send() -> Receipt:
            return self.bridge.send(to, text, sender=sender, backend=backend, reference=reference, extra=extra)

        if self._inline:
            return send()
        return await run_in_threadpool(send)

    async def record(self, message_id: str) -> MessageRecord:
        """The journal's record, after asking the backend for a fresher status."""
        def fetch() -> MessageRecord:
            try:
                self.bridge.status(message_id)
            except ProviderError as exc:  # a look-up failure must not hide what the journal knows
                log.info("status refresh for %s failed: %s", message_id, exc)
            return self.bridge.record(message_id)
        if self._inline:
            return fetch()
        return await run_in_threadpool(fetch)

    async def records(self, *, limit: int = 50, offset: int = 0, to: str | None = None,
                      sender: str | None = None) -> list[MessageRecord]:
        return await run_in_threadpool(lambda: self.bridge.journal.records(limit=limit, offset=offset, to=to,
                                                                           sender=sender))

    def alias(self, kind: str, alias: str, message_id: str) -> None:
        self.bridge.journal.alias(kind, alias, message_id)

    def resolve(self, kind: str, alias: str) -> str | None:
        return self.bridge.journal.resolve(kind, alias)

    def alias_of(self, message_id: str, kind: str) -> str | None:
        return self.bridge.journal.aliases_of(message_id, kind)

    # -- status callbacks ------------------------------------------------------------------
    def watch(self, message_id: str, notify: Notify) -> None:
        """Call ``notify(record)`` on every status change of the message until it is final."""
        last, callbacks = self._watched.setdefault(message_id, (None, []))
        # Providers stop reporting after a few days; so do we, or the watch list only grows.
        self._watch_until[message_id] = time.monotonic() + WATCH_FOR
        callbacks.append(notify)
        if self._watch_task is None or self._watch_task.done():
            self._watch_task = asyncio.get_running_loop().create_task(self._watch_loop())

    async def _watch_loop(self) -> None:
        while self._watched:
            await asyncio.sleep(self.poll_interval)
            for message_id in list(self._watched):
                last, callbacks = self._watched[message_id]
                try:
                    record = await self.record(message_id)
                except Exception:
                    log.exception("watching %s failed", message_id)
                    continue
                if record.status != last:
                    self._watched[message_id] = (record.status, callbacks)
                    for notify in callbacks:
                        token = _notifying.set(message_id)
                        try:
                            result = notify(record)
                            if inspect.isawaitable(result):
                                await result
                        except Exception:
                            log.exception("status callback for %s failed", message_id)
                        finally:
                            _notifying.reset(token)
                if record.status.final or time.monotonic() > self._watch_until.get(message_id, 0):
                    self._watched.pop(message_id, None)
                    self._watch_until.pop(message_id, None)

    async def post_callback(self, url: str, *, data: Any = None, json: Any = None, method: str = "POST",
                            headers: Mapping[str, str] | None = None) -> int | None:
        """Deliver one webhook; returns the HTTP status, or ``None`` if it could not be sent.

        Never raises: a caller's broken webhook endpoint must not affect sending.
        """
        def post() -> int | None:
            import requests

            if self._session is None:
                self._session = requests.Session()
            try:
                kwargs: dict[str, Any] = {"headers": dict(headers or {}), "timeout": 5}
                if method.upper() == "GET":
                    kwargs["params"] = data
                else:
                    kwargs["data"] = data
                    kwargs["json"] = json
                return self._session.request(method.upper(), url, **kwargs).status_code
            except requests.RequestException as exc:
                log.warning("webhook to %s failed: %s", url.split("?")[0], type(exc).__name__)
                entry["error"] = type(exc).__name__
                return None
        entry: dict[str, Any] = {"message_id": _notifying.get(), "url": url.split("?")[0], "method": method.upper(),
                                 "at": time.time(), "status": None, "error": None}
        entry["status"] = await run_in_threadpool(post)
        self.callback_log.append(entry)
        inbox = getattr(self, "inbox", None)  # issue 14: the sandbox inbox shows callbacks live
        if inbox is not None:
            inbox.publish("callback", dict(entry))
        return entry["status"]  # type: ignore[no-any-return]

    # -- error shapes ----------------------------------------------------------------------
    def errors(self, prefix: str, render: ErrorRenderer) -> None:
        """Answer errors under ``prefix`` (404, 405, 413, unexpected 500s) with ``render``."""
        self._renderers.append((prefix, render))
        self._renderers.sort(key=lambda item: -len(item[0]))

    def render_error(self, request: Request, status: int, detail: str) -> Response:
        for prefix, render in self._renderers:
            if request.url.path.startswith(prefix):
                try:
                    return render(request, status, detail)
                except Exception:
                    log.exception("error renderer for %s failed", prefix)
                    break
        return JSONResponse({"error": detail, "status": status}, status_code=status)

    async def aclose(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
        if self._session is not None:
            self._session.close()


def _never_blocks(bridge: Any) -> bool:
    """Can the Bridge's work run on the event loop? Only when no backend ever waits (the
    in-process sandbox without latency), no rate limit sleeps and no plugin hook, which
    could do anything, runs around sending.  Otherwise every call goes to a worker thread."""
    hooks = plugins.manager().hook
    # A hook implementation marked ``never_blocks = True`` (the built-in opt-out check: one
    # journal read, like the journal's own writes) does not count.
    if any(not getattr(impl.function, "never_blocks", False) for name in
           ("smsbridge_before_send", "smsbridge_after_send", "smsbridge_send_failed", "smsbridge_status_changed")
           for impl in getattr(hooks, name).get_hookimpls()):
        return False
    return all(not bridge.backend(name).blocking and not bridge.backend(name).settings.get("rate_limit")
               for name in bridge.backends() if not bridge.backend_incomplete(name))


def build_app(bridge: Any, *, faces: list[str] | None = None, access_log: str | None = None,
              access_log_stream: Any = None) -> Starlette:
    """The ASGI app serving every installed face (or only ``faces``); ``access_log``:
    ``"common"`` or ``"json"`` lines to ``access_log_stream`` (default stderr)."""
    gateway = Gateway(bridge)
    routes: list[BaseRoute] = []
    from .inbox import inbox_routes  # issue 14: /ui and /api/v1, when the config has a sandbox

    routes.extend(inbox_routes(gateway))
    registry = plugins.registry()
    for name, reg in sorted(registry.http_shims.items()):
        if faces is not None and name not in faces:
            continue
        factory = reg.load()
        routes.extend(factory(gateway))

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        return gateway.render_error(request, status, str(getattr(exc, "detail", "")) or "error")

    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequest)
        return gateway.render_error(request, exc.status, exc.detail)

    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("gateway error on %s %s", request.method, request.url.path)
        return gateway.render_error(request, 500, "internal error")

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "faces": sorted(registry.http_shims) if faces is None else faces})

    from starlette.routing import Route

    routes.append(Route("/_smsbridge/health", health))
    from .webhooks import routes as webhook_routes  # issue 15: providers' webhooks

    routes.extend(webhook_routes(gateway))
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        inbox = getattr(gateway, "inbox", None)
        if inbox is not None:
            await inbox.aclose()
        await gateway.aclose()

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, BadRequest: bad_request,
                                                       Exception: crashed}, lifespan=lifespan)
    app.state.gateway = gateway
    app.state.max_body = gateway.max_body
    from .chaos import ChaosMiddleware

    app.add_middleware(ChaosMiddleware, gateway=gateway)
    if access_log:
        from .access_log import AccessLogMiddleware

        app.add_middleware(AccessLogMiddleware, fmt=access_log, stream=access_log_stream)
    return app
