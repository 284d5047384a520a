"""GSM 03.38 / UCS-2 analysis and segmentation (SPEC §8)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsbridge.errors import InvalidMessage
from smsbridge.text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    TextInfo,
    analyse,
    check,
    split,
    transliterate,
)

FAST = settings(max_examples=200, deadline=None)

GSM_CHARS = sorted(GSM7_BASIC | GSM7_EXTENSION)
EMOJI = "\U0001F600"  # 😀, outside the BMP: a UTF-16 surrogate pair


def units_of(part: str, encoding: str) -> int:
    """Independent re-count of a part's size, straight from the definitions."""
    if encoding == "gsm7":
        return sum(2 if c in GSM7_EXTENSION else 1 for c in part)
    return len(part.encode("utf-16-le", "surrogatepass")) // 2


# --- the alphabet ---------------------------------------------------------------

def test_alphabet_sizes_match_gsm_0338() -> None:
    # 128 code points minus ESC; extension: FF ^ { } \ [ ~ ] | €
    assert len(GSM7_BASIC) == 127
    assert GSM7_EXTENSION == frozenset("\f^{}\\[~]|€")
    assert not GSM7_BASIC & GSM7_EXTENSION
    assert "\x1b" not in GSM7_BASIC


def test_hungarian_letters() -> None:
    for c in "éÉöÖüÜ":
        assert c in GSM7_BASIC
    for c in "őŐűŰáÁíÍóÓúÚ":
        assert c not in GSM7_BASIC | GSM7_EXTENSION


# --- known examples -------------------------------------------------------------

def test_short_gsm_text() -> None:
    assert analyse("Szia") == TextInfo(encoding="gsm7", segments=1, units=4, per_segment=160)


def test_empty_text_is_zero_segments() -> None:
    assert analyse("") == TextInfo(encoding="gsm7", segments=0, units=0, per_segment=160)
    assert split("") == []


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [(1, 1, 160), (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153), (459, 3, 153), (460, 4, 153)],
)
def test_gsm7_segment_boundaries(length: int, segments: int, per_segment: int) -> None:
    info = analyse("a" * length)
    assert (info.encoding, info.segments, info.units, info.per_segment) == ("gsm7", segments, length, per_segment)


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [(1, 1, 70), (70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67)],
)
def test_ucs2_segment_boundaries(length: int, segments: int, per_segment: int) -> None:
    info = analyse("ő" * length)
    assert (info.encoding, info.segments, info.units, info.per_segment) == ("ucs2", segments, length, per_segment)


def test_hungarian_double_acute_forces_ucs2() -> None:
    assert analyse("Ő").encoding == "ucs2"
    assert analyse("Szia, hogy vagy? Ő is jön.").encoding == "ucs2"


def test_extension_char_counts_two_septets() -> None:
    assert analyse("€") == TextInfo(encoding="gsm7", segments=1, units=2, per_segment=160)
    assert analyse("a" * 158 + "€").segments == 1  # 160 septets
    assert analyse("a" * 159 + "€").segments == 2  # 161 septets


def test_escape_pair_is_never_split() -> None:
    # 152 septets + ESC€ would straddle septets 153/154: the pair moves to part two.
    text = "a" * 152 + "€" + "b" * 10
    parts = split(text)
    assert parts == ["a" * 152, "€" + "b" * 10]
    assert analyse(text).segments == 2
    # Same units as 163 plain chars (which is 2 parts), but 306 septets with the
    # waste at the boundary no longer fit in two.
    assert analyse("a" * 152 + "€" + "b" * 152).units == 306
    assert analyse("a" * 152 + "€" + "b" * 152).segments == 3


def test_emoji_is_two_units_and_never_split() -> None:
    assert analyse(EMOJI) == TextInfo(encoding="ucs2", segments=1, units=2, per_segment=70)
    assert analyse(EMOJI * 35).segments == 1  # 70 units
    assert analyse(EMOJI * 35 + "x").segments == 2
    text = "x" * 66 + EMOJI + "y" * 5  # 73 units: concatenated, 67 per part
    assert split(text) == ["x" * 66, EMOJI + "y" * 5]
    assert all(units_of(p, "ucs2") <= 67 for p in split(text))


