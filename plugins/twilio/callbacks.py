"""Twilio's status callbacks: the form POSTed on each status change, and its signature.

``X-Twilio-Signature`` is base64(HMAC-SHA1(auth token, URL + sorted name+value pairs)),
the same algorithm as ``twilio.request_validator.RequestValidator``; the gateway signs
the callbacks it posts and verifies the ones it receives with it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from smsbridge.model import Status

from .api import API_VERSION
from .forms import form_value
from .statuses import STATUSES, default_error_code, int_or_none
from .times import DLR_DONE_DATE

__all__ = ["status_callback_form", "parse_status_callback", "signature"]


def status_callback_form(*, account_sid: str, sid: str, status: Status | str, to: str,
                         sender: str | None = None, error_code: int | str | None = None,
                         messaging_service_sid: str | None = None,
                         done_at: datetime | None = None) -> dict[str, str]:
    """The form Twilio POSTs to a message's ``StatusCallback`` on each status change."""
    word = STATUSES.from_status(status)
    form = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "MessageSid": sid,
        "MessageStatus": word,
        "SmsSid": sid,
        "SmsStatus": word,
        "To": to,
        "From": sender or "",
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if word in ("failed", "undelivered"):
        code = int_or_none(error_code)
        form["ErrorCode"] = str(code if code is not None else default_error_code(status))
    done = DLR_DONE_DATE.format(done_at)
    if word in ("delivered", "undelivered") and done is not None:
        form["RawDlrDoneDate"] = done
    return form


def parse_status_callback(form: Mapping[str, Any]) -> tuple[str, Status, str | None]:
    """``(sid, status, error_code)`` from a status callback form."""
    sid = form_value(form, "MessageSid") or form_value(form, "SmsSid") or ""
    word = form_value(form, "MessageStatus") or form_value(form, "SmsStatus")
    return sid, STATUSES.to_status(word), form_value(form, "ErrorCode")


def signature(auth_token: str, url: str, params: Mapping[str, Any] | Iterable[tuple[str, str]]) -> str:
    """``X-Twilio-Signature`` for a request to ``url`` with form ``params``."""
    grouped: dict[str, set[str]] = {}
    for key, value in (params.items() if isinstance(params, Mapping) else params):
        values = value if isinstance(value, (list, tuple)) else [value]
        grouped.setdefault(str(key), set()).update("" if one is None else str(one) for one in values)
    data = url
    for key in sorted(grouped):
        for one in sorted(grouped[key]):
            data += key + one
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
