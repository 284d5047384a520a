"""The simpleSMS REST backend: smsbridge -> ``https://api.simplesms.hu/rest/SMSapi/`` (SPEC §5).

Config (SPEC §3)::

    primary:
      plugin: simplesms-rest
      username: ${SIMPLESMS_USERNAME}
      password: ${SIMPLESMS_PASSWORD}
      domain: ${SIMPLESMS_DOMAIN}
      # base_url: https://api.simplesms.hu/rest/SMSapi/   (an smsbridge gateway works too)

Every call is a POST form to ``<base_url><operation>``.  ``connect`` trades the
credentials for a bearer token, which is reused by every thread until its
``expires_in``; a call answered with HTTP 401 or a login error code connects again
once, transparently, and is repeated (SPEC §7).  For ``sendSMS`` that repeat is safe
because such an answer proves the message was refused before acceptance; a timeout or
broken connection after sending is :class:`~smsbridge.errors.DeliveryUnknown`
(:class:`~smsbridge.transport.HttpTransport`) and is never repeated.

Replies are JSON or XML (the documentation: "JSON or XML-based data exchange"); both
are read alike.  simpleSMS's API has no sender or client-reference field: ``sender`` is not sent, and
the backend cannot look messages up by reference (no ``lookup`` capability).
The wire format lives in :mod:`.wire`.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from smsbridge.backend_http import HttpBackend, reply_json
from smsbridge.errors import ProviderUnavailable
from smsbridge.model import Message
from smsbridge.redaction import register_secret

from . import wire
from .backend import SimpleSmsBackend

__all__ = ["RestBackend"]

log = logging.getLogger("smsbridge.simplesms.rest")

# Connect again this long before the token's stated expiry (at most a tenth of its
# lifetime), so a request does not race the expiry on the way to the server.
_EXPIRY_MARGIN = timedelta(seconds=30)


class RestBackend(SimpleSmsBackend, HttpBackend):
    """Send through simpleSMS's REST API (or an smsbridge gateway serving it)."""

    default_base_url = "https://api.simplesms.hu/rest/SMSapi/"
    login_word = "token"
    log = log  # the base's log lines go to this module's logger

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        # The token is shared by every thread (send_many); _token_lock makes one thread
        # connect while the others wait for its token instead of connecting too.
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at: datetime | None = None

    def http_headers(self) -> dict[str, str]:
        # JSON preferred; an XML reply is read as well (the API "uses JSON or XML").
        return {"Accept": "application/json, application/xml;q=0.5", "User-Agent": "smsbridge-simplesms-rest"}

    # -- the token ---------------------------------------------------------------------
    def _current_login(self) -> str:
        """A token believed valid: the cached one, or a fresh one from ``connect``."""
        with self._token_lock:
            if self._token is not None and (self._refresh_at is None
                                            or datetime.now(timezone.utc) < self._refresh_at):
                return self._token
            return self._connect()

    def _login_again(self, stale: Any) -> str:
        """Connect again because ``stale`` was refused, unless another thread already did."""
        with self._token_lock:
            if self._token is not None and self._token != stale:
                return self._token
            return self._connect()

    def _connect(self) -> str:
        """``connect``; called with ``_token_lock`` held."""
        self._token = self._refresh_at = None
        form = wire.connect_form(str(self.settings["username"]), str(self.settings["password"]),
                                 str(self.settings["domain"]))
        # Logging in sends no message: whatever goes wrong here, nothing was accepted.
        response = self.transport.request("POST", wire.CONNECT, data=form)
        data = _body(response)
        now = datetime.now(timezone.utc)
        try:
            # parse_http_reply raises what an error reply or status means; the token may sit
            # at the top level or in `response`, which parse_token reads from the whole reply.
            wire.parse_http_reply(response.status_code, data, operation=wire.CONNECT, backend=self.name)
            token, expires = wire.parse_token(data, now=now, backend=self.name)
            register_secret(token)  # masked wherever simpleSMS (or a log) echoes it
        except wire.MalformedReply as exc:
            raise ProviderUnavailable(f"unreadable connect reply from simpleSMS: {exc}", backend=self.name) from None
        self.connects += 1
        if expires is not None and expires > now:
            margin = min(_EXPIRY_MARGIN, (expires - now) / 10)
            self._refresh_at = expires - margin
        elif expires is not None:
            # Already past by our clock (clock skew, or the provider's idea of a date):
            # use the token until the provider refuses it, rather than connecting per call.
            log.info("simpleSMS token of %r expires in the past by our clock (%s); using it until refused",
                     self.name, expires.isoformat())
        self._token = token
        return token

    # -- calls -------------------------------------------------------------------------
    def _post(self, operation: str, args: tuple[Any, ...], login: Any, *, sending: bool) -> Any:
        """POST one operation's form (``args``: the form, or nothing) with the bearer token."""
        form: Mapping[str, str] = args[0] if args else {}
        return self.transport.request("POST", operation, data=dict(form), sending=sending,
                                      headers={"Authorization": f"Bearer {login}"})

    def _read(self, operation: str, reply: Any) -> Any:
        try:
            return wire.parse_http_reply(reply.status_code, _body(reply), operation=operation,
                                         backend=self.name)
        except wire.MalformedReply as exc:
            raise self._unreadable(operation, str(exc)) from None

    def _send_args(self, message: Message) -> tuple[Any, ...]:
        return (wire.build_send(message.to, message.text),)

    def _id_args(self, provider_id: str) -> tuple[Any, ...]:
        return (wire.sms_id_form(provider_id),)

    def close(self) -> None:
        super().close()
        with self._token_lock:
            self._token = self._refresh_at = None


def _body(response: Any) -> Any:
    """The decoded reply: JSON, or XML (:mod:`.xml_replies`) when the reply is XML;
    ``None`` when it is neither (the caller decides what that means)."""
    if wire.looks_like_xml(response.headers.get("content-type"), response.content):
        try:
            return wire.parse_xml_reply(response.content)
        except wire.MalformedReply:
            return None
    return reply_json(response)
