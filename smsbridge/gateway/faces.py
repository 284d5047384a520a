"""What every gateway face needs, whatever provider it speaks.

A face (a plugin's HTTP shim) renders its provider's paths, payloads and errors; the
rules below are the gateway's own and the same for all of them:

- **a send to several recipients** is one journaled message per recipient; an invalid
  number is left out and the others are sent, any other failure stops the send, and
  what was accepted stays accepted (:func:`send_each`);
- **credentials** arrive in an ``Authorization`` header: HTTP Basic
  (:func:`basic_credentials`) or ``<scheme> <credential>`` (:func:`scheme_credential`:
  ``Bearer``, ``AccessKey``, ``App``, ...);
- **a client sees only its own messages**: :meth:`.app.Gateway.send` stamps every message
  with the sending client (``MessageRecord.gateway_client``) and face
  (``MessageRecord.face``) — faces cannot forget it; any other client is told it
  does not exist (:func:`visible_to`, :func:`client_record`,
  :func:`client_record_by_alias`).  Messages sent outside the gateway (no such mark) are
  visible to every client;
- **lists** walk the journal newest first, a page at a time (:func:`scan_journal`), with
  statuses refreshed where a list must agree with a fetch (:func:`fresh`);
- **one provider id over several messages** (a send to several recipients): the first
  message is aliased as the id itself, the others as ``<id>/<n>``
  (:func:`alias_member`, :func:`member_ids`);
- **status callbacks** go out once per status *as the provider words it*: several
  smsbridge statuses may read the same on the wire (:class:`LastReported`).

No starlette import here: wire modules may use the header parsers.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import InvalidNumber, NotFound, SmsBridgeError

if TYPE_CHECKING:
    from starlette.requests import Request

    from ..model import MessageRecord, Receipt
    from .app import Gateway
    from .clients import GatewayClient

__all__ = ["send_each", "basic_credentials", "scheme_credential", "visible_to", "client_record",
           "client_record_by_alias", "fresh", "scan_journal", "alias_member", "member_ids", "LastReported", "SCAN_PAGE", "idempotency_key",
           "query_int", "face_extra", "cursor_of", "parse_when"]

SCAN_PAGE = 500
"""Journal records fetched per page when a face lists one client's messages."""


# -- sending -----------------------------------------------------------------------------
async def send_each(gateway: Gateway, client: GatewayClient, numbers: Sequence[str], text: str, *,
                    extra: Callable[[], Mapping[str, Any]], sender: str | None = None,
                    reference: str | None = None, invalid: list[str] | None = None,
                    stopped: Callable[[int, SmsBridgeError], None] | None = None,
                    idempotency_key: str | None = None,
                    send_at: datetime | None = None) -> AsyncIterator[Receipt]:
    """Send ``text`` to each of ``numbers`` in turn, yielding each receipt as it is accepted.

    ``extra()`` is called before each send (it may name what the earlier ones got).  An
    invalid number is left out (and appended to ``invalid``) and the rest are sent; any
    other failure ends the send: it is raised if nothing was accepted yet, else what was
    accepted stays accepted, the rest is not attempted, and ``stopped(index, error)`` is
    told.  When no number was valid, the first :class:`InvalidNumber` is raised.
    ``idempotency_key`` (the caller's ``Idempotency-Key``) becomes ``<key>/<index>`` per
    recipient: a retried request replays every recipient's message, none is sent twice.
    """
    accepted = 0
    first_invalid: InvalidNumber | None = None
    for index, number in enumerate(numbers):
        try:
            key = f"{idempotency_key}/{index}" if idempotency_key else None
            receipt = await gateway.send(client, number, text, sender=sender, reference=reference, extra=extra(),
                                         idempotency_key=key, send_at=send_at)
        except InvalidNumber as exc:
            if invalid is not None:
                invalid.append(number)
            first_invalid = first_invalid or exc
            continue
        except SmsBridgeError as exc:
            if not accepted:
                raise
            if stopped is not None:
                stopped(index, exc)
            return
        accepted += 1
        yield receipt
    if not accepted:
        assert first_invalid is not None
        raise first_invalid


# -- credentials -------------------------------------------------------------------------
def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(user, password)`` from ``Authorization: Basic …``, else ``None`` (also when malformed)."""
    header = header or ""
    if header[:6].lower() != "basic ":
        return None
    try:
        user, sep, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def scheme_credential(header: str | None, scheme: str) -> str | None:
    """The credential of ``Authorization: <scheme> <credential>`` (scheme in any case), else ``None``."""
    if not header:
        return None
    found, _, credential = header.strip().partition(" ")
    if found.lower() != scheme.lower() or not credential.strip():
        return None
    return credential.strip()


# -- whose message -----------------------------------------------------------------------
def visible_to(record: MessageRecord, client: GatewayClient) -> bool:
    """Whether ``client`` may see the message: it sent it, or it was not sent through the gateway."""
    owner = record.gateway_client
    return owner is None or owner == client.name


async def client_record(gateway: Gateway, client: GatewayClient, message_id: str, *,
                        missing: str) -> MessageRecord:
    """The message's record (status refreshed), or ``NotFound(missing)`` when another client sent it:
    another client's message does not exist for this one."""
    record = await gateway.record(message_id)
    if not visible_to(record, client):
        raise NotFound(missing)
    return record


