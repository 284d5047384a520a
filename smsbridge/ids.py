"""smsbridge's message ids, and provider-shaped ids that carry them.

A message id is ``sb_`` + 12 hex digits of milliseconds + 12 random hex digits
(:func:`new_message_id`).  Only this module knows that.

A gateway face or an SDK shim must show a message under an id in its provider's shape —
a Twilio-style ``SM`` + 32 hex, a UUID, a ULID — and find the message again from that id
alone, in any process, without a journal look-up.  A *shape* does both: it lays the id's
24 hex digits and a keyed check into the provider's form (:meth:`Shape.id_for`), and reads
them back, verifying the check (:meth:`Shape.message_id_in`).  A plugin only picks a
shape and its parameters::

    SID = ids.PrefixedHex("SM", salt="")              # SM + 32 hex
    UUID = ids.Uuid4(salt="plivo:")                    # a version-4 UUID
    BATCH = ids.Ulid(salt="sinch:")                    # a 26-character ULID
    sid = SID.id_for(message_id); SID.message_id_in(sid) == message_id

``salt`` keys the check per provider (one id's Twilio form is not accepted as its UUID
form), ``check_digits`` sets how many hex digits of check ride along (8 by default: a
mistyped or foreign id is recognised as not ours with odds of 1 in 4 billion).  Ids that
are not smsbridge's (another store's, a future format) still get a stable shaped id — a
hash, salted with ``foreign_salt`` — which :meth:`Shape.message_id_in` cannot reverse: the
gateway's journal aliases cover those.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence

__all__ = ["new_message_id", "is_message_id", "Shape", "PrefixedHex", "GroupedHex", "Uuid4", "Ulid",
           "MESSAGE_ID_DIGITS"]

MESSAGE_ID_DIGITS = 24
"""Hex digits of a message id a shape must carry (12 of time, 12 random)."""

_MESSAGE_ID = re.compile(r"^sb_([0-9a-f]{24})$")


def new_message_id() -> str:
    """A new message id: ``sb_`` + milliseconds (12 hex) + 48 random bits (12 hex).

    Time first, so ids sort by creation; random bits, so two processes never collide.
    """
    return f"sb_{int(time.time() * 1000):012x}{secrets.token_hex(6)}"


def is_message_id(value: object) -> bool:
    """True for an id :func:`new_message_id` makes (the only ids shapes can carry reversibly)."""
    return isinstance(value, str) and bool(_MESSAGE_ID.match(value))


def _digest(salt: str, text: str) -> str:
    return hashlib.sha256((salt + text).encode("utf-8")).hexdigest()


class Shape(ABC):
    """A provider's id form that carries a message id: ``24 + check_digits`` hex digits laid
    out by :meth:`layout` and found again by :meth:`digits_in`.

    Subclasses say only how digits look in the provider's form; embedding, hashing and the
    check are here.
    """

    reversible: bool = True
    """Whether :meth:`message_id_in` recovers the message id.  A provider whose ids are too
    small to hold one (simpleSMS's 53-bit numbers) declares a shape with ``False``: its
    ids are derived from the message id but found again through the journal's alias."""

    def __init__(self, *, salt: str, check_digits: int = 8, foreign_salt: str | None = None) -> None:
        if not 4 <= check_digits <= 32:
            raise ValueError("check_digits must be between 4 and 32")
        self.salt = salt
        self.check_digits = check_digits
        self.foreign_salt = salt if foreign_salt is None else foreign_salt

    @property
    def digits(self) -> int:
        """Hex digits the shape holds."""
        return MESSAGE_ID_DIGITS + self.check_digits

    def check(self, message_id: str) -> str:
        """The keyed check digits for ``message_id``."""
        return _digest(self.salt, message_id)[:self.check_digits]

    def id_for(self, message_id: str) -> str:
        """The provider-shaped id for ``message_id``: deterministic, so every process (the
        gateway face, the SDK shim) shows the same one; reversible for smsbridge's ids."""
        text = str(message_id)
        match = _MESSAGE_ID.match(text)
        if match:
            digits = match.group(1) + self.check(text)
        else:
            digits = self.foreign(text)
        return self.layout(digits, text)

    def foreign(self, message_id: str) -> str:
        """The digits for an id that is not smsbridge's: a salted hash (not reversible)."""
        return _digest(self.foreign_salt, message_id)[:self.digits]

    def message_id_in(self, provider_id: object) -> str | None:
        """The message id carried by ``provider_id``, or ``None`` when it is not this shape,
        not one of ours, or its check does not match."""
        if not isinstance(provider_id, str):
            return None
        digits = self.digits_in(provider_id)
        if digits is None or len(digits) != self.digits:
            return None
        candidate = "sb_" + digits[:MESSAGE_ID_DIGITS]
        if not _MESSAGE_ID.match(candidate):
            return None
        return candidate if hmac.compare_digest(self.check(candidate), digits[MESSAGE_ID_DIGITS:]) else None

    @abstractmethod
    def layout(self, digits: str, message_id: str) -> str:
        """``digits`` (lower-case hex, :attr:`digits` of them) in the provider's form."""

    @abstractmethod
    def digits_in(self, provider_id: str) -> str | None:
        """The hex digits :meth:`layout` put into ``provider_id``, or ``None`` if it is not this form."""


class PrefixedHex(Shape):
    """``prefix`` + the hex digits (``SM`` + 32 hex).  ``accept``: other prefixes read back
    too (``MM`` for media messages).  ``keep_hex``: a foreign id that already is that many
    hex digits is shown as it is, not hashed."""

    def __init__(self, prefix: str, *, salt: str, check_digits: int = 8, foreign_salt: str | None = None,
                 accept: Sequence[str] = (), keep_hex: bool = False) -> None:
        super().__init__(salt=salt, check_digits=check_digits, foreign_salt=foreign_salt)
        self.prefix = prefix
        self.prefixes = (prefix, *accept)
        self.keep_hex = keep_hex
        self._form = re.compile(f"^(?:{'|'.join(map(re.escape, self.prefixes))})([0-9a-f]{{{self.digits}}})$")

    def foreign(self, message_id: str) -> str:
        if self.keep_hex and re.fullmatch(f"[0-9a-f]{{{self.digits}}}", message_id):
            return message_id
        return super().foreign(message_id)

    def layout(self, digits: str, message_id: str) -> str:
        return self.prefix + digits

    def digits_in(self, provider_id: str) -> str | None:
        match = self._form.match(provider_id)
        return match.group(1) if match else None


class GroupedHex(Shape):
    """The hex digits in groups joined by ``separator``: ``groups=(32,)`` is plain 32 hex,
    ``(12, 4, 8, 8)`` reads ``xxxxxxxxxxxx-xxxx-xxxxxxxx-xxxxxxxx``."""

    def __init__(self, groups: Sequence[int] = (32,), *, salt: str, separator: str = "-",
                 foreign_salt: str | None = None) -> None:
        super().__init__(salt=salt, check_digits=sum(groups) - MESSAGE_ID_DIGITS, foreign_salt=foreign_salt)
        self.groups = tuple(groups)
        self.separator = separator
        pattern = re.escape(separator).join(f"([0-9a-f]{{{n}}})" for n in self.groups)
        self._form = re.compile(f"^{pattern}$")

    def layout(self, digits: str, message_id: str) -> str:
        parts, at = [], 0
        for n in self.groups:
            parts.append(digits[at:at + n])
            at += n
        return self.separator.join(parts)

    def digits_in(self, provider_id: str) -> str | None:
        match = self._form.match(provider_id)
        return "".join(match.groups()) if match else None


class Uuid4(Shape):
    """A version-4 UUID: its 30 free hex digits hold the id's 24 and a 6-digit check; the
    variant digit (8, 9, a or b) is derived from the keyed hash, as a random UUID's would vary."""

    def __init__(self, *, salt: str, foreign_salt: str | None = None) -> None:
        super().__init__(salt=salt, check_digits=6, foreign_salt=foreign_salt)

    def layout(self, digits: str, message_id: str) -> str:
        variant = "89ab"[int(_digest(self.salt, message_id)[30], 16) % 4]
        h = digits
        return f"{h[0:8]}-{h[8:12]}-4{h[12:15]}-{variant}{h[15:18]}-{h[18:30]}"

    def digits_in(self, provider_id: str) -> str | None:
        try:
            parsed = uuid.UUID(provider_id)
        except ValueError:
            return None
        if str(parsed) != provider_id or provider_id[14] != "4":
            return None
        plain = parsed.hex
        return plain[0:12] + plain[13:16] + plain[17:32]


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class Ulid(Shape):
    """A ULID (26 Crockford base-32 characters, 128 bits): the first 48 bits are the id's
    milliseconds — so it sorts and reads as the message's time, as a ULID should — then its
    48 random bits and a 32-bit check."""

    def __init__(self, *, salt: str, foreign_salt: str | None = None) -> None:
        super().__init__(salt=salt, check_digits=8, foreign_salt=foreign_salt)

    def layout(self, digits: str, message_id: str) -> str:
        value = int(digits, 16)
        chars = []
        for _ in range(26):
            chars.append(_CROCKFORD[value & 31])
            value >>= 5
        return "".join(reversed(chars))

    def digits_in(self, provider_id: str) -> str | None:
        if len(provider_id) != 26 or any(ch not in _CROCKFORD for ch in provider_id):
            return None
        value = 0
        for ch in provider_id:
            value = (value << 5) | _CROCKFORD.index(ch)
        return f"{value:032x}" if value < 1 << 128 else None
