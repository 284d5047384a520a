"""Configuration: YAML (or a dict) -> a validated :class:`Config` (SPEC §3).

Every error is a :class:`~smsbridge.errors.ConfigError` naming the key path
(``backends.primary.password``) and, for YAML, the line, so a typo is found at once:

- ``${VAR}`` / ``${VAR:-fallback}`` are replaced from the environment in every string;
  a missing variable without fallback is an error naming the variable and the key;
- unknown keys are errors, with a "did you mean" when a known key is close;
- values are coerced where YAML or ``${VAR}`` gives a string for a number or a boolean.

Validation happens in two steps because plugin options are only known once the plugins
are loaded: :func:`parse` checks the shape of the whole file, :func:`backend_settings`
checks one backend's keys against its plugin's declared :class:`~smsbridge.backend.Option`s.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import validation
from .errors import ConfigError
from .store import sqlite_path, store_problem, store_scheme

__all__ = ["Config", "Route", "Settings", "load", "parse", "backend_settings", "find_config_path",
           "COMMON_OPTIONS"]

# SPEC §3 `defaults`: every backend may override each of these.
DEFAULTS: dict[str, Any] = {
    "timeout": 10.0,
    "max_segments": 6,
    "sender": None,
    "default_region": "HU",
    "transliterate": False,
    "verify": True,
    "rate_limit": None,
    "reconcile_grace": None,  # seconds; None: the backend's own (its class's reconcile_grace, else 600)
    "ignore_sender": False,  # a backend that cannot set a sender drops a per-message one silently
    "opt_out": None,  # issue 15: STOP/START keywords and refusing sends (smsbridge.optout)
    "max_reply_bytes": 1024 * 1024,  # issue 11: a reply larger than this is refused unread
}

# Keys every backend accepts besides its plugin's own: the defaults, plus where to reach it.
COMMON_OPTIONS = (*DEFAULTS, "base_url", "plugin")

TOP_LEVEL = ("default", "backends", "routes", "store", "defaults", "gateway", "breaker")
BREAKER_DEFAULTS: dict[str, Any] = {"failures": 5, "cooldown": 30.0}

# Bounds of the numbers a config holds (issue 11): beyond them a value is a typo or a unit
# mistake (milliseconds for seconds), and NaN / infinity never mean anything sensible.
MAX_TIMEOUT = 600.0        # seconds: a whole-request deadline of ten minutes
MAX_SEGMENTS = 255         # a concatenated SMS has at most 255 parts (3GPP TS 23.040)
MAX_RATE_LIMIT = 100_000.0  # messages per second
MAX_BREAKER_FAILURES = 1_000_000
MAX_COOLDOWN = 86_400.0    # seconds: one day
MAX_RECONCILE_GRACE = 7 * 86_400.0  # seconds: a week

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Settings(Mapping[str, Any]):
    """One backend's merged settings (defaults < backend keys); secrets masked in ``repr``."""

    missing: tuple[str, ...] = ()
    """Key paths of required options left empty; the backend cannot be used until set."""

    def __init__(self, values: Mapping[str, Any], secrets: frozenset[str] = frozenset()) -> None:
        self._values = dict(values)
        self._secrets = secrets

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __repr__(self) -> str:
        shown = {k: ("***" if k in self._secrets and v else v) for k, v in self._values.items()}
        return f"Settings({shown!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class Route:
    """One routing rule: ``countries`` / ``prefixes`` match (either suffices), empty = catch-all."""

    backends: tuple[str, ...]
    countries: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def matches(self, e164: str, region: str | None) -> bool:
        if not self.countries and not self.prefixes:
            return True
        if region and region in self.countries:
            return True
        return any(e164.startswith(p) for p in self.prefixes)


@dataclass
class Config:
    """A parsed, shape-checked configuration. ``lines`` maps key paths to YAML lines."""

    backends: dict[str, dict[str, Any]]
    default: str
    routes: list[Route] = field(default_factory=list)
    store: str | None = field(default=None, repr=False)  # a URL may hold a password
    defaults: dict[str, Any] = field(default_factory=lambda: dict(DEFAULTS))
    gateway: dict[str, Any] = field(default_factory=dict)
    breaker: dict[str, Any] = field(default_factory=lambda: dict(BREAKER_DEFAULTS))
    source: str | None = None
    lines: dict[str, int] = field(default_factory=dict, repr=False)
    base_dir: str | None = None

    def resolve_path(self, path: str) -> str:
        """A relative file path, resolved against the config file's folder (if any)."""
        if path == ":memory:" or os.path.isabs(path) or not self.base_dir:
            return path
        return os.path.join(self.base_dir, path)

    def error(self, path: str, message: str) -> ConfigError:
        """A ConfigError pointing at ``path`` (or its nearest parent that has a line)."""
        probe = path
        while probe and probe not in self.lines:
            probe = probe.rpartition(".")[0]
        return ConfigError(message, path=path, line=self.lines.get(probe), source=self.source)


