"""smsbridge: send SMS through any provider; switch providers by editing YAML, not code.

::

    from smsbridge import Bridge
    with Bridge.from_config("smsbridge.yaml") as bridge:
        receipt = bridge.send("+36301234567", "Szia!")
        print(bridge.status(receipt.id).status)

The public API (SPEC §2) is re-exported here.  ``Bridge`` and the hook markers are
imported on first use, so ``import smsbridge`` stays cheap (no requests, zeep or server
libraries; see docs/performance.md).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    AuthenticationError,
    ConfigError,
    DeliveryUnknown,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    SmsBridgeError,
    UnsupportedOperation,
)
from .model import (
    Balance,
    InboundMessage,
    Message,
    MessageRecord,
    MonthlyStat,
    Receipt,
    Status,
    StatusEvent,
    StatusReport,
)

if TYPE_CHECKING:
    from .backend import Backend, Option
    from .bridge import Bridge
    from .hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = [
    "Bridge", "Backend", "Option", "hookimpl",
    "Status", "Message", "MessageRecord", "InboundMessage", "Receipt", "StatusReport", "StatusEvent", "Balance", "MonthlyStat",
    "SmsBridgeError", "ConfigError", "InvalidNumber", "InvalidMessage", "NotFound", "UnsupportedOperation",
    "ProviderError", "AuthenticationError", "InsufficientCredit", "ProviderUnavailable", "DeliveryUnknown",
    "IdempotencyConflict",
]

_LAZY = {"Bridge": ".bridge", "Backend": ".backend", "Option": ".backend", "hookimpl": ".hookspecs"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'smsbridge' has no attribute {name!r}")
