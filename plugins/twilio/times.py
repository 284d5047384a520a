"""How Twilio writes a moment, as data (:class:`smsbridge.wire.TimeFormat`).

Message JSON dates are RFC 2822 (``Wed, 18 Aug 2010 20:01:40 +0000``, seconds, UTC);
two other places have their own form: the list filter ``DateSent>`` the SDK sends, and
the carrier's ``RawDlrDoneDate`` in a status callback.
"""
from __future__ import annotations

from smsbridge.wire import RFC2822, TimeFormat

__all__ = ["TIMES", "DATE_SENT_FILTER", "DLR_DONE_DATE"]

TIMES = RFC2822
"""``date_created``, ``date_sent``, ``date_updated``."""

DATE_SENT_FILTER = TimeFormat("%Y-%m-%dT%H:%M:%SZ")
"""``DateSent>=2024-05-01T12:00:00Z``, as the SDK's ``date_sent_after`` sends it."""

DLR_DONE_DATE = TimeFormat("%y%m%d%H%M")
"""``RawDlrDoneDate``: the carrier's ``YYMMDDhhmm``, UTC."""
