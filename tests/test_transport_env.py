"""The transport reads the environment once, as ``requests`` would (issue 18).

``HttpTransport`` turns ``trust_env`` off and resolves proxies, the CA bundle and netrc
when it is built.  Each test compares it with what a default ``requests`` call does in the
same environment, against real local servers: an HTTP proxy (absolute-URI forwarding and
``CONNECT`` tunnels) that counts what passes through it, a TLS server with a self-signed
CA, and a temporary netrc file.
"""
from __future__ import annotations

import base64
import json
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from smsbridge.errors import ProviderUnavailable
from smsbridge.transport import HttpTransport

ENV_KEYS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
            "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC")


class _Echo(BaseHTTPRequestHandler):
    """Answers every GET with what it saw: the path and the Authorization header."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        payload = json.dumps({"path": self.path, "authorization": self.headers.get("Authorization")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Proxy(BaseHTTPRequestHandler):
    """A forwarding HTTP proxy: absolute-URI GETs and CONNECT tunnels, each counted."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: ProxyServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        import http.client
        from urllib.parse import urlsplit

        with self.server.lock:
            self.server.forwarded.append(self.path)
        target = urlsplit(self.path)
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
        upstream.request("GET", target.path or "/", headers={k: v for k, v in self.headers.items()
                                                             if k.lower() not in ("proxy-connection", "connection")})
        reply = upstream.getresponse()
        payload = reply.read()
        upstream.close()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.getheader("Content-Type", "application/octet-stream"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_CONNECT(self) -> None:
        with self.server.lock:
            self.server.tunnels.append(self.path)
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=5)
        self.send_response(200, "Connection established")
        self.end_headers()
        client = self.connection
        try:
            while True:
                readable, _, _ = select.select([client, upstream], [], [], 5)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        finally:
            upstream.close()
            self.close_connection = True


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Proxy)
        self.lock = threading.Lock()
        self.forwarded: list[str] = []
        self.tunnels: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def passed(self) -> int:
        with self.lock:
            return len(self.forwarded) + len(self.tunnels)


def _serve(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def servers(tmp_path: Any) -> Iterator[dict[str, Any]]:
    from smsbridge.gateway.tls import self_signed

    cert, key = self_signed(str(tmp_path))
    plain = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    plain.daemon_threads = True
    tls = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    tls.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    proxy = ProxyServer()
    running = [_serve(plain), _serve(tls), _serve(proxy)]
    yield {"http": f"http://127.0.0.1:{plain.server_address[1]}", "https": f"https://127.0.0.1:{tls.server_address[1]}",
           "proxy": proxy, "ca": cert}
    for server in running:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))  # never the developer's ~/.netrc


def with_transport(url: str, **options: Any) -> Any:
    """GET ``url`` through a freshly built HttpTransport: its JSON, or the error raised."""
    transport = HttpTransport("t", base_url=url, timeout=5, **options)
    try:
        return transport.request("GET", "probe").json()
    except ProviderUnavailable as exc:
        return exc
    finally:
        transport.close()


def with_requests(url: str, **options: Any) -> Any:
    """The same GET as a default ``requests`` call (environment trusted)."""
    try:
        return requests.get(url.rstrip("/") + "/probe", timeout=5, **options).json()
    except requests.RequestException as exc:
        return exc


@pytest.mark.parametrize("env, via_proxy", [
    ({"HTTP_PROXY": "{proxy}"}, True),
    ({"http_proxy": "{proxy}"}, True),
    ({"ALL_PROXY": "{proxy}"}, True),
    ({"HTTP_PROXY": "{proxy}", "NO_PROXY": "127.0.0.1"}, False),
    ({"HTTP_PROXY": "{proxy}", "no_proxy": "localhost, 127.0.0.1"}, False),
    ({"HTTP_PROXY": "{proxy}", "NO_PROXY": "*"}, False),
    ({"HTTP_PROXY": "{proxy}", "NO_PROXY": "example.com"}, True),
    ({"HTTPS_PROXY": "{proxy}"}, False),  # an https-only proxy is not used for http://
], ids=lambda v: ",".join(f"{k}={w}" for k, w in v.items()) if isinstance(v, dict) else str(v))
def test_http_proxy_and_no_proxy_as_requests(servers, monkeypatch, env, via_proxy):
    proxy: ProxyServer = servers["proxy"]
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(proxy=proxy.url))
    assert with_transport(servers["http"])["path"] == "/probe"
    ours = proxy.passed()
    assert with_requests(servers["http"])["path"] == "/probe"
    theirs = proxy.passed() - ours
    assert (ours, theirs) == ((1, 1) if via_proxy else (0, 0))


