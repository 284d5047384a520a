"""The fault matrix (issue 11): every HTTP backend and the SOAP backend, each transport
fault, alone and as the first backend of a failover pair, against real local servers.

Each backend talks to a :class:`misbehaving.FaultServer` that forwards everything to one
real smsbridge gateway (the providers' faces over a sandbox) except the *send*, which gets
the fault.  The servers count what they accepted, and the test asserts SPEC §7:

- no message is ever accepted twice (primary + fallback ≤ 1);
- ``unknown`` (``DeliveryUnknown``, journaled ``unknown``) exactly where the server took
  the whole request and no readable reply came back;
- failover exactly when nothing was taken (refused, 503, 429);
- the send ends within ``2 × timeout + 1 s`` — the deadline is the rule here, the bound is
  generous (a correctness check, not a speed figure).
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from misbehaving import ACCEPTING_FAULTS, FaultServer

from smsbridge import Bridge, DeliveryUnknown, ProviderUnavailable, SmsBridgeError

TIMEOUT = 0.5
TO = "+36301234567"

SIMPLESMS = {"username": "shop", "password": "s3cret-Pa55", "domain": "shop.example.hu"}
CLIENTS = {"shop": {
    "simplesms": SIMPLESMS,
    "twilio": {"account_sid": "AC" + "1" * 32, "auth_token": "shop-auth-token"},
    "vonage": {"api_key": "shopkey", "api_secret": "shop-secret"},
    "messagebird": {"access_key": "test_gshuPaZoeEG6ovbc8M79w0QyM"},
    "plivo": {"auth_id": "MA" + "X" * 18, "auth_token": "plivo-token-123"},
    "sinch": {"service_plan_id": "plan123", "api_token": "sinch-api-token"},
    "infobip": {"api_key": "infobip-api-key"},
}}

Config = Callable[[str], dict[str, Any]]
IsSend = Callable[[str, str, bytes], bool]

#: backend -> (its config for a base URL, which request is its send)
BACKENDS: dict[str, tuple[Config, IsSend]] = {
    "simplesms-rest": (lambda url: {"plugin": "simplesms-rest", **SIMPLESMS, "base_url": url + "/rest/SMSapi/"},
                       lambda m, p, b: "sendSMS" in p),
    "simplesms-soap": (lambda url: {"plugin": "simplesms-soap", **SIMPLESMS, "wsdl": url + "/sms.wsdl",
                                    "base_url": url + "/soap"},
                       lambda m, p, b: m == "POST" and b"sendSMS" in b),
    "twilio": (lambda url: {"plugin": "twilio", **CLIENTS["shop"]["twilio"], "sender": "+15017122661",
                            "base_url": url},
               lambda m, p, b: m == "POST" and p.endswith("/Messages.json")),
    "vonage": (lambda url: {"plugin": "vonage", **CLIENTS["shop"]["vonage"], "sender": "AcmeInc", "base_url": url},
               lambda m, p, b: "/sms/json" in p),
    "messagebird": (lambda url: {"plugin": "messagebird", **CLIENTS["shop"]["messagebird"], "sender": "smsbridge",
                                 "base_url": url},
                    lambda m, p, b: m == "POST" and p.split("?")[0].rstrip("/").endswith("/messages")),
    "plivo": (lambda url: {"plugin": "plivo", **CLIENTS["shop"]["plivo"], "sender": "+14155551234", "base_url": url},
              lambda m, p, b: m == "POST" and "/Message/" in p),
    "sinch": (lambda url: {"plugin": "sinch", **CLIENTS["shop"]["sinch"], "sender": "12345", "base_url": url},
              lambda m, p, b: m == "POST" and p.rstrip("/").endswith("/batches")),
    "infobip": (lambda url: {"plugin": "infobip", **CLIENTS["shop"]["infobip"], "sender": "InfoSMS",
                             "base_url": url},
                lambda m, p, b: m == "POST" and p.startswith("/sms/") and p.rstrip("/").endswith("/messages")),
}

FAULTS = ["ok", "refused", "503", "429", "500", "hang", "reset", "tls_corrupt", "trickle", "huge", "garbage"]

pytestmark = pytest.mark.usefixtures("fresh_wsdl_cache")


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One real gateway speaking every provider's API, over a sandbox whose table counts sends."""
    from smsbridge.gateway.server import run_in_thread

    root = tmp_path_factory.mktemp("upstream")
    config = {"default": "local", "backends": {"local": {"plugin": "sandbox", "path": str(root / "sandbox.sqlite3")}},
              "store": str(root / "journal.sqlite3"), "gateway": {"clients": CLIENTS}}
    server = run_in_thread(config)
    server.sandbox = root / "sandbox.sqlite3"
    yield server
    server.stop()
    server.bridge.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    from smsbridge.gateway.tls import self_signed

    return self_signed(str(tmp_path_factory.mktemp("tls")))


