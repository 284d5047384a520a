"""Where the journal lives: the ``store:`` setting, its journal interface, its factory.

``store:`` is either a file path (the embedded SQLite journal, the default) or a URL whose
``scheme://`` picks the implementation:

- ``postgresql://user:pass@host:port/db`` (or ``postgres://``): :class:`smsbridge.journal_pg.PgJournal`,
  shared by every process and host pointed at it (needs ``pip install 'smsbridge[postgres]'``);
- ``sqlite:///relative/file.sqlite3`` or ``sqlite:////absolute/file.sqlite3`` (SQLAlchemy's
  spelling): the SQLite journal, same as giving the path.

Any other scheme is a :class:`ConfigError` naming the key, never a file named after the URL.
A URL's password never leaves this module in text meant for people: :func:`redact_store`
is what errors, logs, ``config check`` and ``repr`` show.

:class:`JournalStore` is the interface both journals implement (docs/architecture.md,
"The journal"); code that takes a journal should be typed with it.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigError
from .model import InboundMessage, Message, MessageRecord, Status, StatusEvent

__all__ = ["JournalStore", "POSTGRES_SCHEMES", "open_journal", "redact_store", "scrub", "store_scheme",
           "check_store", "store_problem", "sqlite_path"]

POSTGRES_SCHEMES = ("postgresql", "postgres")
SQLITE_SCHEMES = ("sqlite",)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def store_scheme(store: str | None) -> str | None:
    """The lower-cased scheme of a ``store`` URL, or ``None`` for a plain path (or no store)."""
    found = _SCHEME.match(store or "")
    return found.group(1).lower() if found else None


def store_problem(store: str) -> str | None:
    """What is wrong with a ``store`` value (a URL scheme no journal implements, a
    malformed ``sqlite://`` URL), or ``None``."""
    scheme = store_scheme(store)
    if scheme is None or scheme in POSTGRES_SCHEMES:
        return None
    if scheme in SQLITE_SCHEMES:
        rest = store.split("://", 1)[1]
        if rest.startswith("/") and rest != "/":
            return None
        return "a sqlite store URL is sqlite:///relative/path or sqlite:////absolute/path"
    return (f"unknown store scheme {scheme!r} in {redact_store(store)}: use a file path (SQLite),"
            " sqlite:///file or postgresql://user:pass@host:port/db")


def check_store(store: str) -> None:
    """Raise a ConfigError naming ``store`` when :func:`store_problem` finds one."""
    problem = store_problem(store)
    if problem:
        raise ConfigError(problem, path="store")


def sqlite_path(store: str) -> str:
    """The file of a ``sqlite://`` URL: three slashes relative, four absolute."""
    check_store(store)
    return store.split("://", 1)[1][1:]


def redact_store(store: str | None) -> str:
    """``store`` as it may be shown: a URL's password (and any ``password=`` parameter)
    replaced by ``***``; a plain path as it is."""
    if store is None:
        return "(in memory)"
    if store_scheme(store) is None:
        return store
    try:
        parts = urlsplit(store)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            user, colon, _password = userinfo.partition(":")
            netloc = f"{user}{':***' if colon else ''}@{hostport}"
        query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return f"{store_scheme(store)}://***"


def _password(store: str) -> str | None:
    try:
        password = urlsplit(store).password
    except ValueError:
        return None
    found = re.search(r"(?i)password=([^&]*)", store)
    return password or (found.group(1) if found else None)


def scrub(text: str, store: str) -> str:
    """``text`` (e.g. a driver's error) with the store's password and URL masked."""
    text = text.replace(store, redact_store(store))
    secret = _password(store)
    if secret:
        text = text.replace(secret, "***")
    return text


@runtime_checkable
class JournalStore(Protocol):
    """The journal interface (SQLite: :class:`smsbridge.journal.Journal`, PostgreSQL:
    :class:`smsbridge.journal_pg.PgJournal`).  Contracts: docs/architecture.md, "The journal"."""

    @property
    def path(self) -> str | None:
        """The SQLite file (``None``: memory), or the store URL with its password masked."""

    # writing
    def begin(self, message: Message, idempotency_key: str | None = None, *, attempt: str | None = None,
              fingerprint: str | None = None, send_at: datetime | float | None = None) -> MessageRecord | None: ...
    def wait_settled(self, message_id: str, timeout: float) -> MessageRecord | None: ...
    def attempt(self, message_id: str, backend: str, outcome: str | None = None) -> None: ...
    def accepted(self, message_id: str, backend: str, provider_id: str, status: Status,
                 segments: int | None = None) -> None: ...
    def finished_with_error(self, message_id: str, backend: str | None, *, unknown: bool, error: str,
                            code: str | None = None) -> None: ...
    def set_status(self, message_id: str, status: Status, *, at: datetime | None = None, code: str | None = None,
                   description: str | None = None, phase: str | None = None) -> Status | None: ...
    # scheduled messages
    def due(self, now: datetime | float | None = None, *, limit: int = 100) -> list[MessageRecord]: ...
    def claim(self, message_id: str, *, attempt: str | None = None) -> bool: ...
    def claim_due(self, now: datetime | float | None = None, *, limit: int = 100,
                  attempt: str | None = None) -> list[MessageRecord]: ...
    def cancel(self, message_id: str) -> bool: ...
    # the sandbox inbox
    def force_status(self, message_id: str, status: Status, *, code: str | None = None,
                     description: str | None = None) -> bool: ...
    def delete(self, message_id: str | None = None) -> int: ...
    # aliases
    def alias(self, kind: str, alias: str, message_id: str) -> None: ...
    def aliasing(self, kind: str, alias_for: Any) -> contextlib.AbstractContextManager[None]: ...
    def resolve(self, kind: str, alias: str) -> str | None: ...
    def aliases_of(self, message_id: str, kind: str) -> str | None: ...
    # reading
    def get(self, message_id: str) -> MessageRecord | None: ...
    def by_key(self, idempotency_key: str) -> MessageRecord | None: ...
    def by_key_prefix(self, prefix: str, *, limit: int | None = None) -> list[MessageRecord]: ...
    def by_reference(self, reference: str) -> MessageRecord | None: ...
    def records(self, *, status: str | None = None, phase: str | None = None, to: str | None = None,
                sender: str | None = None, client: str | None = None, face: str | None = None,
                created_after: datetime | float | None = None, created_before: datetime | float | None = None,
                sent_after: datetime | float | None = None, sent_before: datetime | float | None = None,
                text_contains: str | None = None, limit: int = 100, before: str | None = None,
                after: str | None = None, oldest_first: bool = False, offset: int = 0,
                visible_to: str | None = None) -> list[MessageRecord]: ...
    def iter_records(self, **filters: Any) -> Iterator[MessageRecord]: ...
    def query_plan(self, **filters: Any) -> list[str]: ...
    def events(self, message_id: str) -> list[StatusEvent]: ...
    def cursor(self, record: MessageRecord) -> str: ...
    # inbound SMS, opt-outs, early delivery reports
    def add_inbound(self, message: InboundMessage) -> bool: ...
    def inbound(self, *, since: datetime | None = None, limit: int = 100) -> list[InboundMessage]: ...
    def opt_out(self, number: str, *, backend: str | None = None, keyword: str | None = None) -> bool: ...
    def opt_in(self, number: str) -> bool: ...
    def opted_out(self, number: str) -> bool: ...
    def opt_outs(self) -> list[dict[str, Any]]: ...
    def find_sent(self, backend: str, provider_id: str) -> str | None: ...
    def advance_status(self, message_id: str, status: Status, rank: Mapping[Status, int], *,
                       at: datetime | None = None, code: str | None = None,
                       description: str | None = None) -> Status | None: ...
    def park_report(self, backend: str, provider_id: str | None, message_id: str | None, report: str) -> bool: ...
    def claim_reports(self, message_id: str, backend: str, provider_id: str | None) -> list[str]: ...
    def claim_notice(self, message_id: str, key: str) -> bool: ...
    def close(self) -> None: ...


def open_journal(store: str | None) -> JournalStore:
    """The journal for a ``store`` value: ``None`` = SQLite in memory, a path = SQLite on
    disk, ``postgresql://…`` = PostgreSQL.  An unknown scheme is a ConfigError."""
    scheme = store_scheme(store)
    if store is not None and scheme in POSTGRES_SCHEMES:
        from .journal_pg import PgJournal

        return PgJournal(store)
    if store is not None and scheme is not None:
        check_store(store)
        store = sqlite_path(store)
    from .journal import Journal

    return Journal(store)
