"""Plivo test fixtures: a gateway with the Plivo face over the sandbox, the official SDK
pointed at it, and the shim's config.  The webhook ``receiver`` and the
``hanging_server`` come from tests/conftest.py."""
from __future__ import annotations

from typing import Any

import pytest
from gateway_configs import face_config

AUTH_ID = "MA" + "X" * 18
AUTH_TOKEN = "plivo-token-123"
OTHER_ID = "SA" + "Y" * 18


@pytest.fixture
def plivo_config(sandbox_config: dict[str, Any]) -> dict[str, Any]:
    return face_config(sandbox_config, {
        "shop": {"plivo": {"auth_id": AUTH_ID, "auth_token": AUTH_TOKEN}},
        "other": {"plivo": {"auth_id": OTHER_ID, "auth_token": "other-token"}},
    }, delivery_delay=0.2, credit=50, undeliverable=["+14155550199"])


@pytest.fixture
def plivo_gateway(gateway: Any, plivo_config: dict[str, Any]) -> Any:
    return gateway(plivo_config, faces=["plivo"])


@pytest.fixture
def plivo_client(plivo_gateway: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The official SDK pointed at the gateway the way providers.md §4.3 records."""
    import plivo
    import plivo.rest.client as prc

    monkeypatch.setattr(prc, "PLIVO_API_BASE_URI", plivo_gateway.url + "/v1/Account")
    return plivo.RestClient(AUTH_ID, AUTH_TOKEN)


@pytest.fixture
def shim_config(shim_config_file: Any) -> str:
    """A smsbridge.yaml over the sandbox, found through $SMSBRIDGE_CONFIG like a user's."""
    return str(shim_config_file("plivo", credit=100))
