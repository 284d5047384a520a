"""Checking configuration values: the rules the core applies, public so plugins apply the same.

A plugin that reads its own settings (a gateway face's client credentials, a backend's
``chaos:`` mapping) should refuse a wrong value exactly as ``smsbridge config check``
refuses the core's: a :class:`~smsbridge.errors.ConfigError` naming the key path and,
for YAML, the line.  Every function here takes ``where``: the
:class:`~smsbridge.config.Config` being checked (anything with an ``error(path, message)``
method that returns a ``ConfigError``, so the line is attached), or ``None`` when there is
no file (the error then names the path only).

- :func:`coerce`: a value of a given type, or a string that spells one (``${VAR}`` gives
  strings); floats must be finite.
- :func:`number`: a finite number within bounds; NaN, infinities and absurd magnitudes are
  refused, because every one of them turns into a silent misbehaviour later (a NaN timeout
  makes every send "unknown", a NaN rate limit means "unlimited").
- :func:`region`: an ISO 3166 region code phonenumbers knows, with a did-you-mean that also
  reads country names (``Hungary`` → ``HU``) and the common ``UK`` → ``GB``.
- :func:`reject_unknown` / :func:`suggest`: unknown keys, with the closest known one.
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from typing import Any, Protocol

from .errors import ConfigError

__all__ = ["ErrorSource", "coerce", "number", "region", "reject_unknown", "suggest", "as_list", "looks_secret",
           "fail"]


class ErrorSource(Protocol):
    """Where an error is located: ``Config.error(path, message)`` adds the file and line."""

    def error(self, path: str, message: str) -> ConfigError: ...


def fail(where: ErrorSource | None, path: str, message: str) -> ConfigError:
    """The ConfigError for ``path`` (raise it): located by ``where`` when there is one."""
    return where.error(path, message) if where is not None else ConfigError(message, path=path or None)


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """``" (did you mean 'x'?)"`` for the closest choice, or ``""`` when none is close; every
    choice as close as the best one is named, in ``choices``' order (``simplesms`` ->
    ``simplesms-rest`` or ``-soap``)."""
    word = str(word)
    names = [str(c) for c in choices]
    scores = {c: difflib.SequenceMatcher(None, word, c).ratio() for c in names}
    close = [c for c in names if scores[c] >= 0.6]
    if not close:
        return ""
    best = max(scores[c] for c in close)
    # "simplesms" is a prefix of both "simplesms-rest" and "-soap": name each, as equals.
    tied = [c for c in close if abs(scores[c] - best) < 1e-9 or (word and c.startswith(word) and len(word) >= 4)]
    if len(tied) == 1:
        return f" (did you mean {tied[0]!r}?)"
    return f" (did you mean {', '.join(repr(c) for c in tied[:-1])} or {tied[-1]!r}?)"


def reject_unknown(data: Mapping[Any, Any], known: tuple[str, ...] | list[str], path: str,
                   where: ErrorSource | None) -> None:
    """Raise for the first key of ``data`` not in ``known``, suggesting the closest."""
    for key in data:
        if key not in known:
            sub = f"{path}.{key}" if path else str(key)
            raise fail(where, sub, f"unknown key {key!r}{suggest(str(key), list(known))}")


def looks_secret(path: str) -> bool:
    """True for keys whose value must never be shown (``password``, ``api_key``, ...)."""
    return bool(re.search(r"(?i)(password|secret|token|key)", path.rpartition(".")[2]))


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}
_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "a text",
               dict: "a mapping", list: "a list"}


def coerce(value: Any, kind: type, path: str, where: ErrorSource | None) -> Any:
    """``value`` as ``kind`` (``bool``, ``int``, ``float``, ``str``, ``dict``, ``list``).

    Strings that spell a value are accepted (``"2.5"``, ``"yes"``), ints are accepted for
    floats, and a float must be finite.  Anything else is a ConfigError naming ``path``
    (and masking the value when the key looks secret).
    """
    try:
        result = _coerce(value, kind)
    except (ValueError, TypeError, OverflowError):
        shown = "***" if looks_secret(path) else repr(value)
        raise fail(where, path, f"must be {_KIND_NAMES.get(kind, kind.__name__)}, not {shown}") from None
    if kind is float and not math.isfinite(result):
        raise fail(where, path, f"must be a finite number, not {value!r}")
    return result


def _coerce(value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError
    if kind in (int, float) and isinstance(value, bool):
        raise ValueError
    if kind is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            return int(value.strip())
        raise ValueError
    if kind is float:
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
        raise ValueError
    if kind is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            return value
        raise ValueError
    if kind is dict:
        if isinstance(value, Mapping):
            return dict(value)
        raise ValueError
    if kind is list:
        if isinstance(value, (list, tuple)):
            return list(value)
        if isinstance(value, str):
            return [value]
        raise ValueError
    if isinstance(value, kind):
        return value
    raise ValueError


def number(value: Any, path: str, where: ErrorSource | None, *, kind: type = float,
           minimum: float | None = None, maximum: float | None = None, above: float | None = None,
           unit: str = "") -> Any:
    """A finite ``kind`` (``float`` or ``int``) with ``minimum <= value <= maximum`` and
    ``value > above``; the error says the allowed range in ``unit`` (e.g. ``"seconds"``)."""
    result = coerce(value, kind, path, where)
    if kind is int and isinstance(result, int) and not isinstance(result, bool) and abs(result) > 10**15:
        raise fail(where, path, f"must be at most {maximum if maximum is not None else 10**15}, not {value!r}")
    too_low = (above is not None and not result > above) or (minimum is not None and result < minimum)
    too_high = maximum is not None and result > maximum
    if too_low or too_high:
        raise fail(where, path, f"must be {_range(kind, minimum, maximum, above, unit)}, not {value!r}")
    return result


def _range(kind: type, minimum: float | None, maximum: float | None, above: float | None, unit: str) -> str:
    what = "a whole number" if kind is int else "a number"
    parts = []
    if above is not None:
        parts.append(f"greater than {_show(above)}")
    if minimum is not None:
        parts.append(f"at least {_show(minimum)}")
    if maximum is not None:
        parts.append(f"at most {_show(maximum)}")
    return f"{what} {' and '.join(parts)}{' ' + unit if unit else ''}".strip()


def _show(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# Codes people write that ISO 3166 spells otherwise.
_ALIASES = {"UK": "GB", "EL": "GR", "EN": "GB"}


def region(value: Any, path: str, where: ErrorSource | None) -> str:
    """An ISO 3166 region code that phonenumbers knows (``HU``), upper-cased; else a
    ConfigError with a did-you-mean read from codes and English country names."""
    import phonenumbers

    text = value.strip() if isinstance(value, str) else str(value)
    code = text.upper()
    if code in phonenumbers.SUPPORTED_REGIONS:
        return code
    hint = _region_hint(text)
    raise fail(where, path, f"{value!r} is not a region code phonenumbers knows{hint}; use a two-letter"
                            " ISO 3166 code like HU, GB, US")


def _region_hint(text: str) -> str:
    import phonenumbers
    from phonenumbers.geodata.locale import LOCALE_DATA

    code = text.upper()
    if code in _ALIASES:
        return f" (did you mean {_ALIASES[code]!r}?)"
    english: dict[str, str] = {}  # name -> code, the English names (did-you-mean on typos)
    native: dict[str, str] = {}   # every language's name -> code (exact matches: "Magyarország")
    for region_code in phonenumbers.SUPPORTED_REGIONS:
        by_language = LOCALE_DATA.get(region_code) or {}
        for language, name in by_language.items():
            if name.startswith("*"):  # "*aa": the name is held under that language
                name = by_language.get(name[1:], "")
            if name:
                native.setdefault(name.lower(), region_code)
                if language == "en":
                    english[name.lower()] = region_code
    key = text.lower()
    if key in english or key in native:
        return f" (did you mean {english.get(key) or native[key]!r}?)"
    close = difflib.get_close_matches(key, list(english), n=1, cutoff=0.75)
    if close:
        return f" (did you mean {english[close[0]]!r}, {close[0].title()}?)"
    return suggest(code, sorted(phonenumbers.SUPPORTED_REGIONS))


def as_list(value: Any, path: str, where: ErrorSource | None) -> list[Any]:
    """A list, a single value as a list of one, ``None`` as ``[]``; a mapping is an error."""
    if value is None:
        return []
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list):
        return value
    raise fail(where, path, "must be a list (or a single value)")
