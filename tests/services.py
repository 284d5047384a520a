"""Real Redis and PostgreSQL servers for the tests that need them.

`.ci/run` starts both from Debian's packages and exports ``SMSBRIDGE_TEST_REDIS`` and
``SMSBRIDGE_TEST_POSTGRES``.  Without those variables a test session starts its own
private servers (``redis-server`` / ``initdb`` + ``pg_ctl`` on a free port, in a temporary
folder) when the binaries are installed.  When they are not, the tests skip and say
why — except under ``CI=true``, where a missing service is a failure, never a skip.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

__all__ = ["need", "redis_server", "postgres_server"]


def need(what: str, why: str) -> None:
    """Skip locally, fail under CI: a service test must run in CI, not silently skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is required under CI=true: {why}")
    pytest.skip(f"{what} unavailable: {why}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes] | None, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {seconds} s")


def redis_server() -> Iterator[str]:
    """A Redis URL: $SMSBRIDGE_TEST_REDIS, else a private redis-server, else skip."""
    url = os.environ.get("SMSBRIDGE_TEST_REDIS")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        need("Redis", "redis-server is not installed (apt-get install redis-server) and"
                      " SMSBRIDGE_TEST_REDIS is not set")
    port = _free_port()
    folder = tempfile.mkdtemp(prefix="smsbridge-redis-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", folder],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def postgres_server() -> Iterator[str]:
    """A PostgreSQL URL: $SMSBRIDGE_TEST_POSTGRES, else a private cluster, else skip.

    PostgreSQL refuses to run as root, so as root the private cluster runs as the
    ``postgres`` system user that Debian's package creates.
    """
    url = os.environ.get("SMSBRIDGE_TEST_POSTGRES")
    if url:
        yield url
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        need("PostgreSQL", "initdb/pg_ctl are not installed (apt-get install postgresql) and"
                           " SMSBRIDGE_TEST_POSTGRES is not set")
    prefix: list[str] = []
    folder = tempfile.mkdtemp(prefix="smsbridge-pg-")
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            need("PostgreSQL", "running as root and there is no 'postgres' user to run the server as")
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(folder, "data")
    port = _free_port()
    subprocess.run([*prefix, initdb, "-D", data, "-U", "smsbridge", "--auth=trust", "-E", "UTF8"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run([*prefix, pg_ctl, "-D", data, "-o", options, "-l", os.path.join(folder, "log"), "-w", "start"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, None, "postgres")
        yield f"postgresql://smsbridge@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)
