"""mypy sees the shims' types (issue 16): ``smsbridge.compat.<name>`` has ``.pyi`` stubs
re-exporting the plugin module the import finder serves at run time.

mypy cannot follow an editable install's import hook, so the repository itself is put on
``MYPYPATH`` (``smsbridge/``, and ``plugins/`` as ``smsbridge_plugins`` through a symlink):
the test checks the tree it runs in, installed either way.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

APP = '''
from smsbridge.compat.twilio import Client, TwilioRestException
from smsbridge.compat.vonage import Vonage

client = Client("AC123", "token")
m = client.messages.create(to="+36301234567", from_="+15017122661", body="Hi")
reveal_type(m)
reveal_type(client.messages.create_async)
reveal_type(TwilioRestException(400, "/uri", "msg").code)
reveal_type(Vonage)
wrong: int = m.sid
'''


def test_mypy_finds_the_twilio_shims_types(tmp_path: Path) -> None:
    try:
        import mypy  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("mypy is not installed (it is in the test extra)")
    (tmp_path / "stubs").mkdir()
    (tmp_path / "stubs" / "smsbridge_plugins").symlink_to(ROOT / "plugins", target_is_directory=True)
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": f"{ROOT}{os.pathsep}{tmp_path / 'stubs'}"}
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent",
                             "--cache-dir", str(tmp_path / ".mypy_cache"), "app.py"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    out = result.stdout
    assert "Cannot find implementation or library stub" not in out, out
    assert 'Revealed type is "smsbridge_plugins.twilio.sdk.MessageInstance"' in out, out
    assert "Coroutine[Any, Any, smsbridge_plugins.twilio.sdk.MessageInstance]" in out, out
    assert 'Revealed type is "def (' in out or "smsbridge_plugins.vonage.sdk.Vonage" in out, out
    # the types are real: a wrong use is an error
    assert 'app.py:11: error: Incompatible types in assignment (expression has type "str | None"' in out, out
