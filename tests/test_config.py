"""Configuration loading and validation (SPEC §3): errors name the key path and line."""
from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsbridge import Bridge, ConfigError
from smsbridge import config as config_mod


def write(tmp_path, text: str):
    path = tmp_path / "smsbridge.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(tmp_path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        Bridge.from_config(write(tmp_path, text)).close()
    return info.value


def test_env_vars_and_fallbacks(tmp_path, monkeypatch):
    monkeypatch.setenv("SB_PATH", str(tmp_path / "x.sqlite3"))
    monkeypatch.delenv("SB_TIMEOUT", raising=False)
    cfg = config_mod.load(write(tmp_path, """
        backends:
          local: {plugin: sandbox, path: "${SB_PATH}", timeout: "${SB_TIMEOUT:-2.5}"}
    """))
    assert cfg.backends["local"]["path"] == str(tmp_path / "x.sqlite3")
    with Bridge(cfg) as bridge:
        assert bridge.backend("local").settings["timeout"] == 2.5


def test_missing_env_var_names_variable_key_and_line(tmp_path, monkeypatch):
    monkeypatch.delenv("NOPE_PASSWORD", raising=False)
    err = load_error(tmp_path, """
        backends:
          local:
            plugin: sandbox
            path: ${NOPE_PASSWORD}
    """)
    assert "NOPE_PASSWORD" in str(err) and err.path == "backends.local.path" and err.line == 5


def test_unknown_key_suggests_the_right_one(tmp_path):
    err = load_error(tmp_path, """
        backends:
          local: {plugin: sandbox}
        defaults:
          timout: 3
    """)
    assert err.path == "defaults.timout" and err.line == 5
    assert "did you mean 'timeout'" in str(err)


def test_unknown_backend_option_is_an_error(tmp_path):
    err = load_error(tmp_path, """
        backends:
          local:
            plugin: sandbox
            pth: x.sqlite3
    """)
    assert err.path == "backends.local.pth" and "did you mean 'path'" in str(err) and err.line == 5


def test_unknown_plugin_names_the_installed_ones(tmp_path):
    err = load_error(tmp_path, """
        backends:
          local: {plugin: sandbx}
    """)
    assert "sandbx" in str(err) and "did you mean 'sandbox'" in str(err) and err.line == 3


@pytest.mark.parametrize("text, path", [
    ("backends: {}", "backends"),
    ("backends:\n  a: {path: x}", "backends.a"),
    ("backends:\n  a: {plugin: sandbox}\ndefault: b", "default"),
    ("backends:\n  a: {plugin: sandbox}\nroutes:\n  - backends: [b]", "routes[0].backends"),
    ("backends:\n  a: {plugin: sandbox}\nroutes:\n  - match: {country: HU, prefx: '+36'}\n    backends: [a]",
     "routes[0].match.prefx"),
    ("backends:\n  a: {plugin: sandbox}\nroutes:\n  - match: {prefix: '36a'}\n    backends: [a]",
     "routes[0].match.prefix"),
    ("backends:\n  a: {plugin: sandbox, timeout: soon}", "backends.a.timeout"),
    ("backends:\n  a: {plugin: sandbox, max_segments: 0}", "backends.a.max_segments"),
    ("backends:\n  a: {plugin: sandbox}\ndefaults: {default_region: Hungary}", "defaults.default_region"),
    ("backends:\n  a: {plugin: sandbox}\nbackends:\n  b: {plugin: sandbox}", "backends"),
])
def test_shape_errors_name_the_path(tmp_path, text, path):
    err = load_error(tmp_path, text)
    assert err.path == path and err.line is not None


def test_invalid_yaml_names_the_line(tmp_path):
    err = load_error(tmp_path, "backends:\n  local: {plugin: sandbox\n")
    assert "invalid YAML" in str(err) and err.line


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found: .*nope.yaml"):
        Bridge.from_config(tmp_path / "nope.yaml")


def test_default_path_comes_from_env(tmp_path, monkeypatch):
    path = write(tmp_path, "backends:\n  local: {plugin: sandbox}\n")
    monkeypatch.setenv("SMSBRIDGE_CONFIG", str(path))
    with Bridge.from_config() as bridge:
        assert bridge.backends() == ["local"]


def test_routes_by_country_and_prefix(tmp_path):
    cfg = {"backends": {n: {"plugin": "sandbox"} for n in ("hu", "mobile", "rest", "fallback")},
           "routes": [{"match": {"prefix": "+3670"}, "backends": ["mobile"]},
                      {"match": {"country": "hu"}, "backends": ["hu", "fallback"]},
                      {"match": {"prefix": ["+1", "44"]}, "backends": ["rest"]}],
           "default": "fallback"}
    with Bridge.from_dict(cfg) as bridge:
        assert bridge.send("+36701234567", "x").backend == "mobile"
        assert bridge.send("+36301234567", "x").backend == "hu"
        assert bridge.send("+14155552671", "x").backend == "rest"
        assert bridge.send("+447911123456", "x").backend == "rest"
        assert bridge.send("+4915123456789", "x").backend == "fallback"


def test_example_config_loads_without_any_environment(monkeypatch, tmp_path):
    from pathlib import Path

    for var in ("SIMPLESMS_USERNAME", "SIMPLESMS_PASSWORD", "SIMPLESMS_DOMAIN", "TWILIO_ACCOUNT_SID",
                "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    with Bridge.from_config(Path(__file__).parent.parent / "config.example.yaml") as bridge:
        receipt = bridge.send("+36301234567", "Szia")
        assert receipt.backend == "local"
        assert bridge.send("+14155552671", "Hi").backend == "local"


_key = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(key=_key)
def test_any_unknown_top_level_key_is_rejected(key):
    data = {"backends": {"a": {"plugin": "sandbox"}}, key: 1}
    if key in config_mod.TOP_LEVEL:
        return
    with pytest.raises(ConfigError) as info:
        config_mod.parse(data)
    assert info.value.path == key


@settings(max_examples=150, deadline=None)
@given(timeout=st.one_of(st.floats(min_value=0.001, max_value=config_mod.MAX_TIMEOUT),
                         st.integers(min_value=1, max_value=int(config_mod.MAX_TIMEOUT))),
       as_text=st.booleans())
def test_positive_timeouts_parse_from_numbers_or_text(timeout, as_text):
    value = str(timeout) if as_text else timeout
    cfg = config_mod.parse({"backends": {"a": {"plugin": "sandbox"}}, "defaults": {"timeout": value}})
    assert cfg.defaults["timeout"] == pytest.approx(float(timeout))


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(st.text(max_size=8), st.floats(max_value=0), st.integers(max_value=0), st.booleans(),
                       st.lists(st.integers(), max_size=2)))
def test_bad_timeouts_are_config_errors(value):
    try:
        ok = float(value) > 0 and not isinstance(value, (bool, list))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        ok = False
    if ok:
        return
    with pytest.raises(ConfigError) as info:
        config_mod.parse({"backends": {"a": {"plugin": "sandbox"}}, "defaults": {"timeout": value}})
    assert info.value.path == "defaults.timeout"


@settings(max_examples=100, deadline=None)
@given(name=st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True), fallback=st.text(
    alphabet=st.characters(blacklist_characters="}$", blacklist_categories=("Cs",)), max_size=10))
def test_interpolation_fallback_is_used_when_unset(name, fallback):
    import os

    if name in os.environ:
        return
    cfg = config_mod.parse({"backends": {"a": {"plugin": "sandbox", "path": f"x${{{name}:-{fallback}}}y"}}})
    assert cfg.backends["a"]["path"] == f"x{fallback}y"
