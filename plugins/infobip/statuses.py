"""Infobip's statuses as data: the catalogue of status objects, their words both ways,
and the ``error`` object a report carries.

Infobip writes a status as an object (``groupId``, ``groupName``, ``id``, ``name``,
``description``).  :data:`STATUSES` holds its words (every catalogue name, and the group
names a bare group reads as); :func:`status_from_object` reads a whole object — by name
first, then by group — so a name Infobip adds later still reads by its group.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smsbridge.model import Status
from smsbridge.wire import StatusWords

__all__ = ["CATALOGUE", "STATUSES", "ParsedStatus", "status_object", "status_from_object", "error_object"]

CATALOGUE: Mapping[str, tuple[int, str, int, str]] = {
    # name: (groupId, groupName, id, description); groups 1 PENDING, 2 UNDELIVERABLE,
    # 3 DELIVERED, 4 EXPIRED, 5 REJECTED.
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
_GROUPS: Mapping[str, Status] = {
    "PENDING": Status.QUEUED, "ACCEPTED": Status.QUEUED, "DELIVERED": Status.DELIVERED,
    "UNDELIVERABLE": Status.UNDELIVERED, "EXPIRED": Status.EXPIRED, "REJECTED": Status.REJECTED,
}
_REFINED: Mapping[str, Status] = {  # names that say more than their group
    "PENDING_ENROUTE": Status.SENT, "PENDING_WAITING_DELIVERY": Status.SENT,
    "DELIVERED_TO_OPERATOR": Status.SENT, "UNDELIVERABLE_REJECTED_OPERATOR": Status.FAILED,
}
_GROUP_IDS: Mapping[int, str] = {1: "PENDING", 2: "UNDELIVERABLE", 3: "DELIVERED", 4: "EXPIRED", 5: "REJECTED"}

STATUSES = StatusWords(
    incoming={**_GROUPS, **{name: _REFINED.get(name, _GROUPS[spec[1]]) for name, spec in CATALOGUE.items()}},
    outgoing={
        Status.QUEUED: "PENDING_ACCEPTED", Status.SENT: "PENDING_WAITING_DELIVERY",
        Status.DELIVERED: "DELIVERED_TO_HANDSET", Status.UNDELIVERED: "UNDELIVERABLE_NOT_DELIVERED",
        Status.FAILED: "UNDELIVERABLE_REJECTED_OPERATOR", Status.EXPIRED: "EXPIRED_EXPIRED",
        Status.REJECTED: "REJECTED_NETWORK", Status.UNKNOWN: "PENDING_ENROUTE",
        Status.SCHEDULED: "PENDING_ACCEPTED", Status.CANCELED: "REJECTED_NETWORK",
    })
"""Infobip's status words (catalogue names and group names) both ways."""

_ERRORS: Mapping[Status, tuple[int, str, int, str, str, bool]] = {
    # groupId, groupName, id, name, description, permanent
    Status.UNDELIVERED: (1, "HANDSET_ERRORS", 1, "EC_UNKNOWN_SUBSCRIBER", "Unknown subscriber", True),
    Status.FAILED: (3, "OPERATOR_ERRORS", 2052, "EC_OPERATOR_FAILURE", "Operator failure", False),
    Status.EXPIRED: (3, "OPERATOR_ERRORS", 4001, "EC_MESSAGE_EXPIRED", "Message expired", True),
    Status.REJECTED: (2, "USER_ERRORS", 2, "EC_REJECTED", "Message rejected", True),
}
_NO_ERROR = (0, "OK", 0, "NO_ERROR", "No Error", False)


@dataclass(frozen=True)
class ParsedStatus:
    """One message's status as a send reply, report or log gives it."""

    message_id: str | None
    to: str | None
    status: Status
    name: str | None
    group: str | None
    bulk_id: str | None
    done_at: datetime | None
    error: str | None
    raw: Mapping[str, Any]


def status_object(status: Status | str | None = None, *, name: str | None = None) -> dict[str, Any]:
    """An Infobip status object; every key present (the 5.x SDK requires them)."""
    name = name or STATUSES.from_status(status or Status.QUEUED)
    group_id, group_name, sid, description = CATALOGUE[name]
    return {"groupId": group_id, "groupName": group_name, "id": sid, "name": name,
            "description": description}


def error_object(status: Status | str) -> dict[str, Any]:
    """The ``error`` object of a report in ``status`` (``NO_ERROR`` unless it failed)."""
    gid, gname, eid, name, description, permanent = _ERRORS.get(Status(status), _NO_ERROR)
    return {"groupId": gid, "groupName": gname, "id": eid, "name": name, "description": description,
            "permanent": permanent}


def status_from_object(obj: Any) -> Status:
    """An Infobip status object (or bare name) -> :class:`Status`: a catalogue name reads
    as itself, anything else by its group (``groupName``, ``groupId``, or the name's prefix)."""
    if isinstance(obj, str):
        obj = {"name": obj}
    if not isinstance(obj, Mapping):
        return Status.UNKNOWN
    name = obj.get("name") if isinstance(obj.get("name"), str) else None
    if name and name.upper() in CATALOGUE:
        return STATUSES.to_status(name)
    group = obj.get("groupName") if isinstance(obj.get("groupName"), str) else None
    if group is None and isinstance(obj.get("groupId"), int):
        group = _GROUP_IDS.get(obj["groupId"])
    if group is None and name:
        group = name.split("_", 1)[0]
    return _GROUPS.get((group or "").upper(), Status.UNKNOWN)
