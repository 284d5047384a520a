"""What the SQLite and the PostgreSQL journals write, said once.

Both journals keep the same rows (docs/reliability.md); they differ in how they lock and
claim keys, not in what a write puts where.  So the rows and the statements of the send
path (``begin``, ``accepted``, ``finished_with_error``) and the rule for an idempotency key
met again live here, in SQLite's ``?`` placeholders; the PostgreSQL journal runs them
through :func:`pg` (psycopg's ``%s``), converted once at import.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .errors import IdempotencyConflict
from .model import Message, Status

__all__ = ["COLUMN_EXTRAS", "INSERT_MESSAGE", "ACCEPTED", "ACCEPTED_EVENT", "FINISHED", "ERROR_EVENT",
           "begin_row", "accepted_args", "finished_args", "earlier_stands", "pg"]

COLUMN_EXTRAS = ("gateway_client", "face")
"""``Message.extra`` keys stored in columns of their own (``client``, ``face``), not in ``extra``."""

INSERT_MESSAGE = ("INSERT INTO messages (id, created_at, updated_at, to_number, text, sender, reference,"
                  " idempotency_key, backend, status, phase, segments, encoding, attempts, extra, client, face,"
                  " send_at, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
ACCEPTED = ("UPDATE messages SET phase='accepted', backend=?, provider_id=?, status=?, updated_at=?,"
            " sent_at=COALESCE(sent_at, ?), segments=COALESCE(?, segments), error=NULL, error_code=NULL"
            " WHERE id=?")
ACCEPTED_EVENT = "INSERT INTO events (message_id, at, status, description) VALUES (?,?,?,?)"
FINISHED = ("UPDATE messages SET phase=?, backend=COALESCE(?, backend), status=?, error=?, error_code=?,"
            " updated_at=? WHERE id=?")
ERROR_EVENT = "INSERT INTO events (message_id, at, status, code, description) VALUES (?,?,?,?,?)"

_PHASE, _FINGERPRINT = 14, 21  # positions in a journal's SELECT of its record columns


def begin_row(message: Message, idempotency_key: str | None, *, attempt: str | None, fingerprint: str | None,
              due: float | None, now: float) -> tuple[Any, ...]:
    """The values of :data:`INSERT_MESSAGE` for a message about to be sent (``due``: the
    epoch it is scheduled for, journaled ``scheduled`` instead)."""
    attempts = json.dumps([{"backend": attempt, "at": now}]) if attempt is not None else "[]"
    extra = dict(message.extra or {})
    client, face = (extra.pop(key, None) for key in COLUMN_EXTRAS)
    status, phase = (Status.SCHEDULED.value, "scheduled") if due is not None else (Status.UNKNOWN.value, "sending")
    return (message.id, now, now, message.to, message.text, message.sender, message.reference,
            idempotency_key, attempt, status, phase, message.segments, message.encoding, attempts,
            json.dumps(extra, default=str) if extra else "{}", None if client is None else str(client),
            None if face is None else str(face), due, fingerprint)


def accepted_args(message_id: str, backend: str, provider_id: str, status: Status, segments: int | None,
                  now: float) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The values of :data:`ACCEPTED` and :data:`ACCEPTED_EVENT`."""
    return ((backend, provider_id, status.value, now, now, segments, message_id),
            (message_id, now, status.value, f"accepted by {backend}"))


def finished_args(message_id: str, backend: str | None, *, unknown: bool, error: str, code: str | None,
                  now: float) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The values of :data:`FINISHED` and :data:`ERROR_EVENT`: ``unknown`` (maybe accepted)
    or ``failed`` (certainly not)."""
    status = Status.UNKNOWN if unknown else Status.FAILED
    return (("unknown" if unknown else "failed", backend, status.value, error, code, now, message_id),
            (message_id, now, status.value, code, error))


def earlier_stands(row: Sequence[Any], idempotency_key: str, fingerprint: str | None) -> bool:
    """Does the earlier row holding ``idempotency_key`` stand (the caller returns it and sends
    nothing)?  ``False``: it failed or was canceled, and gives its key up.  Raises
    :class:`IdempotencyConflict` when both carry a fingerprint and they differ."""
    if row[_PHASE] in ("failed", "canceled"):
        return False
    if fingerprint is not None and row[_FINGERPRINT] is not None and row[_FINGERPRINT] != fingerprint:
        raise IdempotencyConflict(
            f"idempotency key {idempotency_key!r} was already used for another message"
            f" ({row[0]}: other recipient, text, sender or reference); nothing was sent", message_id=row[0])
    return True


def pg(sql: str) -> str:
    """SQLite-style ``?`` placeholders as psycopg's ``%s``."""
    assert "%" not in sql, sql
    return sql.replace("?", "%s")
