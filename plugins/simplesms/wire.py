"""simpleSMS's wire format, written once (SPEC §5): pure functions, no I/O.

The REST and SOAP backends (client side) and the gateway's REST and SOAP faces (server
side) all speak through these modules, so what a backend reads is what a face renders.
This module gathers them under one name (``wire.parse_reply``, ``wire.E_SESSION``...);
each concept lives in its own module:

=======================  ===========================  ==============================  ================
                         client side (backends)       server side (faces)             module
=======================  ===========================  ==============================  ================
operations, error codes  :data:`OPERATIONS`, ``E_*``  :data:`ERROR_MESSAGES`          :mod:`.codes`
numbers                  :func:`split_recipient`      :func:`join_recipient`          :mod:`.recipients`
requests (REST forms)    :func:`connect_form`,        :func:`parse_connect_form`,     :mod:`.forms`
                         :func:`build_send`,          :func:`parse_send_request`,
                         :func:`sms_id_form`          :func:`parse_sms_id_form`
any reply                :func:`parse_reply`,         :func:`ok_reply`,               :mod:`.replies`
                         :func:`parse_http_reply`     :func:`error_reply`
XML replies (REST)       :func:`parse_xml_reply`      :func:`render_xml_reply`        :mod:`.xml_replies`
errors                   :data:`REPLY_ERRORS`,        :data:`ERROR_REPLIES`,          :mod:`.error_map`
                         :func:`error_from_reply`,    :func:`reply_for_error`,
                         :func:`login_lost`,          :func:`refusal`,
                         :func:`refused_login`        :func:`http_status_for`
connect                  :func:`parse_token`,         :func:`token_reply`             :mod:`.tokens`
                         :func:`parse_expires`
sendSMS ... getMonthly   :func:`parse_send_reply`,    :func:`send_response`, ...      :mod:`.payloads`
                         ...
status words             :data:`STATUSES`:            :func:`from_status`,            :mod:`.statuses`
                         :func:`to_status`,           :func:`code_for_status`
                         :func:`status_from_code`
dates                    :data:`TIMES`:               :func:`format_time`             :mod:`.dates`
                         :func:`parse_time`
ids                      (the provider's own)         :data:`ID_SHAPE`:               :mod:`.sms_ids`
                                                      :func:`provider_id_for`
=======================  ===========================  ==============================  ================

The names of the core's convention (:class:`smsbridge.wire.ProviderWire`: ``STATUSES``,
``TIMES``, ``ID_SHAPE``, ``REPLY_ERRORS``, ``ERROR_REPLIES``, ``WireError`` and the
functions bound from them, ``build_send``, ``parse_send_request``, ``parse_send_reply``)
are all here; the rest is simpleSMS's own.  ``message_id_in`` is always ``None``: an
``sms_id`` is a number too small to carry a message id (:mod:`.sms_ids`).

The provider documents the API loosely and is not reachable from here, so the parsers
are **tolerant** of every variant SPEC §5 lists (and a few more, noted where they are
read); the renderers produce one canonical shape that every parser reads.
"""
from __future__ import annotations

from smsbridge.wire import WireError, bind

from .codes import (
    CODE_KEYS,
    CONNECT,
    CREDIT,
    E_BAD_REQUEST,
    E_CREDIT,
    E_EMPTY,
    E_INTERNAL,
    E_LOGIN,
    E_MESSAGE,
    E_METHOD,
    E_NOT_FOUND,
    E_NUMBER,
    E_REFUSED,
    E_SESSION,
    E_TOO_LARGE,
    E_UNAVAILABLE,
    E_UNKNOWN,
    E_UNSUPPORTED,
    ERROR_MESSAGES,
    HISTORY,
    MESSAGE_KEYS,
    MONTHLY,
    OPERATIONS,
    SEND,
    STATUS,
    MalformedReply,
    MessageNotFound,
)
from .dates import TIMES, _CentralEurope, budapest  # noqa: F401  (_CentralEurope: tests)
from .error_map import (
    ERROR_REPLIES,
    REPLY_ERRORS,
    http_status_for,
    is_auth_expired,
    login_lost,
    read_error,
    refusal,
    refused_login,
)
from .forms import build_send, connect_form, parse_connect_form, parse_send_request, parse_sms_id_form, sms_id_form
from .payloads import (
    credit_response,
    history_response,
    monthly_response,
    parse_credit,
    parse_history,
    parse_monthly,
    parse_send_reply,
    parse_status,
    send_response,
    status_response,
)
from .recipients import join_recipient, split_recipient
from .replies import error_reply, has_flags, is_error_reply, ok_reply, parse_http_reply, parse_reply
from .sms_ids import ID_SHAPE
from .statuses import STATUS_CODES, STATUS_WORDS, STATUSES, code_for_status, status_from_code
from .tokens import parse_expires, parse_token, token_reply
from .xml_replies import XML_MEDIA_TYPE, looks_like_xml, parse_xml_reply, render_xml_reply

(to_status, from_status, format_time, parse_time, provider_id_for, message_id_in,
 error_from_reply, reply_for_error) = bind(STATUSES, TIMES, ID_SHAPE, REPLY_ERRORS, ERROR_REPLIES)

__all__ = [
    # the convention (smsbridge.wire.CONVENTION)
    "STATUSES", "TIMES", "ID_SHAPE", "REPLY_ERRORS", "ERROR_REPLIES", "WireError", "to_status", "from_status",
    "format_time", "parse_time", "provider_id_for", "message_id_in", "error_from_reply", "reply_for_error",
    "build_send", "parse_send_request", "parse_send_reply",
    # simpleSMS's own
    "OPERATIONS", "CONNECT", "SEND", "CREDIT", "MONTHLY", "STATUS", "HISTORY",
    "E_LOGIN", "E_SESSION", "E_NUMBER", "E_EMPTY", "E_MESSAGE", "E_CREDIT", "E_BAD_REQUEST",
    "E_NOT_FOUND", "E_METHOD", "E_TOO_LARGE", "E_INTERNAL", "E_UNSUPPORTED", "E_REFUSED", "E_UNAVAILABLE",
    "E_UNKNOWN", "ERROR_MESSAGES", "CODE_KEYS", "MESSAGE_KEYS", "STATUS_WORDS", "STATUS_CODES",
    "MalformedReply", "MessageNotFound",
    "split_recipient", "join_recipient",
    "connect_form", "sms_id_form", "parse_connect_form", "parse_sms_id_form",
    "parse_reply", "parse_http_reply", "read_error", "is_auth_expired", "is_error_reply",
    "login_lost", "refused_login", "refusal", "http_status_for",
    "has_flags", "parse_expires", "parse_token", "budapest",
    "status_from_code", "code_for_status",
    "parse_status", "parse_history", "parse_credit", "parse_monthly",
    "ok_reply", "error_reply", "token_reply",
    "send_response", "status_response", "history_response", "credit_response", "monthly_response",
    "parse_xml_reply", "render_xml_reply", "looks_like_xml", "XML_MEDIA_TYPE",
]
