"""The public Python API (SPEC §2, §7) on the sandbox and a third-party test backend."""
from __future__ import annotations

import logging
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import smsbridge
from smsbridge import (
    AuthenticationError,
    Bridge,
    ConfigError,
    DeliveryUnknown,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    Receipt,
    SmsBridgeError,
    Status,
)

sys.path.insert(0, str(Path(__file__).parent / "fakeplugin"))
import smsbridge_fake  # noqa: E402


@pytest.fixture
def fake_plugin():
    """The fake third-party plugin, through pluggy.

    With its folder on sys.path (above) its dist-info entry point is found when the plugin
    manager starts; if the manager started earlier in this process, it is registered
    in-process instead.  (test_cli proves the entry-point path in a fresh subprocess.)
    """
    from smsbridge import plugins

    name = None
    if not plugins.manager().is_registered(smsbridge_fake):
        name = plugins.register(smsbridge_fake, name="fake-inprocess")
    smsbridge_fake.CALLS.clear()
    yield smsbridge_fake
    if name:
        plugins.unregister(name)


def chain_config(tmp_path, *modes: str, **extra):
    backends = {f"b{i}": {"plugin": "fake", "mode": mode, "api_key": "k-SECRET-1"} for i, mode in enumerate(modes)}
    return {"backends": backends, "routes": [{"backends": list(backends)}],
            "store": str(tmp_path / "j.sqlite3"), **extra}


def test_send_returns_a_receipt_and_status_history_work(sandbox_config):
    with Bridge.from_dict(sandbox_config) as bridge:
        receipt = bridge.send("+36301234567", "Szia!")
        assert isinstance(receipt, Receipt)
        assert receipt.backend == "local" and receipt.to == "+36301234567"
        assert receipt.status is Status.QUEUED and receipt.segments == 1 and receipt.encoding == "gsm7"
        assert receipt.provider_id == "1" and receipt.id.startswith("sb_")
        report = bridge.status(receipt.id)
        assert report.id == receipt.id and report.status is Status.DELIVERED
        assert [e.status for e in bridge.history(receipt.id)] == [Status.QUEUED, Status.SENT, Status.DELIVERED]
        assert bridge.balance().amount == Decimal("999") and bridge.balance().unit == "credit"
        stats = bridge.monthly_stats()
        assert len(stats) == 1 and (stats[0].domestic, stats[0].foreign) == (1, 0)
        assert bridge.backends() == ["local"]


def test_national_numbers_use_default_region_and_ucs2_counts(sandbox_config):
    with Bridge.from_dict(sandbox_config) as bridge:
        receipt = bridge.send("06 30 123 4567", "Őszi " * 20)  # 100 chars, Ő forces UCS-2: 2 segments
        assert receipt.to == "+36301234567" and receipt.encoding == "ucs2" and receipt.segments == 2
        assert bridge.balance().amount == Decimal("998")


def test_transliterate_halves_the_cost(sandbox_config):
    sandbox_config["defaults"] = {"transliterate": True}
    with Bridge.from_dict(sandbox_config) as bridge:
        receipt = bridge.send("+36301234567", "Árvíztűrő tükörfúrógép " * 4)
        assert receipt.encoding == "gsm7" and receipt.segments == 1
        assert bridge.record(receipt.id).text.startswith("Arviztürö")


def test_a_new_bridge_on_the_same_store_answers_for_old_ids(sandbox_config):
    with Bridge.from_dict(sandbox_config) as first:
        receipt = first.send("+36301234567", "hello")
    with Bridge.from_dict(sandbox_config) as second:
        assert second.status(receipt.id).status is Status.DELIVERED
        assert second.history(receipt.id)[-1].status is Status.DELIVERED


@pytest.mark.parametrize("to, text, error", [
    ("+3612", "x", InvalidNumber), ("hello", "x", InvalidNumber), ("", "x", InvalidNumber),
    ("+36301234567", "", InvalidMessage), ("+36301234567", "   ", InvalidMessage),
    ("+36301234567", "x" * 161 * 7, InvalidMessage),
])
def test_bad_input_raises_and_sends_nothing(sandbox_config, to, text, error):
    with Bridge.from_dict(sandbox_config) as bridge:
        with pytest.raises(error) as info:
            bridge.send(to, text)
        assert info.value.message_id is None
        assert bridge.journaled() == [] and bridge.monthly_stats() == []
        assert bridge.balance().amount == Decimal("1000")


