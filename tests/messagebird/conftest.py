"""MessageBird test fixtures: a gateway with the MessageBird face over the sandbox, the
official SDK pointed at it, and the shim's config.  The webhook ``receiver`` and the
``hanging_server`` come from tests/conftest.py."""
from __future__ import annotations

from typing import Any

import pytest
from gateway_configs import face_config

ACCESS_KEY = "test_gshuPaZoeEG6ovbc8M79w0QyM"
OTHER_KEY = "live_otherclient0000000000"


@pytest.fixture
def mb_config(sandbox_config: dict[str, Any]) -> dict[str, Any]:
    return face_config(sandbox_config, {
        "shop": {"messagebird": {"access_key": ACCESS_KEY}},
        "other": {"messagebird": {"access_key": OTHER_KEY}},
    }, delivery_delay=0.2, credit=50, undeliverable=["+31612000001"])


@pytest.fixture
def mb_gateway(gateway: Any, mb_config: dict[str, Any]) -> Any:
    return gateway(mb_config, faces=["messagebird"])


@pytest.fixture
def mb_client(mb_gateway: Any) -> Any:
    """The official SDK pointed at the gateway the way providers.md §3.3 records."""
    import messagebird
    from messagebird.client import USER_AGENT
    from messagebird.http_client import HttpClient

    return messagebird.Client(ACCESS_KEY, http_client=HttpClient(mb_gateway.url, ACCESS_KEY, USER_AGENT))


@pytest.fixture
def shim_config(shim_config_file: Any) -> str:
    """A smsbridge.yaml over the sandbox, found through $SMSBRIDGE_CONFIG like a user's."""
    return str(shim_config_file("messagebird", credit=100))
