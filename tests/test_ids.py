"""smsbridge.ids: provider-shaped ids that carry a message id, for every shape.

Property tests: any message id survives every shape; a shape's id is not read back by a
differently salted shape; a corrupted or foreign id is never mistaken for one of ours; ids
that are not smsbridge's still get a stable id of the right form.
"""
from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsbridge import ids

SHAPES = {
    "prefixed": ids.PrefixedHex("SM", salt="", accept=("MM",), keep_hex=True),
    "plain": ids.GroupedHex((32,), salt="a:", foreign_salt=""),
    "grouped": ids.GroupedHex((12, 4, 8, 8), salt="b:"),
    "uuid4": ids.Uuid4(salt="c:"),
    "ulid": ids.Ulid(salt="d:", foreign_salt=""),
}
FORMS = {
    "prefixed": re.compile(r"^SM[0-9a-f]{32}$"),
    "plain": re.compile(r"^[0-9a-f]{32}$"),
    "grouped": re.compile(r"^[0-9a-f]{12}-[0-9a-f]{4}-[0-9a-f]{8}-[0-9a-f]{8}$"),
    "uuid4": re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
    "ulid": re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$"),
}
message_ids = st.builds(lambda ms, rand: f"sb_{ms:012x}{rand:012x}", st.integers(0, 2**48 - 1),
                        st.integers(0, 2**48 - 1))


def test_new_message_ids_are_ours_and_sort_by_time() -> None:
    first, second = ids.new_message_id(), ids.new_message_id()
    assert ids.is_message_id(first) and ids.is_message_id(second) and first != second
    assert first[:15] <= second[:15]
    assert not ids.is_message_id("sb_123") and not ids.is_message_id(None)


@pytest.mark.parametrize("name", sorted(SHAPES))
@given(message_id=message_ids)
def test_every_message_id_survives_every_shape(name: str, message_id: str) -> None:
    shape = SHAPES[name]
    shaped = shape.id_for(message_id)
    assert FORMS[name].match(shaped), shaped
    assert shape.id_for(message_id) == shaped  # deterministic: every process shows the same id
    assert shape.message_id_in(shaped) == message_id
    if name == "uuid4":
        assert uuid.UUID(shaped).version == 4
    if name == "ulid":  # a ULID's first 48 bits are the message's milliseconds
        assert SHAPES["ulid"].digits_in(shaped)[:12] == message_id[3:15]


@pytest.mark.parametrize("name", sorted(SHAPES))
@given(message_id=message_ids, position=st.integers(0, 40), replacement=st.sampled_from("0123456789abcdefXZ-"))
def test_a_corrupted_id_is_not_read_as_ours(name: str, message_id: str, position: int, replacement: str) -> None:
    shape = SHAPES[name]
    shaped = shape.id_for(message_id)
    position %= len(shaped)
    corrupted = shaped[:position] + replacement + shaped[position + 1:]
    found = shape.message_id_in(corrupted)
    assert found in (None, message_id)  # never another message
    free = name == "uuid4" and position == 19  # a UUID's variant digit carries nothing
    if corrupted != shaped and not free:
        assert found is None, (shaped, corrupted)


@given(message_id=message_ids)
def test_a_shape_keyed_otherwise_does_not_read_it(message_id: str) -> None:
    mine, theirs = ids.GroupedHex((32,), salt="mine:"), ids.GroupedHex((32,), salt="theirs:")
    assert theirs.message_id_in(mine.id_for(message_id)) is None


@pytest.mark.parametrize("name", sorted(SHAPES))
@given(other=st.text(min_size=1, max_size=60))
def test_foreign_ids_get_a_stable_shaped_id_that_is_not_reversed(name: str, other: str) -> None:
    shape = SHAPES[name]
    if ids.is_message_id(other):
        return
    shaped = shape.id_for(other)
    assert FORMS[name].match(shaped) and shape.id_for(other) == shaped
    assert shape.message_id_in(shaped) is None


def test_not_our_forms_are_none() -> None:
    for shape in SHAPES.values():
        for junk in ("", "SM", "x" * 34, "SM" + "g" * 32, str(uuid.uuid4()).upper(), 42, None):
            assert shape.message_id_in(junk) is None
    prefixed = SHAPES["prefixed"]
    media = "MM" + prefixed.id_for("sb_" + "1" * 24)[2:]
    assert prefixed.message_id_in(media) == "sb_" + "1" * 24  # accepted prefixes read back
    assert prefixed.id_for("ab" * 16) == "SM" + "ab" * 16  # keep_hex: a 32-hex foreign id is kept
    with pytest.raises(ValueError):
        ids.PrefixedHex("X", salt="", check_digits=2)
