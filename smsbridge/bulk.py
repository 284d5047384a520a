"""CSV bulk sending for ``smsbridge bulk``: rows in, one result row out per input row.

The input is streamed (``csv.DictReader`` over the open file, fed lazily to
:meth:`Bridge.send_iter`), so a million-row file runs in constant memory.

Resuming: every row is sent with an idempotency key made of the file's absolute path and
the row's ``key`` column (else its row number).  Running the same file again therefore
sends only the rows that did not go out — an accepted row is reported ``sent`` with its
original id (not sent twice), a row whose outcome is unknown is reported ``unknown`` and
not re-sent (``smsbridge reconcile`` settles it).
``--again`` sends every row anew (no keys).
"""
from __future__ import annotations

import csv
import itertools
import os
from typing import IO, Any, Iterator

from .errors import DeliveryUnknown, InvalidMessage, SmsBridgeError
from .model import Receipt

__all__ = ["Rows", "read_rows", "result_row", "RESULT_FIELDS"]

RESULT_FIELDS = ["row", "to", "result", "id", "backend", "provider_id", "status", "segments", "error"]
_COLUMNS = {"to", "text", "sender", "reference", "key", "backend"}


class Rows:
    """The rows of a bulk CSV as send items, readable twice in step (input and results)."""

    def __init__(self, fh: IO[str], *, keyed: bool) -> None:
        self._reader = csv.DictReader(fh)
        fields = [f.strip() for f in (self._reader.fieldnames or [])]
        if "to" not in fields or "text" not in fields:
            raise InvalidMessage(f"the CSV needs a header with columns 'to' and 'text' (found: {', '.join(fields) or 'none'})")
        unknown = set(fields) - _COLUMNS
        if unknown:
            raise InvalidMessage(f"unknown CSV column(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(_COLUMNS))}")
        self._reader.fieldnames = fields
        self._origin = os.path.abspath(getattr(fh, "name", "<stdin>"))
        self._keyed = keyed
        self._first, self._second = itertools.tee(self._items())

    def _items(self) -> Iterator[dict[str, Any]]:
        for number, row in enumerate(self._reader, start=1):
            item: dict[str, Any] = {"to": (row.get("to") or "").strip(), "text": row.get("text") or ""}
            for column in ("sender", "reference", "backend"):
                if row.get(column):
                    item[column] = row[column].strip()
            if self._keyed:
                item["idempotency_key"] = f"bulk:{self._origin}:{row.get('key') or number}"
            yield item

    def items(self) -> Iterator[dict[str, Any]]:
        return self._first

    def items_for_send(self) -> Iterator[dict[str, Any]]:
        return self._second


def read_rows(fh: IO[str], *, resume: bool = True) -> Rows:
    return Rows(fh, keyed=resume)


def result_row(number: int, item: dict[str, Any], result: Receipt | SmsBridgeError) -> dict[str, Any]:
    if isinstance(result, Receipt):
        return {"row": number, "to": result.to, "result": "sent", "id": result.id, "backend": result.backend,
                "provider_id": result.provider_id, "status": result.status.value, "segments": result.segments,
                "error": ""}
    kind = "unknown" if isinstance(result, DeliveryUnknown) else "failed"
    return {"row": number, "to": item.get("to", ""), "result": kind, "id": result.message_id or "",
            "backend": getattr(result, "backend", "") or "", "provider_id": "", "status": kind,
            "segments": "", "error": f"{type(result).__name__}: {result}"}
