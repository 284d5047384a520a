"""Vonage's (Nexmo's) SMS API wire format, written once (shared/providers.md §2).

Pure functions and data, no I/O.  The backend (client side), the gateway face and the SDK
shim (server side) all speak through this module, which offers the core's wire
convention (:class:`smsbridge.wire.ProviderWire`) plus Vonage's own extras; each concept
lives in its own module:

=====================  ============================  ==============================  ==============
                       client side (backend.py)      server side (gateway.py, sdk)   module
=====================  ============================  ==============================  ==============
send request           :func:`build_send`            :func:`parse_send_request`      here
send reply             :func:`parse_send_reply`      :func:`render_send_reply`       here
message ids            :func:`message_id_in`         :func:`provider_id_for`,        here
                                                     :func:`message_ids_for`
balance                :func:`parse_balance`         :func:`render_balance`          here
refusals               :func:`error_from_reply`      :func:`reply_for_error`,        :mod:`.refusals`
                       (:data:`REPLY_ERRORS`)        :func:`render_send_error`,
                                                     :data:`ERROR_REPLIES`
credentials            :func:`sign`                  :func:`credentials_from`,       :mod:`.signing`
                                                     :func:`check_signature`
status words, moments  :func:`to_status`,            :func:`from_status`,            :mod:`.receipts`
                       :func:`parse_time`            :func:`format_time`
delivery receipts      :func:`parse_dlr`             :func:`render_dlr`              :mod:`.receipts`
message search (2.x)   -                             :func:`render_search_message`   :mod:`.receipts`
=====================  ============================  ==============================  ==============

Vonage quirks that are the contract (providers.md §2, verified with vonage 4.9.1):

- ``/sms/json`` answers **HTTP 200** even for refusals; the per-message ``status``
  decides ("0" accepted, "4" bad credentials, "9" no credit, ...);
- every value in the reply is a string, and ``message-count`` is always present (the
  4.x SDK reads it unconditionally);
- a long text is split: one ``messages`` entry, with its own ``message-id``, per part;
- ``to`` travels as bare digits (no ``+``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from smsbridge import ids
from smsbridge.errors import DeliveryUnknown, ProviderError
from smsbridge.wire import amount_in, bind

from .params import digits, encodable, one, truthy
from .receipts import FINAL_STATUSES, SCTS, STATUSES, TIMES, parse_dlr, render_dlr, render_search_message
from .refusals import ERROR_REPLIES, ERROR_TEXT, REPLY_ERRORS, WireError, http_error_body, render_send_error
from .signing import SEND_FIELDS, SIGNATURE_TOLERANCE, Credentials, check_signature, credentials_from, sign

__all__ = [
    # the convention (smsbridge.wire.CONVENTION)
    "STATUSES", "TIMES", "ID_SHAPE", "REPLY_ERRORS", "ERROR_REPLIES", "WireError", "to_status", "from_status",
    "format_time", "parse_time", "provider_id_for", "message_id_in", "error_from_reply", "reply_for_error",
    "build_send", "parse_send_request", "parse_send_reply",
    # Vonage's own
    "SEND_PATH", "BALANCE_PATH", "SEARCH_PATH", "message_ids_for", "SendRequest", "SendResult", "encodable",
    "ERROR_TEXT", "render_send_reply", "render_send_error", "http_error_body",
    "render_balance", "parse_balance",
    "SEND_FIELDS", "SIGNATURE_TOLERANCE", "Credentials", "credentials_from", "sign", "check_signature",
    "FINAL_STATUSES", "SCTS", "render_dlr", "parse_dlr", "render_search_message",
]

SEND_PATH = "/sms/json"
BALANCE_PATH = "/account/get-balance"
SEARCH_PATH = "/search/message"


# --------------------------------------------------------------------------- ids

class _UpperHex(ids.GroupedHex):
    """Vonage writes message ids in upper-case hex; read back in either case."""

    def layout(self, digits: str, message_id: str) -> str:
        return super().layout(digits, message_id).upper()

    def digits_in(self, provider_id: str) -> str | None:
        return super().digits_in(provider_id.strip().lower())


ID_SHAPE: ids.Shape = _UpperHex((32,), salt="vonage:")
"""32 upper-case hex digits that carry the message id (the first part's ``message-id``)."""
(to_status, from_status, format_time, parse_time, provider_id_for, message_id_in,
 error_from_reply, reply_for_error) = bind(STATUSES, TIMES, ID_SHAPE, REPLY_ERRORS, ERROR_REPLIES)


def message_ids_for(message_id: str, parts: int) -> list[str]:
    """Vonage-shaped ids for each part of one smsbridge message: the first carries the
    message id (:func:`message_id_in` reads it back), the others are distinct hashes.

    Deterministic, so the SDK shim and the gateway face show the same ids for the same
    message; the gateway stores each as an alias of the smsbridge id.
    """
    first = provider_id_for(message_id)
    return [first] + [provider_id_for(f"{message_id}:{part}") for part in range(1, max(1, int(parts)))]


# --------------------------------------------------------------------------- send request

def build_send(to: str, text: str, *, sender: str, encoding: str = "gsm7", client_ref: str | None = None,
               callback: str | None = None, status_report: bool | None = None,
               ttl: int | None = None) -> dict[str, str]:
    """The form an SDK (and our backend) posts to ``/sms/json``; ``to`` as bare digits."""
    params = {"from": sender, "to": digits(to), "text": text}
    if encoding == "ucs2":
        params["type"] = "unicode"
    if client_ref:
        params["client-ref"] = client_ref
    if callback:
        params["callback"] = callback
    if status_report is not None:
        params["status-report-req"] = "1" if status_report else "0"
    if ttl is not None:
        params["ttl"] = str(int(ttl))
    return params


@dataclass(frozen=True)
class SendRequest:
    """A parsed ``/sms/json`` request."""

    to: str                       # E.164 (a "+" is added to Vonage's bare digits)
    text: str
    sender: str | None
    client_ref: str | None = None
    callback: str | None = None
    status_report: bool = True
    type: str = "text"
    account_ref: str | None = None


def parse_send_request(params: Mapping[str, Any]) -> SendRequest:
    """Read ``/sms/json`` parameters (form or JSON); refusals as :class:`WireError`."""
    for key in ("to", "from", "text", "client-ref", "callback", "account-ref", "type"):
        value = one(params, key)
        if value is not None and not encodable(value):
            # a JSON body can carry lone surrogates ("\ud800"): no SMS can hold them
            raise WireError(f"Invalid {key} param", code="3", field=key)
    to = (one(params, "to") or "").strip()
    sender = (one(params, "from") or "").strip()
    for key, value in (("to", to), ("from", sender)):
        if not value:
            raise WireError(f"Missing {key} param", code="2", field=key)
    kind = (one(params, "type") or "text").strip().lower()
    if kind not in ("text", "unicode", "binary"):
        raise WireError("Invalid type param", code="3", field="type")
    if kind == "binary":
        raise WireError("Binary messages are not supported by this gateway", code="3", field="type")
    text = one(params, "text")
    if text is None or text == "":
        raise WireError("Missing text param", code="2", field="text")
    number = digits(to)
    if number.startswith("00"):
        number = number[2:]
    if not (number.isascii() and number.isdigit()):
        raise WireError("Invalid to address", code="3", field="to")
    callback = (one(params, "callback") or "").strip() or None
    if callback and not callback.lower().startswith(("http://", "https://")):
        raise WireError("Invalid Callback Url", code="23", field="callback")
    return SendRequest(to="+" + number, text=text, sender=sender, client_ref=one(params, "client-ref"),
                       callback=callback, status_report=truthy(one(params, "status-report-req"), True),
                       type=kind, account_ref=one(params, "account-ref"))


# --------------------------------------------------------------------------- send reply

def render_send_reply(*, to: str, message_ids: list[str], network: str | None = None,
                      client_ref: str | None = None, account_ref: str | None = None,
                      remaining_balance: str | None = None, message_price: str | None = None) -> dict[str, Any]:
    """A successful ``/sms/json`` reply: one entry per part, every value a string."""
    optional = {"remaining-balance": remaining_balance, "message-price": message_price, "network": network or None,
                "client-ref": client_ref, "account-ref": account_ref}
    messages = []
    for message_id in message_ids:
        entry: dict[str, str] = {"to": digits(to), "message-id": message_id, "status": "0"}
        entry.update({key: str(value) for key, value in optional.items() if value is not None})
        messages.append(entry)
    return {"message-count": str(len(messages)), "messages": messages}


@dataclass(frozen=True)
class SendResult:
    """What the backend keeps from an accepted send."""

    message_ids: list[str]
    segments: int
    network: str | None
    remaining_balance: str | None


def parse_send_reply(payload: Any, *, backend: str | None = None) -> SendResult:
    """Read an HTTP 200 ``/sms/json`` reply; raise the smsbridge error for a refusal.

    When only some parts of a long text were accepted, the message went out in part:
    that is neither a clean refusal nor a success, so a non-retry-safe ProviderError.
    """
    if not isinstance(payload, Mapping) or not isinstance(payload.get("messages"), list):
        # HTTP 200 without the reply shape: we cannot tell whether the message went out.
        raise DeliveryUnknown("Vonage reply has no messages list", backend=backend)
    entries = [m for m in payload["messages"] if isinstance(m, Mapping)]
    if not entries:
        raise DeliveryUnknown("Vonage reply has an empty messages list", backend=backend)
    failed = [m for m in entries if str(m.get("status")) != "0"]
    if failed and len(failed) == len(entries):
        raise error_from_reply(200, payload, backend=backend, sending=True)
    if failed:
        first = failed[0]
        raise ProviderError(f"Vonage accepted {len(entries) - len(failed)} of {len(entries)} parts: "
                            f"{first.get('error-text') or ERROR_TEXT.get(str(first.get('status')), '')}",
                            code=str(first.get("status")), backend=backend, pre_acceptance=False)
    try:
        count = int(str(payload.get("message-count")))
    except ValueError:
        count = len(entries)
    message_ids = [str(m.get("message-id")) for m in entries if m.get("message-id")]
    if not message_ids:
        raise DeliveryUnknown("Vonage accepted the message but returned no message-id", backend=backend)
    return SendResult(message_ids=message_ids, segments=count, network=entries[0].get("network"),
                      remaining_balance=entries[-1].get("remaining-balance"))


# --------------------------------------------------------------------------- balance

def render_balance(amount: Decimal | float | str, auto_reload: bool = False) -> dict[str, Any]:
    """``{"value": 10.28, "autoReload": false}`` — a JSON number, unlike the SMS reply."""
    return {"value": float(Decimal(str(amount))), "autoReload": bool(auto_reload)}


def parse_balance(payload: Any) -> Decimal:
    return amount_in(payload, "value", "Vonage")
