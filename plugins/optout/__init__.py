"""The optout plugin: STOP and START from inbound SMS, and sends to opted-out numbers refused.

Built in, and registered like any third-party plugin (the ``smsbridge`` entry-point
group).  Its rules and configuration are in :mod:`smsbridge.optout`; the list itself is
the journal's (``smsbridge optout list|add|remove``).
"""
from __future__ import annotations

import logging
from typing import Any

from smsbridge.hookspecs import hookimpl, never_blocks

log = logging.getLogger("smsbridge.optout")


@hookimpl
def smsbridge_inbound(message: Any, bridge: Any) -> None:
    from smsbridge.optout import keyword_of, setting_for

    setting = setting_for(bridge, message.backend)
    word = keyword_of(message.text)
    if word in setting.stop:
        if bridge.journal.opt_out(message.from_, backend=message.backend, keyword=word):
            log.info("%s opted out (%s via %s)", message.from_, word, message.backend)
    elif word in setting.start:
        if bridge.journal.opt_in(message.from_):
            log.info("%s opted back in (%s via %s)", message.from_, word, message.backend)


@hookimpl
@never_blocks  # one indexed journal read
def smsbridge_before_send(message: Any, bridge: Any, route: tuple[str, ...]) -> None:
    from smsbridge.errors import InvalidMessage
    from smsbridge.optout import setting_for

    if not bridge.journal.opted_out(message.to):
        return
    if route and not setting_for(bridge, route[0]).enforce:
        return
    raise InvalidMessage(f"{message.to} has opted out (answered STOP); they must send START before they can be "
                         "texted again, or remove them with 'smsbridge optout remove'", reason="opted_out")

