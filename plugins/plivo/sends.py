"""A Plivo send, both ways: ``POST /v1/Account/{auth_id}/Message/`` and its 202 reply.

:func:`build_send` writes the body as the official SDK does (the backend),
:func:`parse_send_request` reads it back as the face must (refusing with
:class:`~smsbridge.wire.WireError` what Plivo refuses), :func:`send_reply` and
:func:`parse_send_reply` are the reply, written and read.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smsbridge.errors import ProviderError
from smsbridge.wire import WireError

from .vocabulary import digits_of, sender_digits

__all__ = ["SendRequest", "build_send", "parse_send_request", "send_reply", "parse_send_reply"]


@dataclass(frozen=True)
class SendRequest:
    src: str | None
    dst: tuple[str, ...]
    text: str
    url: str | None = None
    method: str = "POST"
    type: str = "sms"
    powerpack_uuid: str | None = None


def build_send(src: str, dst: str | Sequence[str], text: str, *, url: str | None = None,
               method: str = "POST") -> dict[str, Any]:
    """The JSON body of a send, as the SDK writes it (note ``log`` is the *string* "true")."""
    numbers = [dst] if isinstance(dst, str) else list(dst)
    body: dict[str, Any] = {"src": sender_digits(src), "dst": "<".join(digits_of(n) for n in numbers),
                            "text": text, "type": "sms", "method": method, "log": "true", "trackable": False}
    if url:
        body["url"] = url
    return body


def _refuse(message: str) -> WireError:
    """Plivo refuses a malformed send with a 400 (the SDK's ValidationError)."""
    return WireError(message, status=400)


def _numbers(dst: Any) -> tuple[str, ...]:
    """``dst`` ("14155556789<14155556790") as E.164 numbers."""
    if isinstance(dst, int) and not isinstance(dst, bool):
        dst = str(dst)
    if not isinstance(dst, str) or not dst.strip():
        raise _refuse("dst parameter not present")
    numbers = []
    for part in dst.split("<"):
        digits = digits_of(part)
        if not digits:
            continue
        if not digits.isdigit() or not 3 <= len(digits) <= 15:
            raise _refuse(f"invalid dst parameter: {part.strip()[:20]}")
        numbers.append("+" + digits)
    if not numbers:
        raise _refuse("dst parameter not present")
    if len(numbers) > 1000:
        raise _refuse("too many destination numbers")
    return tuple(numbers)


def parse_send_request(data: Any) -> SendRequest:
    """Read a send body (JSON object or form fields); numbers come back E.164."""
    if not isinstance(data, Mapping):
        raise _refuse("invalid JSON body: expected an object")
    src = data.get("src")
    powerpack = data.get("powerpack_uuid")
    if src in (None, "") and powerpack in (None, ""):
        raise _refuse("src parameter not present")
    if src not in (None, "") and not isinstance(src, (str, int)):
        raise _refuse("src parameter is invalid")
    numbers = _numbers(data.get("dst"))
    mtype = data.get("type") or "sms"
    if mtype != "sms":
        raise _refuse(f"type {str(mtype)[:20]} is not supported")
    text = data.get("text")
    if not isinstance(text, str) or text == "":
        raise _refuse("text parameter not present")
    url = data.get("url")
    if url in ("", None):
        url = None
    elif not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise _refuse("url parameter is invalid")
    method = data.get("method") or "POST"
    if not isinstance(method, str) or method.upper() not in ("GET", "POST"):
        raise _refuse("method parameter must be GET or POST")
    src_text = None if src in (None, "") else str(src).strip()
    if src_text is not None:
        digits = digits_of(src_text)
        src_text = "+" + digits if digits.isdigit() else src_text
    return SendRequest(src=src_text, dst=numbers, text=text, url=url, method=method.upper(),
                       type=mtype, powerpack_uuid=str(powerpack) if powerpack else None)


def send_reply(api_id: str, uuids: Sequence[str], invalid: Sequence[str] = ()) -> dict[str, Any]:
    """The 202 reply: one UUID per accepted destination, the refused ones listed."""
    reply: dict[str, Any] = {"api_id": api_id, "message": "message(s) queued",
                             "message_uuid": list(uuids)}
    if invalid:
        reply["invalid_number"] = [digits_of(n) for n in invalid]
    return reply


def parse_send_reply(data: Any) -> list[str]:
    """The message UUIDs of a send reply; :class:`ProviderError` when it has none."""
    uuids = data.get("message_uuid") if isinstance(data, Mapping) else None
    if isinstance(uuids, str):
        uuids = [uuids]
    if not isinstance(uuids, list) or not uuids or not all(isinstance(u, str) for u in uuids):
        raise ProviderError("Plivo reply has no message_uuid")
    return list(uuids)
