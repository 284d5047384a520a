"""The transport's deadline, size cap and "did anything leave?" rule (issue 11), per request,
against real local servers (tests/misbehaving.py); the fault matrix runs them per backend."""
from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from misbehaving import FaultServer, MisbehavingServer

from smsbridge import Bridge, ConfigError
from smsbridge.backend_http import send_reply_error
from smsbridge.errors import AuthenticationError, DeliveryUnknown, InvalidMessage, ProviderError, ProviderUnavailable
from smsbridge.transport import HttpTransport


def transport(url: str, timeout: float = 0.5, **options: Any) -> HttpTransport:
    return HttpTransport("t", base_url=url, timeout=timeout, **options)


def fault_server(fault: str, **options: Any) -> FaultServer:
    """A FaultServer whose every POST is the faulted send (no upstream needed)."""
    return FaultServer(fault, upstream="http://127.0.0.1:9", is_send=lambda m, p, b: m == "POST", **options)


@pytest.mark.parametrize("sending, error", [(True, DeliveryUnknown), (False, ProviderUnavailable)])
def test_a_trickled_reply_is_cut_at_the_deadline(sending, error):
    with fault_server("trickle", trickle_every=0.1) as server:  # the whole reply would take ~27 s
        with pytest.raises(error) as info:
            transport(server.url, timeout=0.5).request("POST", "send", sending=sending, data={"a": "1"})
        # the client hung up mid-reply (a per-read timeout would read all of it): counted at the server
        assert server.wait_abandoned() == 1
    assert info.value.transport is True and "within 0.5 s" in str(info.value)


def test_a_deadline_covers_a_hanging_reply_too():
    with fault_server("hang") as server:  # a reply that never comes
        with pytest.raises(DeliveryUnknown):
            transport(server.url, timeout=0.4).request("POST", "send", sending=True)
        assert server.accepted == 1 and server.wait_abandoned() == 1  # the client hung up by itself


def test_the_timeout_argument_overrides_the_backends():
    with fault_server("hang") as server:
        with pytest.raises(DeliveryUnknown, match="within 0.3 s"):
            transport(server.url, timeout=30).request("POST", "send", sending=True, timeout=0.3)


@pytest.mark.parametrize("sending, error", [(True, DeliveryUnknown), (False, ProviderUnavailable)])
def test_a_reply_larger_than_max_reply_bytes_is_refused_while_streaming(sending, error):
    with fault_server("huge") as server:  # 50 MB, chunked: no length to refuse up front
        with pytest.raises(error, match="max_reply_bytes") as info:
            transport(server.url, timeout=5, max_reply_bytes=64 * 1024).request("POST", "send", sending=sending)
    assert info.value.transport is True


def test_a_declared_length_over_the_cap_is_refused_before_reading():
    with MisbehavingServer("ok", body={"pad": "x" * 5000}) as server:
        with pytest.raises(DeliveryUnknown, match="declares"):
            transport(server.url, max_reply_bytes=4096).request("POST", "send", sending=True)
        assert transport(server.url, max_reply_bytes=8192).request("POST", "send", sending=True).json()["pad"]


def test_the_body_is_read_before_request_returns():
    with MisbehavingServer("ok", body={"ok": 1}) as server:
        response = transport(server.url).request("GET", "x")
        assert response._content_consumed and response.content == b'{"ok": 1}'


