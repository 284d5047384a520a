"""The simplesms-soap backend, one suite run against two SOAP servers (SPEC §5, §7):

- ``gateway``: smsbridge's own SOAP face (``smsbridge serve``) over the sandbox;
- ``php``: PHP 8.2's real SoapServer (``tests/php/simplesms_server.php`` under ``php -S``),
  the closest thing to the provider we can run.  Its WSDL is not ours (its operations
  return ``xsd:anyType``, its error keys vary with ``?keys=``), which proves the backend
  uses the WSDL the configured URL serves — the official one is not reachable here.

Every test reads like a user's session: a Bridge from a config dict, real sockets on
127.0.0.1, and the server asked afterwards what it saw (calls counted server-side).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from php_soap_server import PhpSoapServer

from smsbridge import (
    AuthenticationError,
    Bridge,
    DeliveryUnknown,
    InsufficientCredit,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    Status,
)

TO = "+36301234567"

# Each test parses its server's WSDL afresh (ports are reused across tests).
pytestmark = pytest.mark.usefixtures("fresh_wsdl_cache")


# ---------------------------------------------------------------------------------------
# The two servers behind one interface


class SoapServer:
    """What a test needs from a SOAP server, whichever it is."""

    kind: str
    wsdl: str
    credentials: dict[str, str]
    slow_prefix: str = ""  # text prefix that delays the reply after the message is stored

    def calls(self) -> dict[str, int]:
        """Calls served so far, by operation (server side)."""
        raise NotImplementedError

    def drop_sessions(self) -> None:
        """The server forgets every login; clients' cookies go stale."""
        raise NotImplementedError

    def wsdl_fetches(self) -> int:
        raise NotImplementedError

    def slow_text(self, seconds: float) -> str:
        """A message text whose reply comes ``seconds`` late (the message is stored first)."""
        raise NotImplementedError

    def messages_stored(self) -> int:
        raise NotImplementedError

    def backend_config(self, **extra: Any) -> dict[str, Any]:
        return {"plugin": "simplesms-soap", **self.credentials, "wsdl": self.wsdl, "timeout": 5, **extra}


class GatewayServer(SoapServer):
    kind = "gateway"

    def __init__(self, running: Any, credentials: dict[str, str]) -> None:
        from smsbridge_plugins.simplesms import gateway_soap

        self.running = running
        self.url = running.url
        self.wsdl = f"{running.url}/sms.wsdl"
        self.credentials = credentials
        self.face = next(f for f in gateway_soap.live_faces() if f.gateway.bridge is running.bridge)

    def calls(self) -> dict[str, int]:
        return {k: v for k, v in self.face.calls.items() if v}

    def drop_sessions(self) -> None:
        self.face.sessions.clear()

    def wsdl_fetches(self) -> int:
        return self.face.wsdl_served

    def slow_text(self, seconds: float) -> str:
        return "slow reply"  # the gateway was started with sandbox latency

    def messages_stored(self) -> int:
        return len(self.running.bridge.journal.records(phase="accepted"))


class PhpServer(PhpSoapServer, SoapServer):
    kind = "php"

    def __init__(self, state_dir: Path, *, query: str = "", credit: int = 100) -> None:
        super().__init__(state_dir, SIMPLESMS_CREDIT=str(credit))
        self.wsdl = f"{self.wsdl_url()}?{query}" if query else self.wsdl_url()
        self.credentials = {"username": "user", "password": "secret", "domain": "example.hu"}

    def calls(self) -> dict[str, int]:
        return {k: v for k, v in self.call_counts().items() if k != "wsdl"}

    def drop_sessions(self) -> None:
        self.reset_sessions()

    def wsdl_fetches(self) -> int:
        return self.call_counts().get("wsdl", 0)

    def slow_text(self, seconds: float) -> str:
        return f"__sleep__{seconds}"

    def messages_stored(self) -> int:
        store = self.state_dir / "store.json"
        return len(json.loads(store.read_text())["messages"]) if store.exists() else 0


