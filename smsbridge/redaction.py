"""Masking secrets: by the shapes credentials take, and by the values smsbridge knows.

Patterns alone (``password=…``, ``Authorization: …``) miss a provider that echoes a
credential in prose ("invalid access token 37F4…", "user u with password pw-…").  So
smsbridge also keeps the *values*: every configured secret (backend options marked
``secret``, gateway client credentials) is registered when a Bridge is built, and every
token or session a backend obtains at run time is registered by that backend the moment
it has it (:func:`register_secret`).  :func:`redact` then masks both, and is applied:

- when an :class:`~smsbridge.errors.SmsBridgeError` is created (so its text, the journal's
  error column, CLI output and gateway replies built from it are clean);
- to every log record, whichever logger made it (:func:`install_log_redaction` wraps the
  log-record factory once: urllib3, zeep and uvicorn echo requests at DEBUG);
- by the Bridge to journal fields and descriptions it stores or shows.

Values that could be ordinary words are not registered: shorter than
:data:`MIN_SECRET_LENGTH`, or letters only and shorter than :data:`MIN_WORD_SECRET_LENGTH`
(masking ``"p"`` or ``"nope"`` would mangle ordinary text; the patterns still catch
``password=p``).  The registry
keeps the most recent :data:`MAX_SECRETS` values (run-time tokens are refreshed forever).
"""
from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "MIN_SECRET_LENGTH", "register_secret", "redact", "install_log_redaction", "known_secrets"]

MASK = "***"
MIN_SECRET_LENGTH = 6
MIN_WORD_SECRET_LENGTH = 12  # letters only: "password", "sandbox" are words, not secrets
MAX_SECRETS = 4096

_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*)(\S+\s+)?\S+"),
    re.compile(r"(?i)((?:password|passwd|secret|token|auth_token|api_secret|access_token|api_key|apikey)"
               r"[\"']?\s*[:=]\s*[\"']?)([^\s&\"',}]+)"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"),
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+(?=@)"),  # https://user:pass@host
]

_lock = threading.Lock()
_values: OrderedDict[str, None] = OrderedDict()
_compiled: re.Pattern[str] | None = None


def register_secret(value: Any) -> None:
    """Mask ``value`` (and its URL-encoded forms) in everything :func:`redact` sees from now on.

    Call it with every credential a plugin obtains at run time (an access token, a session
    id) as soon as it has it.  ``None``, non-strings and values that could be ordinary
    words (see the module docstring) are ignored.  Thread-safe and cheap to repeat.
    """
    global _compiled
    if not isinstance(value, str):
        return
    value = value.strip()
    if not _worth_masking(value):
        return
    forms = {value, quote(value, safe=""), quote_plus(value)}
    with _lock:
        changed = False
        for form in forms:
            if form in _values:
                _values.move_to_end(form)
            else:
                _values[form] = None
                changed = True
        while len(_values) > MAX_SECRETS:
            _values.popitem(last=False)
        if changed:
            _compiled = None
    install_log_redaction()


def _worth_masking(value: str) -> bool:
    """Long enough not to be an ordinary word: masking "nope" or "secret" would mangle text."""
    if len(value) >= MIN_WORD_SECRET_LENGTH:
        return True
    return len(value) >= MIN_SECRET_LENGTH and not value.isalpha()


def known_secrets() -> int:
    """How many values are registered (for tests and diagnostics; never the values)."""
    with _lock:
        return len(_values)


def _known_pattern() -> re.Pattern[str] | None:
    global _compiled
    with _lock:
        if _compiled is None and _values:
            # Longest first, so a secret containing another is masked whole.
            _compiled = re.compile("|".join(re.escape(v) for v in sorted(_values, key=len, reverse=True)))
        return _compiled


def redact(text: str) -> str:
    """``text`` with credentials masked: known secret values, then credential-shaped text."""
    if not isinstance(text, str) or not text:
        return text
    known = _known_pattern()
    if known is not None:
        text = known.sub(MASK, text)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


_installed = False


def install_log_redaction() -> None:
    """Redact every log record from now on, whichever logger makes it (idempotent).

    Wraps :func:`logging.getLogRecordFactory`, because a filter on smsbridge's loggers would
    not see urllib3's or zeep's DEBUG lines, and smsbridge must not install handlers.  The
    record's message is formatted and redacted once, when it is made (records are only made
    for enabled levels); exception text is redacted too.
    """
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)


_formatter = logging.Formatter()


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call: leave it for logging to report
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact(_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
