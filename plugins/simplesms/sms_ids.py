"""simpleSMS's ``sms_id``: a number, which cannot carry an smsbridge message id.

The provider assigns ``sms_id``\\ s itself (the backends keep whatever it hands out), and
they are numbers a JavaScript client must read exactly: below 2**53, 53 bits, where a
message id and its check need 128.  So no simpleSMS id is ever *read back* into a message
id (:meth:`SmsId.message_id_in` is always ``None``): the gateway faces find a message from
its ``sms_id`` through the journal's ``simplesms`` alias.

Where the faces *mint* an id, :data:`ID_SHAPE` gives its first candidate: the message id's
milliseconds times 1000 plus three digits of its random part, so ids increase with time
as the provider's do, and every process proposes the same id for one message.  (A
different message minted in the same millisecond may want the same id; the face then
takes the next free one: :meth:`.face_calls.FaceCalls._new_sms_id`.)
"""
from __future__ import annotations

from smsbridge import ids

__all__ = ["SmsId", "ID_SHAPE", "MAX_SMS_ID"]

MAX_SMS_ID = 2**53
"""Every ``sms_id`` the faces mint is below this (JavaScript reads it exactly)."""


class SmsId(ids.Shape):
    """A decimal ``sms_id`` derived from a message id (time-ordered), not reversible."""

    reversible = False

    def layout(self, digits: str, message_id: str) -> str:
        """Milliseconds (the id's first 12 hex digits) * 1000 + 0-999 from the next ones."""
        return str((int(digits[:12], 16) * 1000 + int(digits[12:24], 16) % 1000) % MAX_SMS_ID)

    def digits_in(self, provider_id: str) -> str | None:
        """Never: 53 bits cannot hold a message id; the journal's alias finds the message."""
        return None


ID_SHAPE = SmsId(salt="simplesms:")
"""The face's first choice of ``sms_id`` for a message (see the module doc)."""
