"""Failover against real misbehaving servers: at most once across all backends (SPEC §7)."""
from __future__ import annotations

import time

import pytest
from misbehaving import MisbehavingServer

from smsbridge import Bridge, DeliveryUnknown, Status

CONNECT_OK = {"success": True, "error": False, "access_token": "tok", "expires_in": 3600}
SEND_OK = {"success": True, "error": False, "response": {"sms_id": 77}}


def config(tmp_path, base_url: str) -> dict:
    return {
        "backends": {
            "primary": {"plugin": "simplesms-rest", "username": "u", "password": "p-SECRET", "domain": "d.hu",
                        "base_url": base_url + "/rest/SMSapi/", "timeout": 0.5},
            "fallback": {"plugin": "sandbox", "path": str(tmp_path / "fallback.sqlite3")},
        },
        "routes": [{"backends": ["primary", "fallback"]}],
        "store": str(tmp_path / "journal.sqlite3"),
    }


def sends_seen(server: MisbehavingServer) -> int:
    return sum("sendSMS" in p for p in server.paths)


def test_refused_connection_fails_over(tmp_path, free_port):
    with Bridge.from_dict(config(tmp_path, f"http://127.0.0.1:{free_port}")) as bridge:
        receipt = bridge.send("+36301234567", "x")
        assert receipt.backend == "fallback"
        attempts = bridge.record(receipt.id).attempts
        assert [a["backend"] for a in attempts] == ["primary", "fallback"]


@pytest.mark.parametrize("mode", ["503", "429"])
def test_refusal_before_acceptance_fails_over(tmp_path, mode):
    with MisbehavingServer(mode, only="sendSMS", replies={"connect": CONNECT_OK}) as server:
        with Bridge.from_dict(config(tmp_path, server.url)) as bridge:
            assert bridge.send("+36301234567", "x").backend == "fallback"
            assert sends_seen(server) == 1


@pytest.mark.parametrize("mode", ["slow", "reset", "truncate"])
def test_maybe_accepted_stops_the_chain_and_is_journaled_unknown(tmp_path, mode):
    with MisbehavingServer(mode, only="sendSMS", replies={"connect": CONNECT_OK}, delay=1.5) as server:
        with Bridge.from_dict(config(tmp_path, server.url)) as bridge:
            with pytest.raises(DeliveryUnknown) as info:
                bridge.send("+36301234567", "x")
            assert sends_seen(server) == 1  # sent at most once across all backends:
            assert bridge.monthly_stats("fallback") == []  # the fallback never saw it
            assert info.value.message_id and "p-SECRET" not in str(info.value)
            assert bridge.status(info.value.message_id).status is Status.UNKNOWN
        with Bridge.from_dict(config(tmp_path, server.url)) as later:  # a new process, same store
            assert later.status(info.value.message_id).status is Status.UNKNOWN
            assert [r.id for r in later.journaled(status="unknown")] == [info.value.message_id]


def test_healthy_primary_is_used(tmp_path):
    with MisbehavingServer("ok", replies={"connect": CONNECT_OK, "sendSMS": SEND_OK}) as server:
        with Bridge.from_dict(config(tmp_path, server.url)) as bridge:
            receipt = bridge.send("+36301234567", "x")
            assert (receipt.backend, receipt.provider_id) == ("primary", "77")


# The send_many speed figure (concurrency 16 vs sequential over a 20 ms `smsbridge serve`)
# lives in benchmarks/send_many_bench.py: a speed figure is no test (issue 11).


def test_breaker_skips_a_refusing_server_then_probes_it(tmp_path, free_port):
    """A dead provider costs nothing per message once the breaker opens; it is probed later."""
    cfg = config(tmp_path, f"http://127.0.0.1:{free_port}")
    cfg["breaker"] = {"failures": 2, "cooldown": 0.5}
    with Bridge.from_dict(cfg) as bridge:
        receipts = [bridge.send("+36301234567", f"m{i}") for i in range(5)]
        assert all(r.backend == "fallback" for r in receipts)
        tried = [[a.get("outcome", "") for a in bridge.record(r.id).attempts if a["backend"] == "primary"]
                 for r in receipts]
        assert [t[0].startswith("not accepted") for t in tried] == [True, True, False, False, False]
        assert all(t[0] == "skipped (circuit open)" for t in tried[2:])
        assert bridge.describe_backends()[0]["breaker"] == "open"
        # The provider comes back on the same address.
        with MisbehavingServer("ok", replies={"connect": CONNECT_OK, "sendSMS": SEND_OK}, port=free_port):
            time.sleep(0.55)
            assert bridge.send("+36301234567", "probe").backend == "primary"  # half-open probe succeeds
            assert bridge.describe_backends()[0]["breaker"] == "closed"
