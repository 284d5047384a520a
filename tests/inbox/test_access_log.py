"""``serve --access-log``: common log format or JSON, and never a secret in a line."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time

import requests

from smsbridge.gateway.access_log import redact_query


class Lines:
    """A stream the middleware writes to; the test reads what arrived."""

    def __init__(self) -> None:
        self.text = ""
        self.lock = threading.Lock()

    def write(self, data: str) -> None:
        with self.lock:
            self.text += data

    def flush(self) -> None:
        pass

    def lines(self, count: int) -> list[str]:
        deadline = time.monotonic() + 10
        while len(self.text.splitlines()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.text.splitlines()


def test_common_log_format_with_secrets_redacted(gateway, sandbox_config):
    out = Lines()
    server = gateway(sandbox_config, access_log="common", access_log_stream=out)
    requests.get(server.url + "/_smsbridge/health?api_key=K123&api_secret=S456&password=P789&token=T1&page=2",
                 headers={"Authorization": "Basic c2VjcmV0OnNlY3JldA==", "User-Agent": "probe"}, timeout=5)
    requests.post(server.url + "/nowhere", data="x", timeout=5)
    first, second = out.lines(2)[:2]
    assert re.fullmatch(r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /_smsbridge/health\?'
                        r'api_key=REDACTED&api_secret=REDACTED&password=REDACTED&token=REDACTED&page=2 HTTP/1\.1" '
                        r'200 \d+', first), first
    assert '"POST /nowhere HTTP/1.1" 404' in second
    for secret in ("K123", "S456", "P789", "T1", "c2VjcmV0"):
        assert secret not in out.text


def test_json_lines(gateway, sandbox_config):
    out = Lines()
    server = gateway(sandbox_config, access_log="json", access_log_stream=out)
    requests.get(server.url + "/_smsbridge/health?auth_token=abc&q=1", headers={"User-Agent": "probe/1"},
                 timeout=5)
    entry = json.loads(out.lines(1)[0])
    assert entry["method"] == "GET" and entry["path"] == "/_smsbridge/health" and entry["status"] == 200
    assert entry["query"] == "auth_token=REDACTED&q=1" and entry["user_agent"] == "probe/1"
    assert entry["remote"] == "127.0.0.1" and entry["bytes"] > 0 and isinstance(entry["duration_ms"], (int, float))


def test_redaction_rule():
    assert redact_query("") == ""
    assert redact_query("To=%2B3630&Signature=abc&X-Amz-Credential=1&sessionId=s") == \
        "To=%2B3630&Signature=REDACTED&X-Amz-Credential=REDACTED&sessionId=REDACTED"


def test_serve_flag_writes_the_log_to_stderr(tmp_path, free_port):
    (tmp_path / "smsbridge.yaml").write_text("backends:\n  local: {plugin: sandbox}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SMSBRIDGE_CONFIG"}
    proc = subprocess.Popen([sys.executable, "-m", "smsbridge.cli", "serve", "--port", str(free_port),
                             "--access-log", "json"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"http://127.0.0.1:{free_port}/_smsbridge/health?password=hunter2", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert f"sandbox inbox: http://127.0.0.1:{free_port}/ui" in err
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert logged and logged[0]["query"] == "password=REDACTED" and "hunter2" not in err


def test_serve_refuses_an_unknown_log_format(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SMSBRIDGE_CONFIG"}
    result = subprocess.run([sys.executable, "-m", "smsbridge.cli", "serve", "--access-log", "xml"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "xml" in result.stderr and "Traceback" not in result.stderr


