"""Every built-in provider's wire module, typed as the core's convention.

Nothing imports this at run time; it exists so that ``mypy`` (run by tests/test_lint.py)
checks each module structurally against :class:`smsbridge.wire.ProviderWire`: a wire module
that renames, drops or re-types one of the convention's names fails the lint test, and
tests/test_wire_convention.py runs :func:`smsbridge.wire.check_wire` over the same table.
"""
from __future__ import annotations

from smsbridge.wire import ProviderWire

from .infobip import wire as infobip
from .messagebird import wire as messagebird
from .plivo import wire as plivo
from .simplesms import wire as simplesms
from .sinch import wire as sinch
from .twilio import wire as twilio
from .vonage import wire as vonage

WIRES: dict[str, ProviderWire] = {
    "infobip": infobip, "messagebird": messagebird, "plivo": plivo, "simplesms": simplesms, "sinch": sinch,
    "twilio": twilio, "vonage": vonage,
}
