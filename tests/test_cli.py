"""The CLI (SPEC §4) through click's runner and as a real subprocess, as a user runs it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsbridge.cli import cli

ROOT = Path(__file__).parent.parent
SMSBRIDGE = [sys.executable, "-m", "smsbridge.cli"]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "smsbridge.yaml").write_text(
        "backends:\n  local: {plugin: sandbox, path: sandbox.sqlite3}\nstore: journal.sqlite3\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SMSBRIDGE_CONFIG", None)
    return subprocess.run([*SMSBRIDGE, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=60)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_send_status_history_in_separate_processes(workdir):
    sent = run("send", "--json", "+36301234567", "Szia", cwd=workdir)
    assert sent.returncode == 0, sent.stderr
    receipt = json.loads(sent.stdout)
    assert receipt["backend"] == "local" and receipt["segments"] == 1 and receipt["status"] == "queued"
    status = run("status", "--json", receipt["id"], cwd=workdir)
    assert status.returncode == 0 and json.loads(status.stdout)["status"] == "delivered"
    history = run("history", "--json", receipt["id"], cwd=workdir)
    assert [e["status"] for e in json.loads(history.stdout)] == ["queued", "sent", "delivered"]


def test_balance_stats_backends_config_check(workdir):
    invoke("send", "+36301234567", "x")
    invoke("send", "+14155552671", "y")
    assert json.loads(invoke("balance", "--json").output) == {"amount": "998.0", "unit": "credit", "backend": "local"}
    stats = invoke("stats").output.splitlines()
    assert stats[0].split() == ["month", "domestic", "foreign"] and stats[1].split()[1:] == ["1", "1"]
    backends = json.loads(invoke("backends", "--json").output)
    sandbox = next(p for p in backends["installed"] if p["plugin"] == "sandbox")
    assert sandbox["package"].startswith("smsbridge ") and "send" in sandbox["capabilities"]
    assert backends["configured"][0]["breaker"] == "closed"
    result = invoke("config", "check")
    assert result.exit_code == 0 and "ok (1 backend: local)" in result.output


def test_bulk_csv_with_results_and_resume(workdir):
    (workdir / "in.csv").write_text("to,text\n+36301234567,one\nnot-a-number,two\n+14155552671,three\n",
                                    encoding="utf-8")
    result = run("bulk", "in.csv", "--out", "out.csv", cwd=workdir)
    assert result.returncode == 1 and "2 sent, 0 already sent, 1 failed, 0 unknown" in result.stderr
    rows = (workdir / "out.csv").read_text().splitlines()
    assert rows[0] == "row,to,result,id,backend,provider_id,status,segments,error,key"
    assert [r.split(",")[2] for r in rows[1:]] == ["sent", "failed", "sent"]
    first_ids = [r.split(",")[3] for r in rows[1:]]
    again = run("bulk", "in.csv", cwd=workdir)  # the same file again: nothing is sent twice
    assert [r.split(",")[3] for r in again.stdout.splitlines()[1:]] == first_ids
    assert [r.split(",")[2] for r in again.stdout.splitlines()[1:]] == ["already-sent", "failed", "already-sent"]
    assert "0 sent, 2 already sent, 1 failed, 0 unknown" in again.stderr
    balance = json.loads(run("balance", "--json", cwd=workdir).stdout)
    assert balance["amount"] == "998.0"


@pytest.mark.parametrize("args, needle, code", [
    (["send", "+3612", "x"], "'+3612' is not a valid phone number", 1),
    (["send", "+36301234567", ""], "message text is empty", 1),
    (["send", "--backend", "nope", "+36301234567", "x"], "unknown backend 'nope'", 2),
    (["status", "sb_missing"], "no message with id 'sb_missing'", 1),
    (["--config", "missing.yaml", "send", "+36301234567", "x"], "config file not found: missing.yaml", 2),
])
def test_expected_errors_are_one_line_without_traceback(workdir, args, needle, code):
    result = run(*args, cwd=workdir)
    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (workdir / "journal.sqlite3").exists() or "sb_" not in run("journal", cwd=workdir).stdout


@pytest.mark.parametrize("yaml_text, needle", [
    ("backends:\n  local: {plugin: sandbox}\ndefaults:\n  timout: 3\n", "defaults.timout: unknown key 'timout' (did you mean 'timeout'?)"),
    ("backends:\n  local: {plugin: sandbx}\n", "unknown plugin 'sandbx'"),
    ("backends:\n  local: {plugin: sandbox, path: '${SMSBRIDGE_TEST_UNSET}'}\n", "SMSBRIDGE_TEST_UNSET is not set"),
])
def test_config_errors_name_the_culprit(tmp_path, yaml_text, needle):
    (tmp_path / "bad.yaml").write_text(yaml_text, encoding="utf-8")
    for args in (["config", "check"], ["send", "+36301234567", "x"]):
        result = run("--config", "bad.yaml", *args, cwd=tmp_path)
        assert result.returncode == 2 and needle in result.stderr and "line" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_third_party_plugin_found_through_entry_points(tmp_path):
    """A plugin shipped as a distribution (dist-info + entry point) registers with no code change."""
    (tmp_path / "smsbridge.yaml").write_text(
        "backends:\n  fake: {plugin: fake, api_key: k-SECRET-9}\nstore: j.sqlite3\n", encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT / "tests" / "fakeplugin")}
    listing = run("backends", "--json", cwd=tmp_path, env=env)
    installed = {p["plugin"]: p for p in json.loads(listing.stdout)["installed"]}
    assert installed["fake"]["package"] == "smsbridge-fake 0.1"
    sent = run("send", "--json", "+36301234567", "hi", cwd=tmp_path, env=env)
    assert sent.returncode == 0 and json.loads(sent.stdout)["provider_id"].startswith("fake-")
    assert "k-SECRET-9" not in listing.stdout + sent.stdout + sent.stderr


def test_example_config_works_out_of_the_box(tmp_path):
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.example.yaml")
    env = {k: "" for k in ("SIMPLESMS_USERNAME", "TWILIO_AUTH_TOKEN")}
    sent = run("--config", "config.example.yaml", "send", "--json", "+36301234567", "Szia", cwd=tmp_path, env=env)
    assert sent.returncode == 0, sent.stderr
    message_id = json.loads(sent.stdout)["id"]
    status = run("--config", "config.example.yaml", "status", message_id, cwd=tmp_path)
    assert status.returncode == 0 and "delivered" in status.stdout
    check = run("--config", "config.example.yaml", "config", "check", cwd=tmp_path)
    assert check.returncode == 0


def test_serve_with_self_signed_tls(tmp_path, free_port):
    """`smsbridge serve --tls-self-signed` prints its certificate; a client trusting it gets in."""
    import re
    import time

    import requests

    (tmp_path / "smsbridge.yaml").write_text("backends:\n  local: {plugin: sandbox}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SMSBRIDGE_CONFIG"}
    proc = subprocess.Popen([*SMSBRIDGE, "serve", "--port", str(free_port), "--tls-self-signed"], cwd=tmp_path,
                            env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        cert = re.search(r"TLS certificate: (\S+)", line).group(1)
        deadline = time.monotonic() + 20
        while True:
            try:
                reply = requests.get(f"https://127.0.0.1:{free_port}/_smsbridge/health", verify=cert, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        assert reply.json()["ok"] is True
        with pytest.raises(requests.exceptions.SSLError):  # not trusted without the cert
            requests.get(f"https://127.0.0.1:{free_port}/_smsbridge/health", verify=True, timeout=2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_rejects_half_a_tls_pair(workdir):
    (workdir / "cert.pem").write_text("x")
    result = run("serve", "--tls-cert", "cert.pem", cwd=workdir)
    assert result.returncode == 2 and "--tls-cert and --tls-key go together" in result.stderr
