"""PHP's own SoapServer as a simpleSMS stand-in: tests/php/simplesms_server.php under
``php -S`` on 127.0.0.1 (its switches and environment are described in that file).

- ``php_unavailable()``: why it cannot run here (no php, no soap extension), else ``None``;
- ``require_php()``: skips the calling test where php cannot run, but fails it when
  ``CI=true`` (CI installs php-cli and php-soap: a missing PHP there is a broken CI);
- ``PhpSoapServer(state_dir, **env)``: one such process, with its state (sessions, message
  store, call counts) in ``state_dir`` and ``env`` added to its environment
  (``SIMPLESMS_CREDIT``, ``SIMPLESMS_NOW``); it answers once the constructor returns;
  ``stop()`` ends it.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = REPO / "tests" / "php" / "simplesms_server.php"


def php_unavailable() -> str | None:
    php = shutil.which("php")
    if php is None:
        return "php is not installed (apt-get install php-cli php-soap)"
    probe = subprocess.run([php, "-r", "exit(extension_loaded('soap') && extension_loaded('session') ? 0 : 1);"],
                           capture_output=True, timeout=30)
    return None if probe.returncode == 0 else "php's soap extension is missing (apt-get install php-soap)"


def require_php() -> str:
    """The php executable; skips the test without it (fails it under ``CI=true``)."""
    import pytest

    reason = php_unavailable()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return shutil.which("php") or "php"


class PhpSoapServer:
    def __init__(self, state_dir: Path, **env: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.state_dir = state_dir
        self.log = state_dir / "php-server.log"
        environment = {**os.environ, "SIMPLESMS_STATE_DIR": str(state_dir), **env}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([shutil.which("php") or "php", "-S", f"127.0.0.1:{self.port}",
                                             str(SERVER_SCRIPT)], cwd=REPO, env=environment,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        # Asks for the call counts, which counts nothing (a WSDL fetch would count).
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"php -S exited early:\n{self.log.read_text()}")
            try:
                if requests.get(f"{self.base}/?calls", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"php -S did not answer within 15 s:\n{self.log.read_text()}")

    def wsdl_url(self, **query: str) -> str:
        """The WSDL's URL; ``query`` picks the server's variant (``returns=``, ``keys=``)."""
        url = f"{self.base}/sms.wsdl"
        if query:
            url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
        return url

    def call_counts(self) -> dict[str, int]:
        """Calls served so far, by operation (``wsdl`` for WSDL fetches)."""
        return requests.get(f"{self.base}/?calls", timeout=5).json() or {}

    def reset_sessions(self) -> None:
        """The server forgets every login; clients' cookies go stale."""
        requests.get(f"{self.base}/?reset_sessions", timeout=5).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
