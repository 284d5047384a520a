"""smsbridge.gateway.paging: one page of a face's listing, reading one record past it."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from smsbridge.gateway.paging import page


class Records:
    """``n`` numbered records as an async generator that counts what was read and whether
    it was closed."""

    def __init__(self, n: int) -> None:
        self.n, self.read, self.closed = n, 0, False

    async def __call__(self) -> AsyncIterator[int]:
        try:
            for i in range(self.n):
                self.read += 1
                yield i
        finally:
            self.closed = True


@pytest.mark.parametrize("n,offset,limit,expected,more", [
    (10, 0, 3, [0, 1, 2], True),
    (10, 3, 3, [3, 4, 5], True),
    (10, 7, 3, [7, 8, 9], False),
    (10, 9, 3, [9], False),
    (10, 12, 3, [], False),
    (0, 0, 3, [], False),
    (3, 0, 3, [0, 1, 2], False),
])
def test_page(n, offset, limit, expected, more):
    records = Records(n)
    assert asyncio.run(page(records(), offset=offset, limit=limit)) == (expected, more)
    assert records.closed


def test_reads_one_past_the_page_and_no_more():
    records = Records(1000)
    taken, more = asyncio.run(page(records(), offset=10, limit=5))
    assert taken == [10, 11, 12, 13, 14] and more
    assert records.read == 16 and records.closed
