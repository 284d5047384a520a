"""Signed login tokens: a face's logins that every gateway process accepts (issue 13).

Faces whose provider logs a caller in once and then hands out a bearer token or a
session cookie (``connect`` -> ``access_token``) used to keep those logins in process
memory, so behind ``serve --workers N`` or a load balancer a token issued by one process
was unknown to the next ("not logged in" at random).  A token made here needs no storage
at all: it *carries* its login and proves it::

    sb1.<client name, base64url>.<issued, µs since 1970>.<expires, µs>.<nonce>.<HMAC-SHA256>

The MAC covers the purpose (the face, e.g. ``"simplesms-rest"``) and every field before
it, under a key derived from **that client's own credential section** in the config.
Every process reads the same config, so any process verifies any other's token, and:

- a token for client A never validates as client B (the name is signed, and each client
  has its own key); a token of one face is no token of another (the purpose is signed);
- an expired token, a tampered one, or one from before the client's credentials changed
  (a new password is a new key: changing it logs every holder out) is refused;
- the MAC is compared in constant time (:func:`hmac.compare_digest`).

The key is ``scrypt(credentials, salt=purpose + client name)``: deliberately slow once per
process and client (then cached), so a captured token is no cheap oracle for guessing a
weak password offline.  Tokens are never logged by the gateway; they are bearer secrets.

Revocation.  A token cannot be recalled from other processes (that would need shared
state); :meth:`TokenSigner.revoke_all` refuses, *in this process*, every token issued
before it (a not-before time), which is what tests and operations need in one process.
Expiry uses the wall clock: the hosts of a fleet need synchronised clocks (NTP).

The core names no provider: a face passes its own purpose and credential section name.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .clients import GatewayClient

__all__ = ["TokenSigner", "Token", "InvalidToken", "VERSION", "MAX_TOKEN_LENGTH"]

VERSION = "sb1"
"""The first field of every token; another value is refused (room for a new format)."""
MAX_TOKEN_LENGTH = 1024
"""Longer strings are refused before any parsing or hashing."""

_NONCE_BYTES = 16
_KEY_CACHE_SIZE = 65_536  # keys: clients x faces of the config; large enough never to thrash


class InvalidToken(ValueError):
    """A token that does not log anyone in.  ``reason`` is one of ``malformed``,
    ``unknown_client``, ``bad_signature``, ``expired``, ``revoked`` (for the face's message
    and for tests; ``expired`` and ``revoked`` are only said of genuinely signed tokens)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Token:
    """A verified (or just issued) token: who it logs in, and when it was made and ends."""

    value: str
    client: GatewayClient
    issued: float
    """Seconds since 1970 (wall clock)."""
    expires: float
    """Seconds since 1970 (wall clock); the token is refused from then on."""

    def __repr__(self) -> str:  # never show the token itself
        return f"Token(client={self.client.name!r}, issued={self.issued}, expires={self.expires})"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or len(text) % 4 == 1 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise InvalidToken("malformed")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed") from None
    if _b64(data) != text:  # one spelling per token: no malleable padding bits
        raise InvalidToken("malformed")
    return data


_keys_lock = threading.Lock()
_keys: OrderedDict[bytes, bytes] = OrderedDict()


def _material(section: Mapping[str, Any]) -> bytes:
    """The credential section as canonical bytes (every key and value, sorted)."""
    return json.dumps({str(k): None if v is None else str(v) for k, v in section.items()}, sort_keys=True,
                      ensure_ascii=False).encode("utf-8", "surrogatepass")


def _derive(purpose: str, name: str, section: Mapping[str, Any]) -> bytes:
    """The client's signing key (scrypt, cached per process by a digest of its inputs)."""
    salt = b"smsbridge-gateway-token\0" + purpose.encode() + b"\0" + name.encode("utf-8", "surrogatepass")
    material = _material(section)
    cache_key = hashlib.sha256(salt + b"\0" + material).digest()
    with _keys_lock:
        found = _keys.get(cache_key)
        if found is not None:
            _keys.move_to_end(cache_key)
            return found
    key = hashlib.scrypt(material, salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)
    with _keys_lock:
        _keys[cache_key] = key
        while len(_keys) > _KEY_CACHE_SIZE:
            _keys.popitem(last=False)
    return key


