"""MessageBird's legacy SMS REST API (``rest.messagebird.com``), written once.

Pure data and functions, no I/O: the backend (client side), the gateway face and the SDK
shim (server side) all speak MessageBird through this module, which offers the core wire
convention's names (:class:`smsbridge.wire.ProviderWire`) and gathers the rest; each
concept lives in its own module:

========================  ==================================================  ==================
concept                   names                                               module
========================  ==================================================  ==================
status words              ``STATUSES``, ``to_status``, ``from_status``,       :mod:`.vocabulary`
                          ``STATUS_REASON``
moments (RFC 3339, UTC)   ``TIMES``, ``format_time``, ``parse_time``          :mod:`.vocabulary`
ids (32 lower-case hex)   ``ID_SHAPE``, ``provider_id_for``,                  :mod:`.vocabulary`
                          ``message_id_in``, ``new_id``, ``is_id``
numbers, auth             ``msisdn``, ``e164``, ``auth_header``,              :mod:`.vocabulary`
                          ``parse_auth_header``
error codes, refusals     ``CODE_*``, ``ErrorCode``, ``WireError``,           :mod:`.error_codes`
                          ``UNAUTHORIZED``, ``errors_json``, ``parse_errors``
reply -> error            ``REPLY_ERRORS``, ``error_from_reply``              :mod:`.error_codes`
error -> reply            ``ERROR_REPLIES``, ``reply_for_error``,             :mod:`.error_codes`
                          ``error_body``, ``SDK_STATUSES``
send                      ``build_send``, ``parse_send_request``,             :mod:`.messages`
                          ``parse_send_reply``, ``SendRequest``
message JSON, lists       ``message_json``, ``parse_message``,                :mod:`.messages`
                          ``ParsedMessage``, ``list_json``, ``parse_list``,
                          ``list_query``, ``parse_list_page``
balance                   ``balance_json``, ``parse_balance``                 :mod:`.messages`
delivery reports          ``report_query``, ``parse_report``                  :mod:`.messages`
========================  ==================================================  ==================

Shapes follow shared/providers.md §3: ``Authorization: AccessKey <key>``; JSON both ways;
every error is ``{"errors": [{"code", "description", "parameter"}]}`` and, because the
SDK parses only 200/201/204/401/404/405/422, a face answers errors with 401, 404 or 422.
"""
from __future__ import annotations

from smsbridge.wire import bind

from .error_codes import (
    CODE_AUTH,
    CODE_BAD_REQUEST,
    CODE_INTERNAL,
    CODE_INVALID,
    CODE_MISSING,
    CODE_NO_BALANCE,
    CODE_NOT_FOUND,
    ERROR_REPLIES,
    REPLY_ERRORS,
    SDK_STATUSES,
    UNAUTHORIZED,
    ErrorCode,
    WireError,
    error_body,
    errors_json,
    parse_errors,
)
from .messages import (
    ParsedMessage,
    SendRequest,
    balance_json,
    build_send,
    list_json,
    list_query,
    message_json,
    parse_balance,
    parse_list,
    parse_list_page,
    parse_message,
    parse_report,
    parse_send_reply,
    parse_send_request,
    report_query,
)
from .vocabulary import (
    AUTH_SCHEME,
    DEFAULT_BASE_URL,
    ID_SHAPE,
    STATUS_REASON,
    STATUSES,
    TIMES,
    auth_header,
    e164,
    is_id,
    msisdn,
    new_id,
    parse_auth_header,
)

__all__ = [
    # the convention (smsbridge.wire.CONVENTION)
    "STATUSES", "TIMES", "ID_SHAPE", "REPLY_ERRORS", "ERROR_REPLIES", "WireError", "to_status", "from_status",
    "format_time", "parse_time", "provider_id_for", "message_id_in", "error_from_reply", "reply_for_error",
    "build_send", "parse_send_request", "parse_send_reply",
    # MessageBird's own
    "AUTH_SCHEME", "DEFAULT_BASE_URL", "STATUS_REASON", "new_id", "is_id", "msisdn", "e164", "auth_header",
    "parse_auth_header", "CODE_AUTH", "CODE_MISSING", "CODE_INVALID", "CODE_NOT_FOUND", "CODE_BAD_REQUEST",
    "CODE_NO_BALANCE", "CODE_INTERNAL", "ErrorCode", "UNAUTHORIZED", "SDK_STATUSES", "errors_json",
    "parse_errors", "error_body", "SendRequest", "ParsedMessage", "message_json", "parse_message", "list_json",
    "parse_list", "list_query", "parse_list_page", "balance_json", "parse_balance", "report_query",
    "parse_report",
]

(to_status, from_status, format_time, parse_time, provider_id_for, message_id_in,
 error_from_reply, reply_for_error) = bind(STATUSES, TIMES, ID_SHAPE, REPLY_ERRORS, ERROR_REPLIES)
