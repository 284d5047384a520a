"""Config validation holes (issue 11 item 8): every wrong value is a ConfigError naming key and line.

Also the public validation module (issue 17 item 4) that plugins use for their own options.
"""
from __future__ import annotations

import math
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsbridge import Bridge, ConfigError, validation
from smsbridge import config as config_mod


def load_error(tmp_path, text: str) -> ConfigError:
    path = tmp_path / "smsbridge.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Bridge.from_config(path).close()
    return info.value


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1e12", "1.0e12", "0", "-1", '"nan"', '"inf"', "1e400"])
def test_absurd_or_non_finite_timeouts_are_refused_with_key_and_line(tmp_path, value):
    err = load_error(tmp_path, f"""
        backends:
          local:
            plugin: sandbox
            timeout: {value}
    """)
    assert err.path == "backends.local.timeout" and err.line == 5, str(err)
    assert "smsbridge.yaml, line 5" in str(err)


@pytest.mark.parametrize("key, value, path, line", [
    ("defaults", "rate_limit: .nan", "defaults.rate_limit", 4),
    ("defaults", "rate_limit: -2", "defaults.rate_limit", 4),
    ("defaults", "timeout: .nan", "defaults.timeout", 4),
    ("defaults", "max_segments: 1000", "defaults.max_segments", 4),
    ("defaults", "max_segments: .nan", "defaults.max_segments", 4),
    ("defaults", "default_region: ZZ", "defaults.default_region", 4),
    ("breaker", "cooldown: .nan", "breaker.cooldown", 4),
    ("breaker", "cooldown: -1", "breaker.cooldown", 4),
    ("breaker", "cooldown: .inf", "breaker.cooldown", 4),
    ("breaker", "failures: 0", "breaker.failures", 4),
    ("breaker", "failures: .nan", "breaker.failures", 4),
])
def test_numbers_out_of_range_name_key_and_line(tmp_path, key, value, path, line):
    err = load_error(tmp_path, f"""
        backends: {{local: {{plugin: sandbox}}}}
        {key}:
          {value}
    """)
    assert (err.path, err.line) == (path, line), str(err)


def test_a_plugin_float_option_must_be_finite(tmp_path):
    err = load_error(tmp_path, """
        backends:
          local: {plugin: sandbox, credit: .nan}
    """)
    assert err.path == "backends.local.credit" and "finite" in str(err)


@pytest.mark.parametrize("value", ["[]", "{}", "[local]", "7", "null"])
def test_a_default_that_is_not_a_backend_name_is_a_config_error(tmp_path, value):
    err = load_error(tmp_path, f"""
        backends: {{local: {{plugin: sandbox}}}}
        default: {value}
    """)
    assert err.path == "default" and err.line == 3


@pytest.mark.parametrize("country, hint", [("UK", "'GB'"), ("Hungary", "'HU'"), ("hungry", "'HU'"), ("XX", ""),
                                           ("Germny", "'DE'")])
def test_route_countries_are_checked_with_a_did_you_mean(tmp_path, country, hint):
    err = load_error(tmp_path, f"""
        backends: {{local: {{plugin: sandbox}}}}
        routes:
          - match: {{country: [HU, {country}]}}
            backends: [local]
    """)
    assert err.path.startswith("routes[0].match.country") and err.line == 4, str(err)
    assert repr(country) in str(err)
    if hint:
        assert f"did you mean {hint}" in str(err)


def test_valid_countries_any_case_are_accepted_and_match(sandbox_config):
    sandbox_config["routes"] = [{"match": {"country": ["hu", "GB"]}, "backends": ["local"]}]
    with Bridge.from_dict(sandbox_config) as bridge:
        assert bridge.config.routes[0].countries == ("HU", "GB")
        assert bridge.send("+447911123456", "hi").backend == "local"


def test_unknown_plugin_names_the_line_once(tmp_path):
    err = load_error(tmp_path, """
        backends:
          local:
            plugin: sandbx
    """)
    assert err.path == "backends.local.plugin" and err.line == 4 and "did you mean 'sandbox'" in str(err)


