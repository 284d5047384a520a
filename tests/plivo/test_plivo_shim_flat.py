"""The Plivo SDK shim keeps no per-message state, and ``messages.list`` costs one page.

Counted, not timed: the fake provider of ``smsbridge.testing`` counts the status look-ups
that reach it, and the shim module's containers are measured.  After 10,000 sends a
``list(limit=20)`` asks the provider about 20 messages, as it does after 100, and the shim
holds as much as it did before the first send.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from smsbridge import Bridge
from smsbridge.testing import fake_backend

SENDS = 10_000


def held(*objects: Any) -> int:
    """Items held in containers by these objects (modules, instances) and one level below."""
    total = 0
    for obj in objects:
        for value in list(vars(obj).values()):
            if isinstance(value, (list, dict, set, frozenset, deque)) and value is not vars(obj).get("__builtins__"):
                total += len(value)
            elif hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value) \
                    and type(value).__module__.startswith(("smsbridge", "plugins")):
                total += sum(len(v) for v in vars(value).values() if isinstance(v, (list, dict, set, deque)))
    return total


def test_memory_and_list_cost_stay_flat_over_10000_sends() -> None:
    from smsbridge_plugins.plivo import sdk

    with fake_backend("kit-fake") as provider, \
            Bridge.from_dict({"store": ":memory:", "backends": {"main": {"plugin": "kit-fake"}}}) as bridge:
        client = sdk.RestClient("MA" + "X" * 18, "token", bridge=bridge)
        before = held(sdk, client, client.messages)
        lookups_per_list = []
        uuids = []
        for n in range(1, SENDS + 1):
            uuids.append(client.messages.create(src="+14155550100", dst="+14155550123", text=f"m{n}").message_uuid[0])
            if n in (100, SENDS):
                asked = provider.status_lookups
                page = client.messages.list(limit=20)
                lookups_per_list.append(provider.status_lookups - asked)
                assert lookups_per_list[-1] == 20, f"list(limit=20) after {n} sends asked about {lookups_per_list}"
                assert held(sdk, client, client.messages) == before
                assert [m.message_uuid for m in page] == uuids[::-1][:20]  # newest first
                assert page.meta.total_count == 21 and page.meta.next is not None
        asked = provider.status_lookups
        deeper = client.messages.list(limit=20, offset=4_000)
        assert [m.message_uuid for m in deeper] == uuids[::-1][4_000:4_020]
        assert provider.status_lookups - asked == 20
        assert client.messages.get(uuids[0]).message_uuid == uuids[0]  # the UUID alone finds a message
    assert lookups_per_list == [20, 20]
    assert len(provider.sent) == SENDS


def test_a_state_filter_and_the_last_page() -> None:
    from smsbridge_plugins.plivo import sdk

    from smsbridge.model import Status

    with fake_backend("kit-fake") as provider, \
            Bridge.from_dict({"store": ":memory:", "backends": {"main": {"plugin": "kit-fake"}}}) as bridge:
        client = sdk.RestClient("MA" + "X" * 18, "token", bridge=bridge)
        sent = [client.messages.create(src="+14155550100", dst="+14155550123", text=f"m{n}").message_uuid[0]
                for n in range(5)]
        provider.set_status(provider.provider_id_of(sdk.wire.message_id_in(sent[1])), Status.DELIVERED)
        delivered = client.messages.list(message_state="delivered")
        assert [m.message_uuid for m in delivered] == [sent[1]] and delivered.meta.total_count == 1
        last = client.messages.list(limit=2, offset=4)
        assert [m.message_uuid for m in last] == [sent[0]] and last.meta.next is None