@pytest.fixture
def tls_hang_server(tmp_path: Any) -> Iterator[tuple[str, str]]:
    """A TLS server that completes the handshake, then never answers; and its CA."""
    from smsbridge.gateway.tls import self_signed

    cert, key = self_signed(str(tmp_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()
    conns: list[Any] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except OSError:
                continue
            try:
                conns.append(context.wrap_socket(raw, server_side=True))
            except (OSError, ssl.SSLError):
                raw.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}", cert
    stop.set()
    thread.join(2)
    listener.close()
    for conn in conns:
        conn.close()


def test_a_failed_tls_handshake_is_unavailable(tls_hang_server):
    url, _ = tls_hang_server
    with pytest.raises(ProviderUnavailable) as info:  # an unknown CA: refused in the handshake
        transport(url).request("POST", "send", sending=True)
    assert info.value.transport is True


def test_a_handshake_that_never_completes_is_unavailable(free_port):
    """A TCP server that accepts and says nothing: the TLS handshake times out, nothing left."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        with pytest.raises(ProviderUnavailable, match="no connection within"):
            transport(f"https://127.0.0.1:{listener.getsockname()[1]}", timeout=0.3).request(
                "POST", "send", sending=True)
    finally:
        listener.close()


def test_a_bad_record_mac_after_the_request_is_delivery_unknown(tmp_path):
    from smsbridge.gateway.tls import self_signed

    cert, key = self_signed(str(tmp_path))
    with fault_server("tls_corrupt", tls=(cert, key)) as server:
        with pytest.raises(DeliveryUnknown, match="TLS stream") as info:
            transport(server.url, verify=cert).request("POST", "send", sending=True, data={"a": "1"})
        assert server.accepted == 1
    assert info.value.transport is True


def test_refused_and_dns_errors_carry_transport_true(free_port):
    for url in (f"http://127.0.0.1:{free_port}", "http://no-such-host.invalid"):
        with pytest.raises(ProviderUnavailable) as info:
            transport(url).request("POST", "send", sending=True)
        assert info.value.transport is True


@pytest.mark.parametrize("status", [500, 502, 504, 599])
def test_any_5xx_to_a_send_is_delivery_unknown(status):
    plain = ProviderError("boom", code="E1", backend="b")
    result = send_reply_error(status, plain, backend="b")
    assert isinstance(result, DeliveryUnknown) and result.code == "E1" and result.transport is False
    assert isinstance(send_reply_error(status, ProviderUnavailable("x"), backend="b"), DeliveryUnknown)


def test_503_stays_retry_safe_only_when_the_provider_reads_it_so():
    unavailable = ProviderUnavailable("try later", code=503)
    assert send_reply_error(503, unavailable, backend="b") is unavailable
    assert isinstance(send_reply_error(503, ProviderError("x"), backend="b"), DeliveryUnknown)


@pytest.mark.parametrize("error", [AuthenticationError("no"), InvalidMessage("bad", reason="too_long"),
                                   ProviderUnavailable("slow down", code=429)])
def test_4xx_errors_stay_the_providers(error):
    assert send_reply_error(400 if not isinstance(error, ProviderUnavailable) else 429, error, backend="b") is error


@pytest.mark.parametrize("plugin, send_ok", [("messagebird", (200, 201)), ("plivo", range(200, 300)),
                                              ("sinch", range(200, 300)), ("infobip", range(200, 300))])
def test_a_500_to_a_send_is_unknown_for_the_plugins_that_used_to_say_failed(tmp_path, plugin, send_ok):
    """MessageBird, Plivo, Sinch and Infobip turned a 5xx into a plain ProviderError (journaled
    failed, key released, re-sent on retry); through the core rule it is unknown."""
    options = {"messagebird": {"access_key": "k"}, "plivo": {"auth_id": "MAXXXXXXXXXXXXXXXXXX", "auth_token": "t"},
               "sinch": {"service_plan_id": "p", "api_token": "t"}, "infobip": {"api_key": "k"}}[plugin]
    with MisbehavingServer("ok") as server:
        server_500 = FaultServer("500", upstream=server.url, is_send=lambda m, p, b: m == "POST")
        try:
            config = {"default": "b", "store": str(tmp_path / "j.sqlite3"), "backends": {"b": {
                "plugin": plugin, **options, "sender": "12345", "base_url": server_500.url, "timeout": 2}}}
            with Bridge.from_dict(config) as bridge:
                with pytest.raises(DeliveryUnknown) as info:
                    bridge.send("+36301234567", "x", idempotency_key="k-1")
                assert bridge.record(info.value.message_id).status.value == "unknown"
                with pytest.raises(DeliveryUnknown):  # the key is kept: the retry sends nothing
                    bridge.send("+36301234567", "x", idempotency_key="k-1")
            assert server_500.sends_seen == 1
        finally:
            server_500.close()


@pytest.mark.parametrize("value", [0, 100, -1, "lots", 1 << 40, True])
def test_max_reply_bytes_is_validated(value):
    with pytest.raises(ConfigError, match="max_reply_bytes"):
        Bridge.from_dict({"defaults": {"max_reply_bytes": value}, "backends": {"s": {"plugin": "sandbox"}}})


def test_max_reply_bytes_reaches_the_transport():
    config = {"defaults": {"max_reply_bytes": 4096}, "backends": {
        "a": {"plugin": "twilio", "account_sid": "AC" + "1" * 32, "auth_token": "t", "sender": "+15017122661"},
        "b": {"plugin": "twilio", "account_sid": "AC" + "1" * 32, "auth_token": "t", "sender": "+15017122661",
              "max_reply_bytes": 2048}}}
    with Bridge.from_dict(config) as bridge:
        assert bridge.backend("a").transport.max_reply_bytes == 4096
        assert bridge.backend("b").transport.max_reply_bytes == 2048
