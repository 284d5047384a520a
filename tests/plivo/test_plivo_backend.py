"""The Plivo backend against the gateway's Plivo face (backend -> face -> sandbox)."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest
from gateway_configs import front_config
from smsbridge_plugins.plivo import wire

from smsbridge import Bridge, Status
from smsbridge.errors import AuthenticationError, DeliveryUnknown, InvalidMessage, ProviderUnavailable

AUTH_ID = "MA" + "X" * 18        # as in conftest.py
AUTH_TOKEN = "plivo-token-123"


def client_bridge(tmp_path, base_url, token=AUTH_TOKEN, **extra):
    backend = {"plugin": "plivo", "auth_id": AUTH_ID, "auth_token": token, "base_url": base_url,
               "sender": "+14155551234", **extra}
    return Bridge.from_dict(front_config(tmp_path, "plivo", backend))


def test_send_status_balance(tmp_path, plivo_gateway):
    with client_bridge(tmp_path, plivo_gateway.url) as bridge:
        receipt = bridge.send("+14155556789", "via the backend")
        assert wire.is_uuid(receipt.provider_id) and receipt.status is Status.QUEUED
        upstream = plivo_gateway.bridge.record(wire.message_id_in(receipt.provider_id))
        assert (upstream.text, upstream.sender, upstream.to) == ("via the backend", "+14155551234", "+14155556789")
        deadline = time.monotonic() + 5
        while (report := bridge.status(receipt.id)).status is not Status.DELIVERED:
            assert time.monotonic() < deadline, report
            time.sleep(0.05)
        assert report.raw["message_uuid"] == receipt.provider_id
        assert bridge.balance().amount == Decimal("49")


def test_no_sender_is_invalid_message(plivo_gateway):
    backend = {"plugin": "plivo", "auth_id": AUTH_ID, "auth_token": AUTH_TOKEN, "base_url": plivo_gateway.url}
    with Bridge.from_dict({"default": "p", "backends": {"p": backend}}) as bridge:
        with pytest.raises(InvalidMessage):
            bridge.send("+14155556789", "x")


def test_wrong_token_is_authentication_error(tmp_path, plivo_gateway):
    with client_bridge(tmp_path, plivo_gateway.url, token="wrong-token") as bridge:
        with pytest.raises(AuthenticationError) as info:
            bridge.send("+14155556789", "x")
        assert "wrong-token" not in str(info.value) and "wrong-token" not in repr(bridge.backend("plivo"))
        with pytest.raises(AuthenticationError):
            bridge.balance()


def test_unreachable_is_provider_unavailable(tmp_path, free_port):
    with client_bridge(tmp_path, f"http://127.0.0.1:{free_port}") as bridge:
        with pytest.raises(ProviderUnavailable) as info:
            bridge.send("+14155556789", "x")
        assert info.value.retry_safe
        with pytest.raises(ProviderUnavailable):
            bridge.balance()


def test_lost_reply_is_delivery_unknown(tmp_path, hanging_server):
    with client_bridge(tmp_path, hanging_server.url, timeout=0.5) as bridge:
        with pytest.raises(DeliveryUnknown):
            bridge.send("+14155556789", "x")
