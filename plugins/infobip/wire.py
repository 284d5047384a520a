"""Infobip SMS API, written once: v3 (``/sms/3/messages``) and the deprecated v2
(``/sms/2/text/advanced``, which ``infobip-api-python-sdk`` 5.x still uses).

Pure functions, no I/O (shared/providers.md §6):

- auth ``Authorization: App <api_key>``; JSON both ways; success is **HTTP 200**;
- send replies ``{"bulkId","messages":[{"messageId","status":{groupId,groupName,id,name,
  description},"destination"(v3)|"to"(v2)}]}``;
- reports ``GET /sms/3/reports`` / ``/sms/1/reports`` and logs ``/sms/3/logs`` /
  ``/sms/1/logs`` -> ``{"results":[…]}`` (``sender``/``messageCount`` in v3,
  ``from``/``smsCount`` in v1/v2); dates ``yyyy-MM-dd'T'HH:mm:ss.SSS+0000``;
- errors: v3 ``{"errorCode","description","action","violations","resources"}`` (the 6.x
  SDK requires all five keys), v2 ``{"requestError":{"serviceException":{"messageId",
  "text","validationErrors"}}}``;
- delivery reports: JSON POST ``{"results":[…]}`` to ``webhooks.delivery.url`` (v3) or
  ``notifyUrl`` (v2); no signature;
- the 5.x SDK serialises every unset field as an explicit ``null``: readers ignore nulls.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from smsbridge import ids
from smsbridge.errors import (
    AuthenticationError,
    InsufficientCredit,
    InvalidMessage,
    InvalidNumber,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    SmsBridgeError,
)
from smsbridge.gateway.faces import scheme_credential
from smsbridge.model import Status

__all__ = [
    "AUTH_SCHEME", "DEFAULT_BASE_URL", "WireError", "Destination", "SendRequest", "ParsedStatus",
    "STATUSES", "status_object", "status_from_wire", "status_name_for", "error_object",
    "new_message_id", "new_bulk_id", "message_id_for", "message_id_in", "auth_header", "parse_auth_header",
    "build_send_v3", "build_send_v2", "parse_send_request_v3", "parse_send_request_v2",
    "send_reply", "parse_send_reply", "report_json", "reports_json", "parse_reports",
    "log_json", "logs_json", "balance_json", "parse_balance", "error_json_v3", "error_json_v2",
    "error_for_reply", "error_for_exception", "rejection_for_status", "format_time", "parse_time",
]

AUTH_SCHEME = "App"
DEFAULT_BASE_URL = "https://api.infobip.com"

# name -> (groupId, groupName, id, description).  Infobip's status catalogue; the groups
# are 1 PENDING, 2 UNDELIVERABLE, 3 DELIVERED, 4 EXPIRED, 5 REJECTED.
STATUSES: Mapping[str, tuple[int, str, int, str]] = {
    "PENDING_ACCEPTED": (1, "PENDING", 26, "Message sent to next instance"),
    "PENDING_ENROUTE": (1, "PENDING", 7, "Message sent to next instance"),
    "PENDING_WAITING_DELIVERY": (1, "PENDING", 3, "Message sent, waiting for delivery report"),
    "UNDELIVERABLE_REJECTED_OPERATOR": (2, "UNDELIVERABLE", 4, "Message rejected by operator"),
    "UNDELIVERABLE_NOT_DELIVERED": (2, "UNDELIVERABLE", 9, "Message sent not delivered"),
    "DELIVERED_TO_OPERATOR": (3, "DELIVERED", 2, "Message delivered to operator"),
    "DELIVERED_TO_HANDSET": (3, "DELIVERED", 5, "Message delivered to handset"),
    "EXPIRED_EXPIRED": (4, "EXPIRED", 15, "Message expired"),
    "REJECTED_NETWORK": (5, "REJECTED", 6, "Network is forbidden"),
    "REJECTED_PREFIX_MISSING": (5, "REJECTED", 8, "Number prefix missing"),
    "REJECTED_NOT_ENOUGH_CREDITS": (5, "REJECTED", 12, "Not enough credits"),
    "REJECTED_SENDER": (5, "REJECTED", 13, "Sender ID not allowed"),
    "REJECTED_DESTINATION": (5, "REJECTED", 14, "Invalid destination address"),
}
_BY_STATUS: Mapping[Status, str] = {
    Status.QUEUED: "PENDING_ACCEPTED",
    Status.SENT: "PENDING_WAITING_DELIVERY",
    Status.DELIVERED: "DELIVERED_TO_HANDSET",
    Status.UNDELIVERED: "UNDELIVERABLE_NOT_DELIVERED",
    Status.FAILED: "UNDELIVERABLE_REJECTED_OPERATOR",
    Status.EXPIRED: "EXPIRED_EXPIRED",
    Status.REJECTED: "REJECTED_NETWORK",
    Status.UNKNOWN: "PENDING_ENROUTE",
    Status.SCHEDULED: "PENDING_ACCEPTED",
    Status.CANCELED: "REJECTED_NETWORK",
}
# groupName -> Status; a few names refine it (providers.md §6.2 "Mapping").
_BY_GROUP: Mapping[str, Status] = {
    "PENDING": Status.QUEUED, "ACCEPTED": Status.QUEUED, "DELIVERED": Status.DELIVERED,
    "UNDELIVERABLE": Status.UNDELIVERED, "EXPIRED": Status.EXPIRED, "REJECTED": Status.REJECTED,
}
_GROUP_IDS: Mapping[int, str] = {1: "PENDING", 2: "UNDELIVERABLE", 3: "DELIVERED", 4: "EXPIRED", 5: "REJECTED"}
_BY_NAME: Mapping[str, Status] = {
    "PENDING_ENROUTE": Status.SENT,
    "PENDING_WAITING_DELIVERY": Status.SENT,
    "DELIVERED_TO_OPERATOR": Status.SENT,
    "UNDELIVERABLE_REJECTED_OPERATOR": Status.FAILED,
}
_ERRORS: Mapping[Status, tuple[int, str, int, str, str, bool]] = {
    # groupId, groupName, id, name, description, permanent
    Status.UNDELIVERED: (1, "HANDSET_ERRORS", 1, "EC_UNKNOWN_SUBSCRIBER", "Unknown subscriber", True),
    Status.FAILED: (3, "OPERATOR_ERRORS", 2052, "EC_OPERATOR_FAILURE", "Operator failure", False),
    Status.EXPIRED: (3, "OPERATOR_ERRORS", 4001, "EC_MESSAGE_EXPIRED", "Message expired", True),
    Status.REJECTED: (2, "USER_ERRORS", 2, "EC_REJECTED", "Message rejected", True),
}


class WireError(Exception):
    """A request an Infobip face must refuse, rendered in the v3 or v2 error shape."""

    def __init__(self, http_status: int, description: str, *, violations: Sequence[tuple[str, str]] = (),
                 v2_id: str | None = None) -> None:
        super().__init__(description)
        self.http_status = http_status
        self.description = description
        self.violations = tuple(violations)
        self.v2_id = v2_id

    def as_json(self, version: int) -> dict[str, Any]:
        if version >= 3:
            return error_json_v3(self.http_status, self.description, self.violations)
        return error_json_v2(self.http_status, self.description, self.violations, message_id=self.v2_id)


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


@dataclass(frozen=True)
class ParsedStatus:
    message_id: str | None
    to: str | None
    status: Status
    name: str | None
    group: str | None
    bulk_id: str | None
    done_at: datetime | None
    error: str | None
    raw: Mapping[str, Any]


# -- statuses, ids, dates, auth ---------------------------------------------------------------

def status_name_for(status: Status | str) -> str:
    return _BY_STATUS.get(Status(status), "PENDING_ENROUTE")


def status_object(status: Status | str | None = None, *, name: str | None = None) -> dict[str, Any]:
    """An Infobip status object; every key present (the 5.x SDK requires them)."""
    name = name or status_name_for(status or Status.QUEUED)
    group_id, group_name, sid, description = STATUSES[name]
    return {"groupId": group_id, "groupName": group_name, "id": sid, "name": name,
            "description": description}


def error_object(status: Status | str) -> dict[str, Any]:
    spec = _ERRORS.get(Status(status))
    if spec is None:
        return {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "description": "No Error",
                "permanent": False}
    gid, gname, eid, name, description, permanent = spec
    return {"groupId": gid, "groupName": gname, "id": eid, "name": name, "description": description,
            "permanent": permanent}


def status_from_wire(obj: Any) -> Status:
    """An Infobip status object (or bare name) -> smsbridge Status."""
    if isinstance(obj, str):
        obj = {"name": obj}
    if not isinstance(obj, Mapping):
        return Status.UNKNOWN
    name = obj.get("name") if isinstance(obj.get("name"), str) else None
    if name:
        name = name.upper()
        if name in _BY_NAME:
            return _BY_NAME[name]
        if name in STATUSES:
            return _BY_GROUP[STATUSES[name][1]]
    group = obj.get("groupName") if isinstance(obj.get("groupName"), str) else None
    if group is None and isinstance(obj.get("groupId"), int):
        group = _GROUP_IDS.get(obj["groupId"])
    if group is None and name:
        group = name.split("_", 1)[0]
    return _BY_GROUP.get((group or "").upper(), Status.UNKNOWN)


def new_message_id() -> str:
    """Infobip message ids are free strings; ours look like the provider's UUID-ish ones."""
    return str(uuid.uuid4())


