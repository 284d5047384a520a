"""What the simpleSMS REST and SOAP backends share (SPEC §5, §7).

Both APIs offer the same six operations on the same account and answer with the same
reply objects (read by :mod:`.wire`); they differ only in how a call travels — a POST
form with a bearer token (:mod:`.rest`), or a SOAP call in a PHP session (:mod:`.soap`).
:class:`SimpleSmsBackend` holds the rest once: the account options, the rule that a
login refusal logs in again once and repeats the call, what an unreadable reply means,
and how each operation's ``response`` becomes a neutral result.
"""
from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any, ClassVar

from smsbridge.backend import Backend, Option
from smsbridge.errors import AuthenticationError, DeliveryUnknown, ProviderUnavailable, SmsBridgeError
from smsbridge.model import Accepted, Balance, Message, MonthlyStat, Status, StatusEvent, StatusReport

from . import wire

__all__ = ["SimpleSmsBackend"]


class SimpleSmsBackend(Backend):
    """Base of the REST and SOAP backends; a subclass says how one call travels.

    It implements :meth:`_current_login`, :meth:`_login_again`, :meth:`_post` and
    :meth:`_read`, and the argument shapes :meth:`_send_args` and :meth:`_id_args`.
    """

    options = {
        "username": Option(str, required=True, help="simpleSMS user name"),
        "password": Option(str, required=True, secret=True, help="simpleSMS password"),
        "domain": Option(str, required=True, help="the account's domain (e.g. example.hu)"),
    }
    capabilities = frozenset({"send", "status", "history", "balance", "stats"})
    sets_sender = False  # neither API has a sender field (SPEC §5): the Bridge enforces it

    login_word: ClassVar[str] = "login"
    """What a login is called in the log line of a refusal (``token``, ``session``)."""
    log: ClassVar[logging.Logger] = logging.getLogger("smsbridge.simplesms")

    def __init__(self, name: str, settings: Any) -> None:
        super().__init__(name, settings)
        self.connects = 0  # how many times this backend logged in (tests, diagnostics)

    # -- what a subclass provides ------------------------------------------------------
    def _current_login(self) -> Hashable:
        """A login believed valid (logging in if there is none), shared by every thread."""
        raise NotImplementedError

    def _login_again(self, stale: Hashable) -> Hashable:
        """Log in again because ``stale`` was refused, unless another thread already did."""
        raise NotImplementedError

    def _post(self, operation: str, args: tuple[Any, ...], login: Hashable, *, sending: bool) -> Any:
        """Carry one call to the provider in ``login``; transport failures raise smsbridge errors."""
        raise NotImplementedError

    def _read(self, operation: str, reply: Any) -> Any:
        """The reply's ``response``; its error as an smsbridge error (``AuthenticationError``
        for a login refusal)."""
        raise NotImplementedError

    def _send_args(self, message: Message) -> tuple[Any, ...]:
        raise NotImplementedError

    def _id_args(self, provider_id: str) -> tuple[Any, ...]:
        raise NotImplementedError

    # -- calls -------------------------------------------------------------------------
    def _call(self, operation: str, *args: Any, sending: bool = False) -> Any:
        """Call one operation; returns the reply's ``response``.

        A lost or refused login (:func:`.error_map.login_lost`: code 102, a textual code
        such as ``NOT_LOGGED_IN``, a message such as "token expired", body code 401/403,
        or HTTP 401/403) logs in again once and repeats the call.  The refusal proves the
        call was not carried out, so the repeat cannot double anything: a ``sendSMS``
        reply that does not prove it (a 5xx, a code saying "maybe accepted", an SMS id
        next to the login error) is DeliveryUnknown, never AuthenticationError, and is
        not repeated.
        """
        login = self._current_login()
        for attempt in (1, 2):
            try:
                # _post raises AuthenticationError itself for an HTTP 401/403 it reads
                # (SOAP); _read for a reply that says the login is gone (wire.login_lost).
                return self._read(operation, self._post(operation, args, login, sending=sending))
            except AuthenticationError:
                if attempt == 2:
                    raise
                self.log.info("simpleSMS refused the %s of %r on %s; connecting again", self.login_word,
                              self.name, operation)
                login = self._login_again(login)
        raise AssertionError("unreachable")

    def _unreadable(self, operation: str, why: str) -> SmsBridgeError:
        if operation == wire.SEND:
            # The server took the request and answered something we cannot read: it may
            # have accepted the message (SPEC §7).
            return DeliveryUnknown(f"unreadable sendSMS reply from simpleSMS ({why}); the message may have "
                                   "been accepted, so it is not re-sent", backend=self.name)
        return ProviderUnavailable(f"unreadable {operation} reply from simpleSMS ({why})", backend=self.name)

    # -- operations --------------------------------------------------------------------
    def send(self, message: Message) -> Accepted:
        response = self._call(wire.SEND, *self._send_args(message), sending=True)
        try:
            sms_id = wire.parse_send_reply(response)
        except wire.MalformedReply as exc:
            raise DeliveryUnknown(f"simpleSMS accepted the message but its reply is unreadable: {exc}",
                                  backend=self.name) from None
        return Accepted(provider_id=sms_id, status=Status.QUEUED, segments=message.segments,
                        raw=response if isinstance(response, (dict, list, str, int)) else None)

    def status(self, provider_id: str) -> StatusReport:
        response = self._call(wire.STATUS, *self._id_args(provider_id))
        try:
            return wire.parse_status(response, provider_id)
        except wire.MalformedReply as exc:
            raise ProviderUnavailable(f"unreadable getStatus reply from simpleSMS: {exc}", backend=self.name) from None

    def history(self, provider_id: str) -> list[StatusEvent]:
        response = self._call(wire.HISTORY, *self._id_args(provider_id))
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
