"""smsbridge.testing itself: the kit must catch the mistakes plugin authors make.

A backend that forgets ``sending=True`` (so a lost reply reads as "not sent"), one that
turns a 5xx into a retry-safe error, and one that retries on its own are each put through
``check_backend``: the report must name exactly the faults where they break the rules.
The good path — docs/plugins.md's plugin passing every fault — is tests/test_plugin_kit.py.
"""
from __future__ import annotations

import socket
from typing import Any

import pytest

from smsbridge import Bridge, ConfigError, plugins
from smsbridge.backend_http import HttpBackend
from smsbridge.errors import ProviderError, ProviderUnavailable, SmsBridgeError
from smsbridge.hookspecs import hookimpl
from smsbridge.model import Accepted
from smsbridge.testing import FAULTS, FaultServer, check_backend, fake_backend, registered


def HEALTHY(method: str, path: str, body: bytes) -> tuple[int, dict[str, str]]:
    return 200, {"id": "x-1"}


def error_for_reply(status: int, data: Any, *, backend: str | None = None) -> ProviderError:
    if status in (429, 503):
        return ProviderUnavailable("try later", code=status, backend=backend)
    return ProviderError("error", code=status, backend=backend)


class Careless(HttpBackend):
    """Forgets ``sending=True``: every fault after the request left looks like "not sent"."""

    def send(self, message: Any) -> Accepted:
        data = self.read_reply(self.transport.request("POST", "send", json={"to": message.to}), error_for_reply)
        return Accepted(provider_id=str((data or {}).get("id")))


class FiveHundredIsRetrySafe(HttpBackend):
    """Reads every 5xx as "try later", the mistake the old plugin guide taught."""

    def send(self, message: Any) -> Accepted:
        reply = self.transport.request("POST", "send", json={"to": message.to}, sending=True)
        if reply.status_code >= 500:
            raise ProviderUnavailable("server error", code=reply.status_code, backend=self.name)
        data = self.read_reply(reply, error_for_reply, sending=True)
        return Accepted(provider_id=str(data.get("id")))


class Retrying(HttpBackend):
    """Sends again after any error: a second message the provider may already hold."""

    def send(self, message: Any) -> Accepted:
        for attempt in range(2):
            try:
                reply = self.transport.request("POST", "send", json={"to": message.to}, sending=True)
                return Accepted(provider_id=str(self.read_reply(reply, error_for_reply, sending=True).get("id")))
            except SmsBridgeError:
                if attempt:
                    raise
        raise AssertionError("unreachable")


class Plugin:
    @hookimpl
    def smsbridge_backends(self, register: Any) -> None:
        register("kit-careless", Careless)
        register("kit-500", FiveHundredIsRetrySafe)
        register("kit-retrying", Retrying)


@pytest.fixture(scope="module", autouse=True)
def kit_plugin() -> Any:
    with registered(Plugin(), name="kit-mistakes") as name:
        yield name


def wrong(report: Any) -> set[str]:
    return {r.fault for r in report.failures}


def test_forgetting_sending_true_is_caught() -> None:
    report = check_backend({"plugin": "kit-careless"}, answer=HEALTHY,
                           faults=["ok", "refused", "503", "hang", "reset", "trickle", "garbage"])
    assert wrong(report) == {"hang", "reset", "trickle", "garbage"}, str(report)
    assert report["hang"].raised == "ProviderUnavailable" and "must raise DeliveryUnknown" in report["hang"].problems[0]
    assert "WRONG" in str(report)
    with pytest.raises(AssertionError, match="kit-careless"):
        report.assert_ok()


def test_a_5xx_read_as_retry_safe_is_caught() -> None:
    report = check_backend({"plugin": "kit-500"}, answer=HEALTHY, faults=["ok", "500", "503", "429"])
    assert wrong(report) == {"500"}, str(report)
    assert report["500"].journaled == "failed"  # what makes a keyed re-send send twice


def test_a_backend_that_retries_is_caught() -> None:
    report = check_backend({"plugin": "kit-retrying"}, answer=HEALTHY, faults=["ok", "500", "reset"])
    assert wrong(report) == {"500", "reset"}, str(report)
    assert all("reached the server 2 times" in " ".join(report[f].problems) for f in ("500", "reset"))


def test_the_fault_list_and_expectations_agree() -> None:
    from smsbridge.testing import ACCEPTING_FAULTS, EXPECTED, REFUSING_FAULTS

    assert set(FAULTS) == set(EXPECTED) == set(ACCEPTING_FAULTS) | set(REFUSING_FAULTS)
    assert {f for f in FAULTS if EXPECTED[f].error == "ProviderUnavailable"} == set(REFUSING_FAULTS)


def test_fault_server_counts_what_it_took() -> None:
    import requests

    with FaultServer("503", answer=lambda m, p, b: (200, {"page": p})) as server:
        assert requests.get(server.url + "/info", timeout=5).json() == {"page": "/info"}
        reply = requests.post(server.url + "/send", json={"to": "x"}, timeout=5)
        assert reply.status_code == 503
        assert (server.requests_seen, server.sends_seen, server.accepted) == (2, 1, 0)
    with FaultServer("500") as server:
        assert requests.post(server.url + "/send", data=b"x", timeout=5).status_code == 500
        assert (server.sends_seen, server.accepted) == (1, 1)
    refused = FaultServer("refused")
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", refused.port))
    refused.close()
    with pytest.raises(ValueError, match="unknown fault"):
        FaultServer("flaky")
    with pytest.raises(ValueError, match="tls="):
        FaultServer("tls_corrupt")


def test_registered_unregisters_even_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), registered(smsbridge_after_send=lambda receipt: None) as name:
        assert name in {n for n, _ in plugins.manager().list_name_plugin()}
        raise RuntimeError("test body failed")
    assert name not in {n for n, _ in plugins.manager().list_name_plugin()}


def test_registered_refuses_what_an_installed_plugin_would_not_get_away_with() -> None:
    with pytest.raises(ConfigError, match="smsbridge_after_sent"), registered(smsbridge_after_sent=lambda: None):
        pass
    with pytest.raises(TypeError, match="not a smsbridge hook name"), registered(after_send=lambda: None):
        pass


def test_fake_backend_fails_on_demand_and_is_gone_afterwards() -> None:
    with fake_backend("kit-fake") as provider:
        provider.fail_next(ProviderUnavailable("down"))
        with Bridge.from_dict({"store": ":memory:", "backends": {"a": {"plugin": "kit-fake"},
                                                                 "b": {"plugin": "kit-fake"}},
                               "routes": [{"backends": ["a", "b"]}]}) as bridge:
            receipt = bridge.send("+36301234567", "hello")  # a refused, b took it
            assert receipt.backend == "b" and provider.provider_id_of(receipt.id) == receipt.provider_id
            assert bridge.backend("b").lookup(bridge.journal.get(receipt.id)).provider_id == receipt.provider_id
    assert (provider.send_attempts, len(provider.sent), provider.lookups) == (2, 1, 1)
    assert "kit-fake" not in plugins.registry().backends