@pytest.fixture(params=["gateway", "php"])
def start_server(request: pytest.FixtureRequest, gateway: Callable[..., Any], tmp_path_factory: Any,
                 simplesms_client: dict[str, str]) -> Callable[..., SoapServer]:
    """``start_server(credit=None, latency=0.0) -> SoapServer`` of this test's kind."""
    if request.param == "php":
        start_php = request.getfixturevalue("start_php")  # skips where php cannot run

        def start_php_server(*, credit: int | None = None, latency: float = 0.0, query: str = "") -> SoapServer:
            return start_php(query=query, credit=100 if credit is None else credit)  # slow_text() for latency

        return start_php_server

    def start(*, credit: int | None = None, latency: float = 0.0, query: str = "") -> SoapServer:
        path = tmp_path_factory.mktemp("gateway")
        sandbox: dict[str, Any] = {"plugin": "sandbox", "path": str(path / "sandbox.sqlite3")}
        if credit is not None:
            sandbox["credit"] = credit
        if latency:
            sandbox["chaos"] = {"latency": latency}
        config = {"default": "local", "backends": {"local": sandbox}, "store": str(path / "journal.sqlite3"),
                  "gateway": {"clients": {"shop": {"simplesms": dict(simplesms_client)}}}}
        return GatewayServer(gateway(config), simplesms_client)

    return start


@pytest.fixture
def server(start_server: Callable[..., SoapServer]) -> SoapServer:
    return start_server()


@pytest.fixture
def start_php(start_php_soap: Callable[..., Any]) -> Callable[..., PhpServer]:
    """For the PHP server's own switches (not parametrized)."""
    return lambda **options: start_php_soap(PhpServer, **options)


def bridge_for(server: SoapServer, tmp_path: Path, *, spare: bool = False, **backend: Any) -> Bridge:
    """A Bridge whose default route is the SOAP backend (then a sandbox, with ``spare``)."""
    config: dict[str, Any] = {"default": "legacy", "backends": {"legacy": server.backend_config(**backend)},
                              "store": str(tmp_path / "client-journal.sqlite3")}
    if spare:
        config["backends"]["spare"] = {"plugin": "sandbox"}
        config["routes"] = [{"backends": ["legacy", "spare"]}]
    return Bridge.from_dict(config)


# ---------------------------------------------------------------------------------------
# Every operation


def test_every_operation(server, tmp_path):
    with bridge_for(server, tmp_path) as bridge:
        before = bridge.balance()
        assert before.unit == "credit" and before.backend == "legacy"

        receipt = bridge.send(TO, "Szia! Árvíztűrő tükörfúrógép")
        assert receipt.backend == "legacy" and receipt.status is Status.QUEUED
        assert receipt.provider_id.isdigit()  # simpleSMS ids are numbers, kept as strings
        assert receipt.encoding == "ucs2" and receipt.segments == 1

        report = bridge.status(receipt.id)
        assert report.status is Status.DELIVERED
        assert report.raw == "Delivered" and report.updated_at is not None

        history = bridge.history(receipt.id)
        assert [e.status for e in history] == [Status.QUEUED, Status.SENT, Status.DELIVERED]
        assert [e.code for e in history] == ["1", "2", "3"]
        assert all(e.at is not None for e in history)

        assert bridge.balance().amount == before.amount - 1
        stats = bridge.monthly_stats()
        assert stats and all(re.fullmatch(r"\d{4}-\d{2}", s.month) for s in stats)
        assert [s.month for s in stats] == sorted(s.month for s in stats)
        assert sum(s.domestic for s in stats) >= 1
    assert server.calls()["sendSMS"] == 1


def test_undelivered_history_carries_the_comment(start_php, tmp_path):
    server = start_php()
    with bridge_for(server, tmp_path) as bridge:
        receipt = bridge.send("+36201234569", "x")  # the PHP server fails numbers ending in 9
        assert bridge.status(receipt.id).status is Status.UNDELIVERED
        last = bridge.history(receipt.id)[-1]
        assert (last.status, last.comment) == (Status.UNDELIVERED, "Handset unreachable")


def test_unknown_id_is_not_found(server, tmp_path):
    with bridge_for(server, tmp_path) as bridge:
        backend = bridge.backend("legacy")
        with pytest.raises(NotFound) as info:
            backend.status("424242")
        assert isinstance(info.value, ProviderError) and info.value.code == "404"
        with pytest.raises(NotFound):
            backend.history("424242")


def test_insufficient_credit(start_server, tmp_path):
    server = start_server(credit=0)
    with bridge_for(server, tmp_path) as bridge:
        with pytest.raises(InsufficientCredit) as info:
            bridge.send(TO, "x")
        assert info.value.code == "301" and info.value.retry_safe
        assert bridge.status(info.value.message_id).status is Status.FAILED