def test_bad_sender_is_refused(sandbox_config):
    with Bridge.from_dict(sandbox_config) as bridge:
        with pytest.raises(InvalidMessage, match="sender"):
            bridge.send("+36301234567", "x", sender="this sender is far too long")
        assert bridge.send("+36301234567", "x", sender="Shop").sender == "Shop"


def test_unknown_backend_names_the_choices(sandbox_config):
    with Bridge.from_dict(sandbox_config) as bridge:
        with pytest.raises(ConfigError, match=r"'locl' \(did you mean 'local'\?\)"):
            bridge.send("+36301234567", "x", backend="locl")
        with pytest.raises(ConfigError):
            bridge.balance("nope")


def test_unknown_message_id_is_not_found(sandbox_config):
    with Bridge.from_dict(sandbox_config) as bridge:
        with pytest.raises(NotFound):
            bridge.status("sb_nope")
        with pytest.raises(NotFound):
            bridge.history("sb_nope")


def test_failover_only_on_certain_failures(tmp_path, fake_plugin):
    with Bridge.from_dict(chain_config(tmp_path, "unavailable", "auth", "ok")) as bridge:
        receipt = bridge.send("+36301234567", "x")
    assert receipt.backend == "b2"
    assert [c[0] for c in fake_plugin.CALLS] == ["b0", "b1", "b2"]


@pytest.mark.parametrize("mode, error", [("unknown", DeliveryUnknown), ("rejected", ProviderError),
                                         ("crash", DeliveryUnknown)])
def test_uncertain_or_final_errors_stop_the_chain(tmp_path, fake_plugin, mode, error):
    with Bridge.from_dict(chain_config(tmp_path, mode, "ok")) as bridge:
        with pytest.raises(error) as info:
            bridge.send("+36301234567", "x")
        assert [c[0] for c in fake_plugin.CALLS] == ["b0"]  # never sent twice
        assert info.value.message_id and info.value.backend == "b0"
        # Not retry-safe means not proven refused: journaled unknown, never failed (issue 11)
        expected = Status.UNKNOWN
        assert bridge.status(info.value.message_id).status is expected
    with Bridge.from_dict(chain_config(tmp_path, mode, "ok")) as again:  # the journal outlives the process
        assert again.status(info.value.message_id).status is expected


def test_all_backends_failing_raises_the_last_error_with_message_id(tmp_path, fake_plugin):
    with Bridge.from_dict(chain_config(tmp_path, "unavailable", "auth")) as bridge:
        with pytest.raises(AuthenticationError) as info:
            bridge.send("+36301234567", "x")
        assert bridge.status(info.value.message_id).status is Status.FAILED
        record = bridge.record(info.value.message_id)
        assert [a["backend"] for a in record.attempts] == ["b0", "b1"]


def test_idempotency_key_prevents_a_second_send(tmp_path, fake_plugin):
    with Bridge.from_dict(chain_config(tmp_path, "ok")) as bridge:
        first = bridge.send("+36301234567", "x", idempotency_key="order-1")
        second = bridge.send("+36301234567", "x", idempotency_key="order-1")
        assert first.id == second.id and len(fake_plugin.CALLS) == 1


def test_idempotency_key_after_unknown_refuses_to_resend(tmp_path, fake_plugin):
    with Bridge.from_dict(chain_config(tmp_path, "unknown")) as bridge:
        with pytest.raises(DeliveryUnknown):
            bridge.send("+36301234567", "x", idempotency_key="k")
        with pytest.raises(DeliveryUnknown, match="reconcile"):
            bridge.send("+36301234567", "x", idempotency_key="k")
        assert len(fake_plugin.CALLS) == 1


def test_send_many_keeps_input_order_and_returns_errors(sandbox_config):
    items = [("+36301234567", f"m{i}") for i in range(30)]
    items[7] = ("bad", "x")
    items[12] = {"to": "+36301234567", "text": ""}
    seen = []
    with Bridge.from_dict(sandbox_config) as bridge:
        results = bridge.send_many(items, concurrency=4, progress=seen.append)
        assert len(results) == 30 and seen == results
        assert isinstance(results[7], InvalidNumber) and isinstance(results[12], InvalidMessage)
        texts = [bridge.record(r.id).text for r in results if isinstance(r, Receipt)]
        assert texts == [f"m{i}" for i in range(30) if i not in (7, 12)]


