"""The wire convention every provider plugin follows, and the data types the core reads.

A provider plugin writes its wire format once, in ``plugins/<provider>/wire.py``, and its
backend (client side), SDK shim and gateway face (server side) all speak through it.  So
that a reader who knows one provider's wire module can read every other, each one offers
the **same names** (:class:`ProviderWire` states them; a test checks every built-in
plugin against it):

==========================  =============================================================
name                        what it is
==========================  =============================================================
``STATUSES``                :class:`StatusWords`: the provider's status words, both ways
``to_status(word)``         ``STATUSES.to_status``: a provider word -> :class:`Status`
``from_status(status)``     ``STATUSES.from_status``: a :class:`Status` -> the word
``TIMES``                   :class:`TimeFormat`: how the provider writes a moment
``format_time(when)``       ``TIMES.format``
``parse_time(value)``       ``TIMES.parse`` (tolerant: ``None`` when unreadable)
``ID_SHAPE``                an :class:`smsbridge.ids.Shape`: the provider's message-id form
``provider_id_for(id)``     ``ID_SHAPE.id_for``: the provider-shaped id of a message id
``message_id_in(pid)``      ``ID_SHAPE.message_id_in``: the message id a provider id carries
``REPLY_ERRORS``            :class:`ReplyErrors`: a provider error reply -> smsbridge error
``error_from_reply(...)``   ``REPLY_ERRORS.error_from_reply``
``ERROR_REPLIES``           :class:`ErrorReplies`: an smsbridge error -> the provider's reply
``reply_for_error(exc)``    ``ERROR_REPLIES.reply``: ``(http_status, body)``
``WireError``               :class:`WireError` (or a subclass): a request a face refuses
``build_send(...)``         the provider's send request (client side)
``parse_send_request(...)`` a send request read back (server side; raises ``WireError``)
``parse_send_reply(...)``   the provider's reply to a send, read (client side)
==========================  =============================================================

Everything a provider *declares* (status words, time format, id shape, error codes) is
data of the types below; what every provider *does* with that data (case-folding status
words, rendering and tolerantly parsing moments, classifying an error reply by HTTP status
and code, matching an error to its reply) is written here once.  No I/O, no starlette.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from . import errors, ids
from .model import Status

__all__ = ["ProviderWire", "WireError", "StatusWords", "TimeFormat", "ReplyErrors", "Rule", "ErrorReplies",
           "RFC2822", "ISO_SECONDS", "ISO_MILLIS_Z", "check_wire", "Bound", "bind", "CONVENTION", "readable", "amount_in"]


# --------------------------------------------------------------------------- refusals

class WireError(Exception):
    """A request a face must refuse, already in the provider's terms.

    ``status`` is the HTTP status of the answer, ``code`` the provider's error code (any
    type: Twilio's numbers, Vonage's status strings), ``message`` the provider-worded text
    and ``field`` the request field at fault, where the provider's error names one.
    :class:`ErrorReplies` renders it as it is: no rule is consulted.
    """

    def __init__(self, message: str, *, status: int = 400, code: Any = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field


# --------------------------------------------------------------------------- status words

@dataclass(frozen=True)
class StatusWords:
    """A provider's status vocabulary as data.

    ``incoming``: every word the provider may report (matched stripped and case-folded),
    to its :class:`Status`; a word not listed reads as ``unknown_as``.  ``outgoing``: the
    word a face shows for each :class:`Status` — by default the first ``incoming`` word for
    it, so only the exceptions are written.  Every status must end up with a word, so a
    status added to the core fails at import, not at a caller.
    """

    incoming: Mapping[str, Status]
    outgoing: Mapping[Status, str] = field(default_factory=dict)
    unknown_as: Status = Status.UNKNOWN

    def __post_init__(self) -> None:
        derived: dict[Status, str] = {}
        for word, status in self.incoming.items():
            derived.setdefault(status, word)
        object.__setattr__(self, "outgoing", {**derived, **self.outgoing})
        missing = [s.value for s in Status if s not in self.outgoing]
        if missing:
            raise ValueError(f"StatusWords.outgoing has no word for: {', '.join(missing)}")
        folded = {str(word).strip().lower(): status for word, status in self.incoming.items()}
        object.__setattr__(self, "incoming", folded)

    def to_status(self, word: object) -> Status:
        """The provider's ``word`` as a :class:`Status` (``unknown_as`` when not listed)."""
        if word is None:
            return self.unknown_as
        return self.incoming.get(str(word).strip().lower(), self.unknown_as)

    def from_status(self, status: Status | str) -> str:
        """The provider's word for ``status`` (a :class:`Status` or its value); a value
        that is no status reads as the word for ``Status.UNKNOWN``."""
        try:
            return self.outgoing[Status(status)]
        except ValueError:
            return self.outgoing[Status.UNKNOWN]