# ---------------------------------------------------------------------------------------
# Sessions


def test_one_connect_serves_many_calls_and_threads(server, tmp_path):
    with bridge_for(server, tmp_path) as bridge:
        receipts = [bridge.send(TO, f"m{i}") for i in range(3)]
        bridge.status(receipts[0].id)
        bridge.history(receipts[1].id)
        bridge.balance()
        bridge.monthly_stats()
        results = bridge.send_many([(TO, f"bulk {i}") for i in range(12)], concurrency=6)
        assert all(r.backend == "legacy" for r in results)
        assert bridge.backend("legacy").connects == 1
    calls = server.calls()
    assert calls["connect"] == 1
    assert calls["sendSMS"] == 15


def test_lost_session_connects_again_once(server, tmp_path):
    with bridge_for(server, tmp_path) as bridge:
        first = bridge.send(TO, "before")
        server.drop_sessions()
        second = bridge.send(TO, "after")  # refused with 102, connected again, repeated
        assert bridge.status(second.id).status is Status.DELIVERED
        assert bridge.backend("legacy").connects == 2
        server.drop_sessions()
        results = bridge.send_many([(TO, f"bulk {i}") for i in range(8)], concurrency=8)
        assert all(r.backend == "legacy" for r in results)  # threads wait for one login
        assert bridge.backend("legacy").connects == 3
    calls = server.calls()
    assert calls["connect"] == 3
    # Each refused send was repeated once, and nothing was sent twice:
    assert server.messages_stored() == 10
    assert first.provider_id != second.provider_id


def test_bad_credentials(server, tmp_path):
    with bridge_for(server, tmp_path, password="wrong") as bridge:
        with pytest.raises(AuthenticationError) as info:
            bridge.send(TO, "x")
        assert info.value.code == "101" and info.value.backend == "legacy"
        assert "wrong" not in str(info.value) and "wrong" not in repr(info.value)
        assert bridge.status(info.value.message_id).status is Status.FAILED
    assert server.calls() == {"connect": 1}  # no call was attempted without a session


def test_bad_credentials_fail_over(server, tmp_path):
    with bridge_for(server, tmp_path, spare=True, password="wrong") as bridge:
        assert bridge.send(TO, "x").backend == "spare"


# ---------------------------------------------------------------------------------------
# Failures in transit (SPEC §7)


def test_unreachable_server_is_unavailable_and_fails_over(server, tmp_path, free_port):
    dead = f"http://127.0.0.1:{free_port}"
    with bridge_for(server, tmp_path, wsdl=f"{dead}/sms.wsdl") as bridge:
        with pytest.raises(ProviderUnavailable, match="could not connect"):
            bridge.send(TO, "x")
    # The WSDL loads, but the endpoint is down (base_url overrides soap:address).
    with bridge_for(server, tmp_path, spare=True, base_url=f"{dead}/soap") as bridge:
        receipt = bridge.send(TO, "x")
        assert receipt.backend == "spare"
        with pytest.raises(ProviderUnavailable):
            bridge.balance(backend="legacy")
    assert "sendSMS" not in server.calls()


def test_reply_after_the_timeout_is_unknown_and_not_resent(start_server, tmp_path):
    server = start_server(latency=1.5)
    with bridge_for(server, tmp_path, spare=True, timeout=0.5) as bridge:
        with pytest.raises(DeliveryUnknown) as info:  # the 0.5 s timeout ends the 1.5 s reply's wait
            bridge.send(TO, server.slow_text(1.5))
        error = info.value
        assert not error.retry_safe and error.backend == "legacy"
        assert bridge.status(error.message_id).status is Status.UNKNOWN
        assert bridge.journal.get(error.message_id).phase == "unknown"
        assert bridge.backend("spare").balance().amount == Decimal(1000)  # no failover
    deadline = time.monotonic() + 10
    while server.messages_stored() < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    assert server.messages_stored() == 1
    assert server.calls()["sendSMS"] == 1  # sent once, never repeated


