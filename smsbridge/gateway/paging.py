"""One page of a face's listing: the ``limit`` records after the first ``offset``.

Every face that lists messages (MessageBird ``GET /messages``, Plivo's ``Message/``, ...)
filters the journal's records in its provider's terms, newest first, then takes a page
of them and says whether more follow.  The filtering is the provider's; the paging is
this, written once.  It reads one record past the page to know whether more follow, and
never more, so a listing costs the page, not the journal.
"""
from __future__ import annotations

from collections.abc import AsyncIterable
from typing import TypeVar

__all__ = ["page"]

T = TypeVar("T")


async def page(records: AsyncIterable[T], *, offset: int, limit: int) -> tuple[list[T], bool]:
    """``(the page, whether more records follow it)`` of ``records``.

    An async generator is closed once the page is full, so whatever it reads from (the
    journal's pages, :func:`~.faces.scan_journal`) stops there, not at garbage collection.
    """
    taken: list[T] = []
    skip = max(offset, 0)
    more = False
    iterator = aiter(records)
    try:
        async for record in iterator:
            if skip:
                skip -= 1
                continue
            if len(taken) >= limit:
                more = True
                break
            taken.append(record)
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()
    return taken, more
