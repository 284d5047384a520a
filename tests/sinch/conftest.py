"""Sinch test fixtures: a gateway with the Sinch face over the sandbox and the official
SDK pointed at it.  The webhook ``receiver`` and the ``hanging_server`` come from
tests/conftest.py."""
from __future__ import annotations

from typing import Any

import pytest
from gateway_configs import face_config

PLAN = "plan123"
TOKEN = "sinch-api-token"


@pytest.fixture
def sinch_config(sandbox_config: dict[str, Any]) -> dict[str, Any]:
    return face_config(sandbox_config, {
        "shop": {"sinch": {"service_plan_id": PLAN, "api_token": TOKEN}},
        "other": {"sinch": {"service_plan_id": "otherplan", "api_token": "other-token"}},
    }, delivery_delay=0.2, undeliverable=["+46701234599"])


@pytest.fixture
def sinch_gateway(gateway: Any, sinch_config: dict[str, Any]) -> Any:
    return gateway(sinch_config, faces=["sinch"])


def make_client(url: str, plan: str = PLAN, token: str = TOKEN) -> Any:
    """The official SDK pointed at the gateway the way providers.md §5.3 records."""
    from sinch import SinchClient

    client = SinchClient(service_plan_id=plan, sms_api_token=token, sms_region="eu")
    client.configuration.sms_domain_with_service_plan_id = url
    return client


@pytest.fixture
def sinch_client(sinch_gateway: Any) -> Any:
    return make_client(sinch_gateway.url)


@pytest.fixture
def sinch_factory(sinch_gateway: Any) -> Any:
    return lambda **kw: make_client(sinch_gateway.url, **kw)
