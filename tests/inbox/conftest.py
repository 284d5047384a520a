"""Fixtures for the sandbox inbox's tests: a gateway with the Twilio face over the sandbox,
its client's inbound webhook pointed at the ``receiver``, the official Twilio SDK on it,
and a JSON session for ``/api/v1``."""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

AC = "AC" + "1" * 32
TOKEN = "shop-auth-token"
HUNGARIAN = "Árvíztűrő tükörfúrógép: ez a magyar üzenet hosszabb hetven karakternél, így két részben megy ki."


@pytest.fixture
def inbox_config(sandbox_config: dict[str, Any], receiver: Any) -> Callable[..., dict[str, Any]]:
    """``inbox_config(**gateway_options)``: the sandbox, a Twilio client ``shop`` whose inbound
    SMS go to the receiver, fast polling."""
    def make(**options: Any) -> dict[str, Any]:
        config = copy.deepcopy(sandbox_config)
        config["gateway"] = {"poll_interval": 0.05, "clients": {"shop": {"twilio": {
            "account_sid": AC, "auth_token": TOKEN, "inbound_url": receiver.url + "/sms/inbound"}}}, **options}
        return config
    return make


@pytest.fixture
def inbox_gateway(gateway: Callable[..., Any], inbox_config: Callable[..., dict[str, Any]]) -> Any:
    return gateway(inbox_config())


@pytest.fixture
def api(inbox_gateway: Any) -> Iterator[Callable[..., requests.Response]]:
    """``api(method, path, **requests_kwargs)`` against the inbox gateway."""
    session = requests.Session()

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return session.request(method, inbox_gateway.url + path, **kwargs)
    yield call
    session.close()


@pytest.fixture
def twilio(inbox_gateway: Any, close_at_teardown: Callable[..., Any]) -> Any:
    """The official Twilio SDK, pointed at the inbox gateway (providers.md §1.3)."""
    from twilio.rest import Client

    client = Client(AC, TOKEN)
    client.api.base_url = inbox_gateway.url

    def close(c: Any) -> None:
        session = getattr(c.http_client, "session", None)
        if session is not None:
            session.close()
    return close_at_teardown(client, close)