@pytest.mark.parametrize("env, via_proxy", [
    ({"HTTPS_PROXY": "{proxy}"}, True),
    ({"https_proxy": "{proxy}", "NO_PROXY": "127.0.0.1"}, False),
    ({"HTTP_PROXY": "{proxy}"}, False),  # an http-only proxy is not used for https://
])
def test_https_proxy_tunnels_as_requests(servers, monkeypatch, env, via_proxy):
    proxy: ProxyServer = servers["proxy"]
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(proxy=proxy.url))
    assert with_transport(servers["https"], verify=servers["ca"])["path"] == "/probe"
    ours = len(proxy.tunnels)
    assert with_requests(servers["https"], verify=servers["ca"])["path"] == "/probe"
    assert (ours, len(proxy.tunnels) - ours) == ((1, 1) if via_proxy else (0, 0))


def test_the_environment_is_read_when_the_transport_is_built_not_per_request(servers, monkeypatch):
    proxy: ProxyServer = servers["proxy"]
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    transport = HttpTransport("t", base_url=servers["http"], timeout=5)
    monkeypatch.delenv("HTTP_PROXY")
    for _ in range(3):
        assert transport.request("GET", "probe").json()["path"] == "/probe"
    transport.close()
    assert len(proxy.forwarded) == 3  # resolved once, at build time
    assert with_transport(servers["http"])["path"] == "/probe" and len(proxy.forwarded) == 3  # a new one: no proxy


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_ca_bundle_variables_as_requests(servers, monkeypatch, variable):
    url = servers["https"]
    # Without the variable the self-signed server is refused by both, as a connect failure.
    assert isinstance(with_transport(url), ProviderUnavailable)
    assert isinstance(with_requests(url), requests.exceptions.SSLError)
    monkeypatch.setenv(variable, servers["ca"])
    assert with_transport(url)["path"] == "/probe"
    assert with_requests(url)["path"] == "/probe"


def test_a_backends_own_verify_wins_over_the_ca_bundle_variable(servers, monkeypatch, tmp_path):
    from smsbridge.gateway.tls import self_signed

    (tmp_path / "other").mkdir()
    other_ca, _ = self_signed(str(tmp_path / "other"))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", servers["ca"])
    assert isinstance(with_transport(servers["https"], verify=other_ca), ProviderUnavailable)
    assert with_transport(servers["https"], verify=False)["path"] == "/probe"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", other_ca)
    assert with_transport(servers["https"], verify=servers["ca"])["path"] == "/probe"


def test_netrc_credentials_as_requests(servers, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login nuser password npass-SECRET\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    expected = "Basic " + base64.b64encode(b"nuser:npass-SECRET").decode()
    assert with_transport(servers["http"])["authorization"] == expected
    assert with_requests(servers["http"])["authorization"] == expected
    # A backend's own credentials win, as an explicit auth does in requests ...
    assert with_transport(servers["http"], auth=("own", "pw"))["authorization"] == \
        "Basic " + base64.b64encode(b"own:pw").decode()
    # ... and so does its own Authorization header (an API key), which requests would let a
    # netrc entry overwrite: the one deliberate difference (docs/decisions.md, issue 18).
    assert with_transport(servers["http"], headers={"Authorization": "Bearer tok"})["authorization"] == "Bearer tok"


def test_no_netrc_means_no_credentials(servers):
    assert with_transport(servers["http"])["authorization"] is None
    assert with_requests(servers["http"])["authorization"] is None
