"""Delivery reports pushed by providers, applied to the journal (issue 15).

A provider's delivery-report webhook (parsed by its plugin, see
:mod:`smsbridge.gateway.webhooks`) gives a :class:`DeliveryReport`; :func:`apply_report`
is the provider-neutral rule for what it does to the journal:

- it is matched to its message by smsbridge's own id (when the provider echoes a client
  reference) or by the ``(backend, provider id)`` the send was accepted with;
- a report for a message not yet journaled as accepted (the webhook can overtake the
  provider's own reply to the send) is *parked* and applied by :func:`claim_reports`
  when the send is accepted: never lost;
- statuses only move forward (:data:`RANK`): a final status is never replaced, and a
  stale report arriving late (``sent`` after ``delivered``) changes nothing; a duplicate
  changes nothing;
- the provider's own word is kept as the event's description, and
  ``smsbridge_status_changed`` fires with a :class:`~smsbridge.model.StatusReport` whose
  ``raw`` is that word.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .model import Status, StatusReport

__all__ = ["DeliveryReport", "RANK", "apply_report", "claim_reports", "webhook_url"]

log = logging.getLogger("smsbridge.reports")

RANK: dict[Status, int] = {
    Status.UNKNOWN: 0, Status.SCHEDULED: 1, Status.QUEUED: 2, Status.SENT: 3,
    Status.DELIVERED: 9, Status.UNDELIVERED: 9, Status.FAILED: 9, Status.EXPIRED: 9,
    Status.REJECTED: 9, Status.CANCELED: 9,
}
"""How far along a status is: a report never moves a message to a lower rank, and
nothing replaces a final status (rank 9)."""


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery report, normalised. ``word`` is the provider's own status word."""

    status: Status
    word: str
    provider_id: str | None = None
    message_id: str | None = None
    """smsbridge's id, when the provider echoes it back (a client reference)."""
    at: datetime | None = None
    code: str | None = None
    description: str | None = None
    raw: Any = None


def webhook_url(public_url: str | None, backend: str, kind: str = "status") -> str | None:
    """Where a provider posts ``backend``'s webhooks: ``<public_url>/webhooks/<backend>/<kind>``
    (``None`` without a ``gateway.public_url``)."""
    if not public_url:
        return None
    return f"{str(public_url).rstrip('/')}/webhooks/{backend}/{kind}"


def _dump(report: DeliveryReport) -> str:
    return json.dumps({"status": report.status.value, "word": report.word, "provider_id": report.provider_id,
                       "message_id": report.message_id, "at": report.at.isoformat() if report.at else None,
                       "code": report.code, "description": report.description}, sort_keys=True)


def _load(text: str) -> DeliveryReport:
    data = json.loads(text)
    return DeliveryReport(status=Status(data["status"]), word=data["word"], provider_id=data.get("provider_id"),
                          message_id=data.get("message_id"),
                          at=datetime.fromisoformat(data["at"]) if data.get("at") else None,
                          code=data.get("code"), description=data.get("description"))


def _find(bridge: Any, backend: str, report: DeliveryReport) -> str | None:
    journal = bridge.journal
    if report.message_id:
        record = journal.get(report.message_id)
        if record is not None and record.extra.get("phase") == "accepted":
            return str(record.id)
    if report.provider_id:
        return journal.find_sent(backend, report.provider_id)  # type: ignore[no-any-return]
    return None


def apply_report(bridge: Any, backend: str, report: DeliveryReport) -> str:
    """Apply one report that came in through ``backend``'s webhook.

    Returns what happened: ``"updated"``, ``"ignored"`` (a duplicate, or stale) or
    ``"parked"`` (no such accepted message yet).
    """
    message_id = _find(bridge, backend, report)
    if message_id is None:
        bridge.journal.park_report(backend, report.provider_id, report.message_id, _dump(report))
        # The send may have been accepted (and found nothing to claim) between the look-up
        # and the parking: look again, and claim it ourselves if so.
        message_id = _find(bridge, backend, report)
        if message_id is None:
            return "parked"
        record = bridge.journal.get(message_id)
        claim_reports(bridge, message_id, backend, record.provider_id if record else None)
        return "updated"
    return "updated" if _advance(bridge, message_id, report) else "ignored"


def _advance(bridge: Any, message_id: str, report: DeliveryReport) -> bool:
    description = report.description or report.word
    old = bridge.journal.advance_status(message_id, report.status, RANK, at=report.at, code=report.code,
                                        description=description)
    if old is None:
        return False
    status_report = StatusReport(id=message_id, status=report.status, updated_at=report.at,
                                 description=description, raw=report.word)
    bridge._observe("smsbridge_status_changed", message_id=message_id, old=old, new=report.status,
                    report=status_report)
    return True


def claim_reports(bridge: Any, message_id: str, backend: str, provider_id: str | None) -> int:
    """Apply the reports parked for a message that was just accepted; returns how many moved it."""
    moved = 0
    for text in bridge.journal.claim_reports(message_id, backend, provider_id):
        try:
            moved += _advance(bridge, message_id, _load(text))
        except (ValueError, KeyError):
            log.warning("a parked delivery report for %s is unreadable; dropped", message_id)
    return moved
