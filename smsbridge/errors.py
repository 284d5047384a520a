"""Every error smsbridge raises, in one place (SPEC §2).

::

    SmsBridgeError                 .message_id (journaled id, when a send got that far)
    ├── ConfigError                .path (``backends.primary.password``), .line (YAML line)
    ├── InvalidNumber              the recipient is not a valid phone number
    ├── InvalidMessage             empty, too long, bad sender, vetoed by a plugin: .reason
    ├── IdempotencyConflict        the idempotency key was used for another payload
    ├── NotFound                   no such message
    ├── UnsupportedOperation       the backend cannot do this (e.g. monthly stats)
    └── ProviderError              the provider answered with an error: .code .message .backend
        ├── AuthenticationError    credentials refused               — failover: yes
        ├── InsufficientCredit     the account cannot pay            — failover: yes
        ├── ProviderUnavailable    certainly NOT accepted            — failover: yes
        └── DeliveryUnknown        may have been accepted            — failover: NEVER

Whether a failed send may be tried on another backend is a property of the error
(:attr:`SmsBridgeError.retry_safe`), so routing never has to guess: only an error that
proves the provider did not accept the message is ``retry_safe``.  A ``ProviderError``
is retry-safe only when the backend that raised it says so (``pre_acceptance=True``
for provider codes documented as "rejected before acceptance").

Messages never contain credentials: backends build them from provider replies and
field names only, and :func:`redact` is applied to anything echoed from a request.
"""
from __future__ import annotations

from .redaction import redact as _redact

__all__ = [
    "SmsBridgeError",
    "ConfigError",
    "InvalidNumber",
    "InvalidMessage",
    "IdempotencyConflict",
    "NotFound",
    "UnsupportedOperation",
    "ProviderError",
    "AuthenticationError",
    "InsufficientCredit",
    "ProviderUnavailable",
    "DeliveryUnknown",
    "redact",
]


class SmsBridgeError(Exception):
    """Base of every smsbridge error.

    ``message_id`` is set on errors raised by a send that was journaled, so that
    ``bridge.status(err.message_id)`` can answer later (SPEC §7).
    """

    retry_safe: bool = False

    def __init__(self, message: str, *, message_id: str | None = None) -> None:
        message = _redact(message)  # whatever a provider echoed: never a known secret (issue 11)
        super().__init__(message)
        self.message = message
        self.message_id = message_id

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigError(SmsBridgeError):
    """The configuration is wrong. ``path`` is the key path, ``line`` the YAML line (1-based)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 source: str | None = None) -> None:
        where = ""
        if path:
            where = f"{path}: "
        loc = ""
        if source and line:
            loc = f" ({source}, line {line})"
        elif line:
            loc = f" (line {line})"
        super().__init__(f"{where}{message}{loc}")
        self.path = path
        self.line = line
        self.source = source


class InvalidNumber(SmsBridgeError):
    """The recipient (or sender) is not a valid phone number; nothing was sent."""


class InvalidMessage(SmsBridgeError):
    """The message cannot be sent as it is (empty, too many segments, bad sender, vetoed).

    ``reason`` is a short machine-readable word (SPEC §9) so that gateway faces and
    callers branch on a field, never on the English text: ``empty``, ``too_long``,
    ``bad_sender``, ``bad_text``, ``vetoed``, ``opted_out``, ``sender_unsupported``,
    ``not_scheduled``, ``bad_request`` (a malformed call, e.g. a bad ``send_many`` item).
    """

    def __init__(self, message: str, *, reason: str = "bad_request", message_id: str | None = None) -> None:
        super().__init__(message, message_id=message_id)
        self.reason = reason


class IdempotencyConflict(SmsBridgeError):
    """An idempotency key already journaled for *another* payload (to, text, sender, reference).

    Nothing was sent.  Not retry-safe: the caller reused a key by mistake, and sending the
    second payload under it would make the key mean two messages (as Stripe refuses).
    ``message_id`` is the id of the message the key already belongs to.
    """


class NotFound(SmsBridgeError):
    """No message with that id is known to the journal or the provider."""


class UnsupportedOperation(SmsBridgeError):
    """The backend has no such operation (e.g. monthly statistics on Twilio)."""


class ProviderError(SmsBridgeError):
    """The provider answered with an error.

    ``code`` is the provider's own error code (as a string), ``backend`` the configured
    backend name, ``transport`` True when the error comes from the transport (no provider
    answer was read) rather than from a provider's reply.  ``pre_acceptance`` is True when the provider documents the code as a
    refusal *before* accepting the message, which makes failover safe.
    """

    def __init__(self, message: str, *, code: str | int | None = None, backend: str | None = None,
                 message_id: str | None = None, pre_acceptance: bool | None = None,
                 transport: bool = False) -> None:
        super().__init__(message, message_id=message_id)
        self.code = None if code is None else str(code)
        self.backend = backend
        #: True when no provider answer was read (the transport failed: refused, timeout,
        #: reset, TLS, unreadable or oversized reply); False when the provider answered.
        self.transport = transport
        if pre_acceptance is not None:
            self.retry_safe = pre_acceptance

    def __str__(self) -> str:
        parts = []
        if self.backend:
            parts.append(f"[{self.backend}]")
        parts.append(self.message)
        if self.code is not None:
            parts.append(f"(code {self.code})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, backend={self.backend!r})"


class AuthenticationError(ProviderError):
    """The provider refused the credentials; the message was not accepted."""

    retry_safe = True


class InsufficientCredit(ProviderError):
    """The account cannot pay for the message; it was not accepted."""

    retry_safe = True


class ProviderUnavailable(ProviderError):
    """The provider certainly did not accept the message (refused, DNS, 429/503 before acceptance)."""

    retry_safe = True


class DeliveryUnknown(ProviderError):
    """The request may have reached the provider: never retried or failed over (SPEC §7)."""

    retry_safe = False


def redact(text: str) -> str:
    """Mask credentials in text: the secret values smsbridge knows and credential-shaped
    text (URLs, headers, form bodies).  See :mod:`smsbridge.redaction`."""
    return _redact(text)
