"""Twilio's requests: the create form (both ways) and the list query.

Requests are ``application/x-www-form-urlencoded``; the face reads them with Twilio's
own refusal codes, so an SDK user sees the error Twilio would have given.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import api
from .error_map import WireError
from .times import DATE_SENT_FILTER

__all__ = ["build_send", "CreateRequest", "parse_send_request", "list_query", "page_window", "form_value"]


def build_send(to: str, body: str, *, sender: str | None = None, status_callback: str | None = None,
               messaging_service_sid: str | None = None, validity_period: int | None = None) -> dict[str, str]:
    """The form the Twilio SDK (and our backend) posts to ``Messages.json``."""
    form: dict[str, str] = {"To": to, "Body": body}
    if sender:
        form["From"] = sender
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if status_callback:
        form["StatusCallback"] = status_callback
    if validity_period is not None:
        form["ValidityPeriod"] = str(int(validity_period))
    return form


@dataclass(frozen=True)
class CreateRequest:
    """A parsed create request: what the face hands to the Bridge."""

    to: str
    body: str
    sender: str | None = None
    status_callback: str | None = None
    messaging_service_sid: str | None = None


def form_value(form: Mapping[str, Any], key: str) -> str | None:
    """A single form value; repeated keys keep the last, like Twilio's frontend."""
    value = form.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None:
        return None
    return str(value)


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def parse_send_request(form: Mapping[str, Any]) -> CreateRequest:
    """Read a create form; raise :class:`WireError` with Twilio's own code when unusable.

    The number itself is validated by the Bridge (``InvalidNumber`` -> 21211), so here
    only presence is checked.  ``MediaUrl`` (MMS) is refused honestly: smsbridge sends
    SMS only.
    """
    for key in ("To", "From", "Body", "StatusCallback", "MessagingServiceSid"):
        value = form_value(form, key)
        if value is not None and not _encodable(value):
            # only reachable from Python (the SDK shim): a form body is decoded strictly
            raise WireError(f"Invalid {key}: not valid Unicode text.", code=api.E_INVALID_PARAMETER, field=key)
    to = (form_value(form, "To") or "").strip()
    if not to:
        raise WireError("A 'To' phone number is required.", code=api.E_TO_REQUIRED, field="To")
    sender = (form_value(form, "From") or "").strip() or None
    service = (form_value(form, "MessagingServiceSid") or "").strip() or None
    if form_value(form, "MediaUrl"):
        raise WireError("Media messages (MediaUrl) are not supported by this gateway; send SMS only.",
                        code=api.E_MEDIA_UNSUPPORTED, field="MediaUrl")
    body = form_value(form, "Body")
    if body is None or body == "":
        raise WireError("Message body is required.", code=api.E_BODY_REQUIRED, field="Body")
    if len(body) > api.MAX_BODY_CHARS:
        raise WireError("The concatenated message body exceeds the 1600 character limit.",
                        code=api.E_BODY_TOO_LONG, field="Body")
    callback = (form_value(form, "StatusCallback") or "").strip() or None
    if callback and not callback.lower().startswith(("http://", "https://")):
        raise WireError("The StatusCallback URL is not a valid URL.", code=api.E_BAD_CALLBACK_URL,
                        field="StatusCallback")
    return CreateRequest(to=to, body=body, sender=sender, status_callback=callback,
                         messaging_service_sid=service)


def list_query(to: str, *, sent_after: datetime | None = None, page_size: int = 100) -> dict[str, str]:
    """The query of a message list to one recipient, sent at or after ``sent_after``
    (Twilio's ``DateSent>`` filter, as the SDK's ``date_sent_after`` sends it)."""
    query = {"To": to, "PageSize": str(page_size)}
    after = DATE_SENT_FILTER.format(sent_after)
    if after is not None:
        query["DateSent>"] = after
    return query


def page_window(query: Mapping[str, Any], *, default_size: int = 50, max_size: int = 1000) -> tuple[int, int]:
    """``(page, page_size)`` from a list query; bad values raise :class:`WireError` 400."""
    def number(key: str, default: int, low: int, high: int) -> int:
        raw = form_value(query, key)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise WireError(f"{key} must be an integer.", code=api.E_INVALID_PARAMETER, field=key) from None
        if not low <= value <= high:
            raise WireError(f"{key} must be between {low} and {high}.", code=api.E_INVALID_PARAMETER, field=key)
        return value

    size = number("PageSize", default_size, 1, max_size)
    page = number("Page", 0, 0, 10_000_000)
    return page, size