def test_required_option_left_empty_loads_but_cannot_be_used(tmp_path, fake_plugin):
    config = {"backends": {"local": {"plugin": "sandbox"}, "other": {"plugin": "fake", "api_key": ""}}}
    with Bridge.from_dict(config) as bridge:
        assert bridge.incomplete_backends() == {"other": ("backends.other.api_key",)}
        bridge.send("+36301234567", "x")
        with pytest.raises(ConfigError, match="backends.other.api_key"):
            bridge.send("+36301234567", "x", backend="other")


def test_no_secret_in_repr_errors_or_logs(tmp_path, fake_plugin, caplog):
    caplog.set_level(logging.DEBUG)
    with Bridge.from_dict(chain_config(tmp_path, "crash")) as bridge:
        texts = [repr(bridge), repr(bridge.backend("b0")), repr(bridge.backend("b0").settings)]
        with pytest.raises(SmsBridgeError) as info:
            bridge.send("+36301234567", "x")
        texts += [str(info.value), repr(info.value)]
    texts.append(caplog.text)
    assert all("k-SECRET-1" not in t for t in texts)
    assert "***" in repr(bridge.backend("b0").settings)


def test_hooks_veto_rewrite_and_observe(sandbox_config):
    from smsbridge import plugins
    from smsbridge.hookspecs import hookimpl

    events = []

    class OptOut:
        @hookimpl
        def smsbridge_before_send(self, message):
            if message.to == "+36309999999":
                raise InvalidMessage("recipient opted out")
            return None

    class Signature:
        @hookimpl
        def smsbridge_before_send(self, message):
            from dataclasses import replace
            return replace(message, text=message.text + " -- Shop")

        @hookimpl
        def smsbridge_after_send(self, message, receipt):
            events.append(("sent", receipt.id))

        @hookimpl
        def smsbridge_send_failed(self, message, error):
            events.append(("failed", type(error).__name__))

        @hookimpl
        def smsbridge_status_changed(self, message_id, old, new, report):
            events.append(("status", old.value, new.value))
            raise RuntimeError("a broken observer must not break status()")

    names = [plugins.register(OptOut(), name="optout"), plugins.register(Signature(), name="signature")]
    try:
        with Bridge.from_dict(sandbox_config) as bridge:
            with pytest.raises(InvalidMessage, match="opted out"):
                bridge.send("+36309999999", "hi")
            assert bridge.journaled() == []
            receipt = bridge.send("+36301234567", "hi")
            assert bridge.record(receipt.id).text == "hi -- Shop"
            assert bridge.status(receipt.id).status is Status.DELIVERED
    finally:
        for name in names:
            plugins.unregister(name)
    assert events == [("sent", receipt.id), ("status", "queued", "delivered")]


def test_import_smsbridge_is_light():
    import subprocess

    code = ("import sys, smsbridge; heavy = [m for m in ('zeep', 'requests', 'starlette', 'uvicorn', 'lxml',"
            " 'phonenumbers', 'yaml') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_names_exist():
    for name in ["Bridge", "Status", "Receipt", "StatusReport", "StatusEvent", "Balance", "MonthlyStat",
                 "SmsBridgeError", "ConfigError", "InvalidNumber", "InvalidMessage", "AuthenticationError",
                 "InsufficientCredit", "ProviderUnavailable", "DeliveryUnknown", "ProviderError", "NotFound",
                 "UnsupportedOperation", "IdempotencyConflict", "InboundMessage"]:
        assert hasattr(smsbridge, name), name
    assert [s.value for s in Status] == ["queued", "sent", "delivered", "undelivered", "failed", "expired",
                                         "rejected", "unknown", "scheduled", "canceled"]
    assert issubclass(smsbridge.DeliveryUnknown, smsbridge.SmsBridgeError)
    assert ProviderUnavailable.retry_safe and not DeliveryUnknown.retry_safe


def test_lone_surrogate_is_invalid_message_and_nothing_is_journaled(sandbox_config):
    with Bridge.from_dict(sandbox_config) as bridge:
        with pytest.raises(InvalidMessage, match="surrogate"):
            bridge.send("+36301234567", "a\ud800b")
        assert bridge.journaled() == []
