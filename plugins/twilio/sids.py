"""Twilio's sids: the shape of a message sid, and how an smsbridge id rides in one.

A sid is ``SM`` + 32 hex digits carrying the smsbridge id (:mod:`smsbridge.ids`), so the
SDK shim and the gateway face show the *same* sid for a message and read the id back
without a lookup.  Ids smsbridge did not make are hashed; the gateway also stores every
sid -> id alias in the journal, which covers them.
"""
from __future__ import annotations

import re

from smsbridge import ids

__all__ = ["ID_SHAPE", "ACCOUNT_SID_RE", "MESSAGE_SID_RE", "is_message_sid"]

ACCOUNT_SID_RE = re.compile(r"^AC[0-9a-fA-F]{32}$")
MESSAGE_SID_RE = re.compile(r"^(?:SM|MM)[0-9a-f]{32}$")

ID_SHAPE = ids.PrefixedHex("SM", salt="", accept=("MM",), keep_hex=True)
"""A message as a Twilio sid: ``SM`` + 32 hex carrying the message id."""


def is_message_sid(value: object) -> bool:
    """Whether ``value`` looks like a message sid at all (before any journal look-up)."""
    return isinstance(value, str) and bool(MESSAGE_SID_RE.match(value))
