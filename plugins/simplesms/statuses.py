"""simpleSMS status words and codes <-> smsbridge's neutral :class:`~smsbridge.model.Status`, as data.

The provider's words (kept verbatim in ``raw``) and their numeric codes as the stand-in
uses them: ``1 Queued``, ``2 Sent``, ``3 Delivered``, ``4 Undelivered``; smsbridge adds
``5 Failed``, ``6 Expired``, ``7 Rejected``, ``8 Scheduled``, ``9 Canceled``, ``0 Unknown``.
Common synonyms and the Hungarian words are understood too, with ``_`` or ``-`` in place
of a space, and a code written as a word (``"3"``, or the number ``3``) reads as its status:
all of it is :data:`STATUSES` (the core's :class:`~smsbridge.wire.StatusWords`).  The
numeric codes are simpleSMS's own extra (:func:`status_from_code`, :func:`code_for_status`).
"""
from __future__ import annotations

from typing import Any

from smsbridge.model import Status
from smsbridge.wire import StatusWords

from .values import code_number

__all__ = ["STATUSES", "STATUS_WORDS", "STATUS_CODES", "status_from_code", "code_for_status"]

STATUS_WORDS: dict[str, Status] = {}
for _status, _words in {
    Status.QUEUED: ("queued", "pending", "waiting", "accepted", "processing", "new",
                    "várakozik", "varakozik", "sorban", "feldolgozás alatt"),
    Status.SENT: ("sent", "sending", "submitted", "in progress", "elküldve", "elkuldve", "kiküldve", "kikuldve"),
    Status.DELIVERED: ("delivered", "success", "successful", "done", "kézbesítve", "kezbesitve",
                       "kézbesített", "kezbesitett", "sikeres"),
    Status.UNDELIVERED: ("undelivered", "undeliverable", "not delivered", "nem kézbesíthető",
                         "nem kezbesitheto", "kézbesíthetetlen", "kezbesithetetlen"),
    Status.FAILED: ("failed", "failure", "error", "sikertelen", "hiba", "hibás", "hibas"),
    Status.EXPIRED: ("expired", "lejárt", "lejart"),
    Status.REJECTED: ("rejected", "refused", "elutasítva", "elutasitva", "visszautasítva"),
    Status.SCHEDULED: ("scheduled", "ütemezett", "utemezett", "időzített", "idozitett"),
    Status.CANCELED: ("cancelled", "canceled", "törölve", "torolve", "visszavonva"),
    Status.UNKNOWN: ("unknown", "ismeretlen"),
}.items():
    for _word in _words:
        STATUS_WORDS[_word] = _status

# Numeric status codes: 1-4 as the stand-in uses them, 0 and 5-7 smsbridge's.
STATUS_CODES: dict[int, Status] = {0: Status.UNKNOWN, 1: Status.QUEUED, 2: Status.SENT, 3: Status.DELIVERED,
                                   4: Status.UNDELIVERED, 5: Status.FAILED, 6: Status.EXPIRED, 7: Status.REJECTED,
                                   8: Status.SCHEDULED, 9: Status.CANCELED}
_CODE_FOR = {status: code for code, status in STATUS_CODES.items()}
_WORD_FOR = {Status.QUEUED: "Queued", Status.SENT: "Sent", Status.DELIVERED: "Delivered",
             Status.UNDELIVERED: "Undelivered", Status.FAILED: "Failed", Status.EXPIRED: "Expired",
             Status.REJECTED: "Rejected", Status.UNKNOWN: "Unknown",
             Status.SCHEDULED: "Scheduled", Status.CANCELED: "Canceled"}


def _spellings(words: dict[str, Status]) -> dict[str, Status]:
    """Every word also with ``_`` and ``-`` for its spaces (``not_delivered``), and every
    code as a word (``"3"``): what a PHP service writes varies, the meaning does not."""
    spelled = dict(words)
    for word, status in words.items():
        for joiner in ("_", "-"):
            spelled.setdefault(word.replace(" ", joiner), status)
    for code, status in STATUS_CODES.items():
        spelled.setdefault(str(code), status)
    return spelled


STATUSES = StatusWords(incoming=_spellings(STATUS_WORDS), outgoing=_WORD_FOR)
"""simpleSMS's status words both ways: ``STATUSES.to_status("Kézbesítve")`` is delivered,
``STATUSES.from_status(Status.DELIVERED)`` is ``"Delivered"``."""


def status_from_code(code: Any) -> Status:
    """The neutral status for a numeric status code (``3`` → delivered); else ``UNKNOWN``."""
    number = code_number(code)
    return STATUS_CODES.get(number, Status.UNKNOWN) if number is not None else Status.UNKNOWN


def code_for_status(status: Status) -> int:
    """The numeric status code for a neutral status (``Status.DELIVERED`` → ``3``)."""
    return _CODE_FOR[Status(status)]
