"""The Vonage backend against the gateway's Vonage face, over real sockets.

A *front* Bridge with ``plugin: vonage`` (``base_url`` = the gateway), and the gateway's
own Bridge sending through the sandbox.
"""
from __future__ import annotations

import pytest
from gateway_configs import front_config
from smsbridge_plugins.vonage import wire

from smsbridge import (
    AuthenticationError,
    Bridge,
    ConfigError,
    DeliveryUnknown,
    InsufficientCredit,
    InvalidMessage,
    ProviderUnavailable,
    Status,
    UnsupportedOperation,
)

KEY, SECRET = "shopkey", "shop-secret"
SIG_KEY, SIG_SECRET = "signedkey", "signature-secret-0123456789"
HU = "+36301234567"


def front(base_url: str, tmp_path, **options) -> Bridge:
    backend = {"plugin": "vonage", "api_key": KEY, "api_secret": SECRET, "sender": "AcmeInc",
               "base_url": base_url, "timeout": 5, **options}
    return Bridge.from_dict(front_config(tmp_path, "vg", backend))


@pytest.fixture
def plain_gateway(gateway, vonage_config):
    """The Vonage face on plain HTTP: our backend, unlike the SDKs, takes any base_url."""
    return gateway(vonage_config(), faces=["vonage"])


def test_send_and_balance_through_the_face(plain_gateway, tmp_path):
    with front(plain_gateway.url, tmp_path) as bridge:
        receipt = bridge.send(HU, "Hello from the backend", reference="order-7")
        assert receipt.backend == "vg" and len(receipt.provider_id) == 32
        gateway_id = plain_gateway.bridge.journal.resolve("vonage", receipt.provider_id)
        record = plain_gateway.bridge.record(gateway_id)
        assert (record.to, record.sender, record.reference) == (HU, "AcmeInc", "order-7")
        # Vonage has no look-up: the front answers from its journal, honestly
        assert "status" not in bridge.backend("vg").capabilities
        assert bridge.status(receipt.id).status is Status.QUEUED
        with pytest.raises(UnsupportedOperation):
            bridge.backend("vg").status(receipt.provider_id)
        balance = bridge.balance()
        assert (balance.amount, balance.unit) == (plain_gateway.bridge.balance().amount, "EUR")


def test_two_segment_ucs2(plain_gateway, tmp_path):
    with front(plain_gateway.url, tmp_path) as bridge:
        receipt = bridge.send(HU, "ő" * 71)
        assert (receipt.segments, receipt.encoding) == (2, "ucs2")
        assert plain_gateway.bridge.record(plain_gateway.bridge.journal.resolve(
            "vonage", receipt.provider_id)).encoding == "ucs2"


def test_signed_requests(plain_gateway, tmp_path):
    for method in ("md5", "sha256", "md5hash"):
        with front(plain_gateway.url, tmp_path, api_key=SIG_KEY, api_secret=None, signature_secret=SIG_SECRET,
                   signature_method=method) as bridge:
            assert bridge.send(HU, f"signed {method}").status is Status.QUEUED
            assert bridge.balance().amount > 0
    with front(plain_gateway.url, tmp_path, api_key=SIG_KEY, api_secret=None, signature_secret="wrong") as bridge:
        with pytest.raises(AuthenticationError) as caught:
            bridge.send(HU, "forged")
        assert caught.value.code == "14"


def test_wrong_secret_is_authentication_error(plain_gateway, tmp_path):
    with front(plain_gateway.url, tmp_path, api_secret="wrong") as bridge:
        with pytest.raises(AuthenticationError) as caught:
            bridge.send(HU, "x")
        assert caught.value.retry_safe and "wrong" not in str(caught.value)
        assert bridge.status(caught.value.message_id).status is Status.FAILED
        with pytest.raises(AuthenticationError):
            bridge.balance()


def test_unreachable_provider_is_provider_unavailable(free_port, tmp_path):
    with front(f"http://127.0.0.1:{free_port}", tmp_path) as bridge:
        with pytest.raises(ProviderUnavailable):
            bridge.send(HU, "x")


@pytest.mark.parametrize("sandbox, error", [
    ({"credit": 0}, InsufficientCredit),
    ({"chaos": {"failure_rate": 1.0}}, ProviderUnavailable),
    ({"chaos": {"lost_reply_rate": 1.0}}, DeliveryUnknown),
])
def test_upstream_failures_keep_their_meaning(gateway, vonage_config, tmp_path, sandbox, error):
    server = gateway(vonage_config(**sandbox), faces=["vonage"])
    with front(server.url, tmp_path) as bridge, pytest.raises(error) as caught:
        bridge.send(HU, "x")
    assert caught.value.retry_safe is (error is not DeliveryUnknown)


def test_over_tls_with_the_servers_cafile(gateway, vonage_config, tmp_path):
    server = gateway(vonage_config(), faces=["vonage"], tls="self-signed")
    with front(server.url, tmp_path, verify=server.cafile) as bridge:
        assert bridge.send(HU, "tls").status is Status.QUEUED
    with front(server.url, tmp_path) as strict, pytest.raises(ProviderUnavailable):
        strict.send(HU, "untrusted certificate")


def test_sender_is_required(plain_gateway, tmp_path):
    with front(plain_gateway.url, tmp_path, sender=None) as bridge, pytest.raises(InvalidMessage):
        bridge.send(HU, "x")


def test_empty_credentials_load_but_fail_on_use(tmp_path):
    with Bridge.from_dict({"default": "vg", "backends": {"vg": {"plugin": "vonage", "api_key": "k",
                                                                "sender": "A"}}}) as bridge:
        with pytest.raises(ConfigError) as caught:
            bridge.send(HU, "x")
        assert "backends.vg.api_secret" in str(caught.value)
    with pytest.raises(ConfigError):
        Bridge.from_dict({"default": "vg", "backends": {"vg": {"plugin": "vonage", "api_key": "k",
                                                               "api_secret": "s", "signature_method": "crc32"}}})


def test_message_ids_are_the_ones_the_face_reports(plain_gateway, tmp_path):
    with front(plain_gateway.url, tmp_path) as bridge:
        receipt = bridge.send(HU, "ids")
    gateway_id = plain_gateway.bridge.journal.resolve("vonage", receipt.provider_id)
    assert receipt.provider_id == wire.message_ids_for(gateway_id, 1)[0]
