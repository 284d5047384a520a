"""Twilio's API version, resource paths and error codes: the constants every side names.

Error codes are Twilio's own (``https://www.twilio.com/docs/api/errors/<code>``): the
backend reads them from replies and the face and SDK shim answer with them, so they are
written once here.
"""
from __future__ import annotations

__all__ = ["API_VERSION", "MAX_BODY_CHARS", "messages_path", "message_path", "balance_path"]

API_VERSION = "2010-04-01"

# Twilio's documented ceiling for a message body (error 21617).
MAX_BODY_CHARS = 1600

E_AUTHENTICATE = 20003
E_NOT_FOUND = 20404
E_METHOD_NOT_ALLOWED = 20004
E_INVALID_PARAMETER = 21200     # generic "invalid parameter" (used for unsupported options)
E_ACCOUNT_NOT_ACTIVE = 20005    # also what an account without funds gets
E_CONFLICT = 20409              # an idempotency token reused for another request
E_TOO_MANY_REQUESTS = 20429
E_INTERNAL = 20500
E_UNAVAILABLE = 20503
E_INVALID_TO = 21211
E_INVALID_FROM = 21212
E_TO_REQUIRED = 21604
E_FROM_REQUIRED = 21603
E_BODY_REQUIRED = 21602
E_BAD_CALLBACK_URL = 21609
E_UNSUBSCRIBED = 21610          # "Attempt to send to unsubscribed recipient"
E_BODY_TOO_LONG = 21617
E_MEDIA_UNSUPPORTED = 21620
E_FILTERED = 30007
E_UNREACHABLE = 30003           # carrier: unreachable handset
E_UNKNOWN = 30008               # carrier: unknown error
E_SCHEDULE_SERVICE = 35111      # scheduling needs a MessagingServiceSid
E_SCHEDULE_TIME = 35114         # SendAt outside 15 minutes .. 35 days ahead


def messages_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"


def message_path(account_sid: str, sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"


def balance_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Balance.json"
