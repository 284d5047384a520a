"""Every built-in provider speaks through the same wire convention (smsbridge.wire.ProviderWire).

mypy checks the modules structurally (plugins/conformance.py, via tests/test_lint.py); this
checks them at run time and checks what the convention promises of the data itself.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from smsbridge_plugins.conformance import WIRES

from smsbridge import errors, ids
from smsbridge.model import Status
from smsbridge.wire import CONVENTION, Bound, ProviderWire, bind, check_wire

PROVIDERS = sorted(WIRES)


def test_every_provider_folder_is_in_the_table() -> None:
    import smsbridge_plugins

    folders = {path.parent.name for path in Path(smsbridge_plugins.__file__).parent.glob("*/wire.py")}
    assert folders == set(WIRES)


@pytest.mark.parametrize("name", PROVIDERS)
def test_the_wire_module_follows_the_convention(name: str) -> None:
    assert check_wire(WIRES[name]) == []


@pytest.mark.parametrize("name", PROVIDERS)
def test_the_convention_is_exported_and_bound_from_the_data(name: str) -> None:
    wire = WIRES[name]
    assert set(CONVENTION) <= set(wire.__all__)  # type: ignore[attr-defined]
    assert tuple(getattr(wire, field) for field in Bound._fields) == \
        bind(wire.STATUSES, wire.TIMES, wire.ID_SHAPE, wire.REPLY_ERRORS, wire.ERROR_REPLIES)


@pytest.mark.parametrize("name", PROVIDERS)
def test_status_words_round_trip(name: str) -> None:
    wire: ProviderWire = WIRES[name]
    for status in Status:
        word = wire.from_status(status)
        assert isinstance(word, str) and word
        assert wire.to_status(word) in Status
    assert wire.to_status("no-provider-says-this") is Status.UNKNOWN or wire.STATUSES.unknown_as is not Status.UNKNOWN


@pytest.mark.parametrize("name", PROVIDERS)
def test_times_round_trip_to_the_second(name: str) -> None:
    wire = WIRES[name]
    moment = datetime(2026, 12, 1, 10, 30, 5, tzinfo=timezone.utc)
    assert wire.parse_time(wire.format_time(moment)) == moment
    assert wire.parse_time("not a date") is None


@pytest.mark.parametrize("name", PROVIDERS)
def test_provider_ids_carry_the_message_id(name: str) -> None:
    wire = WIRES[name]
    message_id = ids.new_message_id()
    shown = wire.provider_id_for(message_id)
    assert shown != message_id and shown == wire.provider_id_for(message_id)  # the same in every process
    # a shape too small to carry a message id says so; the journal's alias finds the message
    assert wire.message_id_in(shown) == (message_id if wire.ID_SHAPE.reversible else None)
    assert wire.message_id_in("definitely-not-one-of-ours") is None


MAY_HAVE_BEEN_SENT = [
    errors.DeliveryUnknown("the provider may have it", message_id="sb_0123456789abcdef01234567"),
    errors.ProviderError("the provider answered oddly after taking the request"),
    errors.IdempotencyConflict("the key was used for another payload"),
]


@pytest.mark.parametrize("name", sorted(set(PROVIDERS) - {"simplesms"}))  # simpleSMS: reads by operation, below
@pytest.mark.parametrize("error", MAY_HAVE_BEEN_SENT, ids=lambda e: type(e).__name__)
def test_a_face_never_turns_may_have_been_sent_into_safe_to_resend(name: str, error: Exception) -> None:
    """A backend talking to an smsbridge face (a gateway in front of a gateway) must read
    the face's answer for "the message may have been sent" as not retry-safe, or failover
    would send it a second time."""
    wire = WIRES[name]
    status, body = wire.reply_for_error(error)
    read = wire.error_from_reply(status, body, sending=True)
    assert not read.retry_safe, (name, type(error).__name__, status, body, read)


@pytest.mark.parametrize("error", MAY_HAVE_BEEN_SENT, ids=lambda e: type(e).__name__)
def test_simplesms_face_never_turns_may_have_been_sent_into_safe_to_resend(error: Exception) -> None:

    from smsbridge_plugins.simplesms import wire

    status, body = wire.reply_for_error(error)
    with pytest.raises(errors.SmsBridgeError) as raised:
        wire.parse_http_reply(status, body, operation=wire.SEND)
    assert not raised.value.retry_safe, (status, body, raised.value)
