"""The simplesms-rest backend against the gateway's simpleSMS REST face + the sandbox.

This is SPEC §6's promise exercised end to end over real sockets: ``smsbridge serve``
with the sandbox *is* a local simpleSMS, and our own REST backend talks to it exactly
as it talks to api.simplesms.hu.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from smsbridge_plugins.simplesms import gateway_rest

from smsbridge import Bridge, Status
from smsbridge.errors import (
    AuthenticationError,
    DeliveryUnknown,
    InsufficientCredit,
    NotFound,
    ProviderError,
    ProviderUnavailable,
)


def rest_backend(url: str, credentials: dict, **overrides) -> dict:
    return {"plugin": "simplesms-rest", **credentials, "base_url": url + "/rest/SMSapi/", **overrides}


@pytest.fixture
def simulator(gateway, simplesms_gateway_config):
    """The gateway serving the sandbox as a local simpleSMS."""
    return gateway(simplesms_gateway_config)


@pytest.fixture
def bridge(simulator, simplesms_client, tmp_path):
    with Bridge.from_dict({"backends": {"primary": rest_backend(simulator.url, simplesms_client)},
                           "store": str(tmp_path / "client.sqlite3")}) as b:
        yield b


def test_every_call_through_the_gateway(bridge, simulator):
    receipt = bridge.send("+36301234567", "Szia!")
    assert receipt.backend == "primary" and receipt.status is Status.QUEUED
    assert receipt.provider_id.isdigit()                     # simpleSMS-style numeric sms_id
    assert (receipt.to, receipt.segments, receipt.encoding) == ("+36301234567", 1, "gsm7")

    report = bridge.status(receipt.id)
    assert report.status is Status.DELIVERED and report.raw == "Delivered"
    assert report.updated_at is not None and report.updated_at.tzinfo is not None

    history = bridge.history(receipt.id)
    assert [e.status for e in history] == [Status.QUEUED, Status.SENT, Status.DELIVERED]
    assert [e.code for e in history] == ["1", "2", "3"]

    balance = bridge.balance()
    assert balance == type(balance)(amount=Decimal(999), unit="credit", backend="primary")

    month = datetime.now(timezone.utc).strftime("%Y-%m")
    stats = bridge.monthly_stats()
    assert [(s.month, s.domestic, s.foreign) for s in stats] == [(month, 1, 0)]


def test_the_gateway_and_the_backend_agree_on_the_message(bridge, simulator):
    receipt = bridge.send("+447911123456", "Hello")
    message_id = simulator.bridge.journal.resolve("simplesms", receipt.provider_id)
    record = simulator.bridge.record(message_id)
    assert (record.to, record.text) == ("+447911123456", "Hello")
    assert simulator.bridge.status(message_id).status is bridge.status(receipt.id).status
    assert bridge.monthly_stats()[-1].foreign == 1


def test_one_connect_serves_many_calls_from_many_threads(bridge):
    results = bridge.send_many([("+36301234567", f"message {i}") for i in range(24)], concurrency=8)
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.provider_id for r in results}) == 24
    bridge.balance()
    bridge.monthly_stats()
    assert bridge.backend("primary").connects == 1


def test_an_expired_token_is_replaced_before_use(monkeypatch, gateway, simplesms_gateway_config, simplesms_client):
    monkeypatch.setattr(gateway_rest, "TOKEN_LIFETIME", 1.5)
    server = gateway(simplesms_gateway_config)
    with Bridge.from_dict({"backends": {"primary": rest_backend(server.url, simplesms_client)}}) as bridge:
        bridge.balance()
        bridge.balance()
        assert bridge.backend("primary").connects == 1
        time.sleep(1.7)                   # past the expires_in date the face gave
        assert bridge.send("+36301234567", "after expiry").provider_id
        assert bridge.backend("primary").connects == 2


def test_a_gateway_restart_keeps_the_backend_logged_in(gateway, simplesms_gateway_config, simplesms_client):
    """Tokens are signed, not stored (issue 13): the restarted gateway accepts the old one."""
    first = gateway(simplesms_gateway_config)
    with Bridge.from_dict({"backends": {"primary": rest_backend(first.url, simplesms_client)}}) as bridge:
        bridge.send("+36301234567", "one")
        first.stop()
        first.bridge.close()
        # Same port, same store, same config: the journal survives, and so does the login.
        second = gateway(simplesms_gateway_config, port=first.port)
        receipt = bridge.send("+36301234567", "two")
        assert bridge.backend("primary").connects == 1
        assert bridge.status(receipt.id).status is Status.DELIVERED
        texts = sorted(r.text for r in second.bridge.journaled())
        assert texts == ["one", "two"]                   # "two" accepted exactly once


def test_wrong_credentials_are_an_authentication_error(simulator, simplesms_client, tmp_path):
    credentials = {**simplesms_client, "password": "not-the-password"}
    with Bridge.from_dict({"backends": {"primary": rest_backend(simulator.url, credentials)}}) as bridge:
        with pytest.raises(AuthenticationError) as info:
            bridge.send("+36301234567", "Szia!")
        assert info.value.code == "101" and info.value.retry_safe
        assert "not-the-password" not in f"{info.value} {info.value!r} {bridge.backend('primary')!r}"
        assert bridge.status(info.value.message_id).status is Status.FAILED
        with pytest.raises(AuthenticationError):
            bridge.balance()
    assert simulator.bridge.journaled() == []


def test_an_authentication_failure_fails_over(simulator, simplesms_client, tmp_path):
    with Bridge.from_dict({
        "backends": {"primary": rest_backend(simulator.url, {**simplesms_client, "domain": "other.hu"}),
                     "local": {"plugin": "sandbox"}},
        "routes": [{"backends": ["primary", "local"]}],
    }) as bridge:
        assert bridge.send("+36301234567", "Szia!").backend == "local"


def test_an_unreachable_server_is_provider_unavailable(free_port, simplesms_client):
    with Bridge.from_dict({"backends": {"primary": rest_backend(f"http://127.0.0.1:{free_port}",
                                                                simplesms_client)}}) as bridge:
        with pytest.raises(ProviderUnavailable) as info:
            bridge.send("+36301234567", "Szia!")
        assert info.value.retry_safe
        assert bridge.status(info.value.message_id).status is Status.FAILED
        with pytest.raises(ProviderUnavailable):
            bridge.balance()


def test_no_credit_is_insufficient_credit(gateway, simplesms_gateway_config, simplesms_client):
    simplesms_gateway_config["backends"]["local"]["credit"] = 0
    server = gateway(simplesms_gateway_config)
    with Bridge.from_dict({"backends": {"primary": rest_backend(server.url, simplesms_client)}}) as bridge:
        with pytest.raises(InsufficientCredit) as info:
            bridge.send("+36301234567", "Szia!")
        assert info.value.code == "301" and info.value.retry_safe


def test_an_unknown_sms_id_is_not_found(bridge):
    backend = bridge.backend("primary")
    for sms_id in ("123", "abc"):
        with pytest.raises(NotFound) as info:
            backend.status(sms_id)
        assert isinstance(info.value, ProviderError) and info.value.code == "404"
        with pytest.raises(NotFound):
            backend.history(sms_id)


def test_a_reply_after_the_timeout_is_delivery_unknown_and_never_retried(gateway, simplesms_gateway_config,
                                                                          simplesms_client, tmp_path):
    # The simulated provider takes 1 s per call; the client gives up after 0.3 s.  The
    # message is accepted all the same, so the client must say "unknown", not fail over.
    simplesms_gateway_config["backends"]["local"]["chaos"] = {"latency": 1.0}
    server = gateway(simplesms_gateway_config)
    with Bridge.from_dict({
        "backends": {"primary": rest_backend(server.url, simplesms_client, timeout=0.3),
                     "spare": {"plugin": "sandbox"}},
        "routes": [{"backends": ["primary", "spare"]}],
        "store": str(tmp_path / "client.sqlite3"),
    }) as bridge:
        with pytest.raises(DeliveryUnknown) as info:
            bridge.send("+36301234567", "slow")
        assert not info.value.retry_safe
        record = bridge.record(info.value.message_id)
        assert record.status is Status.UNKNOWN and record.phase == "unknown"
        assert [a["backend"] for a in record.attempts] == ["primary"]     # no failover
        assert bridge.backend("spare").balance().amount == Decimal(1000)            # spare untouched
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and server.bridge.journaled(status="queued") == []:
        time.sleep(0.05)
    time.sleep(0.3)
    seen = server.bridge.journaled()
    assert [(r.text, r.phase) for r in seen] == [("slow", "accepted")]    # reached once, accepted


def test_no_secret_reaches_logs_errors_or_repr(caplog, simulator, simplesms_client):
    caplog.set_level(logging.DEBUG)
    with Bridge.from_dict({"backends": {"primary": rest_backend(simulator.url, simplesms_client)}}) as bridge:
        bridge.send("+36301234567", "Szia!")
        backend = bridge.backend("primary")
        token = backend._token
        backend._token = "stale-token-value"         # make the next call refresh it
        bridge.balance()
        fresh = backend._token
        assert fresh not in (None, token, "stale-token-value")
        errors = []
        for call in (lambda: backend.status("999"), lambda: bridge.status("sb_nope")):
            try:
                call()
            except Exception as exc:
                errors.append(f"{exc} {exc!r}")
        text = " ".join([caplog.text, repr(backend), repr(backend.settings), *errors])
    for secret in (simplesms_client["password"], token, fresh):
        assert secret not in text