def test_server_fault_on_send_is_unknown(start_server, tmp_path):
    server = start_server()
    if isinstance(server, GatewayServer):
        # The face turns any internal failure into a Server fault; provoke one.
        original = server.face._handlers["sendSMS"]

        async def broken(client: Any, args: Any) -> Any:
            if args.get("strMessage") == "__soapfault__":
                raise RuntimeError("disk on fire")
            return await original(client, args)

        server.face._handlers["sendSMS"] = broken
    with bridge_for(server, tmp_path, spare=True) as bridge:
        with pytest.raises(DeliveryUnknown) as info:
            bridge.send(TO, "__soapfault__")
        assert info.value.code == "SOAP-ENV:Server"
        assert "SOAP fault" in str(info.value)
        assert bridge.status(info.value.message_id).status is Status.UNKNOWN
        assert bridge.send(TO, "fine").backend == "legacy"  # the session survived the fault


# ---------------------------------------------------------------------------------------
# The WSDL


def test_the_wsdl_is_fetched_on_first_use_and_parsed_once(server, tmp_path):
    assert server.wsdl_fetches() == 0
    config = {"backends": {"legacy": server.backend_config()}}
    first = Bridge.from_dict(config)
    assert server.wsdl_fetches() == 0 and server.calls() == {}  # building touches nothing
    first.balance()
    second = Bridge.from_dict(config)
    second.balance()
    assert server.wsdl_fetches() == 1  # one parse per process, shared by both Bridges
    assert server.calls()["connect"] == 2  # ...but each backend has its own session
    first.close()
    second.close()


def test_import_and_config_check_need_no_network(server, tmp_path, free_port):
    """`import smsbridge`, building the backend and `config check` stay offline and zeep-free."""
    code = (
        "import sys, smsbridge\n"
        "from smsbridge import Bridge\n"
        f"b = Bridge.from_dict({{'backends': {{'legacy': {{'plugin': 'simplesms-soap', 'username': 'u',"
        f" 'password': 'p', 'domain': 'd', 'wsdl': 'http://127.0.0.1:{free_port}/sms.wsdl'}}}}}})\n"
        "assert 'zeep' not in sys.modules, 'zeep imported at construction'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
    config = tmp_path / "smsbridge.yaml"
    config.write_text("backends:\n  legacy:\n    plugin: simplesms-soap\n    username: u\n    password: p\n"
                      f"    domain: d\n    wsdl: {server.wsdl}\n")
    result = subprocess.run([sys.executable, "-c", "from smsbridge.cli import main; main()", "--config", str(config),
                             "config", "check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert server.wsdl_fetches() == 0 and server.calls() == {}


def test_error_key_variants_of_the_php_server(start_php, tmp_path):
    """The provider's WSDL and error keys may differ from ours: camelCase and short keys."""
    for query in ("returns=array&keys=camel", "keys=short&send=object"):  # send=object: {"sms_id": N}
        server = start_php(query=query)
        with bridge_for(server, tmp_path, password="wrong") as bridge:
            with pytest.raises(AuthenticationError) as info:
                bridge.balance()
            assert info.value.code == "101"
        with bridge_for(server, tmp_path) as bridge:
            receipt = bridge.send(TO, "x")
            assert bridge.status(receipt.id).status is Status.DELIVERED
            with pytest.raises(NotFound):
                bridge.backend("legacy").status("999999")


@pytest.mark.parametrize("lost", ["code", "text", "message", "body401", "http401", "http403"])
def test_every_lost_session_variant_of_the_php_server_reconnects_once(start_php, tmp_path, lost):
    """PHP's SoapServer saying "not logged in" each way (issue 19): one reconnect, one repeat."""
    server = start_php(query=f"lost={lost}")
    with bridge_for(server, tmp_path) as bridge:
        bridge.send(TO, "before")
        server.drop_sessions()
        receipt = bridge.send(TO, "after")
        assert bridge.status(receipt.id).status is Status.DELIVERED
        server.drop_sessions()
        assert bridge.balance().amount == 98
        assert bridge.backend("legacy").connects == 3
    assert server.calls()["connect"] == 3 and server.calls()["sendSMS"] == 3
    assert server.messages_stored() == 2


def test_a_refused_connect_on_the_php_server(start_php, tmp_path):
    for query in ("", "keys=short", "keys=camel"):
        server = start_php(query=query)
        with bridge_for(server, tmp_path, domain="nope.hu", spare=True) as bridge:
            with pytest.raises(AuthenticationError):
                bridge.balance(backend="legacy")
            assert bridge.send(TO, "x").backend == "spare"
