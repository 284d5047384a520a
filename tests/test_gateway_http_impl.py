"""The gateway's two HTTP implementations (issue 18): h11, and httptools from the ``fast``
extra, which ``serve`` prefers when installed.  Both keep the connection limits: a
request head not complete within ``header_timeout`` closes the connection, and an
oversized head is refused.  Behaviour and bytes only, no timing beyond the deadline rule.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from smsbridge.gateway import server as server_mod
from smsbridge.gateway.server import run_in_thread

CONFIG = {"backends": {"s": {"plugin": "sandbox"}}, "gateway": {"header_timeout": 0.5}}


def _need_httptools() -> None:
    if server_mod._FAST_PROTOCOL is None:
        if os.environ.get("CI") == "true":
            pytest.fail("httptools is not installed (pip install '.[fast]')")
        pytest.skip("httptools is not installed (pip install '.[fast]')")


@pytest.fixture(params=["h11", "httptools"])
def gateway(request: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if request.param == "httptools":
        _need_httptools()
        monkeypatch.delenv("SMSBRIDGE_HTTP", raising=False)
    else:
        monkeypatch.setenv("SMSBRIDGE_HTTP", "h11")
    assert server_mod.http_implementation() == request.param
    running = run_in_thread(CONFIG)
    try:
        yield running
    finally:
        running.stop()


def test_serve_prefers_httptools_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    _need_httptools()
    monkeypatch.delenv("SMSBRIDGE_HTTP", raising=False)
    options = server_mod.limits({"header_timeout": 3})
    assert issubclass(options["http"], server_mod._FAST_PROTOCOL)  # type: ignore[arg-type]
    assert options["http"].header_timeout == 3.0
    monkeypatch.setenv("SMSBRIDGE_HTTP", "h11")
    assert issubclass(server_mod.limits({})["http"], server_mod._Protocol)


def test_requests_are_answered(gateway: Any) -> None:
    with requests.Session() as session:
        for _ in range(3):  # keep-alive: the deadline re-arms after each reply without closing
            assert session.get(gateway.url + "/_smsbridge/health", timeout=5).status_code == 200


def test_incomplete_head_is_closed_at_the_deadline(gateway: Any) -> None:
    with socket.create_connection((gateway.host, gateway.port)) as sock:
        sock.sendall(b"GET /_smsbridge/health HTTP/1.1\r\nHost: x\r\n")  # never ends the head
        sock.settimeout(10)  # generous: the rule is "closed", 0.5 s is the configured deadline
        assert sock.recv(100) == b""


def test_oversized_head_is_refused(gateway: Any) -> None:
    """A 1 MB head never reaches the app: 431 (httptools) / 400 (h11), then the connection ends."""
    with socket.create_connection((gateway.host, gateway.port)) as sock:
        sock.settimeout(10)
        try:
            sock.sendall(b"GET /_smsbridge/health HTTP/1.1\r\nHost: x\r\n")
            for _ in range(64):
                sock.sendall(b"X-Filler: " + b"a" * 16_000 + b"\r\n")
            sock.sendall(b"\r\n")
        except OSError:  # closed (reset) while still uploading: refused
            return
        reply = b""
        try:
            while chunk := sock.recv(4096):
                reply += chunk
        except OSError:
            pass
        assert reply == b"" or reply.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400")), reply[:80]


def _serve_banner(tmp_path: Any, store: str) -> str:
    """``smsbridge serve``'s stderr up to its "gateway on" banner (then Ctrl-C)."""
    import signal
    import subprocess
    import sys

    config = tmp_path / "gw.yaml"
    config.write_text(f"backends:\n  s: {{plugin: sandbox}}\nstore: {store!r}\n"
                      "gateway:\n  clients:\n    app:\n      twilio: {account_sid: AC1, auth_token: t}\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "smsbridge.cli", "--config", str(config), "serve", "--port",
                             str(port)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={k: v for k, v in os.environ.items() if k != "SMSBRIDGE_CONFIG"})
    lines = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "smsbridge gateway on" in line:
                break
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    return "".join(lines)


def test_serve_warns_about_an_in_memory_journal(tmp_path: Any) -> None:
    err = _serve_banner(tmp_path, ":memory:")
    assert "warning: the journal is in memory" in err and "store:" in err, err
    assert "journal is in memory" not in _serve_banner(tmp_path, str(tmp_path / "journal.sqlite3"))
