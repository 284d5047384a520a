"""Issue 13: on a PostgreSQL journal a backend's rate limit and circuit breaker belong to
the fleet, not to one process."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_bridge import chain_config, fake_plugin  # noqa: F401  (fixture)

from smsbridge import Bridge, ProviderError, ProviderUnavailable
from smsbridge.breaker import CircuitBreaker
from smsbridge.fleet import FleetBreaker, FleetRateLimiter
from smsbridge.journal_pg import PgJournal
from smsbridge.ratelimit import RateLimiter

RESERVER = textwrap.dedent("""
    import json, sys, time
    from smsbridge.journal_pg import PgJournal
    journal = PgJournal(sys.argv[1])
    start = float(sys.argv[2])
    while time.time() < start:
        time.sleep(0.001)
    print(json.dumps([journal.reserve_slot("b0", 0.05)[0] for _ in range(25)]))
    journal.close()
""")


def test_slots_reserved_by_several_processes_are_one_interval_apart(postgres_url):
    PgJournal(postgres_url).close()
    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", RESERVER, postgres_url, str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    slots: list[float] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        slots += json.loads(out)
    slots.sort()
    assert len(slots) == 75
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 0.05 - 1e-6, min(gaps)  # never two sends of the fleet closer than 1/rate


SENDER = textwrap.dedent("""
    import sys, time
    from smsbridge import Bridge
    config, start = sys.argv[1], float(sys.argv[2])
    with Bridge.from_config(config) as bridge:
        bridge.journal.get("warm-up")
        while time.time() < start:
            time.sleep(0.001)
        for i in range(12):
            bridge.send("+36301234567", f"{sys.argv[3]} {i}")
""")


def test_a_rate_limit_holds_across_processes(tmp_path: Path, postgres_url):
    config = tmp_path / "smsbridge.yaml"
    config.write_text("backends:\n  local:\n    plugin: sandbox\n    path: provider.sqlite3\n    credit: 100000\n"
                      f"    rate_limit: 10\nstore: {json.dumps(postgres_url)}\n", encoding="utf-8")
    with Bridge.from_config(config) as bridge:  # the schema and the provider's file exist before the race
        assert isinstance(bridge._limiters["local"], FleetRateLimiter)
        bridge.send("+36301234567", "warm-up")
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", SENDER, str(config), str(start), name], cwd=tmp_path,
                              stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    with sqlite3.connect(tmp_path / "provider.sqlite3") as conn:
        arrivals = [r[0] for r in conn.execute("SELECT created_at FROM sms WHERE text != 'warm-up' ORDER BY"
                                               " created_at")]
    conn.close()
    assert len(arrivals) == 24
    busiest = max(sum(1 for t in arrivals if start_ <= t < start_ + 1.0) for start_ in arrivals)
    # 10/s for the fleet, plus up to two sends that woke late on a loaded machine (the slots
    # themselves are exact: the test above); with a limit per process it would be ~20.
    assert busiest <= 12, busiest


def test_a_breaker_opened_by_one_process_is_open_in_all(tmp_path, fake_plugin, postgres_url):  # noqa: F811
    config = chain_config(tmp_path, "unavailable", store=postgres_url, breaker={"failures": 2, "cooldown": 0.3})
    with Bridge.from_dict(config) as one, Bridge.from_dict(config) as other:
        assert isinstance(one._breakers["b0"], FleetBreaker)
        for _ in range(2):
            with pytest.raises(ProviderUnavailable, match="connection refused"):
                one.send("+36301234567", "x")
        assert [b["breaker"] for b in other.describe_backends()] == ["open"]
        with pytest.raises(ProviderUnavailable, match="circuit breaker"):
            other.send("+36301234567", "y")
        assert len(fake_plugin.CALLS) == 2  # the other process never called the dead provider
        while other.describe_backends()[0]["breaker"] != "half-open":
            time.sleep(0.05)
        # Exactly one probe for the whole fleet.
        assert [one._breakers["b0"].allow(), other._breakers["b0"].allow(), one._breakers["b0"].allow()] == \
            [True, False, False]
        one._breakers["b0"].failure()  # the probe failed: open again, for everyone
        assert other.describe_backends()[0]["breaker"] == "open"
        while other.describe_backends()[0]["breaker"] != "half-open":
            time.sleep(0.05)
        fake_plugin.OVERRIDE["b0"] = "ok"
        try:
            assert other.send("+36301234567", "probe").backend == "b0"  # the probe succeeds: closed
        finally:
            fake_plugin.OVERRIDE.clear()
        assert [b["breaker"] for b in one.describe_backends()] == ["closed"]


def test_sqlite_keeps_limits_per_process(tmp_path, fake_plugin):  # noqa: F811
    with Bridge.from_dict(chain_config(tmp_path, "ok")) as bridge:
        assert isinstance(bridge._breakers["b0"], CircuitBreaker)
    config = chain_config(tmp_path, "ok")
    config["backends"]["b0"]["rate_limit"] = 5
    with Bridge.from_dict(config) as bridge:
        assert isinstance(bridge._limiters["b0"], RateLimiter)


def test_a_release_lets_another_probe_through(tmp_path, fake_plugin, postgres_url):  # noqa: F811
    config = chain_config(tmp_path, "unavailable", store=postgres_url, breaker={"failures": 1, "cooldown": 0.2})
    with Bridge.from_dict(config) as bridge:
        with pytest.raises(ProviderError):
            bridge.send("+36301234567", "x")
        breaker = bridge._breakers["b0"]
        while breaker.state != "half-open":
            time.sleep(0.05)
        assert breaker.allow() and not breaker.allow()
        breaker.release()  # the probe proved nothing (DeliveryUnknown)
        assert breaker.allow()
