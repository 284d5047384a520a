"""The opt-out list: numbers that texted STOP get no more messages (issue 15).

Regulators require it (US CTIA/TCPA, UK PECR …): a recipient who answers ``STOP``
(or another standard opt-out keyword) must not be texted again until they answer
``START``.  The list lives in the journal (``journal.opt_out`` / ``opt_in``); the built-in
``optout`` plugin (``smsbridge_plugins.optout``) fills it from inbound SMS and refuses
sends to listed numbers with ``InvalidMessage(reason="opted_out")``.

Per backend (or in ``defaults``), ``opt_out`` sets both directions::

    backends:
      us:
        plugin: twilio
        opt_out:
          stop: [STOP, UNSUBSCRIBE]   # inbound keywords that opt out ([] = record none)
          start: [START]              # inbound keywords that opt back in
          enforce: true               # refuse sends through this backend to opted-out numbers
      internal:
        plugin: sandbox
        opt_out: false                # neither: no keywords read, no sends refused

Omitted (or ``true``) means the standard keywords and enforcement.  A keyword matches
when it is the whole message, in any case, surrounding spaces and punctuation ignored
(``stop``, ``Stop!``), as carriers match them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["OptOutSetting", "STOP_WORDS", "START_WORDS", "parse_setting", "setting_for", "keyword_of"]

STOP_WORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE")
"""The standard opt-out keywords (Twilio's, which follow the CTIA's list)."""
START_WORDS = ("START", "YES", "UNSTOP")
"""The standard opt-in keywords."""


@dataclass(frozen=True)
class OptOutSetting:
    stop: tuple[str, ...] = STOP_WORDS
    start: tuple[str, ...] = START_WORDS
    enforce: bool = True


OFF = OptOutSetting(stop=(), start=(), enforce=False)


def _words(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{key} must be a list of keywords")
    return tuple(v.strip().upper() for v in value)


def parse_setting(value: Any) -> OptOutSetting | None:
    """A config value (``None``, a bool, or a mapping of stop/start/enforce) -> the setting."""
    if value is None:
        return None
    if isinstance(value, OptOutSetting):
        return value
    if isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false")):
        return OptOutSetting() if value in (True, "true", "True") else OFF
    if not isinstance(value, Mapping):
        raise ValueError("must be true, false or a mapping with stop, start and enforce")
    unknown = set(value) - {"stop", "start", "enforce"}
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: stop, start, enforce")
    enforce = value.get("enforce", True)
    if not isinstance(enforce, bool):
        raise ValueError("enforce must be true or false")
    return OptOutSetting(stop=_words(value.get("stop", STOP_WORDS), "stop"),
                         start=_words(value.get("start", START_WORDS), "start"), enforce=enforce)


def setting_for(bridge: Any, backend: str | None) -> OptOutSetting:
    """The opt-out setting of ``backend`` (its own, else ``defaults``, else the standard)."""
    value = None
    if backend is not None and backend in bridge.backends():
        value = bridge.backend(backend).settings.get("opt_out")
    if value is None:
        value = (bridge.config.defaults or {}).get("opt_out")
    return parse_setting(value) or OptOutSetting()


def keyword_of(text: str) -> str:
    """The message as a keyword: trimmed, upper case, without surrounding punctuation."""
    return text.strip().strip(".!?,;:'\"()").strip().upper()
