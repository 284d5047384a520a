"""The Vonage backend: smsbridge -> Vonage's (Nexmo's) SMS API (or anything speaking it).

Config (SPEC §3)::

    vonage:
      plugin: vonage
      api_key: ${VONAGE_API_KEY}
      api_secret: ${VONAGE_API_SECRET}
      # signature_secret: ${VONAGE_SIGNATURE_SECRET}   # sign requests instead of sending the secret
      # signature_method: md5                          # md5 | sha1 | sha256 | sha512 | md5hash
      sender: AcmeInc
      # base_url: https://rest.nexmo.com

Capabilities: send and balance only.  Vonage's SMS API has no message look-up (the 4.x
SDK wraps none, the old Developer search API is retired), so status and history come
from smsbridge's journal; delivery receipts go to the ``callback`` URL.
"""
from __future__ import annotations

import time
from typing import Any

from smsbridge.backend import Option
from smsbridge.backend_http import HttpBackend, reply_json
from smsbridge.errors import ConfigError, DeliveryUnknown, InvalidMessage, ProviderUnavailable
from smsbridge.model import Accepted, Balance, Message, Status

from . import wire

__all__ = ["VonageBackend"]

_METHODS = ("md5", "sha1", "sha256", "sha512", "md5hash")


class VonageBackend(HttpBackend):
    """Send through the Vonage SMS API (``/sms/json``)."""

    options = {
        "api_key": Option(str, required=True, help="Vonage API key"),
        "api_secret": Option(str, secret=True, help="Vonage API secret (or use signature_secret)"),
        "signature_secret": Option(str, secret=True, help="sign requests with this secret instead"),
        "signature_method": Option(str, default="md5",
                                   help="md5, sha1, sha256, sha512 (HMAC) or md5hash (legacy)"),
        "callback": Option(str, help="delivery receipt URL for every message"),
        "currency": Option(str, default="EUR", help="the account currency, for balance()"),
    }
    capabilities = frozenset({"send", "balance"})
    default_base_url = "https://rest.nexmo.com"

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        method = settings.get("signature_method") or "md5"
        if method not in _METHODS:
            raise ConfigError(f"must be one of {', '.join(_METHODS)}, not {method!r}",
                              path=f"backends.{name}.signature_method")

    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": "smsbridge-vonage"}

    def http_auth(self) -> Any:
        # Checked on use, not at load: `${VAR:-}` credentials may be empty in a config
        # that only names this backend as an example (SPEC §3, config.example.yaml).
        if not self.settings.get("api_secret") and not self.settings.get("signature_secret"):
            raise ConfigError("is empty: set api_secret or signature_secret",
                              path=f"backends.{self.name}.api_secret")
        if self.settings.get("signature_secret"):
            return None  # every request is signed instead (_signed)
        # Basic auth, as the 4.x SDK does: the secret stays out of bodies and URLs.
        return (str(self.settings["api_key"]), str(self.settings["api_secret"]))

    def _signed(self, params: dict[str, Any]) -> dict[str, Any]:
        secret = self.settings.get("signature_secret")
        if not secret:
            return params
        params = dict(params, api_key=str(self.settings["api_key"]), timestamp=str(int(time.time())))
        method = self.settings.get("signature_method") or "md5"
        params["sig"] = wire.sign(params, str(secret), method)
        return params

    # -- operations --------------------------------------------------------------------
    def send(self, message: Message) -> Accepted:
        sender = message.sender or self.settings.get("sender")
        if not sender:
            raise InvalidMessage(f"backend {self.name!r} needs a sender: Vonage requires 'from' "
                                 "(a number or up to 11 letters); set 'sender'", reason="bad_sender")
        extra = message.extra or {}
        # the caller's own URL, else this backend's, else the gateway's webhook (issue 15)
        callback = extra.get("status_callback") or self.settings.get("callback") or extra.get("webhook_url")
        params = wire.build_send(message.to, message.text, sender=sender, encoding=message.encoding,
                                 client_ref=message.reference, callback=callback)
        response = self.transport.request("POST", wire.SEND_PATH, data=self._signed(params), sending=True)
        if response.status_code != 200:
            raise wire.error_from_reply(response.status_code, reply_json(response), backend=self.name,
                                        sending=True)
        try:
            payload = response.json()
        except ValueError:
            raise DeliveryUnknown("Vonage answered 200 with an unreadable body", backend=self.name) from None
        result = wire.parse_send_reply(payload, backend=self.name)
        return Accepted(provider_id=result.message_ids[0], status=Status.QUEUED,
                        segments=result.segments or message.segments, raw=payload)

    def balance(self) -> Balance:
        params = self._signed({})
        response = self.transport.request("GET", wire.BALANCE_PATH, params=params or None)
        if response.status_code != 200:
            raise wire.error_from_reply(response.status_code, reply_json(response), backend=self.name)
        try:
            amount = wire.parse_balance(response.json())
        except ValueError:
            raise ProviderUnavailable("unreadable Vonage balance reply", backend=self.name) from None
        return Balance(amount=amount, unit=str(self.settings.get("currency") or "EUR"), backend=self.name)
