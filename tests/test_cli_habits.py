"""The CLI speaks its users' habits (issue 16): ``-v``/``-vv``, ``--dry-run``, ``--config``
after the command, JSON errors, help on every option, completion, ``--version``, and
failover shown. Each command runs as a real subprocess, as a user runs it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from smsbridge import Bridge
from smsbridge.cli import cli

SMSBRIDGE = [sys.executable, "-m", "smsbridge.cli"]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    full.pop("SMSBRIDGE_CONFIG", None)
    return subprocess.run([*SMSBRIDGE, *args], capture_output=True, text=True, cwd=cwd, env=full, timeout=60)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text("backends:\n  local: {plugin: sandbox, path: sandbox.sqlite3}\nstore: journal.sqlite3\n",
                    encoding="utf-8")
    return path


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"smsbridge {version('smsbridge')}"


@pytest.mark.parametrize("where", ["before", "after", "after="])
def test_config_before_or_after_the_command(where: str, config: Path, tmp_path: Path) -> None:
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    if where == "before":
        args = ["--config", str(config), "send", "+36301234567", "Szia"]
    elif where == "after":
        args = ["send", "+36301234567", "Szia", "--config", str(config)]
    else:
        args = ["send", f"--config={config}", "+36301234567", "Szia"]
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sent sb_") and " via local: queued, 1 segment (gsm7)" in result.stdout
    checked = run("config", "check", "--config", str(config), cwd=cwd)
    assert checked.returncode == 0 and f"{config}: ok (1 backend: local)" in checked.stdout


def test_an_argument_after_double_dash_is_not_taken_for_config(config: Path, tmp_path: Path) -> None:
    result = run("--config", str(config), "send", "--", "+36301234567", "--config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Bridge.from_config(config) as bridge:
        [record] = bridge.journaled()
        assert record.text == "--config"


def test_json_errors_are_json_objects(config: Path, tmp_path: Path) -> None:
    bad = run("send", "--json", "+3630", "Szia", "--config", str(config), cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr == ""
    error = json.loads(bad.stdout)
    assert error["type"] == "InvalidNumber" and "+3630" in error["error"] and error["message_id"] is None
    missing = run("status", "--json", "sb_000000000000000000000000", "--config", str(config), cwd=tmp_path)
    assert missing.returncode == 1 and json.loads(missing.stdout)["type"] == "NotFound"
    no_config = run("config", "check", "--json", "--config", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert no_config.returncode == 2
    assert json.loads(no_config.stdout) == {"error": f"config file not found: {tmp_path / 'nope.yaml'}",
                                            "type": "ConfigError", "message_id": None}


def test_dry_run_sends_nothing(config: Path, tmp_path: Path) -> None:
    text = "Árvíztűrő tükörfúrógép " * 4  # ű/ő are not GSM-7: UCS-2, 70 characters a part
    result = run("send", "--dry-run", "+36301234567", text, "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("dry run: would send to +36301234567 via local: 2 segments (ucs2), sender "
                                     "(backend default); nothing sent")
    as_json = json.loads(run("send", "-n", "--json", "06301234567", "Szia", "--config", str(config),
                             cwd=tmp_path).stdout)
    assert as_json["dry_run"] is True and as_json["to"] == "+36301234567" and as_json["segments"] == 1
    assert as_json["encoding"] == "gsm7" and as_json["backends"] == [
        {"name": "local", "plugin": "sandbox", "breaker": "closed"}]
    refused = run("send", "--dry-run", "+3630", "x", "--config", str(config), cwd=tmp_path)
    assert refused.returncode == 1 and "InvalidNumber" in refused.stderr
    with Bridge.from_config(config) as bridge:  # nothing journaled, nothing reached the sandbox
        assert bridge.journaled() == [] and bridge.balance().amount == 1000


def test_failover_is_shown(tmp_path: Path, free_port: int) -> None:
    config = tmp_path / "failover.yaml"
    config.write_text(f"""
backends:
  simplesms: {{plugin: simplesms-rest, username: u, password: p, domain: d.hu,
               base_url: "http://127.0.0.1:{free_port}/rest/SMSapi/"}}
  twilio: {{plugin: sandbox, path: sandbox.sqlite3}}
routes:
  - backends: [simplesms, twilio]
