"""Idempotency keys (issue 11 item 3): bound to their payload, claimed atomically across
processes, and never freed by an error that does not prove the message was refused."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_bridge import chain_config, fake_plugin  # noqa: F401  (fixture)

from smsbridge import Bridge, DeliveryUnknown, IdempotencyConflict, ProviderError, Status


def sandbox_yaml(tmp_path: Path, latency: float = 0.0, store: str = "journal.sqlite3") -> Path:
    path = tmp_path / "smsbridge.yaml"
    path.write_text("backends:\n  local:\n    plugin: sandbox\n    path: provider.sqlite3\n    credit: 100000\n"
                    f"    chaos: {{latency: {latency}}}\nstore: {json.dumps(store)}\n", encoding="utf-8")
    return path


def provider_texts(tmp_path: Path) -> list[str]:
    try:
        with sqlite3.connect(tmp_path / "provider.sqlite3") as conn:
            return [r[0] for r in conn.execute("SELECT text FROM sms ORDER BY id")]
    except sqlite3.OperationalError:  # not created yet
        return []


def test_same_key_same_payload_returns_the_first_receipt(tmp_path, journal_store):
    with Bridge.from_config(sandbox_yaml(tmp_path, store=journal_store)) as bridge:
        first = bridge.send("+36301234567", "code 1111", idempotency_key="otp-42")
        again = bridge.send("06301234567", "code 1111", idempotency_key="otp-42")  # national spelling: same payload
    assert (again.id, again.provider_id, again.to, again.status) == (first.id, first.provider_id, first.to,
                                                                     first.status)
    assert provider_texts(tmp_path) == ["code 1111"]


@pytest.mark.parametrize("change", [{"to": "+36209876543"}, {"text": "code 9999"}, {"sender": "Shop"},
                                    {"reference": "order-7"}])
def test_same_key_other_payload_is_a_conflict_and_sends_nothing(tmp_path, change, journal_store):
    payload = {"to": "+36301234567", "text": "code 1111", "sender": None, "reference": None}
    with Bridge.from_config(sandbox_yaml(tmp_path, store=journal_store)) as bridge:
        first = bridge.send(**payload, idempotency_key="otp-42")
        with pytest.raises(IdempotencyConflict) as info:
            bridge.send(**{**payload, **change}, idempotency_key="otp-42")
        assert info.value.message_id == first.id and not info.value.retry_safe
        assert "otp-42" in str(info.value)
        assert len(bridge.journaled()) == 1  # nothing journaled for the refused payload
    assert provider_texts(tmp_path) == ["code 1111"]


def test_a_certainly_refused_send_gives_its_key_up(tmp_path, fake_plugin, journal_store):  # noqa: F811
    with Bridge.from_dict(chain_config(tmp_path, "unavailable", store=journal_store)) as bridge:
        with pytest.raises(ProviderError) as info:
            bridge.send("+36301234567", "x", idempotency_key="k")
        assert bridge.status(info.value.message_id).status is Status.FAILED
    fake_plugin.OVERRIDE["b0"] = "ok"
    try:
        with Bridge.from_dict(chain_config(tmp_path, "unavailable", store=journal_store)) as bridge:
            assert bridge.send("+36301234567", "other text", idempotency_key="k").backend == "b0"
    finally:
        fake_plugin.OVERRIDE.clear()


@pytest.mark.parametrize("mode", ["rejected", "unknown", "crash"])
def test_an_error_that_is_not_retry_safe_is_unknown_and_keeps_the_key(tmp_path, fake_plugin, mode,  # noqa: F811
                                                                      journal_store):
    with Bridge.from_dict(chain_config(tmp_path, mode, "ok", store=journal_store)) as bridge:
        with pytest.raises(ProviderError) as info:
            bridge.send("+36301234567", "x", idempotency_key="k")
        record = bridge.record(info.value.message_id)
        assert (record.status, record.phase) == (Status.UNKNOWN, "unknown")
        with pytest.raises(DeliveryUnknown, match="reconcile"):
            bridge.send("+36301234567", "x", idempotency_key="k")
    assert [c[0] for c in fake_plugin.CALLS] == ["b0"]  # sent once, whatever was asked after


CLAIMANT = textwrap.dedent("""
    import json, sys, time
    from smsbridge import Bridge, SmsBridgeError
    config, start, text = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    with Bridge.from_config(config) as bridge:
        bridge.journal.get("warm-up")      # the schema exists before the race starts
        while time.time() < start:
            time.sleep(0.001)
        try:
            receipt = bridge.send("+36301234567", text, idempotency_key="shared-key")
            print(json.dumps({"id": receipt.id, "provider_id": receipt.provider_id}))
        except SmsBridgeError as exc:
            print(json.dumps({"error": type(exc).__name__, "message_id": exc.message_id, "text": str(exc)}))
""")


def run_claimants(tmp_path: Path, texts: list[str], store: str) -> list[dict]:
    config = sandbox_yaml(tmp_path, latency=0.5, store=store)
    script = tmp_path / "claim.py"
    script.write_text(CLAIMANT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SMSBRIDGE_CONFIG"}
    Bridge.from_config(config).close()  # create the journal once, so the race is about the key only
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, str(script), str(config), str(start), text], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for text in texts]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "IntegrityError" not in err, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_processes_claiming_one_key_send_once_and_agree(tmp_path, journal_store):
    results = run_claimants(tmp_path, ["code 1111"] * 4, journal_store)
    assert provider_texts(tmp_path) == ["code 1111"]
    assert all("id" in r for r in results), results  # every claimant got the first one's receipt
    assert len({(r["id"], r["provider_id"]) for r in results}) == 1


def test_two_processes_with_one_key_and_other_payloads_conflict(tmp_path, journal_store):
    results = run_claimants(tmp_path, ["code 1111", "code 9999"], journal_store)
    sent = provider_texts(tmp_path)
    assert len(sent) == 1
    winner = [r for r in results if "id" in r]
    loser = [r for r in results if "error" in r]
    assert len(winner) == 1 and len(loser) == 1, results
    assert loser[0]["error"] == "IdempotencyConflict" and loser[0]["message_id"] == winner[0]["id"]


def age_rows(store: str, hours: float) -> None:
    """Make every journal row look ``hours`` older (as a dead process leaves it)."""
    sql = f"UPDATE messages SET updated_at = updated_at - {hours * 3600}"
    if store.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store, autocommit=True) as conn:
            conn.execute(sql)
    else:
        with sqlite3.connect(store) as conn:
            conn.execute(sql)
        conn.close()


def test_a_key_left_sending_by_a_dead_process_is_unknown_not_sent(tmp_path, journal_store):
    config = sandbox_yaml(tmp_path, store=journal_store)
    with Bridge.from_config(config) as bridge:
        from smsbridge.model import Message

        bridge.journal.begin(Message(to="+36301234567", text="code 1111", id="sb_dead"), "otp-1", attempt="local")
    age_rows(journal_store, 1)
    with Bridge.from_config(config) as bridge:
        with pytest.raises(DeliveryUnknown, match="being sent right now") as info:
            bridge.send("+36301234567", "code 1111", idempotency_key="otp-1")
        assert info.value.message_id == "sb_dead"
    assert provider_texts(tmp_path) == []