def test_config_check_prints_the_error_without_a_traceback(tmp_path):
    import subprocess
    import sys

    (tmp_path / "smsbridge.yaml").write_text("backends:\n  local: {plugin: sandbox, timeout: .nan}\n")
    out = subprocess.run([sys.executable, "-m", "smsbridge.cli", "--config", str(tmp_path / "smsbridge.yaml"),
                          "config", "check"], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "backends.local.timeout" in out.stderr + out.stdout
    assert "Traceback" not in out.stderr


# -- the public module, as a plugin uses it ---------------------------------------------------

def test_validation_without_a_config_names_the_path():
    with pytest.raises(ConfigError) as info:
        validation.number("fast", "backends.x.chaos.latency", None, minimum=0)
    assert info.value.path == "backends.x.chaos.latency" and "a number" in str(info.value)
    assert validation.coerce("yes", bool, "p", None) is True
    assert validation.suggest("timout", ["timeout", "sender"]) == " (did you mean 'timeout'?)"
    with pytest.raises(ConfigError, match="unknown key 'sendr'.*'sender'"):
        validation.reject_unknown({"sendr": 1}, ("sender",), "backends.x", None)
    with pytest.raises(ConfigError, match=r"\*\*\*"):
        validation.coerce(["hunter2"], str, "backends.x.password", None)  # a secret is never shown


ANY_VALUE = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10**20, max_value=10**20),
                      st.text(max_size=12), st.booleans(), st.none(),
                      st.sampled_from(["nan", "inf", "-inf", "1e12", " 3 ", "0x10", "1_000"]),
                      st.lists(st.integers(), max_size=2))

BOUNDS = {"timeout": (0, config_mod.MAX_TIMEOUT, False), "rate_limit": (0, config_mod.MAX_RATE_LIMIT, False),
          "max_segments": (1, config_mod.MAX_SEGMENTS, True)}


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(BOUNDS)), value=ANY_VALUE)
def test_any_numeric_setting_is_a_sane_number_or_a_config_error(key, value):
    try:
        cfg = config_mod.parse({"backends": {"a": {"plugin": "sandbox"}}, "defaults": {key: value}})
    except ConfigError as exc:
        assert exc.path == f"defaults.{key}"
        return
    got = cfg.defaults[key]
    if key == "rate_limit" and got is None:
        assert value is None
        return
    low, high, whole = BOUNDS[key]
    assert isinstance(got, int if whole else float) and not isinstance(got, bool)
    assert math.isfinite(got) and low <= got <= high and (whole or got > low)


@settings(max_examples=200, deadline=None)
@given(failures=ANY_VALUE, cooldown=ANY_VALUE)
def test_breaker_settings_are_sane_or_a_config_error(failures, cooldown):
    try:
        cfg = config_mod.parse({"backends": {"a": {"plugin": "sandbox"}},
                                "breaker": {"failures": failures, "cooldown": cooldown}})
    except ConfigError as exc:
        assert exc.path in ("breaker.failures", "breaker.cooldown")
        return
    assert isinstance(cfg.breaker["failures"], int) and 1 <= cfg.breaker["failures"] <= config_mod.MAX_BREAKER_FAILURES
    assert math.isfinite(cfg.breaker["cooldown"]) and 0 <= cfg.breaker["cooldown"] <= config_mod.MAX_COOLDOWN


COMMON_KEYS = ["timeout", "max_segments", "rate_limit", "reconcile_grace", "transliterate", "verify",
               "default_region", "sender", "base_url"]


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(COMMON_KEYS), value=st.one_of(ANY_VALUE, st.dictionaries(st.text(max_size=3), st.integers(),
                                                                                       max_size=2)))
def test_any_backend_value_is_accepted_or_a_config_error_naming_it(key, value):
    """Never a TypeError or a traceback: a wrong value is a ConfigError with its key path."""
    try:
        Bridge.from_dict({"backends": {"a": {"plugin": "sandbox", key: value}}}).close()
    except ConfigError as exc:
        assert exc.path == f"backends.a.{key}", str(exc)