# --------------------------------------------------------------------------- moments

_ZONE_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


@dataclass(frozen=True)
class TimeFormat:
    """How a provider writes a moment, as data: a ``strftime`` pattern applied in UTC,
    where ``%3f`` stands for milliseconds and ``%.f`` for ``.`` and the microseconds, left
    out when they are zero (as ``datetime.isoformat`` writes them), or ``"rfc2822"``
    (``Wed, 18 Aug 2010 20:01:40 +0000``, locale-independent).

    :meth:`format` renders an aware or naive (= UTC) datetime; :meth:`parse` reads any
    ISO 8601 or RFC 2822 moment, with ``Z``, ``±HH:MM``, ``±HHMM`` or no zone (read as
    ``naive_zone``), and returns it aware in UTC — or ``None`` when absent or unreadable,
    never an exception: a provider's odd date must not fail a status look-up.
    """

    pattern: str
    naive_zone: tzinfo = timezone.utc

    def format(self, when: datetime | None) -> str | None:
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        when = when.astimezone(timezone.utc)
        if self.pattern == "rfc2822":
            return _rfc2822(when)
        pattern = self.pattern.replace("%3f", f"{when.microsecond // 1000:03d}")
        pattern = pattern.replace("%.f", f".{when.microsecond:06d}" if when.microsecond else "")
        return when.strftime(pattern)

    def parse(self, value: object) -> datetime | None:
        if isinstance(value, datetime):
            moment: datetime | None = value
        elif isinstance(value, str) and value.strip():
            moment = _read_moment(value.strip(), self.pattern)
        else:
            return None
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.naive_zone)
        return moment.astimezone(timezone.utc)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _rfc2822(when: datetime) -> str:
    """``email.utils.format_datetime(when)`` for a UTC ``when`` without its microseconds,
    in one f-string: the Twilio face writes three per message, and ``format_datetime``
    (a time tuple, a zone lookup, a ``%``-format) was ~4 us of each (issue 18).
    ``tests/test_wire_core.py`` checks it against ``format_datetime``."""
    return (f"{_DAYS[when.weekday()]}, {when.day:02d} {_MONTHS[when.month - 1]} {when.year:04d}"
            f" {when.hour:02d}:{when.minute:02d}:{when.second:02d} +0000")


def _read_moment(text: str, pattern: str) -> datetime | None:
    iso = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else _ZONE_NO_COLON.sub(r"\1:\2", text)
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    if pattern != "rfc2822" and "%3f" not in pattern and "%.f" not in pattern:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            pass
    return None


RFC2822 = TimeFormat("rfc2822")
"""``Wed, 18 Aug 2010 20:01:40 +0000``."""
ISO_SECONDS = TimeFormat("%Y-%m-%dT%H:%M:%S+00:00")
"""``2026-12-01T10:00:00+00:00``."""
ISO_MILLIS_Z = TimeFormat("%Y-%m-%dT%H:%M:%S.%3fZ")
"""``2026-12-01T10:00:00.123Z``."""


# --------------------------------------------------------------------------- reply -> error

def _codes(values: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(v) for v in values)


