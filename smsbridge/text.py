"""Message text: GSM 03.38 or UCS-2, and how many SMS segments it costs (SPEC §8).

A message goes out in the GSM 7-bit default alphabet when every character is in it,
otherwise in UCS-2.  Limits per segment (3GPP TS 23.038, TS 23.040 §9.2.3.24.1):

============  ============  =====================================================
encoding      one segment   concatenated (a 6-octet UDH takes the rest)
============  ============  =====================================================
``gsm7``      160 septets   153 septets each; an extension char is ESC + char = 2
``ucs2``      70 units      67 UTF-16 code units each; astral chars (emoji) are 2
============  ============  =====================================================

Phones and SMSCs never split an escape pair or a surrogate pair across segments,
so the segment count comes from actually packing the characters, not from dividing
the length: 152 plain characters followed by ``€`` fill segment one with 152
septets and move the ``€`` to segment two.
"""
from __future__ import annotations

from dataclasses import dataclass

from smsbridge.errors import InvalidMessage

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "TextInfo",
    "analyse",
    "split",
    "transliterate",
    "check",
]

# GSM 03.38 default alphabet, in code-point order 0x00-0x7F, as mapped to Unicode
# by unicode.org's GSM0338.TXT.  0x1B (ESC) is left out: it introduces the
# extension table and is never a character of its own.  0x09 is capital Ç there.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ" "ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

# Extension table (3GPP TS 23.038 §6.2.1.1): sent as ESC + code, two septets each.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7 = ("gsm7", 160, 153)
_UCS2 = ("ucs2", 70, 67)

# Hungarian letters outside GSM 03.38, and typography that word processors and
# phones insert, mapped to the nearest GSM-7 text.  é/É, ö/Ö and ü/Ü are already
# GSM-7 and stay; ő/ű lose only their double acute, which readers still understand.
_TRANSLITERATION = str.maketrans({
    "á": "a", "í": "i", "ó": "o", "ú": "u", "ő": "ö", "ű": "ü",
    "Á": "A", "Í": "I", "Ó": "O", "Ú": "U", "Ő": "Ö", "Ű": "Ü",
    "„": '"', "”": '"', "“": '"', "’": "'", "‘": "'",
    "–": "-", "—": "-", "…": "...",
})


@dataclass(frozen=True)
class TextInfo:
    """What a text costs to send.

    ``units`` are septets for ``gsm7`` and UTF-16 code units for ``ucs2``;
    ``per_segment`` is the limit in force: 160/70 for a single segment (and for
    empty text), 153/67 once the text is concatenated.
    """

    encoding: str
    segments: int
    units: int
    per_segment: int


def _septets(char: str) -> int:
    return 2 if char in GSM7_EXTENSION else 1


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _pack(text: str) -> tuple[str, int, int, list[str]]:
    """Encoding, total units, limit in force, and the parts of ``text``.

    Each character is packed whole (an escape pair or surrogate pair is one
    character here), greedily, which is what handsets and SMSCs do.
    """
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        (encoding, single, multi), size = _GSM7, _septets
    else:
        (encoding, single, multi), size = _UCS2, _utf16_units
    sizes = [size(c) for c in text]
    total = sum(sizes)
    if not text:
        return encoding, 0, single, []
    if total <= single:
        return encoding, total, single, [text]
    parts: list[str] = []
    start, used = 0, 0
    for i, n in enumerate(sizes):
        if used + n > multi:
            parts.append(text[start:i])
            start, used = i, 0
        used += n
    parts.append(text[start:])
    return encoding, total, multi, parts


# A send analyses its text three times (the first backend's check, the neutral message,
# the backend's version) and a gateway often sends one text to many: results are kept,
# keyed by the text, for texts of up to _CACHE_TEXT characters (bounded: cleared when full,
# as numbers.py's cache; dict get/set are atomic, TextInfo is frozen).
_ANALYSED: dict[str, TextInfo] = {}
_CACHE_SIZE = 512
_CACHE_TEXT = 1600


def analyse(text: str) -> TextInfo:
    """Encoding, segment count and size of ``text``; empty text is 0 segments.

    Never raises for a ``str``: rejecting empty or too-long text is :func:`check`'s job.
    """
    info = _ANALYSED.get(text)
    if info is None:
        encoding, units, per_segment, parts = _pack(text)
        info = TextInfo(encoding=encoding, segments=len(parts), units=units, per_segment=per_segment)
        if len(text) <= _CACHE_TEXT and type(text) is str:
            if len(_ANALYSED) >= _CACHE_SIZE:
                _ANALYSED.clear()
            _ANALYSED[text] = info
    return info


def split(text: str) -> list[str]:
    """The segments ``text`` is sent as, packed as in :func:`analyse`.

    They concatenate to ``text`` and each fits the limit in force; empty text gives ``[]``.
    """
    return _pack(text)[3]


def transliterate(text: str) -> str:
    """Map Hungarian ``ő ű á í ó ú`` (and capitals) and typographic quotes, dashes
    and ellipsis (``„ ” “ ’ ‘ – — …``) to their nearest GSM-7 characters.

    Applied only when the ``transliterate`` option is true (per backend or default,
    SPEC §8): with it, Hungarian text becomes GSM-7, which fits 160 characters per
    segment instead of 70 and so roughly halves the cost.  Everything else is left
    unchanged, so text with other non-GSM characters stays UCS-2.
    """
    return text.translate(_TRANSLITERATION)


def check(text: str, max_segments: int) -> TextInfo:
    """Return :func:`analyse` of ``text``, or raise :class:`InvalidMessage`.

    Raises when the text is empty or whitespace only, or when it needs more than
    ``max_segments`` segments.
    """
    if not isinstance(text, str):
        raise InvalidMessage(f"message text must be a string, not {type(text).__name__}", reason="bad_text")
    if not text.strip():
        raise InvalidMessage("message text is empty", reason="empty")
    bad = next((i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff"), None)
    if bad is not None:  # a lone surrogate cannot be encoded in any SMS alphabet (or stored)
        raise InvalidMessage(f"message text has an invalid character (lone UTF-16 surrogate) at position {bad}", reason="bad_text")
    info = analyse(text)
    if info.segments > max_segments:
        # Say what would help: transliteration only when it would make the text GSM-7.
        hint = "shorten it or raise max_segments"
        if info.encoding == "ucs2" and analyse(transliterate(text)).encoding == "gsm7":
            hint = "shorten it, set transliterate: true, or raise max_segments"
        raise InvalidMessage(
            f"message text needs {info.segments} segments ({info.encoding}, {info.units} units), "
            f"more than the limit of {max_segments}: {hint}",
            reason="too_long",
        )
    return info
