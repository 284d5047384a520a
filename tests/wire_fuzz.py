"""Hostile input for the provider wire modules' property tests (hypothesis).

- ``json_values()``: any JSON document (scalars, lists, objects, nested);
- ``read_raising_only_smsbridge_errors(readers, data)``: a backend's reply readers may
  refuse ``data`` only with an ``SmsBridgeError`` (never a KeyError, TypeError, ...):
  any other exception propagates and fails the test.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import strategies as st

from smsbridge.errors import SmsBridgeError


def json_values(*, floats: bool = False, max_leaves: int = 20) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers()
    if floats:
        scalars = scalars | st.floats(allow_nan=False)
    return st.recursive(scalars | st.text(max_size=20),
                        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=5),
                        max_leaves=max_leaves)


def read_raising_only_smsbridge_errors(readers: Iterable[Callable[[Any], Any]], data: Any) -> None:
    for reader in readers:
        try:
            reader(data)
        except SmsBridgeError:
            pass