MESSAGE_ID_SHAPE = ids.GroupedHex((12, 4, 8, 8), salt="infobip:")
"""A message as an Infobip messageId, ``xxxxxxxxxxxx-xxxx-xxxxxxxx-xxxxxxxx`` (:mod:`smsbridge.ids`)."""


def message_id_for(message_id: str) -> str:
    """The Infobip messageId smsbridge shows for one of its messages (when the caller
    gave none): ``xxxxxxxxxxxx-xxxx-xxxxxxxx-xxxxxxxx``, reversible by :func:`message_id_in`."""
    return MESSAGE_ID_SHAPE.id_for(message_id)


def message_id_in(value: str) -> str | None:
    """The smsbridge id carried by :func:`message_id_for`'s messageId, or ``None``."""
    return MESSAGE_ID_SHAPE.message_id_in(value)


def new_bulk_id() -> str:
    return "bulk-" + uuid.uuid4().hex[:24]


def format_time(when: datetime | None) -> str | None:
    """``2019-11-09T16:00:00.000+0000``."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def auth_header(api_key: str) -> dict[str, str]:
    return {"Authorization": f"{AUTH_SCHEME} {api_key}"}


def parse_auth_header(value: str | None) -> str | None:
    """The API key from an ``Authorization: App <key>`` header, else ``None``."""
    return scheme_credential(value, AUTH_SCHEME)


# -- send requests ---------------------------------------------------------------------------

def _digits(number: str) -> str:
    return number.strip().lstrip("+")


def build_send_v3(to: str | Sequence[str], text: str, sender: str | None, *, notify_url: str | None = None,
                  callback_data: str | None = None, message_id: str | None = None) -> dict[str, Any]:
    numbers = [to] if isinstance(to, str) else list(to)
    dests = []
    for n in numbers:
        d: dict[str, Any] = {"to": _digits(n)}
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
    numbers = [to] if isinstance(to, str) else list(to)
    msg: dict[str, Any] = {"destinations": [{"to": _digits(n)} for n in numbers], "text": text}
    if sender:
        msg["from"] = sender
    if notify_url:
        msg["notifyUrl"] = notify_url
        msg["notifyContentType"] = "application/json"
    if callback_data:
        msg["callbackData"] = callback_data
    return {"messages": [msg]}


def _nn(mapping: Mapping[str, Any], key: str) -> Any:
    """A value with explicit nulls treated as absent."""
    value = mapping.get(key)
    return None if value is None else value


def _destinations(raw: Any, where: str) -> tuple[Destination, ...]:
    if not isinstance(raw, list) or not raw:
        raise WireError(400, "Request cannot be processed.", violations=[(where, "must not be empty")])
    if len(raw) > 1000:
        raise WireError(400, "Request cannot be processed.", violations=[(where, "too many destinations")])
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise WireError(400, "Request cannot be processed.", violations=[(f"{where}[{i}]", "must be an object")])
        to = _nn(item, "to")
        if isinstance(to, int) and not isinstance(to, bool):
            to = str(to)
        if not isinstance(to, str) or not to.strip():
            raise WireError(400, "Request cannot be processed.", violations=[(f"{where}[{i}].to", "must not be blank")])
        digits = _digits(to).replace(" ", "")
        if not digits.isdigit() or not 3 <= len(digits) <= 15:
            raise WireError(400, "Request cannot be processed.",
                            violations=[(f"{where}[{i}].to", "invalid destination address")])
        mid = _nn(item, "messageId")
        if mid is not None and (not isinstance(mid, str) or not mid.strip() or len(mid) > 200):
            raise WireError(400, "Request cannot be processed.",
                            violations=[(f"{where}[{i}].messageId", "invalid message id")])
        out.append(Destination(to="+" + digits, message_id=mid))
    return tuple(out)


def _url(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise WireError(400, "Request cannot be processed.", violations=[(where, "must be a valid URL")])
    return value


def _messages(data: Any) -> list[Mapping[str, Any]]:
    if not isinstance(data, Mapping):
        raise WireError(400, "Request cannot be processed.", violations=[("body", "must be a JSON object")])
    messages = _nn(data, "messages")
    if not isinstance(messages, list) or not messages:
        raise WireError(400, "Request cannot be processed.", violations=[("messages", "must not be empty")])
    if len(messages) > 100:
        raise WireError(400, "Request cannot be processed.", violations=[("messages", "too many messages")])
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping):
            raise WireError(400, "Request cannot be processed.", violations=[(f"messages[{i}]", "must be an object")])
    return messages


def _sender(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 20:
        raise WireError(400, "Request cannot be processed.", violations=[(where, "invalid sender")])
    return value.strip()


def _callback_data(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 4000:
        raise WireError(400, "Request cannot be processed.", violations=[(where, "invalid callback data")])
    return value


def parse_send_request_v3(data: Any) -> list[SendRequest]:
    """Read ``POST /sms/3/messages``; nulls ignored; text content only."""
    out = []
    for i, m in enumerate(_messages(data)):
        where = f"messages[{i}]"
        content = _nn(m, "content")
        text = _nn(content, "text") if isinstance(content, Mapping) else None
        if not isinstance(text, str) or text == "":
            raise WireError(400, "Request cannot be processed.",
                            violations=[(f"{where}.content.text", "must not be blank")])
        webhooks = _nn(m, "webhooks")
        webhooks = webhooks if isinstance(webhooks, Mapping) else {}
        delivery = _nn(webhooks, "delivery")
        delivery = delivery if isinstance(delivery, Mapping) else {}
        out.append(SendRequest(
            sender=_sender(_nn(m, "sender"), f"{where}.sender"),
            destinations=_destinations(_nn(m, "destinations"), f"{where}.destinations"),
            text=text,
            notify_url=_url(_nn(delivery, "url"), f"{where}.webhooks.delivery.url"),
            callback_data=_callback_data(_nn(webhooks, "callbackData"), f"{where}.webhooks.callbackData"),
            intermediate_report=_nn(delivery, "intermediateReport") is True,
            bulk_id=_bulk_id(data),
            notify=_nn(delivery, "notify") is not False,
        ))
    return out


def _bulk_id(data: Mapping[str, Any]) -> str | None:
    bulk = _nn(data, "bulkId")
    if bulk is None:
        options = _nn(data, "options")
        bulk = _nn(options, "bulkId") if isinstance(options, Mapping) else None
    return bulk if isinstance(bulk, str) and bulk.strip() and len(bulk) <= 100 else None


def parse_send_request_v2(data: Any) -> list[SendRequest]:
    """Read ``POST /sms/2/text/advanced`` (5.x SDK bodies are full of nulls)."""
    out = []
    for i, m in enumerate(_messages(data)):
        where = f"messages[{i}]"
        text = _nn(m, "text")
        if not isinstance(text, str) or text == "":
            raise WireError(400, "Request cannot be processed.", violations=[(f"{where}.text", "must not be blank")])
        out.append(SendRequest(
            sender=_sender(_nn(m, "from"), f"{where}.from"),
            destinations=_destinations(_nn(m, "destinations"), f"{where}.destinations"),
            text=text,
            notify_url=_url(_nn(m, "notifyUrl"), f"{where}.notifyUrl"),
            callback_data=_callback_data(_nn(m, "callbackData"), f"{where}.callbackData"),
            intermediate_report=_nn(m, "intermediateReport") is True,
            bulk_id=_bulk_id(data),
        ))
    return out


# -- send replies --------------------------------------------------------------------------------

def send_reply(bulk_id: str | None, items: Iterable[tuple[str, str, Status | str | dict[str, Any], int]], *,
               version: int = 3) -> dict[str, Any]:
    """``items``: (messageId, to E.164, status or status object, message count)."""
    messages: list[dict[str, Any]] = []
    for message_id, to, status, count in items:
        status_obj = status if isinstance(status, dict) else status_object(status)
        if version >= 3:
            messages.append({"messageId": message_id, "status": status_obj, "destination": _digits(to),
                             "details": {"messageCount": count}})
        else:
            messages.append({"to": _digits(to), "status": status_obj, "messageId": message_id,
                             "smsCount": count})
    reply: dict[str, Any] = {"messages": messages}
    if bulk_id:
        reply = {"bulkId": bulk_id, **reply}
    return reply


def parse_send_reply(data: Any) -> list[ParsedStatus]:
    if not isinstance(data, Mapping) or not isinstance(data.get("messages"), list):
        raise ProviderError("Infobip reply has no messages")
    out = []
    for m in data["messages"]:
        if not isinstance(m, Mapping):
            continue
        raw_status = m.get("status")
        status = raw_status if isinstance(raw_status, Mapping) else {}
        to = m.get("destination") or m.get("to")
        out.append(ParsedStatus(
            message_id=m.get("messageId") if isinstance(m.get("messageId"), str) else None,
            to=("+" + _digits(str(to))) if to else None, status=status_from_wire(status),
            name=status.get("name"), group=status.get("groupName"),
            bulk_id=data.get("bulkId") if isinstance(data.get("bulkId"), str) else None,
            done_at=None, error=None, raw=m))
    if not out:
        raise ProviderError("Infobip reply has no messages")
    return out


def rejection_for_status(parsed: ParsedStatus, *, backend: str | None = None) -> SmsBridgeError | None:
    """A send reply can refuse one message with a REJECTED status: the error it proves."""
    if parsed.status is not Status.REJECTED:
        return None
    name = (parsed.name or "REJECTED").upper()
    description = str(parsed.raw.get("status", {}).get("description") or name) \
        if isinstance(parsed.raw.get("status"), Mapping) else name
    if name == "REJECTED_NOT_ENOUGH_CREDITS":
        return InsufficientCredit(description, code=name, backend=backend)
    if name in ("REJECTED_DESTINATION", "REJECTED_PREFIX_MISSING", "MISSING_TO"):
        return InvalidNumber(description)
    if name == "REJECTED_SENDER":
        return InvalidMessage(description)
    # Rejected synchronously: the message was certainly not accepted.
    return ProviderError(description, code=name, backend=backend, pre_acceptance=True)


# -- reports and logs ----------------------------------------------------------------------------

def report_json(*, message_id: str, to: str, sender: str | None, status: Status | str,
                sent_at: datetime | None, done_at: datetime | None, count: int = 1,
                bulk_id: str | None = None, callback_data: str | None = None, version: int = 3,
                price: Decimal | float = 0.0, currency: str = "EUR") -> dict[str, Any]:
    report: dict[str, Any] = {
        "bulkId": bulk_id,
        "messageId": message_id,
        "to": _digits(to),
        "sentAt": format_time(sent_at),
        "doneAt": format_time(done_at or sent_at),
        "price": {"pricePerMessage": float(price), "currency": currency},
        "status": status_object(status),
        "error": error_object(status),
        "mccMnc": None,
        "callbackData": callback_data,
    }
    if version >= 3:
        report["sender"] = sender
        report["messageCount"] = count
        report["platform"] = {"entityId": None, "applicationId": None}
    else:
        report["from"] = sender
        report["smsCount"] = count
    return {k: v for k, v in report.items() if v is not None}


def reports_json(reports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"results": reports}


def parse_reports(data: Any) -> list[ParsedStatus]:
    """``{"results": [...]}`` of reports, logs or a delivery-report webhook."""
    results = data.get("results") if isinstance(data, Mapping) else None
    out = []
    for r in results or []:
        if not isinstance(r, Mapping):
            continue
        raw_status, raw_error = r.get("status"), r.get("error")
        status = raw_status if isinstance(raw_status, Mapping) else {}
        error = raw_error if isinstance(raw_error, Mapping) else {}
        to = r.get("to") or r.get("destination")
        out.append(ParsedStatus(
            message_id=r.get("messageId") if isinstance(r.get("messageId"), str) else None,
            to=("+" + _digits(str(to))) if to else None, status=status_from_wire(status),
            name=status.get("name"), group=status.get("groupName"),
            bulk_id=r.get("bulkId") if isinstance(r.get("bulkId"), str) else None,
            done_at=parse_time(r.get("doneAt")),
            error=error.get("name") if error.get("name") not in (None, "NO_ERROR") else None, raw=r))
    return out


def log_json(*, message_id: str, to: str, sender: str | None, text: str, status: Status | str,
             sent_at: datetime | None, done_at: datetime | None, count: int = 1, bulk_id: str | None = None,
             version: int = 3) -> dict[str, Any]:
    if version >= 3:
        log = {"sender": sender, "destination": _digits(to), "bulkId": bulk_id, "messageId": message_id,
               "sentAt": format_time(sent_at), "doneAt": format_time(done_at or sent_at),
               "messageCount": count, "price": {"pricePerMessage": 0.0, "currency": "EUR"},
               "status": status_object(status), "error": error_object(status), "content": {"text": text},
               "platform": {"entityId": None, "applicationId": None}}
    else:
        log = {"bulkId": bulk_id, "messageId": message_id, "to": _digits(to), "from": sender, "text": text,
               "sentAt": format_time(sent_at), "doneAt": format_time(done_at or sent_at), "smsCount": count,
               "price": {"pricePerMessage": 0.0, "currency": "EUR"}, "status": status_object(status),
               "error": error_object(status)}
    return {k: v for k, v in log.items() if v is not None}


def logs_json(logs: list[dict[str, Any]], *, version: int = 3, limit: int = 50) -> dict[str, Any]:
    if version >= 3:
        return {"results": logs, "cursor": {"limit": limit, "nextCursor": None}}
    return {"results": logs}


# -- balance --------------------------------------------------------------------------------------

def balance_json(amount: Decimal | float, currency: str = "EUR") -> dict[str, Any]:
    return {"balance": float(amount), "currency": currency}


def parse_balance(data: Any) -> tuple[Decimal, str]:
    if not isinstance(data, Mapping) or data.get("balance") is None:
        raise ProviderError("Infobip balance reply has no balance")
    try:
        amount = Decimal(str(data["balance"]))
    except (InvalidOperation, ValueError):
        raise ProviderError("Infobip balance reply has an unreadable balance") from None
    return amount, str(data.get("currency") or "EUR")


# -- errors ----------------------------------------------------------------------------------------

_V3_ACTIONS = {
    400: "Check the syntax, violations and adjust the request.",
    401: "Check your credentials: the API key is missing or invalid.",
    403: "Check the permissions of the API key.",
    404: "Check the request path and the identifiers in it.",
    429: "Slow down: too many requests.",
    500: "Try again later or contact support.",
    503: "Try again later.",
}
_V2_IDS = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
           429: "TOO_MANY_REQUESTS", 500: "GENERAL_ERROR", 503: "GENERAL_ERROR"}


def error_json_v3(http_status: int, description: str, violations: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    return {"errorCode": f"E{http_status}", "description": description,
            "action": _V3_ACTIONS.get(http_status, "Try again later."),
            "violations": [{"property": p, "violation": v} for p, v in violations],
            "resources": []}


def error_json_v2(http_status: int, text: str, violations: Sequence[tuple[str, str]] = (), *,
                  message_id: str | None = None) -> dict[str, Any]:
    exc: dict[str, Any] = {"messageId": message_id or _V2_IDS.get(http_status, "GENERAL_ERROR"), "text": text}
    if violations:
        errors: dict[str, list[str]] = {}
        for prop, violation in violations:
            errors.setdefault(prop, []).append(violation)
        exc["validationErrors"] = errors
    return {"requestError": {"serviceException": exc}}


def error_for_reply(http_status: int, data: Any, *, backend: str | None = None) -> SmsBridgeError:
    """Either error shape -> the smsbridge error it proves."""
    code: str | None = None
    text = ""
    props: list[str] = []
    if isinstance(data, Mapping):
        if isinstance(data.get("errorCode"), str):
            code = data["errorCode"]
            text = str(data.get("description") or "")
            for v in data.get("violations") or []:
                if isinstance(v, Mapping):
                    props.append(str(v.get("property") or ""))
                    text += f"; {v.get('property')}: {v.get('violation')}"
        else:
            req = data.get("requestError")
            exc = req.get("serviceException") if isinstance(req, Mapping) else None
            if not isinstance(exc, Mapping) and isinstance(req, Mapping):
                exc = req.get("policyException")
            if isinstance(exc, Mapping):
                code = str(exc.get("messageId") or "") or None
                text = str(exc.get("text") or "")
                errors = exc.get("validationErrors")
                if isinstance(errors, Mapping):
                    for prop, msgs in errors.items():
                        props.append(str(prop))
                        text += f"; {prop}: {msgs}"
    text = text or f"Infobip answered HTTP {http_status}"
    if http_status == 401 or code in ("E401", "UNAUTHORIZED"):
        return AuthenticationError(text, code=code or http_status, backend=backend)
    if http_status == 404 or code in ("E404", "NOT_FOUND"):
        return NotFound(text)
    if http_status == 400 and any(p.endswith(".to") or p.endswith("destinations") for p in props):
        return InvalidNumber(text)
    if http_status == 400 and any(p.endswith(("text", "sender", "from")) for p in props):
        return InvalidMessage(text)
    if http_status in (429, 503):
        return ProviderUnavailable(text, code=code or http_status, backend=backend)
    return ProviderError(text, code=code or http_status, backend=backend)


def error_for_exception(exc: BaseException, *, index: int = 0) -> WireError:
    """How an Infobip face reports an smsbridge error raised while sending."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    where = f"messages[{index}]"
    if isinstance(exc, InvalidNumber):
        return WireError(400, "Request cannot be processed.",
                         violations=[(f"{where}.destinations[0].to", "invalid destination address")])
    if isinstance(exc, InvalidMessage):
        prop = f"{where}.sender" if "sender" in message.lower() else f"{where}.content.text"
        return WireError(400, "Request cannot be processed.", violations=[(prop, message)])
    if isinstance(exc, NotFound):
        return WireError(404, "Not found.")
    if isinstance(exc, ProviderUnavailable):
        return WireError(503, "Service unavailable: " + message, v2_id="GENERAL_ERROR")
    return WireError(500, "Internal error: " + message, v2_id="GENERAL_ERROR")
