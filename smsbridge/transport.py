"""HTTP for backends: one pooled ``requests.Session``, the SPEC §7 failure rules, a
whole-request deadline and a reply size cap.

The one question every failed request must answer is *could the provider have accepted
the message?*  It is answered here, once, for every backend (issue 11), from what the
connection did rather than from which exception class ``requests`` chose:

- nothing left: refused, DNS failure, connect timeout, TLS handshake failure, a proxy
  that would not connect — no request byte was written → :class:`ProviderUnavailable`
  (safe to fail over);
- request bytes may have left, then anything went wrong — the reply timed out, was reset,
  cut short, trickled past the deadline, was larger than ``max_reply_bytes``, or its TLS
  stream broke (a bad record MAC while reading the reply) → :class:`DeliveryUnknown` for a
  send (``sending=True``), :class:`ProviderUnavailable` for look-ups, which change nothing.

"Left" is recorded by the connection itself: the urllib3 connection classes below mark
the thread's request as sent just before the first request byte is written (a proxy's
``CONNECT`` does not count).  Both errors carry ``transport=True``: no provider answer
was read.  HTTP error statuses are returned, not raised; what a 5xx to a send means is
decided by :func:`smsbridge.backend_http.send_reply_error`.

**Deadline.**  ``timeout`` bounds the whole request — connect, write, headers and body —
not each socket read: a reply trickled one byte at a time cannot hold a send longer than
about ``timeout``.  A single watchdog thread shuts down the socket of a request that
outlives its deadline (one heap push per request; no thread per request).

**Size cap.**  The body is read in chunks and refused past ``max_reply_bytes`` (a larger
``Content-Length`` is refused before reading), so a 50 MB reply costs no 50 MB.

**Per-process work once** (issue 18).  ``requests`` merges the environment (proxies, CA
bundle, netrc) on every request, scanning ``os.environ``; here ``trust_env`` is off and
the same settings, computed by ``requests``' own rules, are resolved once per host — for
``base_url`` when the transport is built — and passed explicitly.  A backend's own
``verify:`` (``false`` or a CA path) wins over ``$REQUESTS_CA_BUNDLE``/``$CURL_CA_BUNDLE``
(psf/requests#3829); ``verify: true`` (the default) lets them apply, as requests does.

urllib3's retries are switched off (``max_retries=0``): a library that silently re-sends a
POST after a reset is how double SMS happen.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from .errors import DeliveryUnknown, ProviderUnavailable, redact

__all__ = ["HttpTransport", "DEFAULT_MAX_REPLY_BYTES"]

log = logging.getLogger("smsbridge.transport")

DEFAULT_MAX_REPLY_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


# -- the watchdog: one thread enforcing every request's deadline -----------------------------------

class _Watch:
    """One socket watched until ``deadline``; ``fired`` once the watchdog shut it down."""

    __slots__ = ("sock", "deadline", "done", "fired")

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.done = False
        self.fired = False


class _Watchdog:
    """Shuts down sockets whose request outlived its deadline.

    Shutting the socket down (not closing it: the reading thread still owns the file
    descriptor) makes a blocked ``recv`` return at once, so the reading thread raises
    and classifies the failure itself.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, deadline: float) -> _Watch:
        entry = _Watch(sock, deadline)
        with self._cond:
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (deadline, next(self._seq), entry))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="smsbridge-deadlines", daemon=True)
                self._thread.start()
            elif earliest is None or deadline < earliest:
                self._cond.notify()
        return entry

    def unwatch(self, entry: _Watch) -> None:
        with self._cond:
            entry.done = True

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                    _, _, entry = heapq.heappop(self._heap)
                    if not entry.done:
                        entry.fired = True
                        try:  # the plain socket's shutdown, also for an SSLSocket
                            socket.socket.shutdown(entry.sock, socket.SHUT_RDWR)
                        except OSError:
                            pass
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


_WATCHDOG = _Watchdog()


class _RequestState(threading.local):
    """What this thread's current request did: written yet? watched sockets?"""

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.sent = False
        self.watches: list[_Watch] = []

    def begin(self, deadline: float) -> None:
        self.deadline = deadline
        self.sent = False
        self.watches = []

    def mark_sent(self, sock: Any) -> None:
        self.sent = True
        if self.deadline is not None and sock is not None and not any(w.sock is sock for w in self.watches):
            self.watches.append(_WATCHDOG.watch(sock, self.deadline))

    @property
    def expired(self) -> bool:
        return any(w.fired for w in self.watches)

    def end(self) -> None:
        for entry in self.watches:
            _WATCHDOG.unwatch(entry)
        self.deadline = None