@dataclass(frozen=True)
class ReplyErrors:
    """How a provider's error reply reads as an smsbridge error, as data.

    ``read(payload)`` returns the reply's ``(code, text)`` (either may be ``None``); the
    code sets say which codes mean what (compared as text, so ``21211`` and ``"21211"``
    match).  :meth:`error_from_reply` applies the rules every provider shares, in order:

    1. ``special(http_status, code, text, backend)``, when given, may answer first (on a
       send, ``special_send``, when given, before it: for a code whose meaning depends on
       whether the message may have been accepted);
    2. HTTP 401/403 or an ``auth`` code: :class:`errors.AuthenticationError`;
    3. HTTP 429, an ``unavailable_http`` status or a ``throttle`` code: :class:`errors.ProviderUnavailable`;
    4. HTTP 402 or a ``credit`` code: :class:`errors.InsufficientCredit`;
    5. an ``invalid_number`` code: :class:`errors.InvalidNumber`; an ``invalid_message`` code:
       :class:`errors.InvalidMessage`;
    6. HTTP 404 or a ``not_found`` code: :class:`errors.NotFound`;
    7. HTTP 5xx: on a send :class:`errors.DeliveryUnknown` (the provider may have accepted it
       before failing: never retried, so never sent twice), otherwise
       :class:`errors.ProviderUnavailable`;
    8. HTTP 409: :class:`errors.ProviderError`, *not* retry-safe: a conflict may mean the
       message already exists there (an idempotency key seen before), so it must not go
       to another backend;
    9. anything else (a 4xx): :class:`errors.ProviderError`, refused before acceptance.
    """

    provider: str
    read: Callable[[Any], tuple[Any, str | None]]
    auth: Collection[Any] = ()
    throttle: Collection[Any] = ()
    credit: Collection[Any] = ()
    invalid_number: Collection[Any] = ()
    invalid_message: Collection[Any] = ()
    not_found: Collection[Any] = ()
    unavailable_http: Collection[int] = (503,)
    special: Callable[[int, Any, str, str | None], errors.SmsBridgeError | None] | None = None
    special_send: Callable[[int, Any, str, str | None], errors.SmsBridgeError | None] | None = None
    _sets: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("auth", "throttle", "credit", "invalid_number", "invalid_message", "not_found"):
            self._sets[name] = _codes(getattr(self, name))

    def _is(self, kind: str, code: Any) -> bool:
        return code is not None and str(code) in self._sets[kind]

    def error_from_reply(self, http_status: int, payload: Any, *, backend: str | None = None,
                         sending: bool = False) -> errors.SmsBridgeError:
        """The smsbridge error for the provider's error reply (``http_status`` >= 400, or
        a 2xx whose body says it failed)."""
        try:
            code, text = self.read(payload)
        except (AttributeError, KeyError, IndexError, TypeError, ValueError):
            code, text = None, None
        text = str(text or "").strip() or f"HTTP {http_status}"
        shown = code if code not in (None, "") else http_status
        name = self.provider
        for special in (self.special_send if sending else None, self.special):
            answer = special(http_status, code, text, backend) if special is not None else None
            if answer is not None:
                return answer
        if http_status in (401, 403) or self._is("auth", code):
            return errors.AuthenticationError(f"{name} refused the credentials: {text}", code=shown, backend=backend)
        if http_status == 429 or http_status in self.unavailable_http or self._is("throttle", code):
            return errors.ProviderUnavailable(f"{name} is not accepting messages now: {text}", code=shown,
                                       backend=backend)
        if http_status == 402 or self._is("credit", code):
            return errors.InsufficientCredit(f"{name} account cannot pay: {text}", code=shown, backend=backend)
        if self._is("invalid_number", code):
            return errors.InvalidNumber(text)
        if self._is("invalid_message", code):
            return errors.InvalidMessage(text)
        if http_status == 404 or self._is("not_found", code):
            return errors.NotFound(text)
        if http_status >= 500:
            if sending:
                return errors.DeliveryUnknown(f"{name} answered HTTP {http_status} to a send: {text}", code=shown,
                                       backend=backend)
            return errors.ProviderUnavailable(f"{name} answered HTTP {http_status}: {text}", code=shown, backend=backend)
        if http_status == 409:
            return errors.ProviderError(f"{name} reports a conflict: {text}", code=shown, backend=backend)
        return errors.ProviderError(text, code=shown, backend=backend, pre_acceptance=True)


# --------------------------------------------------------------------------- error -> reply