store: journal.sqlite3
""", encoding="utf-8")
    result = run("send", "+36301234567", "Szia", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert " via twilio (simplesms: refused, certainly not sent): queued" in result.stdout
    as_json = json.loads(run("send", "--json", "+36301234567", "Szia", "--config", str(config),
                             cwd=tmp_path).stdout)
    assert as_json["backend"] == "twilio"
    [first, second] = as_json["attempts"]
    assert first["backend"] == "simplesms" and "connection refused" in first["outcome"]
    assert second == {"backend": "twilio", "outcome": None}


def test_verbose_logs_without_secrets(gateway: Any, tmp_path: Path) -> None:
    secret = "pw-VERYSECRET-77"
    server = gateway({"backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "s.sqlite3")}},
                      "gateway": {"clients": {"app": {"simplesms": {"username": "u", "password": secret,
                                                                   "domain": "d.hu"}}}}})
    config = tmp_path / "app.yaml"
    config.write_text(f"""
backends:
  primary: {{plugin: simplesms-rest, username: u, password: "${{SSMS_PASSWORD}}", domain: d.hu,
             base_url: "{server.url}/rest/SMSapi/"}}
store: journal.sqlite3
""", encoding="utf-8")
    env = {"SSMS_PASSWORD": secret}
    quiet = run("send", "+36301234567", "Szia", "--config", str(config), cwd=tmp_path, env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    info = run("-v", "send", "+36301234567", "Szia", "--config", str(config), cwd=tmp_path, env=env)
    assert "INFO smsbridge.cli: attempt: primary: accepted" in info.stderr and "DEBUG" not in info.stderr
    debug = run("send", "+36301234567", "Szia", "-vv", "--config", str(config), cwd=tmp_path, env=env)
    assert debug.returncode == 0, debug.stderr
    assert "DEBUG urllib3.connectionpool" in debug.stderr
    assert secret not in debug.stderr + debug.stdout
    assert run("--debug", "balance", "--config", str(config), cwd=tmp_path, env=env).stderr.count("DEBUG") >= 1


def test_the_log_filter_masks_configured_secrets() -> None:
    import logging

    from smsbridge.cli import _RedactingFilter

    filt = _RedactingFilter()
    filt.secrets.add("tok-123456")
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "sending with %s and %s", ("tok-123456", "ok"),
                               None)
    assert filt.filter(record) and record.getMessage() == "sending with *** and ok"


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = [(prefix or "smsbridge", group)]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}".strip())
        else:
            found.append((f"{prefix} {name}".strip(), command))
    return found


# bulk and reconcile belong to other work in progress; every other command is checked.
@pytest.mark.parametrize("name,command", [c for c in _commands(cli) if c[0] not in ("bulk", "reconcile")],
                         ids=lambda c: c if isinstance(c, str) else "")
def test_every_option_has_help(name: str, command: click.Command) -> None:
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"smsbridge {name}: {param.opts} has no help text"


def test_shell_completion(tmp_path: Path) -> None:
    env = {"_SMSBRIDGE_COMPLETE": "bash_complete", "COMP_WORDS": "smsbridge se", "COMP_CWORD": "1"}
    result = subprocess.run(["smsbridge"], capture_output=True, text=True, env={**os.environ, **env}, timeout=60,
                            cwd=tmp_path)
    assert "plain,send" in result.stdout and "plain,serve" in result.stdout
    script = subprocess.run(["smsbridge"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env={**os.environ, "_SMSBRIDGE_COMPLETE": "bash_source"})
    assert "_smsbridge_completion()" in script.stdout
    assert '_SMSBRIDGE_COMPLETE=bash_source smsbridge' in (Path(__file__).parent.parent / "README.md").read_text()


def test_journal_status_is_a_choice(config: Path, tmp_path: Path) -> None:
    result = run("journal", "--status", "bogus", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "'bogus' is not one of 'queued', 'sent'" in result.stderr and "InvalidMessage" not in result.stderr


def test_missing_server_extra_names_what_to_install(config: Path, tmp_path: Path) -> None:
    code = ("import sys; sys.modules['uvicorn'] = None; from smsbridge.cli import main; "
            f"sys.argv = ['smsbridge', '--config', {str(config)!r}, 'serve']; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert "smsbridge[server]" not in result.stderr
    assert "pip install '.[server]'" in result.stderr and "uvicorn" in result.stderr


@pytest.mark.parametrize("command", [["backends"], ["journal"], ["send", "+36301234567", "hi"]])
def test_a_reader_that_went_away_ends_the_command_quietly(command: list[str], config: Path, tmp_path: Path) -> None:
    """``smsbridge journal | head -1``: once the reader closes the pipe, the command ends
    without an error line (the message, if any, is still sent and journaled)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write: every write is EPIPE
    env = {k: v for k, v in os.environ.items() if k != "SMSBRIDGE_CONFIG"}
    try:
        result = subprocess.run([*SMSBRIDGE, "--config", str(config), *command], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env, timeout=60)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 1  # as click ends on EPIPE
    if command[0] == "send":
        with Bridge.from_config(config) as bridge:
            assert [r.to for r in bridge.journaled()] == ["+36301234567"]
