"""Running the gateway on uvicorn: in the foreground (``smsbridge serve``) or in a thread.

:func:`run_in_thread` is what the project's tests and benchmarks use to get a real
server on 127.0.0.1 — and what users' own tests can use as a local simpleSMS / Twilio /
… simulator with the sandbox backend.
"""
from __future__ import annotations

import asyncio
import errno
import gc
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import click
import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import build_app

__all__ = ["serve", "run_in_thread", "RunningServer"]


def _bridge(bridge_or_config: Any) -> Any:
    from ..bridge import Bridge

    if isinstance(bridge_or_config, Bridge):
        return bridge_or_config
    if isinstance(bridge_or_config, Mapping):
        return Bridge.from_dict(bridge_or_config)
    return Bridge.from_config(bridge_or_config)


DEFAULTS = {"header_timeout": 10.0, "body_timeout": 30.0, "keep_alive": 5.0, "max_connections": 1000}
"""Connection limits (``gateway.<key>`` overrides): seconds to send a request's headers,
seconds to send its body, seconds an idle keep-alive connection stays open, and
connections (plus requests in progress) at once before new ones get a 503."""


class _HeaderDeadline:
    """The header deadline both protocols share: armed when a connection opens and after
    every reply, disarmed once a request head is complete; a connection that is still
    :meth:`_idle` when it fires is closed.  Mixed in before uvicorn's protocol class."""

    header_timeout = DEFAULTS["header_timeout"]
    _head_timer: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: Any

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_overdue)

    def _disarm(self) -> None:
        timer = self._head_timer
        if timer is not None:
            timer.cancel()
            self._head_timer = None

    def _idle(self) -> bool:
        """No request head in progress (and nothing being answered)."""
        raise NotImplementedError

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self._idle() and not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]


