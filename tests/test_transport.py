"""HttpTransport's SPEC §7 classification, against real misbehaving servers on 127.0.0.1."""
from __future__ import annotations

import pytest
from misbehaving import MisbehavingServer

from smsbridge.errors import DeliveryUnknown, ProviderUnavailable
from smsbridge.transport import HttpTransport


def transport(url: str, timeout: float = 0.5) -> HttpTransport:
    return HttpTransport("t", base_url=url, timeout=timeout, headers={"Authorization": "Bearer tok-SECRET"})


def test_refused_connection_is_unavailable(free_port):
    with pytest.raises(ProviderUnavailable, match="connection refused") as info:
        transport(f"http://127.0.0.1:{free_port}").request("POST", "send", sending=True, data={"a": 1})
    assert "tok-SECRET" not in str(info.value)


def test_unknown_host_is_unavailable():
    with pytest.raises(ProviderUnavailable):
        transport("http://no-such-host.invalid").request("POST", "send", sending=True)


@pytest.mark.parametrize("mode", ["slow", "reset", "truncate"])
def test_failure_after_the_request_left_is_delivery_unknown_and_not_retried(mode):
    with MisbehavingServer(mode, delay=1.5) as server:
        t = transport(server.url)
        with pytest.raises(DeliveryUnknown) as info:
            resp = t.request("POST", "send", sending=True, data={"to": "x"})
            resp.json()  # a truncated body fails while reading
        assert server.requests_seen == 1
        assert "not re-sent" in str(info.value) and "tok-SECRET" not in str(info.value)


@pytest.mark.parametrize("mode", ["slow", "reset"])
def test_lookups_that_fail_are_unavailable_not_unknown(mode):
    with MisbehavingServer(mode, delay=1.5) as server:
        with pytest.raises(ProviderUnavailable):
            transport(server.url).request("GET", "status")


def test_http_errors_are_returned_for_the_wire_module_to_judge():
    with MisbehavingServer("503") as server:
        assert transport(server.url).request("POST", "send", sending=True).status_code == 503


def test_keep_alive_reuses_one_connection():
    with MisbehavingServer("ok") as server:
        t = transport(server.url)
        for _ in range(5):
            assert t.request("GET", "x").json() == {"ok": True}
        assert server.requests_seen == 5


def test_verify_setting_wins_over_requests_ca_bundle_env(monkeypatch, tmp_path, gateway, sandbox_config):
    """requests lets $REQUESTS_CA_BUNDLE override session.verify (psf/requests#3829); ours must not."""
    server = gateway(sandbox_config, tls="self-signed")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cafile)
    from smsbridge.gateway.tls import self_signed

    other_ca, _ = self_signed(str(tmp_path))  # a valid CA file, but not the server's
    strict = HttpTransport("t", base_url=server.url, verify=other_ca)
    with pytest.raises(ProviderUnavailable):
        strict.request("GET", "_smsbridge/health")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert HttpTransport("t", base_url=server.url, verify=False).request("GET", "_smsbridge/health").ok
    assert HttpTransport("t", base_url=server.url, verify=server.cafile).request("GET", "_smsbridge/health").ok
