"""The ``response`` of each simpleSMS operation after ``connect``: read (client) and written (server).

=================  =========================  =========================
operation          client side                server side
=================  =========================  =========================
sendSMS            :func:`parse_send_reply`       :func:`send_response`
getStatus          :func:`parse_status`       :func:`status_response`
getHistory         :func:`parse_history`      :func:`history_response`
getCreditNumber    :func:`parse_credit`       :func:`credit_response`
getMonthlyStat     :func:`parse_monthly`      :func:`monthly_response`
=================  =========================  =========================

Readers are tolerant (SPEC §5) and raise :class:`.codes.MalformedReply`; writers produce
the shape the provider documents.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from smsbridge.errors import InvalidNumber
from smsbridge.model import MessageRecord, MonthlyStat, Status, StatusEvent, StatusReport

from .codes import MalformedReply
from .dates import TIMES
from .recipients import split_recipient
from .statuses import STATUSES, code_for_status, status_from_code
from .values import first_of, id_text, number_if_digits, shorten

__all__ = ["parse_send_reply", "parse_status", "parse_history", "parse_credit", "parse_monthly",
           "send_response", "status_response", "history_response", "credit_response", "monthly_response"]


def parse_send_reply(response: Any) -> str:
    """The SMS id from a sendSMS ``response``: a number, a string, or inside an object
    (``sms_id`` / ``smsId`` / ``id``) or a one-element list.  Kept as a string
    (``1001.0`` → ``"1001"``).  Raises :class:`MalformedReply`."""
    value = response
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, Mapping):
        value = first_of(value, ("sms_id", "smsId", "smsID", "SMSID", "id", "numSMSID"))
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
    if value is None or isinstance(value, (bool, Mapping, list)):
        raise MalformedReply("the sendSMS reply holds no SMS id")
    text = id_text(value)
    if not text:
        raise MalformedReply("the sendSMS reply holds an empty SMS id")
    return text



_STATUS_KEYS = ("status", "delivery_status", "deliveryStatus", "state", "status_text", "statusText")
_STATUS_CODE_KEYS = ("status_code", "statusCode", "delivery_code")
_CHANGED_KEYS = ("status_date", "statusDate", "last_status_change", "lastStatusChange", "status_changed",
                 "updated", "updated_at", "modified", "date")


def parse_status(response: Any, provider_id: str) -> StatusReport:
    """A :class:`StatusReport` from a getStatus ``response``.

    The status is a word (``status``, ``delivery_status``, ``state``) or a code
    (``status_code``), or an object ``{"code": .., "message": ..}``; a bare word or a
    history-like list (its last entry) is accepted too.  The word is kept in ``raw``;
    the time of the last change comes from ``status_date`` (or ``last_status_change``,
    ``updated``, ``date``).  Raises :class:`MalformedReply` when no status is there.
    """
    if isinstance(response, list):
        events = parse_history(response)
        if not events:
            raise MalformedReply("the getStatus reply is an empty list")
        last = events[-1]
        return StatusReport(id=str(provider_id), status=last.status, updated_at=last.at,
                            description=last.description, raw=last.description)
    if isinstance(response, (str, int)) and not isinstance(response, bool):
        status = STATUSES.to_status(response)
        return StatusReport(id=str(provider_id), status=status, description=str(response), raw=response)
    if not isinstance(response, Mapping):
        raise MalformedReply("the getStatus reply holds no status")
    word = first_of(response, _STATUS_KEYS)
    code = first_of(response, _STATUS_CODE_KEYS)
    comment = first_of(response, ("comment", "status_comment", "description"))
    if isinstance(word, Mapping):
        code = first_of(word, ("code", "status_code")) if code is None else code
        comment = comment if comment is not None else word.get("comment")
        word = first_of(word, ("message", "status", "word", "name"))
    if word is None and code is None:
        raise MalformedReply("the getStatus reply holds no status")
    status = STATUSES.to_status(word) if word is not None else Status.UNKNOWN
    if status is Status.UNKNOWN and code is not None:
        status = status_from_code(code)
    raw = word if word is not None else code
    description = str(word) if word is not None else None
    if comment:
        description = f"{description}: {comment}" if description else str(comment)
    updated = None
    for key in _CHANGED_KEYS:
        updated = TIMES.parse(response.get(key))
        if updated is not None:
            break
    return StatusReport(id=str(provider_id), status=status, updated_at=updated, description=description,
                        raw=raw)


def parse_history(response: Any) -> list[StatusEvent]:
    """Status events from a getHistory ``response``, oldest first.

    A list of entries ``{"code", "message", "date", "comment"?}``; an object keyed by
    index (what PHP's json_encode makes of a non-sequential array) or a single entry is
    accepted too.  The status comes from the message word, else the code; entries are
    ordered by date where every entry has one.  Raises :class:`MalformedReply`.
    """
    if response is None or response == "":
        return []
    entries: list[Any]
    if isinstance(response, list):
        entries = response
    elif isinstance(response, Mapping):
        if any(k in response for k in ("code", "message", "date", "status")):
            entries = [response]
        else:
            entries = [response[k] for k in sorted(response, key=_index_key)]
    else:
        raise MalformedReply("the getHistory reply is not a list")
    events = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise MalformedReply("a getHistory entry is not an object")
        code = first_of(entry, ("code", "status_code", "statusCode"))
        word = first_of(entry, ("message", "status", "status_text", "description"))
        status = STATUSES.to_status(word) if word is not None else Status.UNKNOWN
        if status is Status.UNKNOWN and code is not None:
            status = status_from_code(code)
        comment = entry.get("comment")
        events.append(StatusEvent(
            status=status, at=TIMES.parse(first_of(entry, ("date", "time", "at", "status_date", "created"))),
            code=None if code is None else id_text(code), description=None if word is None else str(word),
            comment=None if comment in (None, "") else str(comment)))
    if events and all(e.at is not None for e in events):
        events.sort(key=lambda e: e.at)  # type: ignore[arg-type,return-value]
    return events


def _index_key(key: Any) -> tuple[int, Any]:
    text = str(key)
    return (0, int(text)) if text.isdigit() else (1, text)


# -- getCreditNumber / getMonthlyStat ---------------------------------------------------
def parse_credit(response: Any) -> Decimal:
    """The balance from a getCreditNumber ``response``: a number, a numeric string
    (spaces and a decimal comma tolerated), or inside an object (``credit``,
    ``credits``, ``credit_number``, ``balance``, ``amount``).  Raises :class:`MalformedReply`."""
    value = response
    if isinstance(value, Mapping):
        value = first_of(value, ("credit", "credits", "credit_number", "creditNumber", "balance", "amount"))
    if isinstance(value, bool) or value is None:
        raise MalformedReply("the getCreditNumber reply holds no number")
    try:
        if isinstance(value, float):
            amount = Decimal(repr(value))
        elif isinstance(value, (int, Decimal)):
            amount = Decimal(value)
        elif isinstance(value, str):
            text = re.sub(r"\s", "", value)
            if "," in text and "." not in text:
                text = text.replace(",", ".")
            amount = Decimal(text)
        else:
            raise MalformedReply("the getCreditNumber reply holds no number")
    except InvalidOperation:
        raise MalformedReply(f"unreadable credit: {shorten(str(value))!r}") from None
    if not amount.is_finite():
        raise MalformedReply("the credit is not a finite number")
    return amount


_MONTH_RE = re.compile(r"\s*(\d{4})\s*[-./]?\s*(\d{1,2})(?:[-./]\d{1,2})?\s*$")
_DOMESTIC_KEYS = ("domestic", "inland", "national", "belfold", "belföldi", "belfoldi", "hu")
_FOREIGN_KEYS = ("foreign", "abroad", "international", "kulfold", "külföldi", "kulfoldi")


def parse_monthly(response: Any) -> list[MonthlyStat]:
    """Monthly counts from a getMonthlyStat ``response``, oldest month first.

    An object keyed by ``YYYY-MM`` whose values hold ``domestic`` and ``foreign``, or a
    list of objects with a ``month`` key (SPEC §5).  ``YYYY-M``, ``YYYY.MM`` and
    ``YYYYMM`` are normalised to ``YYYY-MM``; missing counts are 0; an empty list is no
    months (PHP sends ``[]`` for an empty array).  Raises :class:`MalformedReply`.
    """
    rows: list[tuple[Any, Any]] = []
    if response is None or response == "":
        return []
    if isinstance(response, Mapping):
        if "month" in response:
            rows = [(response["month"], response)]
        else:
            rows = list(response.items())
    elif isinstance(response, list):
        for item in response:
            if not isinstance(item, Mapping):
                raise MalformedReply("a getMonthlyStat entry is not an object")
            month = first_of(item, ("month", "date", "period", "ym"))
            if month is None and "year" in item:
                month = f"{item['year']}-{item.get('month_number', item.get('mon', ''))}"
            rows.append((month, item))
    else:
        raise MalformedReply("the getMonthlyStat reply is neither an object nor a list")
    stats: dict[str, MonthlyStat] = {}
    for month, counts in rows:
        label = _month(month)
        if not isinstance(counts, Mapping):
            raise MalformedReply(f"the counts of {label} are not an object")
        domestic = _count(first_of(counts, _DOMESTIC_KEYS))
        foreign = _count(first_of(counts, _FOREIGN_KEYS))
        earlier = stats.get(label)
        if earlier is not None:  # the same month twice (e.g. 2024-1 and 2024-01): add up
            domestic += earlier.domestic
            foreign += earlier.foreign
        stats[label] = MonthlyStat(month=label, domestic=domestic, foreign=foreign)
    return [stats[k] for k in sorted(stats)]


def _month(value: Any) -> str:
    m = _MONTH_RE.match(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise MalformedReply(f"unreadable month: {shorten(str(value))!r}")
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def _count(value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise MalformedReply("a monthly count is a boolean")
    try:
        number = float(value) if isinstance(value, (int, float, str)) else math.nan
    except ValueError:
        raise MalformedReply(f"unreadable count: {shorten(str(value))!r}") from None
    if not math.isfinite(number) or number < 0 or not number.is_integer():
        raise MalformedReply(f"unreadable count: {shorten(str(value))!r}")
    return int(number)


def send_response(sms_id: str | int) -> str | int:
    """A sendSMS ``response``: the SMS id itself, a number where the id is one (``1001``).

    The provider's documentation: "If the message is successful, we return the internal
    ID of the SMS in the response value, which can be used later to retrieve statuses",
    so a client posts ``response`` back as ``sms_id``.  (:func:`parse_send_reply` also reads
    the ``{"sms_id": 1001}`` object an earlier gateway answered.)"""
    return number_if_digits(sms_id)


def status_response(record: MessageRecord, sms_id: str | int) -> dict[str, Any]:
    """A getStatus ``response`` for a journaled message: the data given at sending, the
    creation date, the delivery status (word and code) and the time of its last change."""
    try:
        parts = split_recipient(record.to)
    except InvalidNumber:
        parts = {"country_code": "", "area_code": "", "number": record.to.lstrip("+")}
    return {
        "sms_id": number_if_digits(sms_id),
        **parts,
        "message": record.text,
        "sender": record.sender,
        "created": TIMES.format(record.created_at),
        "status": STATUSES.from_status(record.status),
        "status_code": code_for_status(record.status),
        "status_date": TIMES.format(record.updated_at or record.created_at),
    }


def history_response(events: Iterable[StatusEvent]) -> list[dict[str, Any]]:
    """A getHistory ``response``: ``[{"code", "message", "date", "comment"?}, ...]``."""
    out = []
    for event in events:
        entry: dict[str, Any] = {"code": code_for_status(event.status), "message": STATUSES.from_status(event.status),
                                 "date": TIMES.format(event.at)}
        if event.comment:
            entry["comment"] = event.comment
        out.append(entry)
    return out


def credit_response(balance: Decimal | int | float | str) -> int | float:
    """A getCreditNumber ``response``: the balance as a JSON number."""
    amount = Decimal(str(balance))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def monthly_response(stats: Iterable[MonthlyStat]) -> dict[str, dict[str, int]]:
    """A getMonthlyStat ``response``: ``{"YYYY-MM": {"domestic": n, "foreign": m}}``."""
    return {s.month: {"domestic": int(s.domestic), "foreign": int(s.foreign)}
            for s in sorted(stats, key=lambda s: s.month)}
