"""Vonage's three credential styles and its request signature (providers.md §2.2).

A Basic header (4.x SDK), ``api_key``/``api_secret`` fields (2.x/3.x), or ``api_key``,
``timestamp`` and ``sig`` (a signed request, any digest).  The same signature covers
signed delivery receipts and webhooks, so the backend, the face and the webhook reader
all sign and check through here.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .params import one

__all__ = ["Credentials", "credentials_from", "sign", "check_signature", "SIGNATURE_TOLERANCE", "SEND_FIELDS"]

# Every key the SDKs may send to /sms/json (vonage_sms.SmsMessage's wire aliases, plus
# the credential keys).  The 4.x SDK signs over *all* of the message keys, even the
# unset ones, as the text "None" (see check_signature).
SEND_FIELDS = ("to", "from", "text", "sig", "client-ref", "type", "ttl", "status-report-req", "callback",
               "message-class", "body", "udh", "protocol-id", "account-ref", "entity-id", "content-id",
               "trusted-number")

SIGNATURE_TOLERANCE = 300
"""Seconds a signed request's timestamp may be off the server's clock (Vonage: 5 min)."""


@dataclass(frozen=True)
class Credentials:
    """Which credentials a request carried (``how``: basic, body, signature or none)."""

    how: str
    api_key: str | None = None
    api_secret: str | None = None
    sig: str | None = None
    timestamp: str | None = None
    signed: Mapping[str, str] = field(default_factory=dict)


def credentials_from(authorization: str | None, params: Mapping[str, Any]) -> Credentials:
    """Credentials from a Basic header (4.x), ``api_key``/``api_secret`` (2.x/3.x), or ``sig``."""
    if authorization and authorization.strip().lower().startswith("basic "):
        token = authorization.strip()[6:].strip()
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return Credentials("basic")
        key, sep, secret = decoded.partition(":")
        return Credentials("basic", api_key=key, api_secret=secret if sep else None)
    api_key = one(params, "api_key")
    if one(params, "sig") is not None:
        signed = {str(k): v for k, v in ((k, one(params, k)) for k in params) if k != "sig" and v is not None}
        return Credentials("signature", api_key=api_key, sig=one(params, "sig"),
                           timestamp=one(params, "timestamp"), signed=signed)
    if api_key is not None or one(params, "api_secret") is not None:
        return Credentials("body", api_key=api_key, api_secret=one(params, "api_secret"))
    return Credentials("none")


_DIGESTS = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def sign(params: Mapping[str, Any], secret: str, method: str | None = "md5") -> str:
    """Vonage's request signature over exactly ``params`` (leave ``sig`` out).

    ``&key=value`` for every parameter sorted by key, ``&`` and ``=`` in values replaced
    by ``_``; HMAC with ``method`` (md5/sha1/sha256/sha512), or with ``method=None`` the
    legacy plain MD5 of that string followed by the secret (also spelt ``"md5hash"``, as
    the ``signature_method`` settings name it).  Same as
    ``vonage_http_client.Auth.sign_params`` and vonage 3.x ``Client.signature``.
    """
    if method == "md5hash":
        method = None
    hasher: Any
    if method:
        hasher = hmac.new(secret.encode("utf-8"), digestmod=_DIGESTS[method])
    else:
        hasher = hashlib.md5()
    for key in sorted(params):
        value = params[key]
        if isinstance(value, str):
            value = value.replace("&", "_").replace("=", "_")
        hasher.update(f"&{key}={value}".encode())
    if not method:
        hasher.update(secret.encode("utf-8"))
    return hasher.hexdigest()


def check_signature(credentials: Credentials, secret: str, *, now: float | None = None,
                    tolerance: int = SIGNATURE_TOLERANCE) -> bool:
    """True when ``credentials.sig`` signs ``credentials.signed`` with ``secret``.

    The method is not on the wire, so every one is tried (the digest length narrows
    it).  The 4.x SDK signs the unset ``SmsMessage`` fields as ``key=None`` and requests
    then drops them from the body, so a second reading adds them back.
    """
    sig = (credentials.sig or "").strip().lower()
    if not sig or not credentials.timestamp:
        return False
    try:
        stamp = int(float(credentials.timestamp))
    except ValueError:
        return False
    clock = datetime.now(timezone.utc).timestamp() if now is None else now
    if abs(clock - stamp) > tolerance:
        return False
    readings: list[Mapping[str, Any]] = [credentials.signed]
    if "to" in credentials.signed and "text" in credentials.signed:
        with_none = {k: "None" for k in SEND_FIELDS}
        with_none.update(credentials.signed)
        readings.append(with_none)
    by_length: dict[int, list[str | None]] = {32: ["md5", None], 40: ["sha1"], 64: ["sha256"], 128: ["sha512"]}
    methods = by_length.get(len(sig), [])
    for method in methods:
        for reading in readings:
            if hmac.compare_digest(sign(reading, secret, method), sig):
                return True
    return False
