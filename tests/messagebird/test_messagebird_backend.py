"""The MessageBird backend against the gateway's MessageBird face (backend -> face -> sandbox)."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest
from gateway_configs import front_config
from smsbridge_plugins.messagebird import wire

from smsbridge import Bridge, Status
from smsbridge.errors import AuthenticationError, DeliveryUnknown, InvalidMessage, ProviderUnavailable

ACCESS_KEY = "test_gshuPaZoeEG6ovbc8M79w0QyM"   # as in conftest.py


def client_bridge(tmp_path, base_url, key=ACCESS_KEY, **extra):
    backend = {"plugin": "messagebird", "access_key": key, "base_url": base_url, "sender": "smsbridge", **extra}
    return Bridge.from_dict(front_config(tmp_path, "mb", backend))


def test_send_status_balance(tmp_path, mb_gateway):
    with client_bridge(tmp_path, mb_gateway.url) as bridge:
        assert "balance" in bridge.describe_backends()[0]["capabilities"]
        receipt = bridge.send("+31612345678", "via the backend")
        assert receipt.backend == "mb" and wire.is_id(receipt.provider_id)
        assert receipt.status is Status.SENT  # MessageBird says "sent" for an immediate send
        # The provider id is the one the face shows: it resolves to the gateway's journal entry.
        upstream = wire.message_id_in(receipt.provider_id)
        assert mb_gateway.bridge.record(upstream).text == "via the backend"
        assert mb_gateway.bridge.record(upstream).sender == "smsbridge"
        deadline = time.monotonic() + 5
        while (report := bridge.status(receipt.id)).status is not Status.DELIVERED:
            assert time.monotonic() < deadline, report
            time.sleep(0.05)
        assert report.raw["id"] == receipt.provider_id
        balance = bridge.balance()
        assert balance.amount == Decimal("49") and balance.unit == "credits" and balance.backend == "mb"


def test_sender_per_message(tmp_path, mb_gateway):
    with client_bridge(tmp_path, mb_gateway.url) as bridge:
        receipt = bridge.send("+31612345678", "x", sender="Shop")
        assert mb_gateway.bridge.record(wire.message_id_in(receipt.provider_id)).sender == "Shop"


def test_no_sender_is_invalid_message(tmp_path, mb_gateway):
    backend = {"plugin": "messagebird", "access_key": ACCESS_KEY, "base_url": mb_gateway.url}
    with Bridge.from_dict({"default": "mb", "backends": {"mb": backend}}) as bridge:
        with pytest.raises(InvalidMessage):
            bridge.send("+31612345678", "x")


def test_wrong_key_is_authentication_error(tmp_path, mb_gateway):
    with client_bridge(tmp_path, mb_gateway.url, key="wrong") as bridge:
        with pytest.raises(AuthenticationError) as info:
            bridge.send("+31612345678", "x")
        assert info.value.retry_safe and "access_key" in str(info.value)
        assert "wrong" not in str(info.value) and "wrong" not in repr(bridge.backend("mb"))
        with pytest.raises(AuthenticationError):
            bridge.balance()


def test_unreachable_is_provider_unavailable(tmp_path, free_port):
    with client_bridge(tmp_path, f"http://127.0.0.1:{free_port}") as bridge:
        with pytest.raises(ProviderUnavailable) as info:
            bridge.send("+31612345678", "x")
        assert bridge.status(info.value.message_id).status is Status.FAILED
        with pytest.raises(ProviderUnavailable):
            bridge.balance()


def test_lost_reply_is_delivery_unknown(tmp_path, hanging_server):
    with client_bridge(tmp_path, hanging_server.url, timeout=0.5) as bridge:
        with pytest.raises(DeliveryUnknown) as info:
            bridge.send("+31612345678", "x")
        assert bridge.status(info.value.message_id).status is Status.UNKNOWN


def test_failover_from_an_unreachable_messagebird(tmp_path, free_port, mb_gateway):
    backends = {
        "dead": {"plugin": "messagebird", "access_key": ACCESS_KEY, "base_url": f"http://127.0.0.1:{free_port}",
                 "sender": "smsbridge"},
        "live": {"plugin": "messagebird", "access_key": ACCESS_KEY, "base_url": mb_gateway.url, "sender": "smsbridge"},
    }
    with Bridge.from_dict({"default": "dead", "backends": backends,
                           "routes": [{"backends": ["dead", "live"]}]}) as bridge:
        assert bridge.send("+31612345678", "x").backend == "live"


def test_status_callback_hint_becomes_report_url(tmp_path, mb_gateway, receiver):
    """Bridge.send(extra={"status_callback": url}) -> backend reportUrl -> the face's GET reports."""
    with client_bridge(tmp_path, mb_gateway.url) as bridge:
        receipt = bridge.send("+31612345678", "dlr please", reference="ref-42",
                              extra={"status_callback": receiver.url + "/mb"})
        got = receiver.wait(1, where=lambda r: r["query"].get("status") == "delivered")
        assert got and got[-1]["query"]["id"] == receipt.provider_id
        assert got[-1]["query"]["reference"] == "ref-42"
