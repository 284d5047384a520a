"""simpleSMS's operations and error codes (SPEC §5), and the two errors the wire raises.

One table for REST and SOAP.  101-404 are the codes of the project's stand-in for the
provider (``tests/php/simplesms_server.php``); the others are smsbridge's own, used by
the gateway faces for what the provider's documentation does not cover.

====  ===============================================  =================================
code  meaning                                          client error (.error_map)
====  ===============================================  =================================
101   wrong username, password or domain               AuthenticationError
102   not logged in, or the token/session expired      AuthenticationError (reconnect once)
201   invalid phone number                             ProviderError, pre-acceptance
202   empty message                                    ProviderError, pre-acceptance
203   invalid message (too long, bad sender, vetoed)   ProviderError, pre-acceptance
301   not enough credit                                InsufficientCredit
400   malformed request, missing parameter,            ProviderError, pre-acceptance
      unknown operation
404   no SMS with this id                              MessageNotFound (NotFound + ProviderError)
405   method not allowed                               ProviderError, pre-acceptance
413   request too large                                ProviderError, pre-acceptance
500   internal error                                   sendSMS: DeliveryUnknown, else
                                                       ProviderUnavailable
501   operation not supported by the account/backend   ProviderError, pre-acceptance
502   the provider behind the gateway refused the      ProviderError (not retry-safe)
      message with an error of its own
503   service unavailable: the message was NOT         ProviderUnavailable
      accepted
504   the message may have been accepted               sendSMS: DeliveryUnknown, else
      (delivery unknown)                               ProviderUnavailable
====  ===============================================  =================================

"Pre-acceptance" means the provider refused the request before accepting a message, so
failover to another backend is safe (``retry_safe``).  A code not in the table gives a
plain ProviderError that is *not* retry-safe (SPEC §2: "per code"), except codes and
messages that plainly name a login/token problem, the credit, or a refusal to serve now
(:mod:`.error_map`).
"""
from __future__ import annotations

from smsbridge.errors import NotFound, ProviderError

__all__ = [
    "OPERATIONS", "CONNECT", "SEND", "CREDIT", "MONTHLY", "STATUS", "HISTORY",
    "E_LOGIN", "E_SESSION", "E_NUMBER", "E_EMPTY", "E_MESSAGE", "E_CREDIT", "E_BAD_REQUEST",
    "E_NOT_FOUND", "E_METHOD", "E_TOO_LARGE", "E_INTERNAL", "E_UNSUPPORTED", "E_REFUSED", "E_UNAVAILABLE",
    "E_UNKNOWN", "ERROR_MESSAGES", "CODE_KEYS", "MESSAGE_KEYS", "MalformedReply", "MessageNotFound",
]

CONNECT = "connect"
SEND = "sendSMS"
CREDIT = "getCreditNumber"
MONTHLY = "getMonthlyStat"
STATUS = "getStatus"
HISTORY = "getHistory"
OPERATIONS = (CONNECT, SEND, CREDIT, MONTHLY, STATUS, HISTORY)

# -- error codes (see the module docstring) ----------------------------------------------
E_LOGIN = 101
E_SESSION = 102
E_NUMBER = 201
E_EMPTY = 202
E_MESSAGE = 203
E_CREDIT = 301
E_BAD_REQUEST = 400
E_NOT_FOUND = 404
E_METHOD = 405
E_TOO_LARGE = 413
E_INTERNAL = 500
E_UNSUPPORTED = 501
E_REFUSED = 502
E_UNAVAILABLE = 503
E_UNKNOWN = 504

ERROR_MESSAGES: dict[int, str] = {
    E_LOGIN: "Invalid username, password or domain",
    E_SESSION: "Not logged in or the session has expired",
    E_NUMBER: "Invalid phone number",
    E_EMPTY: "The message is empty",
    E_MESSAGE: "Invalid message",
    E_CREDIT: "Not enough credit",
    E_BAD_REQUEST: "Bad request",
    E_NOT_FOUND: "No SMS with this id",
    E_METHOD: "Method not allowed",
    E_TOO_LARGE: "Request too large",
    E_INTERNAL: "Internal server error",
    E_UNSUPPORTED: "Operation not supported",
    E_REFUSED: "The provider refused the message",
    E_UNAVAILABLE: "Service unavailable; the message was not accepted",
    E_UNKNOWN: "The message may have been accepted; its outcome is unknown",
}

_PRE_ACCEPTANCE = frozenset({E_NUMBER, E_EMPTY, E_MESSAGE, E_BAD_REQUEST, E_METHOD, E_TOO_LARGE,
                             E_UNSUPPORTED})

# Keys the documentation does not fix (SPEC §5): accepted in this order of preference.
CODE_KEYS = ("error_code", "errorCode", "code")
MESSAGE_KEYS = ("error_message", "errorMessage", "message")


class MalformedReply(ValueError):
    """A reply this module cannot read. The caller decides what that proves (a sendSMS
    that the flags call a success but whose id is unreadable was still accepted)."""


class MessageNotFound(NotFound, ProviderError):
    """The provider has no SMS with this id (code 404).

    Both a :class:`~smsbridge.errors.NotFound` (what it means) and a
    :class:`~smsbridge.errors.ProviderError` (it carries the provider's ``code`` and the
    ``backend``, and the Bridge answers ``status()`` from its journal instead).
    """
