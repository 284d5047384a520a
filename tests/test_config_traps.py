"""The small configuration traps a newcomer falls into (issue 16), each with a clear error."""
from __future__ import annotations

from pathlib import Path

import pytest

from smsbridge import Bridge, ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "smsbridge.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unquoted_var_in_flow_mapping_says_how_to_quote(tmp_path: Path) -> None:
    path = write(tmp_path, "backends:\n  local: {plugin: sandbox, path: ${SANDBOX_PATH}}\n")
    with pytest.raises(ConfigError) as info:
        Bridge.from_config(path)
    message = str(info.value)
    assert "must be quoted" in message and '"${VAR}"' in message
    assert "line 2" in message


def test_quoted_var_in_flow_mapping_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_PATH", str(tmp_path / "s.sqlite3"))
    path = write(tmp_path, 'backends:\n  local: {plugin: sandbox, path: "${SANDBOX_PATH}"}\n')
    with Bridge.from_config(path) as bridge:
        assert bridge.backends() == ["local"]


def test_other_yaml_errors_get_no_quoting_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "backends:\n  local: {plugin: sandbox,\n")
    with pytest.raises(ConfigError) as info:
        Bridge.from_config(path)
    assert "invalid YAML" in str(info.value) and "quoted" not in str(info.value)
