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
                         :func:`send_form`,           :func:`parse_send_form`,
                         :func:`sms_id_form`          :func:`parse_sms_id_form`
any reply                :func:`parse_reply`,         :func:`ok_reply`,               :mod:`.replies`
                         :func:`parse_http_reply`     :func:`error_reply`,
                                                      :func:`error_reply_for`
XML replies (REST)       :func:`parse_xml_reply`      :func:`render_xml_reply`        :mod:`.xml_replies`
errors                   :func:`error_for`,           :func:`code_for_error`,         :mod:`.error_map`
                         :func:`error_for_http`,      :func:`http_status_for`
                         :func:`login_lost`,
                         :func:`refused_login`
connect                  :func:`parse_token`,         :func:`token_reply`             :mod:`.tokens`
                         :func:`parse_expires`
sendSMS ... getMonthly   :func:`parse_sms_id`, ...    :func:`send_response`, ...      :mod:`.payloads`
status words             :func:`status_from_word`,    :func:`word_for_status`,        :mod:`.statuses`
                         :func:`status_from_code`     :func:`code_for_status`
dates                    :func:`parse_date`           :func:`format_date`             :mod:`.dates`
=======================  ===========================  ==============================  ================

The provider documents the API loosely and is not reachable from here, so the parsers
are **tolerant** of every variant SPEC §5 lists (and a few more, noted where they are
read); the renderers produce one canonical shape that every parser reads.
"""
from __future__ import annotations

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
from .dates import _CentralEurope, budapest, format_date, parse_date  # noqa: F401  (_CentralEurope: tests)
from .error_map import (
    code_for_error,
    error_for,
    error_for_http,
    http_status_for,
    is_auth_expired,
    login_lost,
    refused_login,
)
from .forms import connect_form, parse_connect_form, parse_send_form, parse_sms_id_form, send_form, sms_id_form
from .payloads import (
    credit_response,
    history_response,
    monthly_response,
    parse_credit,
    parse_history,
    parse_monthly,
    parse_sms_id,
    parse_status,
    send_response,
    status_response,
)
from .recipients import join_recipient, split_recipient
from .replies import error_reply, error_reply_for, has_flags, is_error_reply, ok_reply, parse_http_reply, parse_reply
from .statuses import (
    STATUS_CODES,
    STATUS_WORDS,
    code_for_status,
    status_from_code,
    status_from_word,
    word_for_status,
)
from .tokens import parse_expires, parse_token, token_reply
from .xml_replies import XML_MEDIA_TYPE, looks_like_xml, parse_xml_reply, render_xml_reply

__all__ = [
    "OPERATIONS", "CONNECT", "SEND", "CREDIT", "MONTHLY", "STATUS", "HISTORY",
    "E_LOGIN", "E_SESSION", "E_NUMBER", "E_EMPTY", "E_MESSAGE", "E_CREDIT", "E_BAD_REQUEST",
    "E_NOT_FOUND", "E_METHOD", "E_TOO_LARGE", "E_INTERNAL", "E_UNSUPPORTED", "E_REFUSED", "E_UNAVAILABLE",
    "E_UNKNOWN", "ERROR_MESSAGES", "CODE_KEYS", "MESSAGE_KEYS", "STATUS_WORDS", "STATUS_CODES",
    "MalformedReply", "MessageNotFound",
    "split_recipient", "join_recipient",
    "connect_form", "send_form", "sms_id_form",
    "parse_connect_form", "parse_send_form", "parse_sms_id_form",
    "parse_reply", "parse_http_reply", "error_for", "error_for_http", "is_auth_expired", "is_error_reply",
    "login_lost", "refused_login",
    "has_flags", "code_for_error",
    "parse_expires", "parse_token", "parse_sms_id", "parse_date", "format_date", "budapest",
    "status_from_word", "status_from_code", "word_for_status", "code_for_status",
    "parse_status", "parse_history", "parse_credit", "parse_monthly",
    "ok_reply", "error_reply", "error_reply_for", "http_status_for", "token_reply",
    "send_response", "status_response", "history_response", "credit_response", "monthly_response",
    "parse_xml_reply", "render_xml_reply", "looks_like_xml", "XML_MEDIA_TYPE",
]
