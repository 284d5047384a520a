"""The Twilio backend against the gateway's Twilio face, over real sockets.

Two Bridges, as in production: a *front* Bridge whose backend is ``plugin: twilio``
pointed (``base_url``) at a running gateway, and the gateway's own Bridge sending
through the sandbox.  Everything the backend writes is read by the face, and back.
"""
from __future__ import annotations

import pytest
from gateway_configs import front_config
from smsbridge_plugins.twilio import wire

from smsbridge import (
    AuthenticationError,
    Bridge,
    DeliveryUnknown,
    InsufficientCredit,
    NotFound,
    ProviderUnavailable,
    Status,
)

AC = "AC" + "1" * 32
TOKEN = "shop-auth-token"
HU = "+36301234567"
SENDER = "+15017122661"


def front(base_url: str, tmp_path, token: str = TOKEN, **extra) -> Bridge:
    backend = {"plugin": "twilio", "account_sid": AC, "auth_token": token, "sender": SENDER, "base_url": base_url,
               "timeout": 5, **extra}
    return Bridge.from_dict(front_config(tmp_path, "tw", backend))


@pytest.fixture
def tw(twilio_gateway, tmp_path):
    bridge = front(twilio_gateway.url, tmp_path)
    yield bridge
    bridge.close()


def test_send_status_and_balance_through_the_face(tw, twilio_gateway, make_sdk_client):
    receipt = tw.send(HU, "Hello from the backend")
    assert receipt.backend == "tw" and wire.MESSAGE_SID_RE.match(receipt.provider_id)
    assert (receipt.status, receipt.segments, receipt.encoding) == (Status.QUEUED, 1, "gsm7")
    gateway_id = wire.message_id_in(receipt.provider_id)
    assert twilio_gateway.bridge.record(gateway_id).sender == SENDER

    # the status the front Bridge reports, the one the SDK fetches, and the gateway's own agree
    front_status = tw.status(receipt.id).status
    sdk_status = make_sdk_client(twilio_gateway).messages(receipt.provider_id).fetch().status
    gateway_status = twilio_gateway.bridge.status(gateway_id).status
    assert front_status is gateway_status is Status.DELIVERED
    assert wire.to_status(sdk_status) is front_status

    balance = tw.balance()
    assert (balance.amount, balance.unit, balance.backend) == (twilio_gateway.bridge.balance().amount, "credit", "tw")


def test_two_segment_ucs2_counts_agree(tw, twilio_gateway):
    receipt = tw.send(HU, "ő" * 71)
    assert (receipt.segments, receipt.encoding) == (2, "ucs2")
    assert twilio_gateway.bridge.record(wire.message_id_in(receipt.provider_id)).segments == 2


def test_wrong_token_is_authentication_error(twilio_gateway, tmp_path):
    with front(twilio_gateway.url, tmp_path, token="wrong") as bridge:
        with pytest.raises(AuthenticationError) as caught:
            bridge.send(HU, "x")
        assert caught.value.retry_safe and caught.value.code == "20003"
        assert "wrong" not in str(caught.value) and "wrong" not in repr(bridge.backend("tw"))
        assert bridge.status(caught.value.message_id).status is Status.FAILED
        with pytest.raises(AuthenticationError):
            bridge.balance()


def test_unreachable_provider_is_provider_unavailable(free_port, tmp_path):
    with front(f"http://127.0.0.1:{free_port}", tmp_path) as bridge:
        with pytest.raises(ProviderUnavailable) as caught:
            bridge.send(HU, "x")
        assert caught.value.retry_safe
        assert bridge.status(caught.value.message_id).status is Status.FAILED


def test_failover_after_an_unreachable_twilio(twilio_gateway, free_port, tmp_path):
    backend = {"plugin": "twilio", "account_sid": AC, "auth_token": TOKEN, "sender": SENDER}
    config = {"default": "down", "store": str(tmp_path / "j.sqlite3"),
              "backends": {"down": {**backend, "base_url": f"http://127.0.0.1:{free_port}"},
                           "up": {**backend, "base_url": twilio_gateway.url}},
              "routes": [{"backends": ["down", "up"]}]}
    with Bridge.from_dict(config) as bridge:
        receipt = bridge.send(HU, "failover")
        assert receipt.backend == "up"


def test_upstream_outage_reads_as_provider_unavailable(gateway, twilio_config, tmp_path):
    server = gateway(twilio_config(chaos={"failure_rate": 1.0}), faces=["twilio"])
    with front(server.url, tmp_path) as bridge, pytest.raises(ProviderUnavailable) as caught:
        bridge.send(HU, "x")
    assert caught.value.code == "20503"


def test_upstream_lost_reply_reads_as_delivery_unknown(gateway, twilio_config, tmp_path):
    server = gateway(twilio_config(chaos={"lost_reply_rate": 1.0}), faces=["twilio"])
    with front(server.url, tmp_path) as bridge:
        with pytest.raises(DeliveryUnknown) as caught:
            bridge.send(HU, "x")
        assert not caught.value.retry_safe
        assert bridge.status(caught.value.message_id).status is Status.UNKNOWN


def test_no_credit_upstream_is_insufficient_credit(gateway, twilio_config, tmp_path):
    server = gateway(twilio_config(credit=0), faces=["twilio"])
    with front(server.url, tmp_path) as bridge, pytest.raises(InsufficientCredit) as caught:
        bridge.send(HU, "x")
    assert caught.value.retry_safe


def test_status_of_an_unknown_sid_is_not_found(tw):
    with pytest.raises(NotFound):
        tw.backend("tw").status("SM" + "0" * 32)


def test_over_tls_with_the_servers_cafile(gateway, twilio_config, tmp_path):
    server = gateway(twilio_config(), faces=["twilio"], tls="self-signed")
    with front(server.url, tmp_path, verify=server.cafile) as bridge:
        assert bridge.send(HU, "tls").status is Status.QUEUED
    with front(server.url, tmp_path) as strict, pytest.raises(ProviderUnavailable):
        strict.send(HU, "untrusted certificate")  # verify: true and an unknown CA: never sent


def test_backend_needs_a_sender(twilio_gateway, tmp_path):
    from smsbridge import InvalidMessage

    config = {"default": "tw", "backends": {"tw": {"plugin": "twilio", "account_sid": AC, "auth_token": TOKEN,
                                                   "base_url": twilio_gateway.url}}}
    with Bridge.from_dict(config) as bridge, pytest.raises(InvalidMessage):
        bridge.send(HU, "x")


def test_config_check_needs_credentials():
    from smsbridge import ConfigError

    # an empty required credential loads (config.example.yaml style) but fails on use, by key path
    with Bridge.from_dict({"default": "tw", "backends": {"tw": {"plugin": "twilio", "account_sid": AC}}}) as bridge:
        with pytest.raises(ConfigError) as caught:
            bridge.send(HU, "x")
    assert "backends.tw.auth_token" in str(caught.value)
