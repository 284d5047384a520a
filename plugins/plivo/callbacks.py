"""Plivo's status callbacks: the form fields posted to a send's ``url``, read back, and
the ``X-Plivo-Signature-V3`` that signs them (and incoming-SMS webhooks)."""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from smsbridge.model import Status
from smsbridge.wire import WireError

from .vocabulary import STATUSES, TIMES, digits_of, error_code_for, sender_digits

__all__ = ["callback_params", "parse_callback", "signature_v3"]


def _callback_time(when: datetime) -> str:
    """A callback's moments are ``message_time`` without the zone."""
    return (TIMES.format(when) or "").replace("+00:00", "")


def callback_params(*, message_uuid: str, to: str, sender: str | None, status: Status | str,
                    units: int = 1, at: datetime | None = None, queued_at: datetime | None = None,
                    rate: str = "0.00500") -> dict[str, str]:
    """The form fields of a status callback to the ``url`` given at send."""
    now = at or datetime.now(timezone.utc)
    params = {
        "MessageUUID": message_uuid,
        "To": digits_of(to),
        "From": sender_digits(sender) or "",
        "Type": "sms",
        "Status": STATUSES.from_status(status),
        "Units": str(units),
        "TotalRate": rate,
        "TotalAmount": f"{Decimal(rate) * units:.5f}",
        "MCC": "", "MNC": "",
        "ParentMessageUUID": message_uuid,
        "PartInfo": f"1 of {units}" if units > 1 else "",
        "Sequence": "1",
        "MessageTime": _callback_time(queued_at or now),
        "QueuedTime": _callback_time(queued_at or now),
        "SentTime": _callback_time(now),
        "DeliveryReportTime": _callback_time(now),
    }
    code = error_code_for(status)
    if code:
        params["ErrorCode"] = code
    return params


def parse_callback(params: Mapping[str, str]) -> tuple[str, Status, str | None]:
    """(MessageUUID, status, ErrorCode) from a status callback."""
    mid = params.get("MessageUUID")
    if not mid:
        raise WireError("MessageUUID missing", status=400, field="MessageUUID")
    code = params.get("ErrorCode") or None
    return mid, STATUSES.to_status(params.get("Status")), code


def _sorted_query(items: Mapping[str, Any]) -> str:
    out = []
    for key in sorted(items):
        value = items[key]
        if isinstance(value, list):
            out.append("&".join(f"{key}={v}" for v in sorted(value)))
        else:
            out.append(f"{key}={value}")
    return "&".join(out)


def signature_v3(method: str, url: str, params: Mapping[str, str], nonce: str, auth_token: str) -> str:
    """``X-Plivo-Signature-V3`` for a callback, as ``plivo.utils.signature_v3`` checks it:
    base64(HMAC-SHA256(auth_token, base + "." + nonce)) where, for POST, base is the URL
    (query sorted) + "?" + the sorted ``name+value`` pairs, and for GET the URL with the
    parameters merged into its sorted query."""
    parts = urlsplit(url)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = dict(parse_qs(parts.query, keep_blank_values=True).items())
    if method.upper() == "GET":
        merged: dict[str, Any] = dict(params)
        merged.update(query)
        qs = _sorted_query(merged)
        base = bare + ("?" + qs if qs else "")
    else:
        qs = _sorted_query(query)
        base = bare
        if params:
            base += "?" + qs + ("." if qs else "")
        elif qs:
            base += "?" + qs
        base += "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), f"{base}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
