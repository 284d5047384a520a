"""The CLI's journal persists by default (issue 16): with no ``store:``, a per-user data directory.

Each command runs as its own process with a temporary ``HOME`` and ``XDG_DATA_HOME``, so
the per-user directory is the test's own and nothing touches the real user's files.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smsbridge import Bridge

SMSBRIDGE = [sys.executable, "-m", "smsbridge.cli"]
NO_STORE = "backends:\n  local: {plugin: sandbox, path: sandbox.sqlite3}\n"


def run(home: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    env.pop("SMSBRIDGE_CONFIG", None)
    return subprocess.run([*SMSBRIDGE, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "smsbridge.yaml").write_text(NO_STORE, encoding="utf-8")
    return tmp_path / "home"


def test_send_then_status_without_store_uses_the_per_user_journal(home: Path) -> None:
    work = home.parent / "work"
    sent = run(home, "send", "--json", "+36301234567", "Szia", cwd=work)
    assert sent.returncode == 0, sent.stderr
    message_id = json.loads(sent.stdout)["id"]
    journal = home / "data" / "smsbridge" / "journal.sqlite3"
    assert journal.is_file()
    status = run(home, "status", "--json", message_id, cwd=work)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["id"] == message_id


def test_config_check_says_which_store(home: Path) -> None:
    work = home.parent / "work"
    checked = run(home, "config", "check", cwd=work)
    assert checked.returncode == 0, checked.stderr
    journal = home / "data" / "smsbridge" / "journal.sqlite3"
    assert f"journal: {journal} (per-user default" in checked.stdout
    as_json = json.loads(run(home, "config", "check", "--json", cwd=work).stdout)
    assert as_json["store"] == str(journal) and as_json["store_origin"] == "per-user default"


def test_config_check_names_a_configured_store(home: Path) -> None:
    work = home.parent / "work"
    (work / "smsbridge.yaml").write_text(NO_STORE + "store: mine.sqlite3\n", encoding="utf-8")
    checked = run(home, "config", "check", cwd=work)
    assert f"journal: {work / 'mine.sqlite3'} (config)" in checked.stdout
    (work / "smsbridge.yaml").write_text(NO_STORE + 'store: ":memory:"\n', encoding="utf-8")
    checked = run(home, "config", "check", cwd=work)
    assert "journal: in memory" in checked.stdout
    assert not (home / "data" / "smsbridge").exists()


def test_library_default_stays_in_memory() -> None:
    with Bridge.from_dict({"backends": {"local": {"plugin": "sandbox"}}}) as bridge:
        assert bridge.config.store is None and bridge.journal.path is None
