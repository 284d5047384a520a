"""Fixtures for the Vonage plugin's tests: a TLS gateway with the Vonage face (every
Vonage SDK forces https://, providers.md §2.3) and the official 4.x SDK pointed at it.
The webhook ``receiver`` for delivery receipts comes from tests/conftest.py."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from gateway_configs import face_config

KEY = "shopkey"
SECRET = "shop-secret"
SIG_KEY = "signedkey"
SIG_SECRET = "signature-secret-0123456789"
SIG_API_SECRET = "signed-api-secret"


@pytest.fixture
def vonage_config(sandbox_config: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """``vonage_config(dlr_method="POST", **sandbox_options)``: the sandbox plus two clients,
    one of them with a signature secret."""
    def make(dlr_method: str = "POST", **sandbox: Any) -> dict[str, Any]:
        return face_config(sandbox_config, {
            "shop": {"vonage": {"api_key": KEY, "api_secret": SECRET, "dlr_method": dlr_method}},
            "signed": {"vonage": {"api_key": SIG_KEY, "api_secret": SIG_API_SECRET,
                                  "signature_secret": SIG_SECRET, "signature_method": "sha256",
                                  "dlr_method": dlr_method}},
        }, **sandbox)
    return make


@pytest.fixture
def vonage_gateway(gateway: Callable[..., Any], vonage_config: Callable[..., dict[str, Any]],
                   monkeypatch: pytest.MonkeyPatch) -> Any:
    """A running TLS gateway serving the Vonage face; its self-signed CA is trusted through
    REQUESTS_CA_BUNDLE, as docs/providers/vonage.md tells users to do."""
    server = gateway(vonage_config(), faces=["vonage"], tls="self-signed")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cafile)
    return server


def sdk_client(server: Any, api_key: str = KEY, api_secret: str | None = SECRET, **auth: Any) -> Any:
    """The official vonage 4.x SDK pointed at the gateway (providers.md §2.3)."""
    from vonage import Auth, HttpClientOptions, Vonage

    host = f"{server.host}:{server.port}"
    return Vonage(Auth(api_key=api_key, api_secret=api_secret, **auth),
                  HttpClientOptions(rest_host=host, api_host=host, max_retries=0))


@pytest.fixture
def make_sdk_client(close_at_teardown: Callable[..., Any]) -> Callable[..., Any]:
    """``make_sdk_client(server, api_key=KEY, api_secret=SECRET, **auth)``; the clients'
    pooled connections are closed before the servers stop."""
    return lambda *args, **kwargs: close_at_teardown(sdk_client(*args, **kwargs),
                                                     lambda client: client.http_client._session.close())


@pytest.fixture
def vonage_client(vonage_gateway: Any, make_sdk_client: Callable[..., Any]) -> Any:
    return make_sdk_client(vonage_gateway)
