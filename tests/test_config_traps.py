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


def test_plugin_suggestion_names_rest_before_soap(tmp_path: Path) -> None:
    path = write(tmp_path, "backends:\n  primary: {plugin: simplesms}\n")
    with pytest.raises(ConfigError) as info:
        Bridge.from_config(path)
    message = str(info.value)
    assert "did you mean 'simplesms-rest' or 'simplesms-soap'?" in message
    assert message.index("simplesms-rest") < message.index("simplesms-soap")


def test_mistyped_plugin_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "backends:\n  primary:\n    pluginn: sandbox\n")
    with pytest.raises(ConfigError) as info:
        Bridge.from_config(path)
    assert str(info.value).startswith("backends.primary.pluginn: unknown key 'pluginn' (did you mean 'plugin'?)")
    assert "line 3" in str(info.value)


def test_mistyped_gateway_client_key_gets_did_you_mean_from_from_config(tmp_path: Path) -> None:
    path = write(tmp_path, "backends:\n  primary: {plugin: sandbox}\ngateway:\n  clients:\n    shop:\n"
                           "      backnd: primary\n")
    with pytest.raises(ConfigError) as info:
        Bridge.from_config(path)  # not only `config check` and `serve`
    assert str(info.value).startswith("gateway.clients.shop.backnd: unknown key 'backnd' (did you mean 'backend'?)")


def test_from_config_validates_gateway_faces(tmp_path: Path) -> None:
    path = write(tmp_path, "backends:\n  primary: {plugin: sandbox}\ngateway:\n  clients:\n    shop:\n"
                           "      twillio: {account_sid: AC1, auth_token: t}\n")
    with pytest.raises(ConfigError, match="did you mean 'twilio'"):
        Bridge.from_config(path)


@pytest.mark.parametrize("written,kept", [("+36301234567", "+36301234567"), ("06301234567", "06301234567"),
                                          ("36301234567", "36301234567"), ('"+36301234567"', "+36301234567")])
def test_unquoted_sender_keeps_what_was_written(tmp_path: Path, written: str, kept: str) -> None:
    path = write(tmp_path, f"defaults: {{sender: {written}}}\nbackends:\n  local:\n    plugin: sandbox\n"
                           f"    sender: {written}\n")
    with Bridge.from_config(path) as bridge:
        assert bridge.config.defaults["sender"] == kept
        assert bridge.backend("local").settings["sender"] == kept
        assert bridge.send("+36301234567", "Szia").sender == kept


def test_missing_ca_bundle_fails_config_check(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write(tmp_path, "backends:\n  local: {plugin: sandbox, verify: /no/such/ca.pem}\nstore: j.sqlite3\n")
    result = subprocess.run([sys.executable, "-m", "smsbridge.cli", "--config", str(path), "config", "check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "backends.local.verify: CA bundle '/no/such/ca.pem' does not exist" in result.stderr
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    path = write(tmp_path, "backends:\n  local: {plugin: sandbox, verify: ca.pem}\n")
    with Bridge.from_config(path) as bridge:  # relative to the config file, like every path
        assert bridge.backend("local").settings["verify"] == str(tmp_path / "ca.pem")


def test_invalid_number_from_send_has_no_message_id_and_nothing_is_journaled() -> None:
    from smsbridge import InvalidNumber

    with Bridge.from_dict({"backends": {"local": {"plugin": "sandbox"}}}) as bridge:
        with pytest.raises(InvalidNumber) as info:
            bridge.send("+3630", "Szia")
        assert info.value.message_id is None and bridge.journaled() == []
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "have `.message_id = None`: nothing was recorded" in readme


def test_readme_first_command_works_in_a_fresh_copy(tmp_path: Path) -> None:
    """README's install-and-send command, verbatim, in a copy of the tree: it makes its own
    venv first, which Debian's externally-managed system Python requires."""
    import re
    import shutil
    import subprocess

    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Two commands", 1)[1]
    command = re.search(r"```bash\n(.*?)\n```", section, re.S).group(1).strip()
    assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install .")
    shutil.copytree(root, tmp_path / "tree", ignore=shutil.ignore_patterns(
        ".venv", ".git", "*.sqlite3*", "*.egg-info", ".hypothesis", "__pycache__", "build", ".mypy_cache"))
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("VIRTUAL_ENV", "SMSBRIDGE_CONFIG")}
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=tmp_path / "tree", env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]  # after pip's own output
    assert re.match(r"sent sb_[0-9a-f]{24} via local: queued, 1 segment \(gsm7\) to \+36301234567", last), last
