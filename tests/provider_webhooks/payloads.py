"""The providers' webhooks as tests send them: recorded payloads, signed the providers' way.

Each ``fixtures/<provider>_<kind>.json`` holds a sample payload as the provider documents
it (``source`` says where from), how it is sent (``method``, ``encoding``: form, query or
json), the ids the test expects, and for delivery reports an ``intermediate`` patch that
turns it into an earlier status (for out-of-order tests).

:func:`post` sends one, signed with the provider's own scheme — made with the provider's
SDK where it has a signer (Twilio ``RequestValidator.compute_signature``, Vonage
``Auth.sign_params``, Plivo ``signature_v3``, Sinch's event signature, a PyJWT token for
MessageBird) — with ``how="valid"``, ``"invalid"`` (signed with the wrong secret) or
``"missing"`` (no signature).
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from smsbridge import Bridge
from smsbridge.bridge import new_message_id
from smsbridge.model import Message, Status

FIXTURES = Path(__file__).parent / "fixtures"
PROVIDERS = ("twilio", "vonage", "messagebird", "plivo", "sinch", "infobip")
SIGNED = ("twilio", "vonage", "messagebird", "plivo", "sinch")  # Infobip does not sign webhooks

TWILIO_TOKEN = "tw-auth-token"
VONAGE_SECRET = "vonage-signature-secret"
MB_KEY = "mb-signing-key-0123456789abcdef0123456789"
PLIVO_TOKEN = "plivo-auth-token"
SINCH_SECRET = "sinch-webhook-secret"

# backend name == plugin name, so the fixture names the URL path too
BACKENDS: dict[str, dict[str, Any]] = {
    "twilio": {"plugin": "twilio", "account_sid": "AC" + "0" * 32, "auth_token": TWILIO_TOKEN,
               "sender": "+15017122661", "base_url": "http://127.0.0.1:9"},
    "vonage": {"plugin": "vonage", "api_key": "abcd1234", "api_secret": "s3cr3t", "signature_secret": VONAGE_SECRET,
               "signature_method": "sha256", "sender": "AcmeInc", "base_url": "http://127.0.0.1:9"},
    "messagebird": {"plugin": "messagebird", "access_key": "test_key", "signing_key": MB_KEY, "sender": "smsbridge",
                    "base_url": "http://127.0.0.1:9"},
    "plivo": {"plugin": "plivo", "auth_id": "MA" + "X" * 18, "auth_token": PLIVO_TOKEN, "sender": "14155551234",
              "base_url": "http://127.0.0.1:9"},
    "sinch": {"plugin": "sinch", "service_plan_id": "plan123", "api_token": "apitoken", "webhook_secret": SINCH_SECRET,
              "base_url": "http://127.0.0.1:9"},
    "infobip": {"plugin": "infobip", "api_key": "ib-key", "base_url": "http://127.0.0.1:9"},
}


def fixture(provider: str, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{provider}_{kind}.json").read_text())
    return data


def intermediate(provider: str) -> dict[str, Any]:
    """The status fixture turned into an earlier (not final) status."""
    data = fixture(provider, "status")
    payload = data["payload"]
    if provider == "infobip":
        payload["results"][0].update(data["intermediate"])
    else:
        payload.update(data["intermediate"])
    return data


def webhook_config(tmp_path: Path, **gateway: Any) -> dict[str, Any]:
    return {"default": "twilio", "backends": BACKENDS, "store": str(tmp_path / "journal.sqlite3"),
            "gateway": gateway}


def journal_sent(bridge: Bridge, backend: str, provider_id: str, to: str = "+15558675310") -> str:
    """A message journaled as accepted by ``backend`` under ``provider_id`` (what a send leaves)."""
    message = Message(to=to, text="hello", id=new_message_id())
    bridge.journal.begin(message, attempt=backend)
    bridge.journal.accepted(message.id, backend, provider_id, Status.QUEUED)
    return message.id


def _wrong(secret: str) -> str:
    return secret + "-wrong"


def post(provider: str, url: str, data: dict[str, Any], how: str = "valid", *,
         signed_url: str | None = None) -> requests.Response:
    """Send fixture ``data`` to ``url`` the way ``provider`` does, signed per ``how``.

    ``signed_url``: the URL the signature covers (default ``url``; a public URL behind a proxy).
    """
    payload = data["payload"]
    method, encoding = data["method"], data["encoding"]
    target = signed_url or url
    headers: dict[str, str] = {}
    body: bytes | None = None
    query: dict[str, str] | None = None
    if provider == "twilio":
        from twilio.request_validator import RequestValidator

        if how != "missing":
            token = TWILIO_TOKEN if how == "valid" else _wrong(TWILIO_TOKEN)
            headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(target, payload)
        body = urlencode(payload).encode()
    elif provider == "vonage":
        from vonage_http_client import Auth

        params = dict(payload)
        if how != "missing":
            params.update(timestamp=str(int(time.time())), nonce=str(uuid.uuid4()))
            secret = VONAGE_SECRET if how == "valid" else _wrong(VONAGE_SECRET)
            params["sig"] = Auth(api_key="abcd1234", signature_secret=secret,
                                 signature_method="sha256").sign_params(dict(params))
        if encoding == "query":
            query = params
        elif encoding == "json":
            body = json.dumps(params).encode()
        else:
            body = urlencode(params).encode()
    elif provider == "messagebird":
        import jwt

        if encoding == "query":
            query, body = payload, b""
            target_full = target + "?" + urlencode(payload)
        else:
            body = urlencode(payload).encode()
            target_full = target
        if how != "missing":
            now = int(time.time())
            claims = {"iss": "MessageBird", "nbf": now, "exp": now + 60, "jti": secrets.token_hex(8),
                      "url_hash": hashlib.sha256(target_full.encode()).hexdigest()}
            if body:
                claims["payload_hash"] = hashlib.sha256(body).hexdigest()
            key = MB_KEY if how == "valid" else _wrong(MB_KEY)
            headers["MessageBird-Signature-JWT"] = jwt.encode(claims, key, algorithm="HS256")
    elif provider == "plivo":
        from plivo.utils.signature_v3 import construct_post_url, get_signature_v3

        body = urlencode(payload).encode()
        if how != "missing":
            nonce = "05429567804466091622"
            token = PLIVO_TOKEN if how == "valid" else _wrong(PLIVO_TOKEN)
            base = construct_post_url(target, dict(payload))
            headers["X-Plivo-Signature-V3"] = get_signature_v3(token, base, nonce).decode()
            headers["X-Plivo-Signature-V3-Nonce"] = nonce
    elif provider == "sinch":
        from sinch.domains.authentication.sinch_events.v1.authentication_validation import (
            calculate_sinch_event_signature,
            compute_signed_data,
        )

        body = json.dumps(payload).encode()
        if how != "missing":
            nonce, stamp = secrets.token_hex(8), str(int(time.time()))
            secret = SINCH_SECRET if how == "valid" else _wrong(SINCH_SECRET)
            headers.update({"X-Sinch-Webhook-Signature": calculate_sinch_event_signature(
                compute_signed_data(body.decode(), nonce, stamp), secret),
                "X-Sinch-Webhook-Signature-Nonce": nonce, "X-Sinch-Webhook-Signature-Timestamp": stamp})
    elif provider == "infobip":
        body = json.dumps(payload).encode()
    else:
        raise AssertionError(provider)
    if body is not None and body:
        headers["Content-Type"] = "application/json" if encoding == "json" else "application/x-www-form-urlencoded"
    if method == "GET":
        return requests.get(url, params=query, headers=headers, timeout=10)
    return requests.post(url, data=body, headers=headers, timeout=10)