def find_config_path(path: str | os.PathLike[str] | None = None) -> str:
    """The config file to use: ``path``, else ``$SMSBRIDGE_CONFIG``, else ``./smsbridge.yaml``."""
    chosen = os.fspath(path) if path else os.environ.get("SMSBRIDGE_CONFIG") or "smsbridge.yaml"
    if not os.path.isfile(chosen):
        raise ConfigError(f"config file not found: {chosen}")
    return chosen


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and check a YAML config file (see :func:`find_config_path` for the default)."""
    import yaml

    chosen = find_config_path(path)
    try:
        with open(chosen, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {chosen}: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"invalid YAML: {problem}{_quoting_hint(text, mark)}",
                          line=mark.line + 1 if mark else None, source=chosen) from None
    lines: dict[str, int] = {}
    if node is not None:
        _collect_lines(node, "", lines, chosen)
        _keep_sender_text(node, data)
    return parse(data if data is not None else {}, source=chosen, lines=lines,
                 base_dir=os.path.dirname(os.path.abspath(chosen)))


_UNQUOTED_VAR = re.compile(r"""(?<!["'])\$\{""")


def _quoting_hint(text: str, mark: Any) -> str:
    """Why ``{a: ${X}}`` fails: inside ``{…}``/``[…]`` YAML reads ``{`` as a nested mapping.

    The fix the user needs is quoting (or block style), so the error says exactly that.
    """
    if mark is None:
        return ""
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if not _UNQUOTED_VAR.search(line[:mark.column + 1]):
        return ""
    return (" — inside {…} or […], ${VAR} must be quoted: write \"${VAR}\" (e.g. {password: \"${PASSWORD}\"})"
            " or put each key on its own line")


def _keep_sender_text(node: Any, data: Any) -> None:
    """``sender: +36301234567`` unquoted is a YAML integer (``36301234567``; ``0630…`` even
    an octal one). A sender is text, so every ``sender`` written as a bare number keeps
    exactly what was written, ``+`` and leading zeros included."""
    import yaml

    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        for key_node, value_node in node.value:
            key = key_node.value
            if key not in data:
                continue
            if key == "sender" and isinstance(value_node, yaml.ScalarNode) \
                    and value_node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
                data[key] = value_node.value
            else:
                _keep_sender_text(value_node, data[key])
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for item_node, item in zip(node.value, data, strict=False):
            _keep_sender_text(item_node, item)


def _collect_lines(node: Any, path: str, lines: dict[str, int], source: str) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub = f"{path}.{key}" if path else key
            if key in seen:
                raise ConfigError("duplicate key", path=sub, line=key_node.start_mark.line + 1, source=source)
            seen.add(key)
            lines[sub] = key_node.start_mark.line + 1
            _collect_lines(value_node, sub, lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            sub = f"{path}[{index}]"
            lines[sub] = item.start_mark.line + 1
            _collect_lines(item, sub, lines, source)


def parse(data: Any, *, source: str | None = None, lines: dict[str, int] | None = None,
          base_dir: str | None = None) -> Config:
    """Check the shape of a config mapping (the same schema as the YAML)."""
    probe = Config(backends={}, default="", source=source, lines=lines or {}, base_dir=base_dir)
    if not isinstance(data, Mapping):
        raise probe.error("", f"the configuration must be a mapping, not {type(data).__name__}")
    data = _interpolate(data, "", probe)
    _reject_unknown(data, TOP_LEVEL, "", probe)

    backends_raw = data.get("backends")
    if not isinstance(backends_raw, Mapping) or not backends_raw:
        raise probe.error("backends", "at least one backend must be configured")
    backends: dict[str, dict[str, Any]] = {}
    for name, options in backends_raw.items():
        path = f"backends.{name}"
        if not isinstance(options, Mapping):
            raise probe.error(path, "a backend must be a mapping with at least a 'plugin' key")
        if "plugin" not in options:
            typo = next((k for k in options if _suggest(str(k), ["plugin"])), None)
            if typo is not None:
                raise probe.error(f"{path}.{typo}", f"unknown key {typo!r} (did you mean 'plugin'?)")
        if not isinstance(options.get("plugin"), str) or not options.get("plugin"):
            raise probe.error(f"{path}.plugin" if "plugin" in options else path,
                              "every backend needs 'plugin: NAME' (e.g. plugin: sandbox)")
        backends[str(name)] = dict(options)

    defaults = dict(DEFAULTS)
    defaults_raw = data.get("defaults") or {}
    if not isinstance(defaults_raw, Mapping):
        raise probe.error("defaults", "must be a mapping")
    _reject_unknown(defaults_raw, tuple(DEFAULTS), "defaults", probe)
    for key, value in defaults_raw.items():
        defaults[key] = _coerce_common(key, value, f"defaults.{key}", probe)

    names = list(backends)
    default = data.get("default", names[0])
    if not isinstance(default, str) or default not in backends:
        raise probe.error("default", f"names no configured backend: {default!r}{_suggest(str(default), names)}")

    routes = [_parse_route(item, f"routes[{i}]", names, probe) for i, item in enumerate(_as_list(
        data.get("routes") or [], "routes", probe))]

    store = data.get("store")
    if store is not None and not isinstance(store, str):
        raise probe.error("store", "must be a file path or a postgresql:// URL (or omitted for an in-memory journal)")
    if store:  # issue 13: a URL is dispatched by its scheme, never taken as a relative file name
        problem = store_problem(store)
        if problem:
            raise probe.error("store", problem)
        if store_scheme(store) == "sqlite":
            store = sqlite_path(store)
    gateway = data.get("gateway") or {}
    if not isinstance(gateway, Mapping):
        raise probe.error("gateway", "must be a mapping")
    breaker = dict(BREAKER_DEFAULTS)
    breaker_raw = data.get("breaker") or {}
    if not isinstance(breaker_raw, Mapping):
        raise probe.error("breaker", "must be a mapping")
    _reject_unknown(breaker_raw, tuple(BREAKER_DEFAULTS), "breaker", probe)
    breaker["failures"] = validation.number(breaker_raw.get("failures", breaker["failures"]), "breaker.failures",
                                            probe, kind=int, minimum=1, maximum=MAX_BREAKER_FAILURES)
    breaker["cooldown"] = validation.number(breaker_raw.get("cooldown", breaker["cooldown"]), "breaker.cooldown",
                                            probe, minimum=0, maximum=MAX_COOLDOWN, unit="seconds")
    cfg = Config(backends=backends, default=str(default), routes=routes, store=store, defaults=defaults,
                 gateway=dict(gateway), breaker=breaker, source=source, lines=lines or {}, base_dir=base_dir)
    if store and not store_scheme(store):
        cfg.store = cfg.resolve_path(store)
    return cfg


def _parse_route(item: Any, path: str, names: list[str], cfg: Config) -> Route:
    if not isinstance(item, Mapping):
        raise cfg.error(path, "a route must be a mapping with 'backends' (and optionally 'match')")
    _reject_unknown(item, ("match", "backends"), path, cfg)
    match = item.get("match") or {}
    if not isinstance(match, Mapping):
        raise cfg.error(f"{path}.match", "must be a mapping like {country: HU} or {prefix: '+3630'}")
    _reject_unknown(match, ("country", "prefix"), f"{path}.match", cfg)
    country_path = f"{path}.match.country"
    countries = tuple(validation.region(c, f"{country_path}[{i}]" if f"{country_path}[{i}]" in cfg.lines
                                        else country_path, cfg)
                      for i, c in enumerate(_as_list(match.get("country") or [], country_path, cfg)))
    prefixes = tuple(str(p) for p in _as_list(match.get("prefix") or [], f"{path}.match.prefix", cfg))
    for prefix in prefixes:
        if not re.fullmatch(r"\+?\d+", prefix):
            raise cfg.error(f"{path}.match.prefix", f"prefix {prefix!r} must be digits with a leading '+'")
    prefixes = tuple(p if p.startswith("+") else "+" + p for p in prefixes)
    backends = _as_list(item.get("backends"), f"{path}.backends", cfg)
    if not backends:
        raise cfg.error(f"{path}.backends", "a route needs at least one backend")
    for name in backends:
        if not isinstance(name, str) or name not in names:
            raise cfg.error(f"{path}.backends", f"names no configured backend: {name!r}{_suggest(str(name), names)}")
    return Route(backends=tuple(str(b) for b in backends), countries=countries, prefixes=prefixes)


def backend_settings(cfg: Config, name: str, options: Mapping[str, Any], *, secrets: frozenset[str] = frozenset(),
                     plugin_options: Mapping[str, Any] | None = None) -> Settings:
    """Merge ``defaults`` with backend ``name``'s keys, checked against its plugin's options.

    ``plugin_options`` maps option names to :class:`~smsbridge.backend.Option` specs.
    """
    plugin_options = plugin_options or {}
    path = f"backends.{name}"
    known = (*COMMON_OPTIONS, *plugin_options)
    _reject_unknown(options, known, path, cfg)
    values: dict[str, Any] = dict(cfg.defaults)
    values["base_url"] = None
    for key, spec in plugin_options.items():
        values[key] = spec.default
    for key, value in options.items():
        sub = f"{path}.{key}"
        if key in plugin_options:
            spec = plugin_options[key]
            values[key] = None if value is None else _coerce(value, spec.kind, sub, cfg)
            if getattr(spec, "path", False) and values[key]:
                values[key] = cfg.resolve_path(values[key])
        elif key == "base_url":
            if value is not None and not (isinstance(value, str) and re.match(r"https?://", value)):
                raise cfg.error(sub, "must be an http:// or https:// URL")
            values[key] = value
        elif key != "plugin":
            values[key] = _coerce_common(key, value, sub, cfg)
    settings = Settings(values, secrets)
    # A required option left empty (``${VAR:-}`` with VAR unset) does not fail loading: the
    # example config lists real providers ready to enable, and must always load (SPEC §3).
    # Using such a backend raises ConfigError naming the key; `config check` warns.
    settings.missing = tuple(f"{path}.{key}" for key, spec in plugin_options.items()
                             if spec.required and values.get(key) in (None, ""))
    return settings


def _coerce_common(key: str, value: Any, path: str, cfg: Config) -> Any:
    if key == "timeout":
        return validation.number(value, path, cfg, above=0, maximum=MAX_TIMEOUT, unit="seconds")
    if key == "max_segments":
        return validation.number(value, path, cfg, kind=int, minimum=1, maximum=MAX_SEGMENTS)
    if key == "rate_limit":
        if value is None:
            return None
        return validation.number(value, path, cfg, above=0, maximum=MAX_RATE_LIMIT,
                                 unit="messages per second (or null for no limit)")
    if key == "reconcile_grace":
        if value is None:
            return None
        return validation.number(value, path, cfg, minimum=0, maximum=MAX_RECONCILE_GRACE, unit="seconds")
    if key == "max_reply_bytes":
        size = _coerce(value, int, path, cfg)
        if not 1024 <= size <= 1 << 31:
            raise cfg.error(path, "must be a whole number of bytes between 1024 and 2147483648")
        return size
    if key in ("transliterate", "ignore_sender"):
        return _coerce(value, bool, path, cfg)
    if key == "verify":
        if isinstance(value, str) and value.lower() not in ("true", "false", "yes", "no", "1", "0"):
            # A CA bundle path (file or c_rehash'd folder), as requests accepts. Checked here:
            # a missing one would otherwise fail every request, far from its cause.
            bundle = cfg.resolve_path(os.path.expanduser(value))
            if not os.path.exists(bundle):
                raise cfg.error(path, f"CA bundle {value!r} does not exist (give a PEM file or folder, or true/false)")
            return bundle
        return _coerce(value, bool, path, cfg)
    if key == "default_region":
        if not isinstance(value, str):
            raise cfg.error(path, f"must be a two-letter region code like HU, not {value!r}")
        return validation.region(value, path, cfg)
    if key == "opt_out":
        from .optout import parse_setting

        try:
            return parse_setting(value)
        except ValueError as exc:
            raise cfg.error(path, str(exc)) from None
    if key == "sender":
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise cfg.error(path, "must be a text or phone number")
        return value
    return value


# The checks live in smsbridge.validation (public, for plugins too); these names stay for
# modules that imported them before it existed.
_coerce = validation.coerce
_reject_unknown = validation.reject_unknown
_suggest = validation.suggest
_looks_secret = validation.looks_secret
_as_list = validation.as_list


def _interpolate(value: Any, path: str, cfg: Config) -> Any:
    """Replace ``${VAR}`` and ``${VAR:-fallback}`` in every string, recursively."""
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            var, fallback = m.group(1), m.group(2)
            if var in os.environ and (os.environ[var] != "" or fallback is None):
                return os.environ[var]
            if fallback is not None:
                return fallback
            raise cfg.error(path, f"environment variable {var} is not set (write ${{{var}:-default}} "
                                  "for a fallback)")
        return _VAR.sub(sub, value)
    if isinstance(value, Mapping):
        return {k: _interpolate(v, f"{path}.{k}" if path else str(k), cfg) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", cfg) for i, v in enumerate(value)]
    return value
