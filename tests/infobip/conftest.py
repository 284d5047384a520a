"""Infobip test fixtures: a gateway with the Infobip face over the sandbox, the official
6.x SDK pointed at it, and the separate venv of the 5.x SDK.  The webhook ``receiver``
and the ``hanging_server`` come from tests/conftest.py."""
from __future__ import annotations

from typing import Any

import pytest
from gateway_configs import face_config

API_KEY = "infobip-api-key"
OTHER_KEY = "other-infobip-key"


@pytest.fixture
def infobip_config(sandbox_config: dict[str, Any]) -> dict[str, Any]:
    return face_config(sandbox_config, {
        "shop": {"infobip": {"api_key": API_KEY}},
        "other": {"infobip": {"api_key": OTHER_KEY}},
    }, delivery_delay=0.2, credit=50, undeliverable=["+41793026799"])


@pytest.fixture
def infobip_gateway(gateway: Any, infobip_config: dict[str, Any]) -> Any:
    return gateway(infobip_config, faces=["infobip"])


def make_api(url: str, key: str = API_KEY) -> Any:
    """The official 6.x SDK pointed at the gateway the way providers.md §6.3 records."""
    from infobip_api_client import ApiClient, Configuration
    from infobip_api_client.api.sms_api import SmsApi

    return SmsApi(ApiClient(Configuration(host=url, api_key=key)))


@pytest.fixture
def infobip_api(infobip_gateway: Any) -> Any:
    return make_api(infobip_gateway.url)


@pytest.fixture
def infobip_factory(infobip_gateway: Any) -> Any:
    return lambda key=API_KEY: make_api(infobip_gateway.url, key)


def _infobip5_python() -> str | None:
    """The interpreter of the separate venv holding infobip-api-python-sdk 5.x (pydantic v1).

    ``$SMSBRIDGE_SDKENV_INFOBIP5`` (a python executable, or a venv directory), else
    ``<repo>/.sdkenvs/infobip5`` as tests/sdkenvs/make.sh creates it.
    """
    import os
    from pathlib import Path

    candidates = []
    env = os.environ.get("SMSBRIDGE_SDKENV_INFOBIP5")
    if env:
        candidates.append(Path(env))
    candidates.append(Path(__file__).resolve().parents[2] / ".sdkenvs" / "infobip5")
    for path in candidates:
        for exe in (path, path / "bin" / "python"):
            if exe.is_file() and os.access(exe, os.X_OK):
                return str(exe)
    return None


@pytest.fixture
def infobip5_python() -> str:
    exe = _infobip5_python()
    if exe is None:
        pytest.skip("infobip-api-python-sdk 5.x needs pydantic v1, so it lives in its own venv: create it with "
                    "tests/sdkenvs/make.sh (or set SMSBRIDGE_SDKENV_INFOBIP5 to its python)")
    import subprocess

    check = subprocess.run([exe, "-c", "import infobip_channels.sms.channel"], capture_output=True, timeout=60)
    if check.returncode != 0:
        pytest.skip(f"{exe} cannot import infobip_channels (infobip-api-python-sdk 5.x): "
                    f"{check.stderr.decode(errors='replace').strip().splitlines()[-1:]}")
    return exe
