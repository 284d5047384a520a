"""Campaign progress, read from the journal (``smsbridge campaign status FILE``).

A campaign is the rows of a bulk file.  Each row's identity is the idempotency key
:mod:`smsbridge.bulk` gives it, so the journal alone says where every row stands: not
journaled yet (``queued``), ``sent``, ``failed``, ``unknown`` (handed to a provider, reply
never read: ``smsbridge reconcile`` settles it) or ``scheduled``.  Nothing is kept in the
queue's broker, so the counts are right whichever worker sent a row, and after a crash.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .bulk import BulkFile
from .model import Status

__all__ = ["campaign_counts", "pending_items", "STATES"]

STATES = ("queued", "sent", "failed", "unknown", "scheduled")


def row_state(record: Any) -> str:
    """The campaign state of one journal record (``None``: not journaled yet → queued)."""
    if record is None:
        return "queued"
    if record.status is Status.SCHEDULED:
        return "scheduled"
    phase = record.phase
    if phase == "accepted":
        return "sent"
    if phase == "failed":
        return "failed"
    return "unknown"  # sending (a crash leftover, or in flight now) or unknown


def campaign_counts(bridge: Any, source: BulkFile) -> dict[str, int]:
    """Stream the file's rows and count their states in the journal (constant memory).
    A row that cannot be sent at all (no ``to``, a broken line) counts as ``failed``."""
    counts = dict.fromkeys(STATES, 0)
    for row in source.rows():
        if row.error is not None:
            counts["failed"] += 1
            continue
        key = row.item.get("idempotency_key")
        record = bridge.journal.by_key(key) if key else None
        counts[row_state(record)] += 1
    return counts


def pending_items(bridge: Any, rows: Iterable[Any], skipped: list[int]) -> Iterator[dict[str, Any]]:
    """The rows that still need a worker: not journaled yet, or certainly failed.

    A re-run of ``bulk --queue`` therefore enqueues only those: rows sent, in flight or of
    unknown outcome stay put (``reconcile`` settles unknowns), so re-running a campaign is
    how rows a broker lost are taken up again — Celery's Redis transport can drop a
    message a worker was killed while receiving.  ``skipped[0]`` counts the rest.
    """
    for row in rows:
        if row.error is not None:  # nothing a worker could send: 'bulk' without --queue reports it
            skipped[0] += 1
            continue
        key = row.item.get("idempotency_key")
        record = bridge.journal.by_key(key) if key else None
        if record is None or row_state(record) == "failed":
            yield row.item
        else:
            skipped[0] += 1
