"""Infobip send requests and replies, v3 (``POST /sms/3/messages``) and v2
(``POST /sms/2/text/advanced``): built (client side), read back (server side, refusing
with :class:`~.error_map.WireError` naming the violated property), and the reply
``{"bulkId","messages":[{"messageId","status","destination"(v3)|"to"(v2)}]}`` both ways.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smsbridge.errors import ProviderError
from smsbridge.model import Status

from .error_map import invalid
from .shapes import digits, given, plus
from .statuses import ParsedStatus, status_from_object, status_object

__all__ = ["Destination", "SendRequest", "build_send", "build_send_v2", "parse_send_request",
           "parse_send_request_v2", "send_reply", "parse_send_reply"]


@dataclass(frozen=True)
class Destination:
    to: str                      # E.164
    message_id: str | None = None


@dataclass(frozen=True)
class SendRequest:
    """One message of a send request (a request may hold several)."""

    sender: str | None
    destinations: tuple[Destination, ...]
    text: str
    notify_url: str | None = None
    callback_data: str | None = None
    intermediate_report: bool = False
    bulk_id: str | None = None
    notify: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)


# -- built (client side) -------------------------------------------------------------------

def build_send(to: str | Sequence[str], text: str, sender: str | None, *, notify_url: str | None = None,
               callback_data: str | None = None, message_id: str | None = None) -> dict[str, Any]:
    """The v3 send body (``message_id`` names the message when there is one destination)."""
    numbers = [to] if isinstance(to, str) else list(to)
    dests = []
    for n in numbers:
        d: dict[str, Any] = {"to": digits(n)}
        if message_id and len(numbers) == 1:
            d["messageId"] = message_id
        dests.append(d)
    msg: dict[str, Any] = {"destinations": dests, "content": {"text": text}}
    if sender:
        msg["sender"] = sender
    webhooks: dict[str, Any] = {}
    if notify_url:
        webhooks["delivery"] = {"url": notify_url}
    if callback_data:
        webhooks["callbackData"] = callback_data
    if webhooks:
        msg["webhooks"] = webhooks
    return {"messages": [msg]}


def build_send_v2(to: str | Sequence[str], text: str, sender: str | None, *, notify_url: str | None = None,
                  callback_data: str | None = None) -> dict[str, Any]:
    """The deprecated v2 send body."""
    numbers = [to] if isinstance(to, str) else list(to)
    msg: dict[str, Any] = {"destinations": [{"to": digits(n)} for n in numbers], "text": text}
    if sender:
        msg["from"] = sender
    if notify_url:
        msg["notifyUrl"] = notify_url
        msg["notifyContentType"] = "application/json"
    if callback_data:
        msg["callbackData"] = callback_data
    return {"messages": [msg]}


# -- read back (server side) ---------------------------------------------------------------

def _destinations(raw: Any, where: str) -> tuple[Destination, ...]:
    if not isinstance(raw, list) or not raw:
        raise invalid(where, "must not be empty")
    if len(raw) > 1000:
        raise invalid(where, "too many destinations")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise invalid(f"{where}[{i}]", "must be an object")
        to = given(item, "to")
        if isinstance(to, int) and not isinstance(to, bool):
            to = str(to)
        if not isinstance(to, str) or not to.strip():
            raise invalid(f"{where}[{i}].to", "must not be blank")
        number = digits(to).replace(" ", "")
        if not number.isdigit() or not 3 <= len(number) <= 15:
            raise invalid(f"{where}[{i}].to", "invalid destination address")
        mid = given(item, "messageId")
        if mid is not None and (not isinstance(mid, str) or not mid.strip() or len(mid) > 200):
            raise invalid(f"{where}[{i}].messageId", "invalid message id")
        out.append(Destination(to="+" + number, message_id=mid))
    return tuple(out)


def _url(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise invalid(where, "must be a valid URL")
    return value


def _messages(data: Any) -> list[Mapping[str, Any]]:
    if not isinstance(data, Mapping):
        raise invalid("body", "must be a JSON object")
    messages = given(data, "messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages", "must not be empty")
    if len(messages) > 100:
        raise invalid("messages", "too many messages")
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping):
            raise invalid(f"messages[{i}]", "must be an object")
    return messages


def _sender(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 20:
        raise invalid(where, "invalid sender")
    return value.strip()


def _callback_data(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 4000:
        raise invalid(where, "invalid callback data")
    return value


def _bulk_id(data: Mapping[str, Any]) -> str | None:
    bulk = given(data, "bulkId")
    if bulk is None:
        options = given(data, "options")
        bulk = given(options, "bulkId") if isinstance(options, Mapping) else None
    return bulk if isinstance(bulk, str) and bulk.strip() and len(bulk) <= 100 else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_send_request(data: Any) -> list[SendRequest]:
    """Read ``POST /sms/3/messages``; nulls ignored; text content only."""
    out = []
    for i, m in enumerate(_messages(data)):
        where = f"messages[{i}]"
        text = given(_mapping(given(m, "content")), "text")
        if not isinstance(text, str) or text == "":
            raise invalid(f"{where}.content.text", "must not be blank")
        webhooks = _mapping(given(m, "webhooks"))
        delivery = _mapping(given(webhooks, "delivery"))
        out.append(SendRequest(
            sender=_sender(given(m, "sender"), f"{where}.sender"),
            destinations=_destinations(given(m, "destinations"), f"{where}.destinations"),
            text=text,
            notify_url=_url(given(delivery, "url"), f"{where}.webhooks.delivery.url"),
            callback_data=_callback_data(given(webhooks, "callbackData"), f"{where}.webhooks.callbackData"),
            intermediate_report=given(delivery, "intermediateReport") is True,
            bulk_id=_bulk_id(data),
            notify=given(delivery, "notify") is not False,
        ))
    return out


def parse_send_request_v2(data: Any) -> list[SendRequest]:
    """Read ``POST /sms/2/text/advanced`` (5.x SDK bodies are full of nulls)."""
    out = []
    for i, m in enumerate(_messages(data)):
        where = f"messages[{i}]"
        text = given(m, "text")
        if not isinstance(text, str) or text == "":
            raise invalid(f"{where}.text", "must not be blank")
        out.append(SendRequest(
            sender=_sender(given(m, "from"), f"{where}.from"),
            destinations=_destinations(given(m, "destinations"), f"{where}.destinations"),
            text=text,
            notify_url=_url(given(m, "notifyUrl"), f"{where}.notifyUrl"),
            callback_data=_callback_data(given(m, "callbackData"), f"{where}.callbackData"),
            intermediate_report=given(m, "intermediateReport") is True,
            bulk_id=_bulk_id(data),
        ))
    return out


# -- the reply -----------------------------------------------------------------------------

def send_reply(bulk_id: str | None, items: Iterable[tuple[str, str, Status | str | dict[str, Any], int]], *,
               version: int = 3) -> dict[str, Any]:
    """``items``: (messageId, to E.164, status or status object, message count)."""
    messages: list[dict[str, Any]] = []
    for message_id, to, status, count in items:
        status_obj = status if isinstance(status, dict) else status_object(status)
        if version >= 3:
            messages.append({"messageId": message_id, "status": status_obj, "destination": digits(to),
                             "details": {"messageCount": count}})
        else:
            messages.append({"to": digits(to), "status": status_obj, "messageId": message_id,
                             "smsCount": count})
    reply: dict[str, Any] = {"messages": messages}
    if bulk_id:
        reply = {"bulkId": bulk_id, **reply}
    return reply


def parse_send_reply(data: Any) -> list[ParsedStatus]:
    """Either version's reply, one :class:`ParsedStatus` per message."""
    if not isinstance(data, Mapping) or not isinstance(data.get("messages"), list):
        raise ProviderError("Infobip reply has no messages")
    out = []
    for m in data["messages"]:
        if not isinstance(m, Mapping):
            continue
        status = _mapping(m.get("status"))
        out.append(ParsedStatus(
            message_id=m.get("messageId") if isinstance(m.get("messageId"), str) else None,
            to=plus(m.get("destination") or m.get("to")), status=status_from_object(status),
            name=status.get("name"), group=status.get("groupName"),
            bulk_id=data.get("bulkId") if isinstance(data.get("bulkId"), str) else None,
            done_at=None, error=None, raw=m))
    if not out:
        raise ProviderError("Infobip reply has no messages")
    return out
