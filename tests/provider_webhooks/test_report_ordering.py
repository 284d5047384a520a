"""Whatever order delivery reports arrive in, and however often: a status only moves
forward, a final status is never replaced, and each change is one event and one hook call."""
from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smsbridge import Bridge, plugins
from smsbridge.bridge import new_message_id
from smsbridge.hookspecs import hookimpl
from smsbridge.model import Message, Status
from smsbridge.reports import RANK, DeliveryReport, apply_report

STATUSES = [Status.QUEUED, Status.SENT, Status.DELIVERED, Status.UNDELIVERED, Status.FAILED, Status.EXPIRED,
            Status.REJECTED, Status.UNKNOWN]


class Changes:
    def __init__(self) -> None:
        self.seen: list[tuple[Status, Status]] = []

    @hookimpl
    def smsbridge_status_changed(self, message_id: str, old: Status, new: Status, report: Any) -> None:
        self.seen.append((old, new))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=12), st.booleans())
def test_reports_in_any_order(sequence: list[Status], early: bool) -> None:
    changes = Changes()
    name = plugins.register(changes, name="ordering-recorder")
    bridge = Bridge.from_dict({"backends": {"p": {"plugin": "sandbox"}}})
    try:
        message = Message(to="+36201234567", text="x", id=new_message_id())
        bridge.journal.begin(message, attempt="p")
        if not early:
            bridge.journal.accepted(message.id, "p", "PID", Status.QUEUED)
        for status in sequence:
            apply_report(bridge, "p", DeliveryReport(status=status, word=status.value.upper(), provider_id="PID"))
        if early:  # every report came before the send's reply
            bridge.journal.accepted(message.id, "p", "PID", Status.QUEUED)
            from smsbridge.reports import claim_reports

            claim_reports(bridge, message.id, "p", "PID")
        # the expected walk: from queued, take each report that moves strictly forward
        current, expected = Status.QUEUED, []
        for status in sequence:
            if not current.final and status != current and RANK[status] >= RANK[current]:
                expected.append((current, status))
                current = status
        assert bridge.journal.get(message.id).status == current
        assert changes.seen == expected
        assert [e.status for e in bridge.journal.events(message.id)][1:] == [new for _, new in expected]
    finally:
        bridge.close()
        plugins.unregister(name)
