"""The Infobip backend against the gateway's Infobip face (backend -> face -> sandbox)."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest
from gateway_configs import front_config

from smsbridge import Bridge, Status
from smsbridge.errors import AuthenticationError, DeliveryUnknown, InsufficientCredit, ProviderUnavailable

API_KEY = "infobip-api-key"   # as in conftest.py


def client_bridge(tmp_path, base_url, key=API_KEY, **extra):
    backend = {"plugin": "infobip", "api_key": key, "base_url": base_url, "sender": "InfoSMS", **extra}
    return Bridge.from_dict(front_config(tmp_path, "ib", backend))


def test_send_status_balance(tmp_path, infobip_gateway):
    with client_bridge(tmp_path, infobip_gateway.url) as bridge:
        receipt = bridge.send("+41793026727", "via the backend", reference="cb-1")
        # The backend names the message with smsbridge's own id (for reconcile); the
        # gateway keeps that name as an alias of its journaled message.
        assert receipt.provider_id == receipt.id
        from smsbridge_plugins.infobip.gateway import KIND

        upstream = infobip_gateway.bridge.record(infobip_gateway.bridge.journal.resolve(KIND, receipt.provider_id))
        assert (upstream.text, upstream.sender, upstream.reference) == ("via the backend", "InfoSMS", "cb-1")
        assert receipt.status is Status.QUEUED
        deadline = time.monotonic() + 5
        while (report := bridge.status(receipt.id)).status is not Status.DELIVERED:
            assert time.monotonic() < deadline, report
            time.sleep(0.05)
        assert report.description == "DELIVERED_TO_HANDSET"
        # The report was handed out once; the status still answers (from the logs).
        assert bridge.backend("ib").status(receipt.provider_id).status is Status.DELIVERED
        balance = bridge.balance()
        assert balance.amount == Decimal("49") and balance.backend == "ib"


def test_rejected_for_credit_is_insufficient_credit(tmp_path, gateway, infobip_config):
    infobip_config["backends"]["local"]["credit"] = 0
    srv = gateway(infobip_config, faces=["infobip"])
    with client_bridge(tmp_path, srv.url) as bridge:
        with pytest.raises(InsufficientCredit) as info:
            bridge.send("+41793026727", "x")
        assert info.value.retry_safe


def test_wrong_key_is_authentication_error(tmp_path, infobip_gateway):
    with client_bridge(tmp_path, infobip_gateway.url, key="bad-key") as bridge:
        with pytest.raises(AuthenticationError) as info:
            bridge.send("+41793026727", "x")
        assert "bad-key" not in str(info.value)
        with pytest.raises(AuthenticationError):
            bridge.balance()


def test_unreachable_is_provider_unavailable(tmp_path, free_port):
    with client_bridge(tmp_path, f"http://127.0.0.1:{free_port}") as bridge:
        with pytest.raises(ProviderUnavailable):
            bridge.send("+41793026727", "x")


def test_lost_reply_is_delivery_unknown(tmp_path, hanging_server):
    with client_bridge(tmp_path, hanging_server.url, timeout=0.5) as bridge:
        with pytest.raises(DeliveryUnknown):
            bridge.send("+41793026727", "x")
