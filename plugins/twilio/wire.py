"""Twilio's Programmable Messaging wire format, written once (shared/providers.md §1).

Pure functions and data, no I/O.  Both directions live here, so what the backend writes
is what the gateway face reads, and what the face renders is what the backend parses.
This module offers the core convention's names (:class:`smsbridge.wire.ProviderWire`)
and Twilio's own; each concept lives in its own module:

====================  ==============================  ================================  ================
                      client side (backend.py)        server side (gateway.py, sdk.py)  module
====================  ==============================  ================================  ================
paths, error codes    :func:`messages_path`, ...      (the same), ``api.E_*``           :mod:`.api`
sids                  :func:`message_id_in`           :func:`provider_id_for`           :mod:`.sids`
status words          :func:`to_status`               :func:`from_status`               :mod:`.statuses`
dates                 :func:`parse_time`              :func:`format_time`               :mod:`.times`
create request        :func:`build_send`              :func:`parse_send_request`        :mod:`.forms`
list query            :func:`list_query`              :func:`page_window`               :mod:`.forms`
message JSON          :func:`parse_send_reply`        :func:`render_message`            :mod:`.messages`
list JSON             :func:`parse_list`              :func:`render_list`               :mod:`.messages`
balance JSON          :func:`parse_balance`           :func:`render_balance`            :mod:`.balance`
errors                :data:`REPLY_ERRORS`,           :data:`ERROR_REPLIES`,            :mod:`.error_map`
                      :func:`error_from_reply`        :func:`reply_for_error`,
                                                      :func:`render_error`
status callback       :func:`parse_status_callback`   :func:`status_callback_form`,     :mod:`.callbacks`
                                                      :func:`signature`
====================  ==============================  ================================  ================

Twilio quirks that are the contract (verified against twilio 9.13, providers.md §1):

- requests are ``application/x-www-form-urlencoded``; replies are JSON;
- dates are RFC 2822 (``"Wed, 18 Aug 2010 20:01:40 +0000"``); ``num_segments`` and
  ``num_media`` are *strings*; ``price`` is a string or null;
- create answers 201, list answers exactly 200 and needs its paging keys;
- an error body must never carry both ``type`` and ``title`` (the SDK would raise
  ``TwilioServiceException`` instead of ``TwilioRestException``).
"""
from __future__ import annotations

from smsbridge.wire import bind

from .api import API_VERSION, MAX_BODY_CHARS, balance_path, message_path, messages_path
from .balance import parse_balance, render_balance
from .callbacks import parse_status_callback, signature, status_callback_form
from .error_map import ERROR_REPLIES, REPLY_ERRORS, WireError, more_info, render_error
from .forms import CreateRequest, build_send, form_value, list_query, page_window, parse_send_request
from .messages import ParsedMessage, parse_list, parse_send_reply, render_list, render_message
from .sids import ACCOUNT_SID_RE, ID_SHAPE, MESSAGE_SID_RE, is_message_sid
from .statuses import FAILED, STATUSES, default_error_code, shown_error_code
from .times import DATE_SENT_FILTER, DLR_DONE_DATE, TIMES

__all__ = [
    # the convention (smsbridge.wire.CONVENTION)
    "STATUSES", "TIMES", "ID_SHAPE", "REPLY_ERRORS", "ERROR_REPLIES", "WireError", "to_status", "from_status",
    "format_time", "parse_time", "provider_id_for", "message_id_in", "error_from_reply", "reply_for_error",
    "build_send", "parse_send_request", "parse_send_reply",
    # Twilio's own
    "API_VERSION", "MAX_BODY_CHARS", "ACCOUNT_SID_RE", "MESSAGE_SID_RE", "is_message_sid",
    "messages_path", "message_path", "balance_path",
    "FAILED", "default_error_code", "shown_error_code", "DATE_SENT_FILTER", "DLR_DONE_DATE",
    "CreateRequest", "form_value", "list_query", "page_window",
    "render_message", "ParsedMessage", "parse_list", "render_list", "render_balance", "parse_balance",
    "render_error", "more_info", "status_callback_form", "parse_status_callback", "signature",
]

(to_status, from_status, format_time, parse_time, provider_id_for, message_id_in,
 error_from_reply, reply_for_error) = bind(STATUSES, TIMES, ID_SHAPE, REPLY_ERRORS, ERROR_REPLIES)
