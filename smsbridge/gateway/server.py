"""Running the gateway on uvicorn: in the foreground (``smsbridge serve``) or in a thread.

:func:`run_in_thread` is what the project's tests and benchmarks use to get a real
server on 127.0.0.1 — and what users' own tests can use as a local simpleSMS / Twilio /
… simulator with the sandbox backend.
"""
from __future__ import annotations

import asyncio
import errno
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

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


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline: a connection that has not sent a
    complete request head within ``header_timeout`` seconds of connecting (or of its
    previous reply) is closed — a slow-loris client holds a connection for seconds, not
    forever.  (uvicorn's own keep-alive timeout only runs between requests.)"""

    header_timeout = DEFAULTS["header_timeout"]
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_overdue)

    def _disarm(self) -> None:
        timer = self._head_timer
        if timer is not None:
            timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the head is complete; the app's body_timeout takes over

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def limits(gateway_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """uvicorn options for the configured connection limits (see :data:`DEFAULTS`)."""
    options = {**DEFAULTS, **{k: v for k, v in (gateway_options or {}).items() if k in DEFAULTS}}
    protocol = type("GatewayH11Protocol", (_Protocol,), {"header_timeout": float(options["header_timeout"])})
    return {"http": protocol, "timeout_keep_alive": float(options["keep_alive"]),
            "limit_concurrency": int(options["max_connections"]),
            "h11_max_incomplete_event_size": 16 * 1024}


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


def serve(bridge: Any, *, host: str = "127.0.0.1", port: int = 8080, certfile: str | None = None,
          keyfile: str | None = None, self_signed: bool = False, tls_dir: str | None = None,
          access_log: str | None = None) -> None:
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
        scheme = "https" if certfile else "http"
        click.echo(f"smsbridge gateway on {scheme}://{host}:{sock.getsockname()[1]} (faces: "
                   f"{', '.join(sorted(_faces()))})", err=True)
        if getattr(gateway, "inbox", None) is not None:
            click.echo(f"sandbox inbox: {scheme}://{host}:{sock.getsockname()[1]}/ui", err=True)
        # Bounded graceful shutdown: with TLS, uvicorn would otherwise wait for idle keep-alive
        # connections forever after SIGTERM.
        config = uvicorn.Config(app, ssl_certfile=certfile, ssl_keyfile=keyfile, log_level="warning",
                                access_log=False, timeout_graceful_shutdown=5, **limits(bridge.config.gateway))
        server = uvicorn.Server(config)
        _end_streams_on_exit(server, app)
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

    def __enter__(self) -> "RunningServer":
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
