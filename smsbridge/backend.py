"""The backend seam: what a plugin implements to send through one provider.

A backend is constructed from its configured settings and must not touch the network
in ``__init__`` (``smsbridge config check`` builds every backend without sending).
It receives a validated :class:`~smsbridge.model.Message` (E.164 number, text already
transliterated, segments counted, journaled id assigned) and answers with neutral
results. Errors it raises must come from :mod:`smsbridge.errors`, chosen by what they
prove (SPEC §7): :class:`~smsbridge.errors.ProviderUnavailable` only when the provider
certainly did not accept the message, :class:`~smsbridge.errors.DeliveryUnknown` when
it may have. :class:`~smsbridge.transport.HttpTransport` makes that choice for HTTP
failures.

Capabilities (``send``, ``status``, ``history``, ``balance``, ``stats``) say which of the
optional methods the backend implements; the Bridge and ``smsbridge backends`` read them.
``sets_sender`` says whether the provider's API lets the backend choose the sender: the
Bridge enforces it (a per-message sender on a backend that cannot set one is refused).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import UnsupportedOperation

if TYPE_CHECKING:
    from .config import Settings
    from .model import Accepted, Balance, Message, MonthlyStat, StatusEvent, StatusReport

__all__ = ["Backend", "Option", "CAPABILITIES"]

CAPABILITIES = ("send", "status", "history", "balance", "stats", "lookup")


@dataclass(frozen=True)
class Option:
    """One plugin-specific config key.

    ``kind`` is the expected Python type after YAML parsing (``str``, ``int``, ``float``,
    ``bool``, ``dict``, ``list``); ints are accepted for floats.  ``secret`` options are
    masked in every ``repr``, error message and log line.  ``path`` options are file
    paths: relative ones are resolved against the config file's folder (the working
    directory for ``Bridge.from_dict``), so a config means the same from anywhere.
    """

    kind: type = str
    required: bool = False
    default: Any = None
    secret: bool = False
    help: str = ""
    path: bool = False


class Backend:
    """Base class of every backend. Subclasses override what their provider can do.

    Class attributes a plugin sets:

    - ``options``: plugin-specific config keys (the common keys of SPEC §3 — ``timeout``,
      ``base_url``, ``sender``, ``max_segments``, ``default_region``, ``transliterate``,
      ``verify``, ``rate_limit`` — are always accepted and need not be listed);
    - ``capabilities``: the subset of :data:`CAPABILITIES` implemented;
    - ``default_base_url``: the provider's production URL (``None`` for no HTTP);
    - ``sets_sender``: ``False`` when the provider's API has no sender field.  The Bridge
      then hands the backend messages with ``sender=None`` (so ``receipt.sender`` is
      ``None``), refuses a per-message ``sender=`` with
      ``InvalidMessage(reason="sender_unsupported")`` unless the backend's config says
      ``ignore_sender: true``, and ``smsbridge backends`` / ``config check`` say so.
    """

    options: ClassVar[Mapping[str, Option]] = {}
    capabilities: ClassVar[frozenset[str]] = frozenset({"send"})
    sets_sender: ClassVar[bool] = True
    default_base_url: ClassVar[str | None] = None
    blocking: bool = True
    """False only for backends whose calls never wait on a network or a timer (the
    in-process sandbox): the gateway may then call them on its event loop, skipping a
    worker-thread hop per request (docs/performance.md)."""

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.settings = settings

    @property
    def base_url(self) -> str:
        """The configured ``base_url``, else the provider's default."""
        url = self.settings.get("base_url") or self.default_base_url
        if not url:
            raise UnsupportedOperation(f"backend {self.name!r} has no base_url")
        return str(url)

    def send(self, message: Message) -> Accepted:
        """Hand one message to the provider; return what it accepted. Never retried here."""
        raise UnsupportedOperation(f"backend {self.name!r} cannot send")

    def status(self, provider_id: str) -> StatusReport:
        """The provider's current status for its own id (``StatusReport.id`` = provider id)."""
        raise UnsupportedOperation(f"backend {self.name!r} cannot look up a message's status")

    def history(self, provider_id: str) -> list[StatusEvent]:
        """The status changes the provider recorded, oldest first."""
        raise UnsupportedOperation(f"backend {self.name!r} keeps no status history")

    def lookup(self, message: Message) -> Accepted | None:
        """Find a message the provider may have accepted although its reply was lost.

        Used by ``smsbridge reconcile`` for journaled ``unknown`` messages: return what the
        provider accepted for ``message`` (matched by ``message.id``, which backends pass
        as the provider's client reference where the API has one), or ``None`` when the
        provider certainly has no such message.  Capability ``lookup``.
        """
        raise UnsupportedOperation(f"backend {self.name!r} cannot look up messages by reference")

    def balance(self) -> Balance:
        raise UnsupportedOperation(f"backend {self.name!r} cannot report a balance")

    def monthly_stats(self) -> list[MonthlyStat]:
        raise UnsupportedOperation(f"backend {self.name!r} has no monthly statistics")

    def close(self) -> None:
        """Release connections; called once by ``Bridge.close()``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.settings!r}>"