@dataclass(frozen=True)
class Rule:
    """How errors of class ``error`` (with the given field values) read at a face.

    ``reason`` matches :attr:`errors.InvalidMessage.reason`, ``transport`` and ``retry_safe``
    the fields of the same names; ``None`` matches anything.  ``message`` is a fixed
    text, a function of the error, or ``None`` for the error's own (redacted) message.
    Matched on the error's class and fields, never on its English text.
    """

    error: type[BaseException]
    status: int
    code: Any
    message: str | Callable[[BaseException], str] | None = None
    reason: str | None = None
    transport: bool | None = None
    retry_safe: bool | None = None

    def matches(self, exc: BaseException) -> bool:
        if not isinstance(exc, self.error):
            return False
        for name in ("reason", "transport", "retry_safe"):
            wanted = getattr(self, name)
            if wanted is not None and getattr(exc, name, None) != wanted:
                return False
        return True

    def text(self, exc: BaseException) -> str:
        if callable(self.message):
            return self.message(exc)
        if self.message is not None:
            return self.message
        return str(getattr(exc, "message", None) or exc) or type(exc).__name__


Body = Callable[..., Any]
"""``body(http_status, provider_code, message, **context) -> the provider's error body``."""


@dataclass(frozen=True)
class ErrorReplies:
    """A provider's error vocabulary, as data: how each smsbridge error reads in its words.

    The gateway face (:class:`smsbridge.gateway.errors.ErrorTable`) and the SDK shim both
    answer through :meth:`reply`, so a caller sees the same error from either:

    - a :class:`WireError` as it is (its status, code and message);
    - the first matching :class:`Rule`;
    - anything else: ``internal`` with HTTP 500 and ``internal_message``.
    """

    body: Body
    rules: Sequence[Rule]
    internal: Any
    internal_message: str = "Internal error"

    def rule_for(self, exc: BaseException) -> Rule | None:
        return next((rule for rule in self.rules if rule.matches(exc)), None)

    def reply(self, exc: BaseException, **context: Any) -> tuple[int, Any]:
        """``(http_status, body)`` for ``exc``; ``context`` (e.g. the recipient) is passed
        to ``body`` as keywords, for shapes that name it."""
        if isinstance(exc, WireError):
            return exc.status, self.body(exc.status, exc.code, exc.message, **context)
        rule = self.rule_for(exc)
        if rule is not None and (isinstance(exc, errors.SmsBridgeError) or rule.error is not Exception):
            return rule.status, self.body(rule.status, rule.code, rule.text(exc), **context)
        return 500, self.body(500, self.internal, self.internal_message, **context)


# --------------------------------------------------------------------------- the convention

class ProviderWire(Protocol):
    """What every provider's ``wire`` module offers (see the module doc).

    A module satisfies it structurally: ``mypy`` checks each built-in plugin's module
    against it, and :func:`check_wire` checks any module at run time.
    """

    # Read-only (properties), so a module's more specific value (ids.Ulid for ids.Shape) conforms.
    @property
    def STATUSES(self) -> StatusWords: ...  # module constants: read-only members

    @property
    def TIMES(self) -> TimeFormat: ...

    @property
    def ID_SHAPE(self) -> ids.Shape: ...

    @property
    def REPLY_ERRORS(self) -> ReplyErrors: ...

    @property
    def ERROR_REPLIES(self) -> ErrorReplies: ...

    @property
    def WireError(self) -> type[WireError]: ...

    def to_status(self, word: object) -> Status: ...

    def from_status(self, status: Status | str) -> str: ...

    def format_time(self, when: datetime | None) -> str | None: ...

    def parse_time(self, value: object) -> datetime | None: ...

    def provider_id_for(self, message_id: str) -> str: ...

    def message_id_in(self, provider_id: object) -> str | None: ...

    def error_from_reply(self, http_status: int, payload: Any, *, backend: str | None = None,
                         sending: bool = False) -> errors.SmsBridgeError: ...

    def reply_for_error(self, exc: BaseException, **context: Any) -> tuple[int, Any]: ...

    def build_send(self, *args: Any, **kwargs: Any) -> Any: ...

    def parse_send_request(self, *args: Any, **kwargs: Any) -> Any: ...

    def parse_send_reply(self, *args: Any, **kwargs: Any) -> Any: ...


class _ErrorFromReply(Protocol):
    def __call__(self, http_status: int, payload: Any, *, backend: str | None = None,
                 sending: bool = False) -> errors.SmsBridgeError: ...


class _ReplyForError(Protocol):
    def __call__(self, exc: BaseException, **context: Any) -> tuple[int, Any]: ...


