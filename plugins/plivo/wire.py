"""Plivo's Message API (``/v1/Account/{auth_id}/Message/``), written once.

Pure functions and data, no I/O (shared/providers.md §4):

- auth: HTTP Basic ``auth_id:auth_token``; ``auth_id`` is ``MA``/``SA`` + 18 characters
  (the SDK refuses anything else before sending); JSON request bodies, every path ends
  with ``/``;
- send -> **202** ``{"api_id","message":"message(s) queued","message_uuid":[uuid]}``;
  fetch -> message object (``message_state``, ``units``, ``error_code`` "000"…); list ->
  ``{"api_id","meta":{limit,next,offset,previous,total_count},"objects":[…]}``;
  account -> ``cash_credits`` as a string;
- errors ``{"api_id","error"}`` with the HTTP status choosing the SDK's exception class;
- status callback: form POST (or GET query) to ``url`` with ``MessageUUID, To, From,
  Status, Units, ErrorCode, …``.

This module offers the names of the provider wire convention (:mod:`smsbridge.wire`) and
gathers the rest under one name; each concept lives in its own module:

==============================  ==============================================  ==================
what                            names                                           module
==============================  ==============================================  ==================
status words                    ``STATUSES``, :func:`to_status`,                :mod:`.vocabulary`
                                :func:`from_status`, :func:`error_code_for`
moments                         ``TIMES``, :func:`format_time`,                 :mod:`.vocabulary`
                                :func:`parse_time`
ids, auth ids, numbers, paths   ``ID_SHAPE``, :func:`provider_id_for`,          :mod:`.vocabulary`
                                :func:`message_id_in`, :func:`new_uuid`,
                                :func:`is_auth_id`, :func:`digits_of`,
                                :func:`message_path`, ...
errors, both ways               ``WireError``, ``REPLY_ERRORS``,                :mod:`.errors`
                                :func:`error_from_reply`, ``ERROR_REPLIES``,
                                :func:`reply_for_error`, :func:`error_json`
the send                        :func:`build_send`, :func:`parse_send_request`, :mod:`.sends`
                                :func:`send_reply`, :func:`parse_send_reply`
messages, lists, the account    :func:`message_object`, :func:`parse_message`,  :mod:`.resources`
                                :func:`list_query`, :func:`parse_list`,
                                :func:`list_reply`, :func:`account_reply`, ...
status callbacks, signatures    :func:`callback_params`, :func:`parse_callback`, :mod:`.callbacks`
                                :func:`signature_v3`
==============================  ==============================================  ==================
"""
from __future__ import annotations

from smsbridge.wire import bind

from .callbacks import callback_params, parse_callback, signature_v3
from .errors import ERROR_REPLIES, REPLY_ERRORS, WireError, error_json
from .resources import (
    ParsedMessage,
    account_reply,
    list_query,
    list_reply,
    message_object,
    parse_account,
    parse_list,
    parse_message,
    sender_of,
)
from .sends import SendRequest, build_send, parse_send_reply, parse_send_request, send_reply
from .vocabulary import (
    DEFAULT_BASE_URL,
    ID_SHAPE,
    STATUSES,
    TIMES,
    account_path,
    digits_of,
    error_code_for,
    is_auth_id,
    is_uuid,
    message_detail_path,
    message_path,
    new_uuid,
    sender_digits,
)

__all__ = [
    # the convention (smsbridge.wire.CONVENTION)
    "STATUSES", "TIMES", "ID_SHAPE", "REPLY_ERRORS", "ERROR_REPLIES", "WireError", "to_status", "from_status",
    "format_time", "parse_time", "provider_id_for", "message_id_in", "error_from_reply", "reply_for_error",
    "build_send", "parse_send_request", "parse_send_reply",
    # Plivo's own
    "DEFAULT_BASE_URL", "error_code_for", "new_uuid", "is_uuid", "is_auth_id", "digits_of", "sender_digits",
    "account_path", "message_path", "message_detail_path", "error_json", "SendRequest", "send_reply",
    "ParsedMessage", "message_object", "parse_message", "list_query", "parse_list", "sender_of", "list_reply",
    "account_reply", "parse_account", "callback_params", "parse_callback", "signature_v3",
]

(to_status, from_status, format_time, parse_time, provider_id_for, message_id_in,
 error_from_reply, reply_for_error) = bind(STATUSES, TIMES, ID_SHAPE, REPLY_ERRORS, ERROR_REPLIES)
