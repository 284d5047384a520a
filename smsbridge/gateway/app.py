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
import copy
import inspect
import logging
import os
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from starlette._utils import get_route_path  # what Route.matches reads (starlette >= 0.35)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Router
from starlette.types import Receive, Scope, Send

from .. import plugins
from ..bridge import WouldWait
from ..errors import NotFound, ProviderError
from ..model import MessageRecord, Receipt, Status
from . import chaos
from .clients import GatewayClient, check_clients
from .errors import GatewayAbort
from .http import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY, BadRequest
from .throttle import DEFAULT_LIMIT, DEFAULT_WINDOW, FailureThrottle

if TYPE_CHECKING:
    from ..bridge import Bridge

__all__ = ["Gateway", "build_app", "create_app"]

log = logging.getLogger("smsbridge.gateway")

WATCH_FOR = 72 * 3600.0  # seconds a message's status is watched for callbacks before giving up

ErrorRenderer = Callable[[Request, int, str], Response]
Notify = Callable[[MessageRecord], "Awaitable[None] | None"]
T = TypeVar("T")

CALLBACK_LOG = 1000  # webhook posts remembered for the sandbox inbox (issue 14); oldest go first
_notifying: contextvars.ContextVar[str | None] = contextvars.ContextVar("smsbridge_notifying", default=None)


class _Shared:
    """State every face's view of one gateway shares (see :meth:`Gateway.for_face`)."""

    def __init__(self) -> None:
        self.renderers: list[tuple[str, ErrorRenderer]] = []
        self.watched: dict[str, tuple[Any, list[Notify]]] = {}
        self.watch_until: dict[str, float] = {}
        self.watch_task: asyncio.Task[None] | None = None
        self.callbacks: set[asyncio.Task[None]] = set()
        self.session: Any = None
        self.inline = False  # store calls may run on the event loop (see Gateway._store)
        self.in_thread = 0  # this gateway's store calls running in worker threads right now
        self.waiters: list[asyncio.Future[None]] = []  # store calls waiting for one of those to end
        self.calls: Counter[str] = Counter()  # store calls run "inline" / in a "thread" (Gateway.store_calls)


