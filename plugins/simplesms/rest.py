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

simpleSMS's API has no sender or client-reference field: ``sender`` is not sent, and
the backend cannot look messages up by reference (no ``lookup`` capability).
The wire format lives in :mod:`.wire`.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from smsbridge.backend import Backend, Option
from smsbridge.errors import AuthenticationError, DeliveryUnknown, ProviderUnavailable, SmsBridgeError
from smsbridge.model import Accepted, Balance, Message, MonthlyStat, Status, StatusEvent, StatusReport

from . import wire

__all__ = ["RestBackend"]

log = logging.getLogger("smsbridge.simplesms.rest")

# Connect again this long before the token's stated expiry (at most a tenth of its
# lifetime), so a request does not race the expiry on the way to the server.
_EXPIRY_MARGIN = timedelta(seconds=30)


class RestBackend(Backend):
    """Send through simpleSMS's REST API (or an smsbridge gateway serving it)."""

    options = {
        "username": Option(str, required=True, help="simpleSMS user name"),
        "password": Option(str, required=True, secret=True, help="simpleSMS password"),
        "domain": Option(str, required=True, help="the account's domain (e.g. example.hu)"),
    }
    capabilities = frozenset({"send", "status", "history", "balance", "stats"})
    default_base_url = "https://api.simplesms.hu/rest/SMSapi/"

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        self._transport: Any = None
        self._transport_lock = threading.Lock()
        # The token is shared by every thread (send_many); _token_lock makes one thread
        # connect while the others wait for its token instead of connecting too.
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at: datetime | None = None
        self.connects = 0  # how many times this backend logged in (tests, diagnostics)

    @property
    def transport(self) -> Any:
        # Built on first use: `config check` constructs backends and must stay offline.
        with self._transport_lock:
            if self._transport is None:
                from smsbridge.transport import HttpTransport

                self._transport = HttpTransport(
                    self.name, base_url=self.base_url, timeout=float(self.settings.get("timeout") or 10),
                    verify=self.settings.get("verify", True),
                    headers={"Accept": "application/json", "User-Agent": "smsbridge-simplesms-rest"})
            return self._transport

    # -- the token ---------------------------------------------------------------------
    def _current_token(self) -> str:
        """A token believed valid: the cached one, or a fresh one from ``connect``."""
        with self._token_lock:
            if self._token is not None and (self._refresh_at is None
                                            or datetime.now(timezone.utc) < self._refresh_at):
                return self._token
            return self._connect()

    def _replace_token(self, stale: str) -> str:
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
        data = _json(response)
        now = datetime.now(timezone.utc)
        try:
            # parse_http_reply raises what an error reply or status means; the token may sit
            # at the top level or in `response`, which parse_token reads from the whole reply.
            wire.parse_http_reply(response.status_code, data, operation=wire.CONNECT, backend=self.name)
            token, expires = wire.parse_token(data, now=now, backend=self.name)
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
    def _call(self, operation: str, form: Mapping[str, str] | None = None, *, sending: bool = False) -> Any:
        """POST one operation with the bearer token; returns the reply's ``response``.

        A login refusal (HTTP 401 or an auth error code) connects again once and repeats
        the call: the refusal proves the call was not carried out (for ``sendSMS``: the
        message was not accepted), so the repeat cannot double anything.
        """
        token = self._current_token()
        for attempt in (1, 2):
            response = self.transport.request("POST", operation, data=dict(form or {}), sending=sending,
                                              headers={"Authorization": f"Bearer {token}"})
            try:
                return self._read(operation, response)
            except AuthenticationError:
                if attempt == 2:
                    raise
                log.info("simpleSMS refused the token of %r on %s; connecting again", self.name, operation)
                token = self._replace_token(token)
        raise AssertionError("unreachable")

    def _read(self, operation: str, response: Any) -> Any:
        try:
            return wire.parse_http_reply(response.status_code, _json(response), operation=operation,
                                         backend=self.name)
        except wire.MalformedReply as exc:
            raise self._unreadable(operation, str(exc)) from None

    def _unreadable(self, operation: str, why: str) -> SmsBridgeError:
        if operation == wire.SEND:
            # The server took the request and answered something we cannot read: it may
            # have accepted the message (SPEC §7).
            return DeliveryUnknown(f"unreadable sendSMS reply from simpleSMS ({why}); the message may have "
                                   "been accepted, so it is not re-sent", backend=self.name)
        return ProviderUnavailable(f"unreadable {operation} reply from simpleSMS ({why})", backend=self.name)

    # -- operations --------------------------------------------------------------------
    def send(self, message: Message) -> Accepted:
        form = wire.send_form(message.to, message.text)
        response = self._call(wire.SEND, form, sending=True)
        try:
            sms_id = wire.parse_sms_id(response)
        except wire.MalformedReply as exc:
            raise DeliveryUnknown(f"simpleSMS accepted the message but its reply is unreadable: {exc}",
                                  backend=self.name) from None
        return Accepted(provider_id=sms_id, status=Status.QUEUED, segments=message.segments,
                        raw=response if isinstance(response, (dict, list, str, int)) else None)

    def status(self, provider_id: str) -> StatusReport:
        response = self._call(wire.STATUS, wire.sms_id_form(provider_id))
        try:
            return wire.parse_status(response, provider_id)
        except wire.MalformedReply as exc:
            raise ProviderUnavailable(f"unreadable getStatus reply from simpleSMS: {exc}", backend=self.name) from None

    def history(self, provider_id: str) -> list[StatusEvent]:
        response = self._call(wire.HISTORY, wire.sms_id_form(provider_id))
        try:
            return wire.parse_history(response)
        except wire.MalformedReply as exc:
            raise ProviderUnavailable(f"unreadable getHistory reply from simpleSMS: {exc}",
                                      backend=self.name) from None

    def balance(self) -> Balance:
        response = self._call(wire.CREDIT)
        try:
            amount = wire.parse_credit(response)
        except wire.MalformedReply as exc:
            raise ProviderUnavailable(f"unreadable getCreditNumber reply from simpleSMS: {exc}",
                                      backend=self.name) from None
        return Balance(amount=amount, unit="credit", backend=self.name)

    def monthly_stats(self) -> list[MonthlyStat]:
        response = self._call(wire.MONTHLY)
        try:
            return wire.parse_monthly(response)
        except wire.MalformedReply as exc:
            raise ProviderUnavailable(f"unreadable getMonthlyStat reply from simpleSMS: {exc}",
                                      backend=self.name) from None

    def close(self) -> None:
        with self._transport_lock:
            if self._transport is not None:
                self._transport.close()
                self._transport = None
        with self._token_lock:
            self._token = self._refresh_at = None


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