_STATE = _RequestState()


class _MarksSent:
    """Mixin for urllib3 connections: mark the request sent before its first byte leaves."""

    _smsbridge_connecting = False

    def connect(self) -> None:
        self._smsbridge_connecting = True  # a proxy CONNECT inside is not the request
        try:
            super().connect()  # type: ignore[misc]
        finally:
            self._smsbridge_connecting = False

    def send(self, data: Any) -> None:
        if not self._smsbridge_connecting:
            if getattr(self, "sock", None) is None:
                self.connect()
            _STATE.mark_sent(getattr(self, "sock", None))
        super().send(data)  # type: ignore[misc]


class _HTTPConnection(_MarksSent, HTTPConnection):
    pass


class _HTTPSConnection(_MarksSent, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' adapter, with connections that report when the request left."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, PoolManager) and not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager


# -- the transport ---------------------------------------------------------------------------------

class HttpTransport:
    """A pooled session for one backend, raising smsbridge errors instead of requests'."""

    def __init__(self, backend: str, *, base_url: str, timeout: float = 10.0, verify: bool | str = True,
                 headers: dict[str, str] | None = None, auth: Any = None, pool_size: int = 64,
                 max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES) -> None:
        self.backend = backend
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.max_reply_bytes = max_reply_bytes
        self.verify = verify
        self.session = requests.Session()
        self.session.trust_env = False  # the environment is resolved once, in _settings_for
        adapter = _Adapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.verify = verify
        if headers:
            self.session.headers.update(headers)
        if auth is not None:
            self.session.auth = auth
        self._per_host: dict[tuple[str, str], dict[str, Any]] = {}
        self._env_lock = threading.Lock()
        if self.base_url.startswith(("http://", "https://")):
            self._settings_for(self.base_url)

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def _settings_for(self, url: str) -> dict[str, Any]:
        """Proxies, verify and netrc auth for ``url``'s host, by requests' own rules, once."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        found = self._per_host.get(key)
        if found is None:
            with self._env_lock:
                found = self._per_host.get(key)
                if found is None:
                    # netrc only for a backend without credentials of its own (auth or an
                    # Authorization header): requests would let netrc clobber an API key header.
                    own = self.session.auth is not None or "Authorization" in self.session.headers
                    found = _environment_settings(url, self.verify, want_netrc=not own)
                    self._per_host[key] = found
        return found

    def request(self, method: str, path: str, *, sending: bool = False, timeout: float | None = None,
                **kwargs: Any) -> requests.Response:
        """Send one request and read its whole reply within ``timeout`` (default: the
        backend's); map transport failures per the module docstring.

        The returned response's body is already read (``.content``/``.json()`` do no I/O).
        HTTP error statuses are returned, not raised: the provider's wire module decides
        what a 401 or a 200-with-``error: true`` means.
        """
        url = self.url(path) if not path.startswith(("http://", "https://")) else path
        budget = float(self.timeout if timeout is None else timeout)
        kwargs.pop("stream", None)
        try:
            settings = self._settings_for(url)
        except ValueError as exc:
            raise self._unavailable(url, redact(type(exc).__name__)) from None
        kwargs.setdefault("verify", settings["verify"])
        kwargs.setdefault("proxies", settings["proxies"])
        if settings["auth"] is not None and "auth" not in kwargs:
            kwargs["auth"] = settings["auth"]
        state = _STATE
        state.begin(time.monotonic() + budget)
        try:
            try:
                response = self.session.request(method, url, timeout=budget, stream=True, **kwargs)
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                    requests.exceptions.InvalidSchema) as exc:
                raise self._unavailable(url, _reason(exc)) from None
            except (requests.exceptions.RequestException, OSError) as exc:
                raise self._failed(url, exc, sending, budget) from None
            try:
                self._read_body(response, url, sending)
            except (requests.exceptions.RequestException, OSError) as exc:
                response.close()
                raise self._failed(url, exc, sending, budget) from None
            if state.expired:  # the deadline struck as the body ended (a close-delimited body)
                response.close()
                raise self._after_send(sending, f"no complete reply from {_where(url)} within {budget:g} s")
            return response
        finally:
            state.end()

    def _read_body(self, response: requests.Response, url: str, sending: bool) -> None:
        cap = self.max_reply_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > cap:
            response.close()
            raise self._after_send(sending, f"the reply from {_where(url)} declares {int(declared)} bytes, "
                                            f"more than max_reply_bytes ({cap})")
        chunks = []
        total = 0
        for chunk in response.iter_content(_CHUNK):
            total += len(chunk)
            if total > cap:
                response.close()
                raise self._after_send(sending, f"the reply from {_where(url)} is larger than "
                                                f"max_reply_bytes ({cap})")
            chunks.append(chunk)
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]

    def _failed(self, url: str, exc: BaseException, sending: bool, budget: float) -> Exception:
        state = _STATE
        if not state.sent or _never_connected(exc):
            if isinstance(exc, requests.exceptions.Timeout) or state.expired:
                return self._unavailable(url, f"no connection within {budget:g} s")
            return self._unavailable(url, _reason(exc))
        if state.expired or isinstance(exc, requests.exceptions.Timeout):
            return self._after_send(sending, f"no complete reply from {_where(url)} within {budget:g} s")
        if isinstance(exc, requests.exceptions.SSLError):
            return self._after_send(sending, f"the TLS stream from {_where(url)} broke after the request was "
                                             f"written: {_reason(exc)}")
        if isinstance(exc, requests.exceptions.ConnectionError):
            return self._after_send(sending, f"connection to {_where(url)} broke: {_reason(exc)}")
        return self._after_send(sending, f"bad reply from {_where(url)}: {_reason(exc)}")

    def _unavailable(self, url: str, reason: str) -> ProviderUnavailable:
        return ProviderUnavailable(f"could not connect to {_where(url)}: {reason}", backend=self.backend,
                                   transport=True)

    def _after_send(self, sending: bool, text: str) -> Exception:
        if sending:
            return DeliveryUnknown(text + "; the message may have been accepted, so it is not re-sent",
                                   backend=self.backend, transport=True)
        return ProviderUnavailable(text, backend=self.backend, transport=True)

    def close(self) -> None:
        self.session.close()


def _environment_settings(url: str, verify: bool | str, *, want_netrc: bool) -> dict[str, Any]:
    """What a default ``requests.Session`` would take from the environment for ``url``:
    proxies (``HTTP(S)_PROXY``/``ALL_PROXY`` minus ``NO_PROXY``), the CA bundle
    (``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, only when ``verify`` is True) and netrc
    credentials (``$NETRC`` or ``~/.netrc``) — computed by requests' own functions."""
    probe = requests.Session()
    try:
        merged = probe.merge_environment_settings(url, {}, None, verify, None)
    finally:
        probe.close()
    auth = requests.utils.get_netrc_auth(url) if want_netrc else None
    return {"proxies": merged["proxies"], "verify": merged["verify"], "auth": auth}


def _never_connected(exc: BaseException) -> bool:
    """True when urllib3 failed before connecting (refused, DNS, unreachable, proxy down)."""
    from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

    if isinstance(exc, requests.exceptions.ProxyError):
        return True
    reason: Any = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, NameResolutionError, ConnectionRefusedError))


def _where(url: str) -> str:
    """scheme://host:port only: paths and queries may hold credentials (Vonage GETs do)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}"


def _reason(exc: BaseException) -> str:
    """A short cause without the URL (urllib3 repeats the full URL, query included)."""
    inner: Any = exc
    while inner.args and isinstance(inner.args[0], BaseException):
        inner = inner.args[0]
    reason = getattr(inner, "reason", None)
    if isinstance(reason, BaseException):
        inner = reason
    text = str(inner)
    if "Connection refused" in text or isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    if "Name or service not known" in text or "Failed to resolve" in text or "nodename" in text:
        return "host name not found"
    if "reset" in text.lower():
        return "connection reset"
    if "RemoteDisconnected" in type(inner).__name__ or "closed connection" in text:
        return "the server closed the connection"
    if "BAD_RECORD_MAC" in text.upper() or "bad record mac" in text.lower():
        return "bad record MAC"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "certificate verify failed"
    return redact(type(inner).__name__)