async def client_record_by_alias(gateway: Gateway, client: GatewayClient, kind: str, alias: str,
                                 carried: Callable[[str], str | None], *, missing: str) -> MessageRecord:
    """:func:`client_record` of the message a face's own id names: the journal's ``kind``
    alias, else the message id ``carried(alias)`` finds in it, in one store call
    (:meth:`Gateway.record_by_alias`; ``resolve`` then ``record`` are two, and two
    worker-thread hops with a journal on disk).  ``NotFound(missing)`` when it names no
    journaled message or another client's."""
    try:
        record = await gateway.record_by_alias(kind, alias, carried)
    except NotFound:
        raise NotFound(missing) from None
    if not visible_to(record, client):
        raise NotFound(missing)
    return record


def face_extra(record: MessageRecord, kind: str) -> dict[str, Any]:
    """What the face ``kind`` journaled with the message (``extra[kind]``), or ``{}``."""
    value = record.extra.get(kind)
    return value if isinstance(value, dict) else {}


# -- lists -------------------------------------------------------------------------------
def query_int(value: str | None, default: int, low: int, high: int, *, invalid: Callable[[str], Exception],
              out_of_range: Callable[[int], Exception] | None = None) -> int:
    """A paging parameter (``limit``, ``page``, …) from a query string.

    ``default`` when absent or empty; ``invalid(text)`` is raised for a non-integer.  Out
    of ``low..high`` the value is clamped, or ``out_of_range(number)`` is raised when given:
    providers differ (MessageBird and Infobip clamp, Plivo and Sinch refuse), and each face
    raises its own error shape.
    """
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise invalid(value[:20]) from None
    if low <= number <= high:
        return number
    if out_of_range is not None:
        raise out_of_range(number)
    return max(low, min(high, number))


async def scan_journal(gateway: Gateway, *, client: GatewayClient | None = None, before: str | None = None,
                       page: int = SCAN_PAGE, **filters: Any) -> AsyncIterator[MessageRecord]:
    """Journaled messages, newest first, fetched ``page`` at a time as keyset ranges of
    the journal's indexes; stop iterating to stop fetching.

    ``client``: only that client's messages (the list rule: a client lists what it sent,
    through any face).  ``before``: a :meth:`Journal.cursor` to continue after.
    ``filters`` are :meth:`Journal.records`' (``to``, ``sender``, ``created_after``,
    ``sent_before``, ...).  Each page costs the same whatever the journal's size.
    """
    from ..journal import Journal

    if client is not None:
        filters["client"] = client.name
    cursor = before
    while True:
        batch = await gateway.records(limit=page, before=cursor, **filters)
        for record in batch:
            yield record
        if len(batch) < page:
            return
        cursor = Journal.cursor(batch[-1])


def cursor_of(record: MessageRecord) -> str:
    """The keyset cursor continuing after ``record`` (for a face's page tokens)."""
    from ..journal import Journal

    return Journal.cursor(record)


def parse_when(value: str, *, end_of_day: bool = False) -> datetime:
    """A date or date-time from a query string (ISO 8601, ``T`` or space, ``Z`` or an
    offset, naive = UTC).  A bare date is midnight UTC, or the next midnight with
    ``end_of_day`` (so "before 2020-01-01" includes that day where a provider says "on or
    before").  Raises ``ValueError`` with a short reason."""
    from datetime import datetime as _dt
    from datetime import timedelta, timezone

    text = (value or "").strip()
    if not text or len(text) > 40:
        raise ValueError("a date (YYYY-MM-DD) or date-time expected")
    if len(text) == 10:
        day = _dt.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        return day + timedelta(days=1) if end_of_day else day
    parsed = _dt.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


async def fresh(gateway: Gateway, record: MessageRecord) -> MessageRecord:
    """The record with its latest status (a list must agree with a fetch); final ones as they are."""
    return record if record.status.final else await gateway.record(record.id)


# -- one provider id, several messages ----------------------------------------------------
async def alias_member(gateway: Gateway, kind: str, group_id: str, index: int, message_id: str) -> None:
    """Alias message number ``index`` (from 0) of the provider id ``group_id``."""
    await gateway.alias(kind, group_id if index == 0 else f"{group_id}/{index}", message_id)


async def member_ids(gateway: Gateway, kind: str, group_id: str) -> AsyncIterator[str]:
    """The smsbridge ids of members 1, 2, … of ``group_id`` (the first, number 0, is
    ``gateway.resolve(kind, group_id)``), resolved one by one as the caller asks."""
    n = 1
    while (message_id := await gateway.resolve(kind, f"{group_id}/{n}")) is not None:
        yield message_id
        n += 1


def idempotency_key(request: Request, *headers: str) -> str | None:
    """The caller's idempotency key: the first of ``headers`` present, then
    ``Idempotency-Key`` (every face); at most 255 characters of printable ASCII."""
    from .http import BadRequest

    for name in (*headers, "idempotency-key"):
        value = request.headers.get(name)
        if value is None:
            continue
        value = value.strip()
        if not value or len(value) > 255 or not value.isascii() or not value.isprintable():
            raise BadRequest(400, f"invalid {name} header: 1 to 255 printable ASCII characters expected")
        return value
    return None


# -- status callbacks --------------------------------------------------------------------
class LastReported:
    """The status word each callback key was last reported with.

    :meth:`is_new` answers whether a callback is due: not when the word is the one last
    reported (smsbridge statuses that read the same in the provider's words make one
    callback).  A key is forgotten at a final status: no callback follows one.
    """

    def __init__(self) -> None:
        self._last: dict[Hashable, Hashable] = {}

    def is_new(self, key: Hashable, word: Hashable, *, final: bool) -> bool:
        if self._last.get(key) == word:
            return False
        self._last[key] = word
        if final:
            self._last.pop(key, None)
        return True