class Gateway:
    """What a face works with; one per app, seen by each face through :meth:`for_face`.

    See docs/architecture.md for the contract.  Every call that touches the store (the
    journal, the sandbox) runs in a worker thread: a held SQLite lock makes only the
    requests that need the store wait, never the event loop (health, refusals, other
    faces' work stay answered).  The exception is a call that cannot wait at all: with an
    in-memory journal, backends that never block and hooks marked ``never_blocks``, a
    send or look-up runs on the loop while it holds every lock it could wait on, taken
    without waiting (:meth:`Bridge.hold_nowait`); when one is held elsewhere, it goes to
    a worker thread as before (issue 18: the hop costs more than such a send).
    """

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.clients: list[GatewayClient] = check_clients(bridge.config)
        options = bridge.config.gateway or {}
        self.max_body = int(options.get("max_body", DEFAULT_MAX_BODY))
        self.poll_interval = float(options.get("poll_interval", 1.0))
        self.chaos = str(options.get("chaos", False)).strip().lower() in ("true", "yes", "on", "1")
        public = options.get("public_url")
        self.public_url: str | None = str(public).rstrip("/") if public else None
        self.throttle = FailureThrottle(int(options.get("auth_failures", DEFAULT_LIMIT)),
                                        float(options.get("auth_window", DEFAULT_WINDOW)))
        self.face: str | None = None
        self.lost_held = 0  # requests held by chaos "lost" right now (see chaos.py)
        self._shared = _Shared()
        self._shared.inline = _never_blocks(bridge)
        self._secret_keys = _secret_keys()
        # Each webhook post: message id (when sent from a watch), url without query, status (issue 14).
        self.callback_log: deque[dict[str, Any]] = deque(maxlen=CALLBACK_LOG)

    def for_face(self, face: str) -> Gateway:
        """This gateway as the face ``face`` sees it: the same state, and every message it
        sends stamped with its name (``MessageRecord.face``)."""
        view = copy.copy(self)
        view.face = face
        return view

    # -- where store calls run ------------------------------------------------------------
    @property
    def _inline(self) -> bool:
        """May store calls run on the event loop at all (recomputed by the sandbox inbox
        when it changes a simulator's latency); each call still checks and holds its locks."""
        return self._shared.inline

    @_inline.setter
    def _inline(self, value: bool) -> None:
        self._shared.inline = bool(value)

    @property
    def store_calls(self) -> dict[str, int]:
        """How many store calls ran ``inline`` on the event loop and how many in a worker
        ``thread`` (for tests and profiles: a hop is the costliest part of a create)."""
        return {"inline": self._shared.calls["inline"], "thread": self._shared.calls["thread"]}

    async def _store(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)``, a call into the Bridge that touches the store: on the event
        loop when :meth:`Bridge.hold_nowait` takes every lock it could wait on without
        waiting, else in a worker thread (a journal on disk, a backend that blocks, a lock
        held elsewhere: issue 12's rule that storage never blocks the loop).

        A lock held while one of this gateway's own worker-thread calls is running is
        most likely held by that call: the request then awaits (the loop stays free) the
        end of such a call and tries again, a few times, before it takes a thread itself.
        Without that, one hop (the dispatcher's, a fallback) makes the next requests find
        the lock held and hop too, and the hops never stop under load.
        """
        shared = self._shared
        bridge = self.bridge
        if shared.inline and bridge.never_blocks():
            for _ in range(_RETRIES):
                held = bridge.hold_nowait(checked=True)
                if held is not None:
                    try:
                        with held:
                            result = function(*args)
                    except WouldWait:  # nothing written: it waits for another sender, off the loop
                        break
                    shared.calls["inline"] += 1
                    return result
                if not shared.in_thread:
                    break  # held by a thread not of this gateway's making: do not wait for it here
                waiter = asyncio.get_running_loop().create_future()
                shared.waiters.append(waiter)
                await waiter
        shared.calls["thread"] += 1
        return await self._in_thread(function, *args)

    async def _in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """``run_in_threadpool``, counted: :meth:`_store` calls wait for these to end."""
        shared = self._shared
        shared.in_thread += 1
        try:
            return await run_in_threadpool(function, *args)
        finally:
            shared.in_thread -= 1
            waiters, shared.waiters = shared.waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    # -- clients ---------------------------------------------------------------------------
    def authenticate(self, shim: str, **credentials: Any) -> GatewayClient | None:
        """The client whose ``shim`` section matches all ``credentials``, else ``None``.

        Failures are counted per source address and per claimed client (the credentials
        that are not secrets, e.g. an AccountSid); past the limit every attempt is
        refused with :class:`~.errors.GatewayAbort` 429 and ``Retry-After`` (the app
        renders it in the face's shape).  A configured chaos plan applies from here: only
        an authenticated caller's ``X-Smsbridge-Chaos`` is honoured.
        """
        context = chaos.current()
        keys: list[Hashable] = []
        if context is not None and context.peer:
            keys.append(("peer", context.peer))
        secret = self._secret_keys.get(shim, frozenset())
        claimed = tuple(sorted((k, str(v)) for k, v in credentials.items() if k not in secret and v is not None))
        if claimed:
            keys.append((shim, claimed))
        wait = self.throttle.retry_after(*keys)
        if wait is not None:
            raise GatewayAbort(429, "Too many failed authentication attempts; retry later",
                               {"Retry-After": str(wait)})
        found = None
        for client in self.clients:  # no early exit: timing does not reveal which client matched
            if client.matches(shim, credentials) and found is None:
                found = client
        if found is None:
            self.throttle.failed(*keys)
            return None
        if context is not None:
            context.client = found
            status = context.chaos.get("status")
            if status:
                raise GatewayAbort(int(status), "service unavailable (smsbridge chaos)")
        return found

    def clients_for(self, shim: str) -> list[GatewayClient]:
        return [c for c in self.clients if shim in c.credentials]

    def authenticated(self, client: GatewayClient) -> GatewayClient:
        """Mark ``client`` as authenticated by a face's own check (signatures, sessions):
        what :meth:`authenticate` does on success, for faces that match credentials
        themselves."""
        context = chaos.current()
        if context is not None:
            context.client = client
            status = context.chaos.get("status")
            if status:
                raise GatewayAbort(int(status), "service unavailable (smsbridge chaos)")
        return client

    def refused(self, shim: str, **claimed: Any) -> None:
        """Count a failed authentication a face checked itself (see :meth:`authenticate`)."""
        context = chaos.current()
        keys: list[Hashable] = [("peer", context.peer)] if context is not None and context.peer else []
        if claimed:
            keys.append((shim, tuple(sorted((k, str(v)) for k, v in claimed.items()))))
        wait = self.throttle.retry_after(*keys)
        self.throttle.failed(*keys)
        if wait is not None:
            raise GatewayAbort(429, "Too many failed authentication attempts; retry later",
                               {"Retry-After": str(wait)})

    # -- messages --------------------------------------------------------------------------
    async def send(self, client: GatewayClient, to: str, text: str, *, sender: str | None = None,
                   reference: str | None = None, extra: Mapping[str, Any] | None = None,
                   idempotency_key: str | None = None, send_at: datetime | None = None,
                   face: str | None = None, alias: tuple[str, Callable[[str], str]] | None = None) -> Receipt:
        """Send through the Bridge (in a worker thread), pinned to the client's backend if any.

        The message is stamped here, not by the face: ``MessageRecord.gateway_client`` is the
        client's name (what keeps one client from seeing another's messages) and
        ``MessageRecord.face`` the face it came through.  ``alias=(kind, alias_for)`` journals
        the face's id ``alias_for(message_id)`` in the send's own journal transaction (one
        statement, commit and thread hop fewer than a separate :meth:`alias`; issue 18).
        ``idempotency_key`` is the caller's (``Idempotency-Key``), scoped to the client:
        another client's equal key is another key.
        """
        if not isinstance(client, GatewayClient):
            raise TypeError("Gateway.send needs the authenticated GatewayClient")
        face = face or self.face
        if not face:
            raise ValueError("Gateway.send needs the face's name (use gateway.for_face(name))")
        stamped = {**dict(extra or {}), "gateway_client": client.name, "face": face}
        key = f"gateway:{client.name}:{idempotency_key}" if idempotency_key else None
        kwargs: dict[str, Any] = {"sender": sender, "backend": client.backend, "reference": reference,
                                  "extra": stamped, "idempotency_key": key}
        if send_at is not None:
            kwargs["send_at"] = send_at

        def send() -> Receipt:
            journal = self.bridge.journal
            if alias is None:
                return self.bridge.send(to, text, **kwargs)
            with journal.aliasing(*alias):  # both journals write it in the send's own transaction
                receipt = self.bridge.send(to, text, **kwargs)
            if receipt.replayed:  # an earlier send's receipt: its begin() wrote nothing
                journal.alias(alias[0], alias[1](receipt.id), receipt.id)  # idempotent (an upsert)
            return receipt

        return await self._store(send)

    async def record(self, message_id: str) -> MessageRecord:
        """The journal's record, after asking the backend for a fresher status."""
        return await self._store(self._refreshed, message_id)

    def _refreshed(self, message_id: str) -> MessageRecord:
        try:
            return self.bridge.refreshed(message_id)  # status(), then record(): one read if final
        except ProviderError as exc:  # a look-up failure must not hide what the journal knows
            log.info("status refresh for %s failed: %s", message_id, exc)
        return self.bridge.record(message_id)

    async def record_by_alias(self, kind: str, alias: str, carried: Callable[[str], str | None]) -> MessageRecord:
        """:meth:`record` of the message the face's id ``alias`` names: the journal's
        ``kind`` alias, else ``carried(alias)`` (the id the face's id carries).  One store
        call where :meth:`resolve` + :meth:`record` are two (issue 18).  Raises
        :class:`~smsbridge.errors.NotFound` when it names no journaled message."""
        journal = self.bridge.journal

        def fetch() -> MessageRecord:
            message_id = journal.resolve(kind, alias) or carried(alias)
            if message_id is None:
                raise NotFound(f"no message with the {kind} id {alias!r}")
            return self._refreshed(message_id)
        return await self._store(fetch)

    async def records(self, **query: Any) -> list[MessageRecord]:
        """``bridge.journal.records(**query)``, off the loop unless it cannot wait."""
        return await self._store(lambda: self.bridge.journal.records(**query))

    async def alias(self, kind: str, alias: str, message_id: str) -> None:
        await self._store(self.bridge.journal.alias, kind, alias, message_id)

    async def resolve(self, kind: str, alias: str) -> str | None:
        return await self._store(self.bridge.journal.resolve, kind, alias)

    async def alias_of(self, message_id: str, kind: str) -> str | None:
        return await self._store(self.bridge.journal.aliases_of, message_id, kind)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Any other Bridge call (balance, ...) in a worker thread."""
        return await self._in_thread(function, *args)

    # -- status callbacks ------------------------------------------------------------------
    def watch(self, message_id: str, notify: Notify) -> None:
        """Call ``notify(record)`` on every status change of the message until it is final."""
        shared = self._shared
        last, callbacks = shared.watched.setdefault(message_id, (None, []))
        # Providers stop reporting after a few days; so do we, or the watch list only grows.
        shared.watch_until[message_id] = time.monotonic() + WATCH_FOR
        callbacks.append(notify)
        if shared.watch_task is None or shared.watch_task.done():
            shared.watch_task = asyncio.get_running_loop().create_task(self._watch_loop())

    async def _watch_loop(self) -> None:
        shared = self._shared
        while shared.watched:
            await asyncio.sleep(self.poll_interval)
            for message_id in list(shared.watched):
                last, callbacks = shared.watched[message_id]
                try:
                    record = await self.record(message_id)
                except Exception:
                    log.exception("watching %s failed", message_id)
                    continue
                if record.status != last:
                    shared.watched[message_id] = (record.status, callbacks)
                    first = await self._in_thread(self._first_to_notice, message_id, record.status)
                    for notify in callbacks if first else ():
                        token = _notifying.set(message_id)
                        try:
                            result = notify(record)
                            if inspect.isawaitable(result):
                                await result
                        except Exception:
                            log.exception("status callback for %s failed", message_id)
                        finally:
                            _notifying.reset(token)
                if record.status.final or time.monotonic() > shared.watch_until.get(message_id, 0):
                    shared.watched.pop(message_id, None)
                    shared.watch_until.pop(message_id, None)

    def _first_to_notice(self, message_id: str, status: Status) -> bool:
        """Issue 13: gateways sharing a journal may all watch one message (a create retried
        through another process): the first to claim this change (the n-th time the
        message reached ``status``) notifies, the others stay silent."""
        claim = getattr(self.bridge.journal, "claim_notice", None)
        if claim is None:
            return True
        times = sum(1 for event in self.bridge.journal.events(message_id) if event.status is status)
        return bool(claim(message_id, f"{status.value}#{times}"))

    async def post_callback(self, url: str, *, data: Any = None, json: Any = None, method: str = "POST",
                            headers: Mapping[str, str] | None = None) -> int | None:
        """Deliver one webhook; returns the HTTP status, or ``None`` if it could not be sent.

        Never raises: a caller's broken webhook endpoint must not affect sending.
        """
        shared = self._shared

        def post() -> int | None:
            import requests

            if shared.session is None:
                shared.session = requests.Session()
            try:
                kwargs: dict[str, Any] = {"headers": dict(headers or {}), "timeout": 5}
                if method.upper() == "GET":
                    kwargs["params"] = data
                else:
                    kwargs["data"] = data
                    kwargs["json"] = json
                status: int = shared.session.request(method.upper(), url, **kwargs).status_code
                return status
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
        """Answer errors under ``prefix`` (404, 405, 413, 429, unexpected 500s) with ``render``."""
        renderers = self._shared.renderers
        renderers.append((prefix, render))
        renderers.sort(key=lambda item: -len(item[0]))

    def render_error(self, request: Request, status: int, detail: str) -> Response:
        for prefix, render in self._shared.renderers:
            if request.url.path.startswith(prefix):
                try:
                    return render(request, status, detail)
                except Exception:
                    log.exception("error renderer for %s failed", prefix)
                    break
        return JSONResponse({"error": detail, "status": status}, status_code=status)

    def base_url(self, request: Request) -> str:
        """Where callers reach this gateway (no trailing slash).

        ``gateway.public_url`` when configured.  Otherwise the address this server
        listens on — or the request's Host when it names this machine (``localhost``,
        a loopback address, the listening address): a caller-controlled Host never
        points a client (a WSDL's ``soap:address``) at another server.
        """
        if self.public_url:
            return self.public_url
        scheme = request.url.scheme
        server = request.scope.get("server") or ("127.0.0.1", 80)
        listening = str(server[0])
        given = request.url.hostname or ""
        if given in ("localhost", "127.0.0.1", "::1", listening) and (request.url.port or 0) in (0, server[1]):
            host = f"[{given}]" if ":" in given else given
        else:
            host = f"[{listening}]" if ":" in listening else listening
        return f"{scheme}://{host}:{server[1]}"

    async def dispatch_loop(self) -> None:
        """Send due scheduled messages every ``gateway.dispatch_interval`` seconds (default
        1; the journal claims each one, so several gateways on one store send it once)."""
        interval = float((self.bridge.config.gateway or {}).get("dispatch_interval", 1.0))
        while True:
            try:
                for result in await self._in_thread(self.bridge.dispatch):
                    if isinstance(result, Exception):
                        log.warning("scheduled message %s failed: %s", getattr(result, "message_id", "?"), result)
            except Exception:
                log.exception("dispatching scheduled messages failed")
            await asyncio.sleep(interval)

    async def aclose(self) -> None:
        shared = self._shared
        if shared.watch_task is not None:
            shared.watch_task.cancel()
        if shared.session is not None:
            shared.session.close()


_RETRIES = 4  # times a store call tries the loop, waiting for a thread call between tries (Gateway._store)


class _IndexedRouter(Router):
    """Starlette's router, trying first only the routes that can match the path's first segment.

    Why: every face adds its routes, ~50 in all, and Starlette tries them in order with a
    regex each; a Twilio create was the 41st (issue 18: ~1 µs a route).  A route whose
    path starts with a literal segment (``/2010-04-01/…``) can only match paths starting
    with that segment, so the routes tried are that segment's plus those starting with a
    parameter, in their original order: the first full match is the one Starlette's own
    loop would find.  Anything else (no full match: a 405 partial, a slash redirect, a
    404) goes through Starlette's loop unchanged.  The index follows ``routes`` if the
    list is changed later.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index: dict[str, list[BaseRoute]] = {}
        self._anywhere: list[BaseRoute] = []
        self._indexed: tuple[int, int, int] = (0, -1, 0)

    def _candidates(self, path: str) -> list[BaseRoute]:
        routes = self.routes
        key = (id(routes), len(routes), id(routes[-1]) if routes else 0)
        if key != self._indexed:
            segments = [_first_segment(getattr(route, "path", None)) for route in routes]
            index: dict[str, list[BaseRoute]] = {}
            for segment in segments:
                if segment is not None and segment not in index:
                    index[segment] = [r for r, s in zip(routes, segments, strict=True) if s is None or s == segment]
            self._index, self._indexed = index, key
            self._anywhere = [r for r, s in zip(routes, segments, strict=True) if s is None]
        segment = path[1:].split("/", 1)[0] if path.startswith("/") else None
        return self._index.get(segment, self._anywhere) if segment is not None else self._anywhere

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self._candidates(get_route_path(scope)):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    if "router" not in scope:
                        scope["router"] = self
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


def _first_segment(path: Any) -> str | None:
    """A route path's literal first segment (``"sms"`` for ``/sms/3/messages``), or ``None``
    when the route may match any path (it starts with a parameter, or has no path)."""
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    segment = path[1:].split("/", 1)[0]
    return None if "{" in segment or not segment else segment


def _never_blocks(bridge: Bridge) -> bool:
    """Can store calls run on the event loop at all? (:meth:`Bridge.never_blocks`; the
    sandbox inbox calls this again after changing a simulator's latency.)"""
    return bridge.never_blocks()


def _secret_keys() -> dict[str, frozenset[str]]:
    """Per face, the credential keys that are secrets (never used to name a claimed client)."""
    out = {}
    for name, reg in plugins.registry().http_shims.items():
        specs = reg.extra.get("clients") or {}
        out[name] = frozenset(k for k, spec in specs.items() if getattr(spec, "secret", False))
    return out


def create_app(config: str | os.PathLike[str] | Mapping[str, Any] | Bridge | None = None, *,
               access_log: str | None = None) -> Starlette:
    """The gateway as an ASGI app, for any ASGI server or process manager (SPEC §9).

    ``config`` is a YAML path, a config mapping, a :class:`~smsbridge.Bridge`, or ``None``
    for ``$SMSBRIDGE_CONFIG`` (else ``./smsbridge.yaml``), so the factory also works bare::

        uvicorn --factory smsbridge.gateway:create_app --workers 4
        gunicorn -k uvicorn.workers.UvicornWorker 'smsbridge.gateway:create_app()'

    Each process builds its own Bridge; with a shared ``store`` (PostgreSQL for several
    hosts) they act as one gateway (docs/scaling.md).  A Bridge made here is closed when the
    app shuts down; one passed in stays the caller's.  ``access_log`` is as for ``serve``
    (``$SMSBRIDGE_ACCESS_LOG`` when not given, which is how ``serve --workers`` passes it on).
    """
    from ..bridge import Bridge

    owned = not isinstance(config, Bridge)
    if isinstance(config, Bridge):
        bridge = config
    elif isinstance(config, Mapping):
        bridge = Bridge.from_dict(config)
    else:
        bridge = Bridge.from_config(config)
    if access_log is None:
        access_log = os.environ.get("SMSBRIDGE_ACCESS_LOG") or None
    app = build_app(bridge, access_log=access_log, close_bridge=owned)
    return app


def build_app(bridge: Bridge, *, faces: list[str] | None = None, access_log: str | None = None,
              access_log_stream: Any = None, close_bridge: bool = False) -> Starlette:
    """The ASGI app serving every installed face (or only ``faces``); ``access_log``:
    ``"common"`` or ``"json"`` lines to ``access_log_stream`` (default stderr)."""
    gateway = Gateway(bridge)
    routes: list[BaseRoute] = []
    from .inbox import inbox_routes  # issue 14: /ui and /api/v1, when the config has a sandbox

    routes.extend(inbox_routes(gateway))  # before the faces' views are made: they share gateway.inbox
    registry = plugins.registry()
    for name, reg in sorted(registry.http_shims.items()):
        if faces is not None and name not in faces:
            continue
        factory = reg.load()
        routes.extend(factory(gateway.for_face(name)))

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
        dispatcher = asyncio.get_running_loop().create_task(gateway.dispatch_loop())
        yield
        dispatcher.cancel()
        inbox = getattr(gateway, "inbox", None)
        if inbox is not None:
            await inbox.aclose()
        await gateway.aclose()
        if close_bridge:
            await run_in_threadpool(bridge.close)

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, BadRequest: bad_request,
                                                       Exception: crashed}, lifespan=lifespan)
    app.router = _IndexedRouter(routes, lifespan=lifespan)  # before the middleware stack is built (first call)
    app.state.gateway = gateway
    app.state.max_body = gateway.max_body
    app.state.body_timeout = float((bridge.config.gateway or {}).get("body_timeout", DEFAULT_BODY_TIMEOUT))
    app.add_middleware(chaos.GatewayMiddleware, gateway=gateway)
    if access_log:
        from .access_log import AccessLogMiddleware

        app.add_middleware(AccessLogMiddleware, fmt=access_log, stream=access_log_stream)
    return app
