"""CSV bulk sending for ``smsbridge bulk``: rows in, one result row out per input row.

**A row's identity** (what makes a re-run send only what is not yet sent) is its ``key``
column when it has one; otherwise a fingerprint of its content (recipient with spaces and
punctuation removed, text, sender, reference) plus its occurrence number among identical
rows of the same input (the first ``+36301234567,Hello`` is occurrence 1, the second 2).
The file's name and the row's position play no part: an edited, reordered, copied or
piped file sends exactly the rows no earlier run sent.  Each row is sent with the
idempotency key ``bulk:k:<key>`` or ``bulk:c:<fingerprint>:<occurrence>``, so the
journal decides, atomically across processes: a row already accepted is reported
``already-sent`` (with its original id, nothing sent), a row whose outcome is unknown is
reported ``unknown`` and not re-sent (``smsbridge reconcile`` settles it), and two runs
of one file at once send every row once.  ``--again`` sends every row anew (no keys).

**Reading**: the input is read twice, in step with nothing held in memory: a first pass
counts the rows (for the progress bar's total), checks the encoding and marks which
contents occur more than once (a fixed-size filter, so occurrence numbers need memory
only for rows that may repeat); the second pass feeds :meth:`Bridge.send_iter` lazily.
A pipe is spooled to a temporary file first.  Encoding (BOM, else UTF-8, else cp1250, as
Hungarian Excel writes) and delimiter (``,`` ``;`` tab ``|``: whichever splits the header
into ``to`` and ``text``) are sniffed unless given.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from .errors import DeliveryUnknown, IdempotencyConflict, InvalidMessage, InvalidNumber, SmsBridgeError
from .model import Receipt

__all__ = ["BulkFile", "Row", "send_rows", "result_row", "outcome", "row_identity", "RESULT_FIELDS", "OUTCOMES",
           "ENCODINGS", "DELIMITERS"]

RESULT_FIELDS = ["row", "to", "result", "id", "backend", "provider_id", "status", "segments", "error", "key"]
OUTCOMES = ("sent", "already-sent", "failed", "unknown")
"""The ``result`` of a row: sent now; sent by an earlier run (nothing sent now); certainly
not sent (safe to send again); maybe sent (``smsbridge reconcile``, then re-run)."""

ENCODINGS = ("utf-8", "cp1250")
"""Tried in this order when no BOM names the encoding and ``--encoding`` is not given."""
DELIMITERS = (",", ";", "\t", "|")

_COLUMNS = {"to", "text", "sender", "reference", "key", "backend"}
_NUMBER_NOISE = re.compile(r"[\s\-.()/]")
_FILTER_MAX_BITS = 1 << 26  # 8 MiB per bit array at most: ~1.5 % false "may repeat" marks at a million rows


def row_identity(row: dict[str, str]) -> str:
    """The content fingerprint of a row without a ``key`` (recipient noise ignored)."""
    to = _NUMBER_NOISE.sub("", row.get("to") or "")
    blob = json.dumps([to, row.get("text") or "", (row.get("sender") or "").strip(),
                       (row.get("reference") or "").strip()], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Row:
    """One input row: its 1-based ``number``, what to send (``item``) and its ``key``."""

    number: int
    to: str
    item: dict[str, Any]
    key: str
    error: str | None = None  # the row cannot be read as a message (e.g. more fields than the header)


class BulkFile:
    """A bulk CSV, sniffed and counted: :attr:`total` rows, :meth:`rows` to read them.

    ``source`` is a binary file (a pipe is spooled to a temporary file).  ``encoding`` and
    ``delimiter`` override the sniffing.  ``keyed=False`` (``--again``) gives no keys.
    """

    def __init__(self, source: IO[bytes], *, encoding: str | None = None, delimiter: str | None = None,
                 keyed: bool = True, origin: str | None = None) -> None:
        self._file = _seekable(source)
        self._keyed = keyed
        #: The prefix of the keys smsbridge gave this file's rows before journal schema 1
        #: (its absolute path, or <stdin>'s): see :func:`send_rows`.
        self.legacy_prefix = f"bulk:{origin}:" if origin and keyed else None
        size = self._file.seek(0, io.SEEK_END)
        self._file.seek(0)
        # 64 filter bits per row, rows estimated generously from the size (a row is > 8 bytes)
        self._bits = min(_FILTER_MAX_BITS, 1 << max(10, (size // 8 * 64).bit_length()))
        if delimiter is not None:
            delimiter = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(delimiter, delimiter)
            if len(delimiter) != 1:
                raise InvalidMessage(f"--delimiter must be one character, not {delimiter!r}")
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise InvalidMessage(f"unknown encoding {encoding!r} (e.g. utf-8, cp1250, latin-1)") from None
        self.encoding = encoding or self._bom() or ""
        candidates = (self.encoding,) if self.encoding else ENCODINGS
        for index, candidate in enumerate(candidates):
            try:
                self._scan(candidate, delimiter)
            except UnicodeDecodeError as exc:
                if index + 1 < len(candidates):
                    continue
                if encoding:
                    raise InvalidMessage(f"the file is not valid {encoding} ({exc.reason} at byte {exc.start} of a"
                                         " line); pass the right --encoding") from None
                raise InvalidMessage("the file is neither UTF-8 nor cp1250; pass --encoding (e.g. latin-1)") from None
            self.encoding = candidate
            break

    def _bom(self) -> str | None:
        self._file.seek(0)
        head = self._file.read(4)
        self._file.seek(0)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        return None

    def _text(self, encoding: str) -> io.TextIOWrapper:
        self._file.seek(0)
        if encoding == "utf-8" and self._file.read(3) == codecs.BOM_UTF8:
            encoding = "utf-8-sig"
        self._file.seek(0)
        return io.TextIOWrapper(self._file, encoding=encoding, newline="")

    def _scan(self, encoding: str, delimiter: str | None) -> None:
        """First pass: header, delimiter, row count, and which contents may repeat."""
        text = self._text(encoding)
        try:
            header_line = text.readline()
            self.delimiter = delimiter or _sniff_delimiter(header_line)
            self.fields = _header(header_line, self.delimiter, sniffed=delimiter is None)
            seen = bytearray(self._bits // 8)
            again = bytearray(self._bits // 8)
            total = 0
            for values in csv.reader(text, delimiter=self.delimiter):
                if not any(v.strip() for v in values):
                    continue
                total += 1
                row = dict(zip(self.fields, values, strict=False))
                if self._keyed and not (row.get("key") or "").strip():
                    slot = int(row_identity(row)[:8], 16) % self._bits
                    byte, bit = slot >> 3, 1 << (slot & 7)
                    if seen[byte] & bit:
                        again[byte] |= bit
                    seen[byte] |= bit
            self.total = total
            self._again = again
        finally:
            text.detach()

    def rows(self) -> Iterator[Row]:
        """Second pass: every row (blank lines skipped), with its identity key."""
        text = self._text(self.encoding)
        occurrences: dict[int, int] = {}  # only for contents that may repeat; keyed by 64 bits of identity
        try:
            text.readline()
            number = 0
            for values in csv.reader(text, delimiter=self.delimiter):
                if not any(v.strip() for v in values):
                    continue
                number += 1
                row = dict(zip(self.fields, values, strict=False))
                error = None
                if len(values) > len(self.fields) and any(v.strip() for v in values[len(self.fields):]):
                    error = (f"row {number} has {len(values)} fields but the header has {len(self.fields)}"
                             f" (an unquoted {_shown(self.delimiter)} in the text?); not sent")
                item: dict[str, Any] = {"to": (row.get("to") or "").strip(), "text": row.get("text") or ""}
                for column in ("sender", "reference", "backend"):
                    if (row.get(column) or "").strip():
                        item[column] = row[column].strip()
                key = ""
                if self._keyed and error is None:  # an unreadable row takes no identity (nor occurrence)
                    if (row.get("key") or "").strip():
                        key = f"bulk:k:{row['key'].strip()}"
                    else:
                        identity = row_identity(row)
                        slot = int(identity[:8], 16) % self._bits
                        occurrence = 1
                        if self._again[slot >> 3] & (1 << (slot & 7)):  # may repeat: count exactly
                            short = int(identity[:16], 16)
                            occurrence = occurrences[short] = occurrences.get(short, 0) + 1
                        key = f"bulk:c:{identity}:{occurrence}"
                    item["idempotency_key"] = key
                yield Row(number=number, to=item["to"], item=item, key=key, error=error)
        finally:
            text.detach()


def _seekable(source: IO[bytes]) -> IO[bytes]:
    try:
        if source.seekable():
            source.seek(0, io.SEEK_CUR)
            return source
    except (OSError, ValueError):
        pass
    spool: IO[bytes] = tempfile.TemporaryFile(prefix="smsbridge-bulk-")  # noqa: SIM115 - closed with the process
    shutil.copyfileobj(source, spool, 1 << 20)
    spool.seek(0)
    return spool


def _sniff_delimiter(header_line: str) -> str:
    best, best_count = ",", -1
    for candidate in DELIMITERS:
        names = _names(header_line, candidate)
        if "to" in names and "text" in names:
            return candidate
        if header_line.count(candidate) > best_count:
            best, best_count = candidate, header_line.count(candidate)
    return best


def _names(header_line: str, delimiter: str) -> list[str]:
    values = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delimiter), [])
    return [v.strip().lower() for v in values]


def _shown(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _header(header_line: str, delimiter: str, *, sniffed: bool) -> list[str]:
    fields = _names(header_line, delimiter)
    if "to" not in fields or "text" not in fields:
        hint = "" if not sniffed else "; if its columns are separated by another character, pass --delimiter"
        shown = _shown(delimiter)
        raise InvalidMessage(f"the CSV needs a header with columns 'to' and 'text' (found: "
                             f"{', '.join(f for f in fields if f) or 'none'}, split at {shown}){hint}")
    unknown = set(fields) - _COLUMNS - {""}
    if unknown:
        raise InvalidMessage(f"unknown CSV column(s): {', '.join(sorted(unknown))};"
                             f" known: {', '.join(sorted(_COLUMNS))}")
    return fields


def send_rows(bridge: Any, rows: Iterator[Row], *, concurrency: int = 8, legacy_prefix: str | None = None
              ) -> Iterator[tuple[Row, Receipt | SmsBridgeError]]:
    """Each row with its result, in input order, sending through ``bridge.send_iter`` (its
    bounded window: constant memory).  A row with an ``error`` is not sent; its result is
    an :class:`InvalidMessage`.  With ``legacy_prefix`` (:attr:`BulkFile.legacy_prefix`),
    a row an older smsbridge sent from this file is not sent again (:class:`_Legacy`)."""
    held: deque[tuple[Row, Receipt | SmsBridgeError | None]] = deque()  # read, not yet answered, oldest first
    legacy = _Legacy(bridge.journal, legacy_prefix) if legacy_prefix else None

    def items() -> Iterator[dict[str, Any]]:
        for row in rows:
            answer: Receipt | SmsBridgeError | None = None
            if row.error is not None:
                answer = InvalidMessage(row.error, reason="bad_request")
            elif legacy is not None and row.key:
                answer = legacy.answer(row)
            held.append((row, answer))
            if answer is None:
                yield row.item

    def answered() -> Iterator[tuple[Row, Receipt | SmsBridgeError]]:
        while held and held[0][1] is not None:
            row, answer = held.popleft()
            assert answer is not None
            yield row, answer

    for result in bridge.send_iter(items(), concurrency=concurrency):
        yield from answered()
        yield held.popleft()[0], result
    yield from answered()


_DIGITS = re.compile(r"\D")


class _Legacy:
    """Rows an older smsbridge sent from this file.

    Before journal schema 1, bulk keyed a row by the file's absolute path and its ``key``
    column or row number.  Those messages are looked up once (by key prefix: an index
    range; nothing at all for a file no older version ran) and matched to rows by
    recipient and text, so an upgrade in the middle of a campaign sends none of them again,
    even if rows moved since.
    """

    def __init__(self, journal: Any, prefix: str) -> None:
        self._sent: dict[tuple[str, str], deque[Any]] = {}
        for record in journal.by_key_prefix(prefix):
            if record.phase not in ("failed", "canceled"):
                self._sent.setdefault((_DIGITS.sub("", record.to)[-8:], record.text), deque()).append(record)

    def answer(self, row: Row) -> Receipt | SmsBridgeError | None:
        records = self._sent.get((_DIGITS.sub("", row.to)[-8:], row.item["text"]))
        if not records:
            return None
        record = records.popleft()
        if record.phase == "accepted":
            return Receipt(id=record.id, backend=record.backend or "", provider_id=record.provider_id or "",
                           status=record.status, to=record.to, segments=record.segments, encoding=record.encoding,
                           sender=record.sender, reference=record.reference, created_at=record.created_at,
                           replayed=True)
        return DeliveryUnknown("an earlier smsbridge version sent this row and its outcome is unknown; run"
                               " 'smsbridge reconcile' first", backend=record.backend, message_id=record.id)


def outcome(result: Receipt | SmsBridgeError) -> str:
    """One of :data:`OUTCOMES`, as the journal sees the row: ``failed`` only when the error
    proves nothing was sent (retry-safe, the row itself invalid, or its key already bound
    to another message), else ``unknown``."""
    if isinstance(result, Receipt):
        return "already-sent" if result.replayed else "sent"
    if result.message_id is None or result.retry_safe or isinstance(result, (InvalidMessage, InvalidNumber,
                                                                            IdempotencyConflict)):
        return "failed"
    return "unknown"


def result_row(number: int, item: dict[str, Any] | Row, result: Receipt | SmsBridgeError) -> dict[str, Any]:
    """The result of one input row: its number and recipient *as the input has them*."""
    if isinstance(item, Row):
        key, item = item.key, item.item
    else:
        key = item.get("idempotency_key") or ""
    kind = outcome(result)
    if isinstance(result, Receipt):
        return {"row": number, "to": item.get("to", ""), "result": kind, "id": result.id, "backend": result.backend,
                "provider_id": result.provider_id, "status": result.status.value, "segments": result.segments,
                "error": "", "key": key}
    return {"row": number, "to": item.get("to", ""), "result": kind, "id": result.message_id or "",
            "backend": getattr(result, "backend", "") or "", "provider_id": "", "status": kind,
            "segments": "", "error": f"{type(result).__name__}: {result}", "key": key}