class Bound(NamedTuple):
    """The convention's functions, bound from a provider's data by :func:`bind`."""

    to_status: Callable[[object], Status]
    from_status: Callable[[Status | str], str]
    format_time: Callable[[datetime | None], str | None]
    parse_time: Callable[[object], datetime | None]
    provider_id_for: Callable[[str], str]
    message_id_in: Callable[[object], str | None]
    error_from_reply: _ErrorFromReply
    reply_for_error: _ReplyForError


# --------------------------------------------------------------------------- list replies

_Item = TypeVar("_Item")


def readable(payload: Any, key: str, parse: Callable[[Any], _Item], provider: str) -> list[_Item]:
    """``parse(item)`` for each item of the list at ``payload[key]`` of a provider's list
    reply that it can read; :class:`~smsbridge.errors.ProviderError` when the reply has no
    such list.

    An item ``parse`` refuses with ``ProviderError`` (a shape this version does not know,
    an MMS in an SMS list) is left out: one odd message must not make a whole page, and
    the look-ups built on it, fail."""
    items = payload.get(key) if isinstance(payload, Mapping) else None
    if not isinstance(items, list):
        raise errors.ProviderError(f"{provider}'s list reply has no {key!r} list")
    found = []
    for item in items:
        try:
            found.append(parse(item))
        except errors.ProviderError:
            continue
    return found


def amount_in(payload: Any, key: str, provider: str) -> Decimal:
    """The number at ``payload[key]`` of a balance reply, as a Decimal read from its text
    (``0.1`` stays ``0.1``, never a float's neighbour); :class:`~smsbridge.errors.ProviderError`
    naming the provider and the field when the reply is no object or the field is missing
    or no number."""
    value = payload.get(key) if isinstance(payload, Mapping) else None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise errors.ProviderError(f"{provider}'s balance reply has no readable {key!r}: {value!r:.40}") from None


def bind(statuses: StatusWords, times: TimeFormat, id_shape: ids.Shape, reply_errors: ReplyErrors,
         error_replies: ErrorReplies) -> Bound:
    """The convention's functions for a provider's declared data, in :class:`Bound`'s order.

    A wire module writes them in one statement, so that no provider re-writes (or re-binds
    by hand) what every provider's are::

        (to_status, from_status, format_time, parse_time, provider_id_for, message_id_in,
         error_from_reply, reply_for_error) = bind(STATUSES, TIMES, ID_SHAPE, REPLY_ERRORS, ERROR_REPLIES)
    """
    return Bound(statuses.to_status, statuses.from_status, times.format, times.parse, id_shape.id_for,
                 id_shape.message_id_in, reply_errors.error_from_reply, error_replies.reply)


CONVENTION: tuple[str, ...] = (
    "STATUSES", "TIMES", "ID_SHAPE", "REPLY_ERRORS", "ERROR_REPLIES", "WireError", *Bound._fields,
    "build_send", "parse_send_request", "parse_send_reply",
)
"""Every name of the convention.  A wire module lists them in its ``__all__`` (literally: mypy
reads a module's exports from a literal ``__all__`` only); a test checks that it does."""


_CONVENTION = {
    "STATUSES": StatusWords, "TIMES": TimeFormat, "ID_SHAPE": ids.Shape, "REPLY_ERRORS": ReplyErrors,
    "ERROR_REPLIES": ErrorReplies,
}
_FUNCTIONS = ("to_status", "from_status", "format_time", "parse_time", "provider_id_for", "message_id_in",
              "error_from_reply", "reply_for_error", "build_send", "parse_send_request", "parse_send_reply")


def check_wire(module: object) -> list[str]:
    """What ``module`` lacks of :class:`ProviderWire`, one line each (empty: it conforms).

    For plugin authors' tests and the core's own meta-test; the run-time twin of the
    structural check mypy makes.
    """
    problems = []
    for name, kind in _CONVENTION.items():
        value = getattr(module, name, None)
        if not isinstance(value, kind):
            problems.append(f"{name} is not a {kind.__name__}")
    error_class = getattr(module, "WireError", None)
    if not (isinstance(error_class, type) and issubclass(error_class, WireError)):
        problems.append("WireError is not smsbridge.wire.WireError or a subclass of it")
    problems += [f"{name}() is missing" for name in _FUNCTIONS if not callable(getattr(module, name, None))]
    return problems
