"""The Sinch backend against the gateway's Sinch face (backend -> face -> sandbox)."""
from __future__ import annotations

import time

import pytest
from gateway_configs import front_config
from smsbridge_plugins.sinch import wire

from smsbridge import Bridge, Status
from smsbridge.errors import (
    AuthenticationError,
    ConfigError,
    DeliveryUnknown,
    ProviderUnavailable,
    UnsupportedOperation,
)

PLAN = "plan123"           # as in conftest.py
TOKEN = "sinch-api-token"


def client_bridge(tmp_path, base_url, token=TOKEN, **extra):
    backend = {"plugin": "sinch", "service_plan_id": PLAN, "api_token": token, "base_url": base_url,
               "sender": "12345", **extra}
    return Bridge.from_dict(front_config(tmp_path, "sinch", backend))


def test_send_and_status(tmp_path, sinch_gateway):
    with client_bridge(tmp_path, sinch_gateway.url) as bridge:
        receipt = bridge.send("+46701234567", "via the backend", reference="order-7")
        assert wire.is_id(receipt.provider_id)
        upstream = sinch_gateway.bridge.record(wire.message_id_in(receipt.provider_id))
        assert (upstream.text, upstream.sender, upstream.reference) == ("via the backend", "12345", "order-7")
        deadline = time.monotonic() + 5
        while (report := bridge.status(receipt.id)).status is not Status.DELIVERED:
            assert time.monotonic() < deadline, report
            time.sleep(0.05)
        assert report.description == "Delivered"
        with pytest.raises(UnsupportedOperation):
            bridge.balance()


def test_undelivered(tmp_path, sinch_gateway):
    with client_bridge(tmp_path, sinch_gateway.url) as bridge:
        receipt = bridge.send("+46701234599", "x")
        deadline = time.monotonic() + 5
        while not (report := bridge.status(receipt.id)).status.final:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert report.status is Status.UNDELIVERED


def test_wrong_token_is_authentication_error(tmp_path, sinch_gateway):
    with client_bridge(tmp_path, sinch_gateway.url, token="nope") as bridge:
        with pytest.raises(AuthenticationError) as info:
            bridge.send("+46701234567", "x")
        assert "nope" not in str(info.value)


def test_unreachable_is_provider_unavailable(tmp_path, free_port):
    with client_bridge(tmp_path, f"http://127.0.0.1:{free_port}") as bridge:
        with pytest.raises(ProviderUnavailable):
            bridge.send("+46701234567", "x")


def test_lost_reply_is_delivery_unknown(tmp_path, hanging_server):
    with client_bridge(tmp_path, hanging_server.url, timeout=0.5) as bridge:
        with pytest.raises(DeliveryUnknown):
            bridge.send("+46701234567", "x")


def test_region_picks_the_url_and_is_checked():
    with Bridge.from_dict({"default": "s", "backends": {"s": {"plugin": "sinch", "service_plan_id": "p",
                                                              "api_token": "t", "region": "eu"}}}) as bridge:
        assert bridge.backend("s").base_url == "https://eu.sms.api.sinch.com"
    with pytest.raises(ConfigError, match="region"):
        Bridge.from_dict({"default": "s", "backends": {"s": {"plugin": "sinch", "service_plan_id": "p",
                                                             "api_token": "t", "region": "mars"}}})