class TokenSigner:
    """Issues and verifies one face's tokens for the configured clients.

    ``purpose`` names the face (it is signed into every token); ``section`` is the key of
    the clients' credential section whose values derive each client's key (clients
    without that section get no tokens).  ``clock`` gives seconds since 1970.
    """

    def __init__(self, purpose: str, clients: Iterable[GatewayClient], *, section: str,
                 clock: Callable[[], float] = time.time) -> None:
        if not purpose or "\0" in purpose:
            raise ValueError("a token purpose is a non-empty name")
        self.purpose = purpose
        self.section = section
        self._clock = clock
        self._clients = {c.name: c for c in clients if c.credentials.get(section) is not None}
        self._lock = threading.Lock()
        self._last_issued = 0
        self._not_before = 0
        self.issued = 0
        """Tokens issued by this signer (tests count logins with it)."""

    def _now_us(self) -> int:
        return int(self._clock() * 1_000_000)

    def _mac(self, client: GatewayClient, body: str) -> bytes:
        key = _derive(self.purpose, client.name, self._clients[client.name].credentials[self.section])
        return hmac.new(key, self.purpose.encode() + b"\0" + body.encode("ascii"), hashlib.sha256).digest()

    def issue(self, client: GatewayClient, lifetime: float) -> Token:
        """A new token logging ``client`` in for ``lifetime`` seconds."""
        if client.name not in self._clients:
            raise ValueError(f"client {client.name!r} has no {self.section!r} credentials")
        if not lifetime > 0:
            raise ValueError("a token lifetime is a positive number of seconds")
        with self._lock:  # strictly increasing in this process, and after any revocation
            issued = max(self._now_us(), self._last_issued + 1, self._not_before + 1)
            self._last_issued = issued
            self.issued += 1
        expires = issued + max(1, int(lifetime * 1_000_000))
        body = ".".join((VERSION, _b64(client.name.encode("utf-8", "surrogatepass")), str(issued), str(expires),
                         _b64(secrets.token_bytes(_NONCE_BYTES))))
        value = f"{body}.{_b64(self._mac(client, body))}"
        return Token(value, self._clients[client.name], issued / 1e6, expires / 1e6)

    def verify(self, value: str | None) -> Token:
        """The token ``value`` names, if it is genuine, unexpired and not revoked here;
        else :class:`InvalidToken`."""
        if not isinstance(value, str) or not 0 < len(value) <= MAX_TOKEN_LENGTH or not value.isascii():
            raise InvalidToken("malformed")
        fields = value.split(".")
        if len(fields) != 6 or fields[0] != VERSION:
            raise InvalidToken("malformed")
        _, name_b64, issued_text, expires_text, nonce_b64, mac_b64 = fields
        if not (issued_text.isdigit() and expires_text.isdigit()) or len(issued_text) > 19 or len(expires_text) > 19:
            raise InvalidToken("malformed")
        if len(_unb64(nonce_b64)) != _NONCE_BYTES:
            raise InvalidToken("malformed")
        given = _unb64(mac_b64)
        try:
            name = _unb64(name_b64).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidToken("malformed") from None
        client = self._clients.get(name)
        if client is None:
            raise InvalidToken("unknown_client")
        expected = self._mac(client, value.rpartition(".")[0])
        if not hmac.compare_digest(expected, given):
            raise InvalidToken("bad_signature")
        issued, expires = int(issued_text), int(expires_text)
        if expires <= self._now_us():
            raise InvalidToken("expired")
        with self._lock:
            if issued <= self._not_before:
                raise InvalidToken("revoked")
        return Token(value, client, issued / 1e6, expires / 1e6)

    def client_of(self, value: str | None) -> GatewayClient | None:
        """:meth:`verify`'s client, or ``None`` for any invalid token."""
        try:
            return self.verify(value).client
        except InvalidToken:
            return None

    def revoke_all(self) -> None:
        """Refuse, in this process, every token issued until now (by any process).

        Other processes keep accepting them until they expire: revocation across a fleet
        would need shared state, which signed tokens exist to avoid.
        """
        with self._lock:
            self._not_before = max(self._now_us(), self._last_issued)
