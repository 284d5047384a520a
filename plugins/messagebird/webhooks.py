"""MessageBird's webhooks: status reports and inbound SMS in, inbound SMS out (issue 15).

Status report (providers.md §3.2): an HTTP **GET** to ``reportUrl`` with ``id``,
``reference``, ``recipient``, ``status`` (scheduled/sent/buffered/delivered/expired/
delivery_failed), ``statusDatetime``, and in newer docs ``statusReason``,
``statusErrorCode``, ``price[amount]``, ``price[currency]``, ``mccmnc``, ``ported``,
``messagePartCount``.  Inbound SMS (a number's "forward to URL" flow): ``id``,
``originator`` (the sender), ``recipient`` (the number), ``body``, ``createdDatetime``;
the legacy short-code shape (``mid``, ``originator``, ``shortcode``, ``message``,
``receive_datetime``) is read too.

Signed requests carry ``MessageBird-Signature-JWT``: a JWT (HS256/384/512) made with
the account's *signing key* (not the access key), with ``iss`` = MessageBird, ``nbf``,
``exp``, ``url_hash`` = SHA-256 of the full URL and ``payload_hash`` = SHA-256 of the
body (only when there is one).  With ``signing_key`` set on the backend an unsigned or
wrongly signed webhook is refused; :func:`signature_jwt` makes the same for forwards,
checked in the tests by ``messagebird.request_validator.RequestValidator``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from smsbridge import ids
from smsbridge.gateway import webhooks as hooks
from smsbridge.model import InboundMessage

from . import wire

__all__ = ["verify", "status_reports", "inbound_messages", "answer", "forward_inbound", "signature_jwt",
           "check_jwt"]

HEADER = "messagebird-signature-jwt"
_ALGORITHMS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
LEEWAY = 1  # seconds, as MessageBird's own validator allows


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signature_jwt(signing_key: str, url: str, body: bytes = b"", *, now: float | None = None,
                  ttl: int = 300) -> str:
    """A ``MessageBird-Signature-JWT`` for a request to ``url`` with ``body`` (HS256)."""
    moment = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": "MessageBird", "nbf": moment, "exp": moment + ttl,
                              "jti": secrets.token_hex(16), "url_hash": hashlib.sha256(url.encode("utf-8")).hexdigest()}
    if body:
        claims["payload_hash"] = hashlib.sha256(body).hexdigest()
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(signing_key.encode("utf-8"), f"{head}.{payload}".encode("ascii"), hashlib.sha256).digest()
    return f"{head}.{payload}.{_b64(mac)}"


def check_jwt(token: str, signing_key: str, url: str, body: bytes, *, now: float | None = None) -> str | None:
    """Why ``token`` does not sign this request, or ``None`` when it does."""
    try:
        head_b64, payload_b64, mac_b64 = token.strip().split(".")
        header = json.loads(_unb64(head_b64))
        claims = json.loads(_unb64(payload_b64))
        mac = _unb64(mac_b64)
    except (ValueError, TypeError):
        return "not a JWT"
    digest = _ALGORITHMS.get(str(header.get("alg"))) if isinstance(header, dict) else None
    if digest is None or not isinstance(claims, dict):
        return "unsupported JWT algorithm"
    expected = hmac.new(signing_key.encode("utf-8"), f"{head_b64}.{payload_b64}".encode("ascii"), digest).digest()
    if not hmac.compare_digest(expected, mac):
        return "JWT signature does not match"
    clock = time.time() if now is None else now
    if claims.get("iss") != "MessageBird":
        return "JWT issuer is not MessageBird"
    try:
        if float(claims["nbf"]) > clock + LEEWAY or float(claims["exp"]) < clock - LEEWAY:
            return "JWT expired or not yet valid"
    except (KeyError, TypeError, ValueError):
        return "JWT lacks nbf/exp"
    if not hmac.compare_digest(str(claims.get("url_hash", "")), hashlib.sha256(url.encode("utf-8")).hexdigest()):
        return "JWT url_hash does not match the URL"
    payload_hash = claims.get("payload_hash")
    if body and not (isinstance(payload_hash, str)
                     and hmac.compare_digest(payload_hash, hashlib.sha256(body).hexdigest())):
        return "JWT payload_hash does not match the body"
    if not body and payload_hash:
        return "JWT payload_hash is set but there is no body"
    return None


def verify(request: hooks.WebhookRequest, settings: Mapping[str, Any], kind: str) -> None:
    key = settings.get("signing_key")
    if not key:
        return  # no signing key configured: MessageBird's reports are taken unsigned
    token = request.headers.get(HEADER)
    if not token:
        raise hooks.WebhookRejected(403, "missing MessageBird-Signature-JWT")
    problem = check_jwt(token, str(key), request.url, request.body)
    if problem:
        raise hooks.WebhookRejected(403, f"MessageBird-Signature-JWT refused: {problem}")


def status_reports(request: hooks.WebhookRequest) -> list[hooks.DeliveryReport]:
    params = {str(k): str(v) for k, v in request.params().items()}
    try:
        mb_id, recipient, status, at = wire.parse_report(params)
    except wire.WireError as exc:
        raise hooks.WebhookRejected(400, f"not a MessageBird status report: {exc}") from None
    word = params.get("status", "")
    reason = params.get("statusReason") or ""
    code = params.get("statusErrorCode") or None
    reference = params.get("reference") or None
    # The backend sends smsbridge's id as the reference when the caller gave none.
    return [hooks.DeliveryReport(status=status, word=word, provider_id=mb_id,
                           message_id=reference if ids.is_message_id(reference) else None, at=at,
                           code=code, description=f"MessageBird: {word}" + (f" ({reason})" if reason else ""),
                           raw=params)]


def inbound_messages(request: hooks.WebhookRequest) -> list[hooks.ReceivedSMS]:
    params = {str(k): "" if v is None else str(v) for k, v in request.params().items()}
    sender = params.get("originator")
    to = params.get("recipient") or params.get("shortcode")
    provider_id = params.get("id") or params.get("mid")
    if not sender or not to or not provider_id:
        raise hooks.WebhookRejected(400, "an inbound SMS needs id, originator and recipient")
    text = params.get("body", params.get("message", ""))
    when = wire.parse_time(params.get("createdDatetime") or params.get("receive_datetime"))
    return [hooks.ReceivedSMS(from_=sender, to=to, text=text, provider_id=provider_id, received_at=when, raw=params)]


def answer(kind: str) -> hooks.WebhookAnswer:
    return hooks.WebhookAnswer(200, b"OK")


def inbound_query(message: InboundMessage) -> dict[str, str]:
    """MessageBird's inbound-SMS forward for ``message``."""
    return {"id": wire.provider_id_for(message.id), "recipient": wire.msisdn(message.to),
            "originator": wire.msisdn(message.from_), "body": message.text,
            "createdDatetime": wire.format_time(message.received_at) or ""}


def forward_inbound(message: InboundMessage, credentials: Mapping[str, Any], url: str) -> hooks.OutgoingWebhook:
    """A GET with the inbound fields in the query, signed with the client's ``signing_key``
    (``MessageBird-Signature-JWT``) when it has one."""
    full = url + ("&" if "?" in url else "?") + urlencode(inbound_query(message))
    headers = {"User-Agent": "MessageBird (smsbridge)"}
    key = credentials.get("signing_key")
    if key:
        headers["MessageBird-Signature-JWT"] = signature_jwt(str(key), full)
    return hooks.OutgoingWebhook(url=full, method="GET", headers=headers)
