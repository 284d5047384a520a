"""Running the gateway on uvicorn: in the foreground (``smsbridge serve``) or in a thread.

:func:`run_in_thread` is what the project's tests and benchmarks use to get a real
server on 127.0.0.1 — and what users' own tests can use as a local simpleSMS / Twilio /
… simulator with the sandbox backend.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import click
import uvicorn

from .app import build_app

__all__ = ["serve", "run_in_thread", "RunningServer"]


def _bridge(bridge_or_config: Any) -> Any:
    from ..bridge import Bridge

    if isinstance(bridge_or_config, Bridge):
        return bridge_or_config
    if isinstance(bridge_or_config, Mapping):
        return Bridge.from_dict(bridge_or_config)
    return Bridge.from_config(bridge_or_config)


def serve(bridge: Any, *, host: str = "127.0.0.1", port: int = 8080, certfile: str | None = None,
          keyfile: str | None = None, self_signed: bool = False, access_log: str | None = None) -> None:
    """Serve until interrupted (the ``smsbridge serve`` command); ``access_log``: ``"common"``
    or ``"json"`` lines on stderr (:mod:`.access_log`)."""
    if self_signed:
        from .tls import self_signed as make_cert

        certfile, keyfile = make_cert()
        click.echo(f"TLS certificate: {certfile} (trust it with REQUESTS_CA_BUNDLE={certfile})", err=True)
    app = build_app(bridge, access_log=access_log)
    scheme = "https" if certfile else "http"
    click.echo(f"smsbridge gateway on {scheme}://{host}:{port} (faces: "
               f"{', '.join(sorted(_faces()))})", err=True)
    if getattr(app.state.gateway, "inbox", None) is not None:
        click.echo(f"sandbox inbox: {scheme}://{host}:{port}/ui", err=True)
    # Bounded graceful shutdown: with TLS, uvicorn would otherwise wait for idle keep-alive
    # connections forever after SIGTERM.
    uvicorn.run(app, host=host, port=port, ssl_certfile=certfile, ssl_keyfile=keyfile, log_level="warning",
                access_log=False, timeout_graceful_shutdown=5)


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

    def stop(self) -> None:
        if self._server is not None:
            gateway = getattr(getattr(self._server.config.app, "state", None), "gateway", None)
            inbox = getattr(gateway, "inbox", None)
            if inbox is not None:
                inbox.end_streams()  # open event streams would hold up the shutdown
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

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
    certfile = keyfile = None
    if tls == "self-signed":
        from .tls import self_signed as make_cert

        certfile, keyfile = make_cert()
    if port == 0:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    # A bounded graceful shutdown: with TLS, uvicorn otherwise waits for idle keep-alive
    # connections forever and stop() would hang.
    uvicorn_options.setdefault("timeout_graceful_shutdown", 1)
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
                         _server=server, _thread=thread)
