"""Infobip SMS API, written once: v3 (``/sms/3/messages``) and the deprecated v2
(``/sms/2/text/advanced``, which ``infobip-api-python-sdk`` 5.x still uses).

The backend (client side) and the gateway face (server side) speak through this module,
which offers the core convention's names (:class:`smsbridge.wire.ProviderWire`) and
Infobip's own; each concept lives in its own module:

====================  ==================================================================  ===============
concept               names                                                               module
====================  ==================================================================  ===============
auth, ids, moments    :func:`auth_header`, :func:`parse_auth_header`,                     :mod:`.shapes`
                      ``ID_SHAPE``, :func:`provider_id_for`, :func:`message_id_in`,
                      ``TIMES``, :func:`format_time`, :func:`parse_time`
status words          ``STATUSES``, :func:`to_status`, :func:`from_status`,               :mod:`.statuses`
                      ``CATALOGUE``, :func:`status_object`, :func:`status_from_object`,
                      :func:`error_object`
sends                 :func:`build_send` (v3), :func:`build_send_v2`,                     :mod:`.sends`
                      :func:`parse_send_request` (v3), :func:`parse_send_request_v2`,
                      :func:`send_reply`, :func:`parse_send_reply`
reports, logs         :func:`report_json`, :func:`parse_reports`, :func:`log_json`,       :mod:`.reports`
balance               :func:`balance_json`, :func:`parse_balance`
errors                ``WireError``, ``REPLY_ERRORS``, :func:`error_from_reply`,          :mod:`.error_map`
                      :func:`rejection_for_status`, ``ERROR_REPLIES`` (v3),
                      ``ERROR_REPLIES_V2``, :func:`reply_for_error`, :func:`v2_status`
====================  ==================================================================  ===============

The wire, in short: auth ``Authorization: App <api_key>``; JSON both ways; success is
**HTTP 200**; dates ``yyyy-MM-dd'T'HH:mm:ss.SSS+0000``; delivery reports POSTed as
``{"results":[…]}`` to ``webhooks.delivery.url`` (v3) or ``notifyUrl`` (v2), unsigned;
the 5.x SDK serialises every unset field as an explicit ``null``, which readers ignore.
"""
from __future__ import annotations

from smsbridge.wire import bind

from .error_map import (
    ERROR_REPLIES,
    ERROR_REPLIES_V2,
    INVALID,
    REPLY_ERRORS,
    WireError,
    error_body_v2,
    error_body_v3,
    invalid,
    rejection_for_status,
    v2_status,
)
from .reports import balance_json, log_json, logs_json, parse_balance, parse_reports, report_json, reports_json
from .sends import (
    Destination,
    SendRequest,
    build_send,
    build_send_v2,
    parse_send_reply,
    parse_send_request,
    parse_send_request_v2,
    send_reply,
)
from .shapes import DEFAULT_BASE_URL, ID_SHAPE, TIMES, auth_header, new_bulk_id, new_message_id, parse_auth_header
from .statuses import CATALOGUE, STATUSES, ParsedStatus, error_object, status_from_object, status_object

__all__ = [
    # the convention (smsbridge.wire.CONVENTION)
    "STATUSES", "TIMES", "ID_SHAPE", "REPLY_ERRORS", "ERROR_REPLIES", "WireError", "to_status", "from_status",
    "format_time", "parse_time", "provider_id_for", "message_id_in", "error_from_reply", "reply_for_error",
    "build_send", "parse_send_request", "parse_send_reply",
    # Infobip's own
    "DEFAULT_BASE_URL", "auth_header", "parse_auth_header", "new_message_id", "new_bulk_id",
    "CATALOGUE", "ParsedStatus", "status_object", "status_from_object", "error_object",
    "Destination", "SendRequest", "build_send_v2", "parse_send_request_v2", "send_reply",
    "report_json", "reports_json", "parse_reports", "log_json", "logs_json", "balance_json", "parse_balance",
    "INVALID", "invalid", "error_body_v3", "error_body_v2", "v2_status", "ERROR_REPLIES_V2",
    "rejection_for_status",
]

(to_status, from_status, format_time, parse_time, provider_id_for, message_id_in,
 error_from_reply, reply_for_error) = bind(STATUSES, TIMES, ID_SHAPE, REPLY_ERRORS, ERROR_REPLIES)