def sandbox_texts(db: Path, text: str) -> int:
    """How many messages with ``text`` a sandbox accepted (0 when it has none yet)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("SELECT COUNT(*) FROM sms WHERE text = ?", (text,)).fetchone()[0]
        except sqlite3.OperationalError:  # no table: nothing was ever sent there
            return 0


@pytest.mark.parametrize("pair", [False, True], ids=["alone", "failover"])
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_fault(backend: str, fault: str, pair: bool, upstream: Any, certificate: tuple[str, str],
               tmp_path: Path, free_port: int) -> None:
    make_config, is_send = BACKENDS[backend]
    server = None
    if fault == "refused":
        url = f"http://127.0.0.1:{free_port}"
    else:
        server = FaultServer(fault, upstream=upstream.url, is_send=is_send, trickle_every=0.1,  # ~27 s in all
                             tls=certificate if fault == "tls_corrupt" else None)
        url = server.url
    primary = {**make_config(url), "timeout": TIMEOUT}
    if fault == "tls_corrupt":
        primary["verify"] = certificate[0]
    fallback_db = tmp_path / "fallback.sqlite3"
    backends = {"primary": primary}
    config: dict[str, Any] = {"store": str(tmp_path / "journal.sqlite3"), "backends": backends}
    if pair:
        backends["fallback"] = {"plugin": "sandbox", "path": str(fallback_db)}
        config["routes"] = [{"backends": ["primary", "fallback"]}]
    else:
        config["default"] = "primary"
    text = f"{backend} {fault} {'pair' if pair else 'alone'} {time.monotonic_ns()}"
    try:
        with Bridge.from_dict(config) as bridge:
            error: SmsBridgeError | None = None
            receipt = None
            try:
                receipt = bridge.send(TO, text)
            except SmsBridgeError as exc:
                error = exc
            message_id = receipt.id if receipt is not None else (error.message_id if error else None)
            status = bridge.record(message_id).status.value if message_id else None
        # The deadline is the rule here: the client itself hangs up on a reply that never ends
        # (hang) or would take ~12 s (trickle), counted at the server, not timed.
        abandoned = server.wait_abandoned() if server is not None and fault in ("hang", "trickle") else None
    finally:
        if server is not None:
            server.close()

    took = server.accepted if server is not None else 0
    upstream_took = sandbox_texts(upstream.sandbox, text)  # only the healthy "ok" send is forwarded
    fallback_took = sandbox_texts(fallback_db, text)
    assert took + fallback_took <= 1, "a message was accepted twice"
    assert upstream_took == (1 if fault == "ok" else 0)
    if server is not None:
        assert server.sends_seen == 1, "the send must reach the server exactly once"
    if abandoned is not None:
        assert abandoned == 1, f"the client did not give up on the {fault} reply by its deadline"

    if fault == "ok":
        assert error is None and receipt is not None and receipt.backend == "primary"
        assert (took, fallback_took) == (1, 0) and status not in ("unknown", "failed")
    elif fault in ACCEPTING_FAULTS:  # taken, no readable reply: unknown, never failed over
        assert isinstance(error, DeliveryUnknown), repr(error)
        assert error.transport is (fault not in ("500", "garbage"))
        assert (took, fallback_took, status) == (1, 0, "unknown")
    else:  # nothing left, or refused before acceptance: safe to fail over
        assert took == 0
        if pair:
            assert error is None and receipt is not None and receipt.backend == "fallback", repr(error)
            assert fallback_took == 1 and status not in ("unknown", "failed")
        else:
            assert isinstance(error, ProviderUnavailable), repr(error)
            assert status == "failed"
