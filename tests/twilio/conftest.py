"""Fixtures for the Twilio plugin's tests: a gateway with the Twilio face, and the
official SDK pointed at it (providers.md §1.3).  The webhook ``receiver`` comes from
tests/conftest.py."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from gateway_configs import face_config

AC = "AC" + "1" * 32
TOKEN = "shop-auth-token"
OTHER_AC = "AC" + "2" * 32
OTHER_TOKEN = "other-auth-token"


@pytest.fixture
def twilio_config(sandbox_config: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """``twilio_config(**sandbox_options)``: the sandbox config plus two Twilio clients."""
    return lambda **sandbox: face_config(sandbox_config, {
        "shop": {"twilio": {"account_sid": AC, "auth_token": TOKEN}},
        "other": {"twilio": {"account_sid": OTHER_AC, "auth_token": OTHER_TOKEN}},
    }, **sandbox)


@pytest.fixture
def twilio_gateway(gateway: Callable[..., Any], twilio_config: Callable[..., dict[str, Any]]) -> Any:
    """A running gateway (plain HTTP) serving the Twilio face over the sandbox."""
    return gateway(twilio_config(), faces=["twilio"])


def sdk_client(server: Any, account_sid: str = AC, token: str = TOKEN) -> Any:
    """The official SDK, pointed at the gateway the way providers.md §1.3 records."""
    from twilio.rest import Client

    client = Client(account_sid, token)
    client.api.base_url = server.url
    return client


def _close_session(client: Any) -> None:
    session = getattr(client.http_client, "session", None)
    if session is not None:
        session.close()


@pytest.fixture
def make_sdk_client(close_at_teardown: Callable[..., Any]) -> Callable[..., Any]:
    """``make_sdk_client(server, account_sid=AC, token=TOKEN)``; the clients' pooled
    connections are closed before the servers stop."""
    return lambda *args, **kwargs: close_at_teardown(sdk_client(*args, **kwargs), _close_session)


@pytest.fixture
def twilio_client(twilio_gateway: Any, make_sdk_client: Callable[..., Any]) -> Any:
    return make_sdk_client(twilio_gateway)