class _Protocol(_HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol with a header deadline: a connection that has not sent a
    complete request head within ``header_timeout`` seconds of connecting (or of its
    previous reply) is closed — a slow-loris client holds a connection for seconds, not
    forever.  (uvicorn's own keep-alive timeout only runs between requests.)"""

    def _idle(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the head is complete; the app's body_timeout takes over


_MAX_HEAD = 16 * 1024  # bytes of request head, as h11_max_incomplete_event_size below


try:  # the `fast` extra (pip install 'smsbridge[fast]')
    import httptools  # noqa: F401
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    _HAVE_HTTPTOOLS = True
except ImportError:  # pragma: no cover - without the extra
    _HAVE_HTTPTOOLS = False

_FAST_PROTOCOL: type[Any] | None = None
if _HAVE_HTTPTOOLS:
    # Module level (not built in a function): ``serve --workers`` pickles the protocol
    # class into its worker processes.
    class _FastProtocol(_HeaderDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol with the same header deadline as :class:`_Protocol`
        (``serve`` uses it when httptools is installed: ``pip install 'smsbridge[fast]'``).

        httptools (llhttp, C) parses a request in a few microseconds where h11 takes ~100 µs
        (issue 18).  The deadline works the same way: armed when the connection opens and after
        every reply, disarmed once a request head is complete (``on_headers_complete``); a
        connection still without a complete head when it fires is closed.  The head's *size*
        is bounded here too: llhttp itself accepts headers of any size and
        ``h11_max_incomplete_event_size`` applies to h11 only, so a head still incomplete after
        more than :data:`_MAX_HEAD` bytes gets a 431 and the connection is closed (at most one
        more read, 64 KiB, is buffered past the limit).
        """

        _head_bytes = 0

        def _arm(self) -> None:
            super()._arm()
            self._head_bytes = 0

        _reading_body = False  # between a head's end and its message's end (the body may outlive the reply)

        def data_received(self, data: bytes) -> None:
            waiting = self._head_timer is not None and not self._reading_body
            super().data_received(data)
            if waiting and self._head_timer is not None and not self._reading_body:  # still no complete head
                self._head_bytes += len(data)
                if self._head_bytes > _MAX_HEAD and not self.transport.is_closing():
                    self._disarm()
                    self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n"
                                         b"connection: close\r\n\r\n")
                    self.transport.close()

        def _idle(self) -> bool:
            return (self.cycle is None or self.cycle.response_complete) and not self.pipeline \
                and not self._reading_body

        def on_headers_complete(self) -> None:
            self._disarm()  # the head is complete; the app's body_timeout takes over
            self._reading_body = True
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._reading_body = False
            super().on_message_complete()
            if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
                self._arm()  # answered before its body was all in (a 413): the next head's deadline

    _FAST_PROTOCOL = _FastProtocol


def http_implementation() -> str:
    """``"httptools"`` when the ``fast`` extra is installed (and ``SMSBRIDGE_HTTP`` is not
    ``h11``), else ``"h11"``: what :func:`limits` hands uvicorn."""
    if _FAST_PROTOCOL is not None and os.environ.get("SMSBRIDGE_HTTP", "").lower() != "h11":
        return "httptools"
    return "h11"


def limits(gateway_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """uvicorn options for the configured connection limits (see :data:`DEFAULTS`), on the
    fastest HTTP implementation installed (:func:`http_implementation`)."""
    options = {**DEFAULTS, **{k: v for k, v in (gateway_options or {}).items() if k in DEFAULTS}}
    base = _FAST_PROTOCOL if http_implementation() == "httptools" else _Protocol
    assert base is not None
    protocol = type("GatewayHttpProtocol", (base,), {"header_timeout": float(options["header_timeout"])})
    return {"http": protocol, "timeout_keep_alive": float(options["keep_alive"]),
            "limit_concurrency": int(options["max_connections"]),
            "h11_max_incomplete_event_size": _MAX_HEAD}


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or a :class:`ConfigError` saying why not."""
    from ..errors import ConfigError

    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be between 1 and 65535, not {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = "the port is already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.setblocking(False)
    return sock


_WORKER_CONFIG = "SMSBRIDGE_SERVE_CONFIG"
_WORKER_STORE = "SMSBRIDGE_SERVE_STORE"
_WORKER_HEADER_TIMEOUT = "SMSBRIDGE_SERVE_HEADER_TIMEOUT"


def worker_app() -> Any:
    """The app of one ``serve --workers`` process (an ASGI factory uvicorn imports by name).

    ``serve`` hands its workers the config path, the journal it resolved (the CLI's
    per-user default included) and the header deadline through the environment: each
    worker builds its own Bridge on that shared store.
    """
    from .. import config as config_mod
    from ..bridge import Bridge
    from .app import create_app

    cfg = config_mod.load(os.environ.get(_WORKER_CONFIG) or None)
    if cfg.store is None and os.environ.get(_WORKER_STORE):
        cfg.store = os.environ[_WORKER_STORE]
    _Protocol.header_timeout = float(os.environ.get(_WORKER_HEADER_TIMEOUT, DEFAULTS["header_timeout"]))
    if _FAST_PROTOCOL is not None:
        _FAST_PROTOCOL.header_timeout = _Protocol.header_timeout
    app = create_app(Bridge(cfg))
    _freeze_startup_heap()
    return app


def _freeze_startup_heap() -> None:
    """Move everything allocated so far (modules, config, the app) out of the garbage
    collector's reach (:func:`gc.freeze`), for a process that only serves from now on.

    Why: every full collection otherwise walks those long-lived objects again; under load
    that is ~3% of a gateway request's CPU (issue 18, ``docs/performance.md``).  Only the
    ``serve`` processes call it: objects frozen here stay for the process's life, which is
    what a server's start-up objects do anyway.
    """
    gc.collect()
    gc.freeze()


def _serve_workers(bridge: Any, sock: socket.socket, workers: int, certfile: str | None, keyfile: str | None,
                   access_log: str | None) -> None:
    """``serve --workers N``: uvicorn's supervisor runs N processes on the one bound socket."""
    from uvicorn.supervisors import Multiprocess

    from ..errors import ConfigError

    store = bridge.config.store
    if not store or store == ":memory:":
        raise ConfigError("serve --workers needs a shared journal: set store: to a file or a postgresql:// URL"
                          " (each worker would otherwise keep its own messages in memory)", path="store")
    options = limits(bridge.config.gateway)
    os.environ[_WORKER_CONFIG] = os.path.abspath(bridge.config.source) if bridge.config.source else ""
    os.environ[_WORKER_STORE] = str(store)
    protocol: Any = options.pop("http")
    os.environ[_WORKER_HEADER_TIMEOUT] = str(protocol.header_timeout)
    if access_log:
        os.environ["SMSBRIDGE_ACCESS_LOG"] = access_log
    config = uvicorn.Config("smsbridge.gateway.server:worker_app", factory=True, workers=workers,
                            ssl_certfile=certfile, ssl_keyfile=keyfile, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=5,
                            http=protocol.__mro__[1], **options)  # the module-level class: it is pickled
    import inspect

    if "target" in inspect.signature(Multiprocess).parameters:  # uvicorn < 0.50 names the target
        Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock]).run()  # type: ignore[call-arg]
    else:
        Multiprocess(config, sockets=[sock]).run()


def serve(bridge: Any, *, host: str = "127.0.0.1", port: int = 8080, certfile: str | None = None,
          keyfile: str | None = None, self_signed: bool = False, tls_dir: str | None = None,
          access_log: str | None = None, workers: int = 1) -> None:
    """Serve until interrupted (the ``smsbridge serve`` command); ``access_log``: ``"common"``
    or ``"json"`` lines on stderr (:mod:`.access_log`).

    The port is bound before anything is printed: a busy or invalid port is one
    :class:`ConfigError` line, not a banner followed by a server error.  With
    ``self_signed`` the certificate and key are written to ``tls_dir`` (kept: a 0700
    directory, the key 0600) or to a fresh temporary directory that is removed on exit.
    """
    sock = listen(host, port)
    made_dir: str | None = None
    try:
        if workers > 1 and not bridge.config.store:
            from ..errors import ConfigError

            raise ConfigError("serve --workers needs a shared journal: set store: to a file or a postgresql://"
                              " URL", path="store")
        app = build_app(bridge, access_log=access_log)
        if self_signed:
            from .tls import self_signed as make_cert

            if tls_dir is None:
                made_dir = tempfile.mkdtemp(prefix="smsbridge-tls-")
            certfile, keyfile = make_cert(tls_dir or made_dir)
            click.echo(f"TLS certificate: {certfile} (trust it with REQUESTS_CA_BUNDLE={certfile})", err=True)
        gateway = app.state.gateway
        if not gateway.clients:
            click.echo("warning: no gateway.clients are configured: every request will be refused (401)", err=True)
        if str(bridge.config.store or ":memory:") == ":memory:":  # issue 18: RSS grows with every message
            click.echo("warning: the journal is in memory (no store: file): every message stays in this process's"
                       " memory until it exits (about 1-1.5 KiB each) and is lost on restart; set store: to a file"
                       " or a postgresql:// URL for a long-running gateway", err=True)
        scheme = "https" if certfile else "http"
        click.echo(f"smsbridge gateway on {scheme}://{host}:{sock.getsockname()[1]} (faces: "
                   f"{', '.join(sorted(_faces()))})", err=True)
        if getattr(gateway, "inbox", None) is not None:
            click.echo(f"sandbox inbox: {scheme}://{host}:{sock.getsockname()[1]}/ui", err=True)
        if workers > 1:
            from ..redaction import redact

            click.echo(f"{workers} worker processes on journal {redact(str(bridge.config.store))}", err=True)
            _serve_workers(bridge, sock, workers, certfile, keyfile, access_log)
            return
        # Bounded graceful shutdown: with TLS, uvicorn would otherwise wait for idle keep-alive
        # connections forever after SIGTERM.
        config = uvicorn.Config(app, ssl_certfile=certfile, ssl_keyfile=keyfile, log_level="warning",
                                access_log=False, timeout_graceful_shutdown=5, **limits(bridge.config.gateway))
        server = uvicorn.Server(config)
        _end_streams_on_exit(server, app)
        _freeze_startup_heap()
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled; as uvicorn.run, end quietly
            pass
    finally:
        sock.close()
        if made_dir is not None:
            shutil.rmtree(made_dir, ignore_errors=True)


def _end_streams_on_exit(server: Any, app: Any) -> None:
    """On Ctrl-C / SIGTERM, end the inbox's open event streams at once: uvicorn would
    otherwise wait out its graceful timeout for every browser tab left open."""
    original = server.handle_exit

    def handle_exit(sig: int, frame: Any) -> None:
        inbox = getattr(getattr(app.state, "gateway", None), "inbox", None)
        if inbox is not None:
            inbox.end_streams()
        original(sig, frame)
    server.handle_exit = handle_exit


def _faces() -> list[str]:
    from .. import plugins

    return list(plugins.registry().http_shims)


@dataclass
class RunningServer:
    """A gateway running in a background thread. ``url`` has no trailing slash."""

    url: str
    host: str
    port: int
    bridge: Any
    cafile: str | None = None
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _tls_dir: str | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self._server is not None:
            gateway = getattr(getattr(self._server.config.app, "state", None), "gateway", None)
            inbox = getattr(gateway, "inbox", None)
            if inbox is not None:
                inbox.end_streams()  # open event streams would hold up the shutdown
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(bridge_or_config: Any, *, host: str = "127.0.0.1", port: int = 0, tls: str | None = None,
                  faces: list[str] | None = None, access_log: str | None = None, access_log_stream: Any = None,
                  **uvicorn_options: Any) -> RunningServer:
    """Start the gateway in a daemon thread; returns once it accepts connections.

    ``bridge_or_config`` is a Bridge, a config mapping or a config path; ``port=0`` picks
    a free port; ``tls="self-signed"`` serves HTTPS with a generated certificate
    (``RunningServer.cafile``).
    """
    bridge = _bridge(bridge_or_config)
    certfile = keyfile = tls_dir = None
    if tls == "self-signed":
        from .tls import self_signed as make_cert

        tls_dir = tempfile.mkdtemp(prefix="smsbridge-tls-")
        certfile, keyfile = make_cert(tls_dir)
    if port == 0:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    # A bounded graceful shutdown: with TLS, uvicorn otherwise waits for idle keep-alive
    # connections forever and stop() would hang.
    uvicorn_options.setdefault("timeout_graceful_shutdown", 1)
    for key, value in limits(bridge.config.gateway).items():
        uvicorn_options.setdefault(key, value)
    app = build_app(bridge, faces=faces, access_log=access_log, access_log_stream=access_log_stream)
    config = uvicorn.Config(app, host=host, port=port, ssl_certfile=certfile,
                            ssl_keyfile=keyfile, log_level="warning", access_log=False, lifespan="on",
                            **uvicorn_options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"smsbridge-gateway-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the gateway did not start on {host}:{port}")
        time.sleep(0.01)
    scheme = "https" if certfile else "http"
    return RunningServer(url=f"{scheme}://{host}:{port}", host=host, port=port, bridge=bridge, cafile=certfile,
                         _server=server, _thread=thread, _tls_dir=tls_dir)