def test_transliterate_hungarian_pangram() -> None:
    # ű → ü and ő → ö (both GSM-7); é is GSM-7 already and is kept.
    out = transliterate("Árvíztűrő tükörfúrógép")
    assert out == "Arviztürö tükörfurogép"
    assert analyse(out).encoding == "gsm7"
    assert transliterate("ÁÍÓÚŐŰ áíóúőű éÉ") == "AIOUÖÜ aiouöü éÉ"


def test_transliterate_typography() -> None:
    assert transliterate("„Szia” – “ok” — ‘x’ …") == '"Szia" - "ok" - \'x\' ...'
    assert analyse(transliterate("„Szia”…")).encoding == "gsm7"


def test_transliterate_leaves_everything_else() -> None:
    text = "Привет " + EMOJI + " ß ñ ç"
    assert transliterate(text) == text


def test_transliterate_halves_segments() -> None:
    text = "Árvíztűrő tükörfúrógép " * 5  # 115 chars
    assert analyse(text).segments == 2
    assert analyse(transliterate(text)).segments == 1


def test_check_rejects_empty_and_blank() -> None:
    for text in ("", "   ", "\n\t"):
        with pytest.raises(InvalidMessage, match="empty"):
            check(text, max_segments=6)


def test_check_rejects_too_many_segments() -> None:
    with pytest.raises(InvalidMessage, match=r"7 segments.*limit of 6"):
        check("a" * (153 * 6 + 1), max_segments=6)
    with pytest.raises(InvalidMessage, match="transliterate"):
        check("ő" * 71, max_segments=1)


def test_check_returns_analysis() -> None:
    assert check("a" * 918, max_segments=6) == analyse("a" * 918)
    assert check("Szia", max_segments=1).segments == 1


# --- properties -----------------------------------------------------------------

any_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM_CHARS),
        st.sampled_from("őűáíóúŐŰ€" + EMOJI + "\U0001F44D"),
        st.characters(),
    ),
    max_size=400,
)
gsm_text = st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=500)


@FAST
@given(any_text)
def test_split_matches_analyse_and_fits(text: str) -> None:
    info = analyse(text)
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == info.segments
    assert info.units == units_of(text, info.encoding)
    assert all(part for part in parts)
    for part in parts:
        assert units_of(part, info.encoding) <= info.per_segment
    expected_limit = (160 if info.encoding == "gsm7" else 70) if info.segments <= 1 else (
        153 if info.encoding == "gsm7" else 67)
    assert info.per_segment == expected_limit


@FAST
@given(any_text)
def test_packing_is_tight(text: str) -> None:
    # Greedy packing: the first character of each next part did not fit in the previous one.
    info = analyse(text)
    parts = split(text)
    for prev, nxt in zip(parts, parts[1:]):
        assert units_of(prev + nxt[0], info.encoding) > info.per_segment


@FAST
@given(gsm_text)
def test_gsm_only_text_is_gsm7(text: str) -> None:
    assert analyse(text).encoding == "gsm7"


@FAST
@given(any_text, any_text)
def test_segments_never_decrease_when_appending(text: str, more: str) -> None:
    before = analyse(text).segments
    assert analyse(text + more).segments >= before
    for i in range(0, len(more), max(1, len(more) // 8)):
        assert analyse(text + more[: i + 1]).segments >= before


@FAST
@given(any_text)
def test_transliterate_only_shrinks_cost_for_hungarian(text: str) -> None:
    out = transliterate(text)
    # The mapped characters all land in GSM-7; nothing else changes.
    hu = "őűáíóúŐŰÁÍÓÚ„”“’‘–—…"
    assert not set(out) & set(hu)
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION or c in hu for c in text):
        assert analyse(out).encoding == "gsm7"
