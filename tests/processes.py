"""Helpers for tests that run real ``smsbridge serve`` processes: a free port, a bounded
poll, the gateway's health check, and a fleet of gateways on one config."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

__all__ = ["free_port", "wait_until", "healthy", "serve_fleet"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    """Poll until ``condition()``: a generous liveness bound, not a speed figure."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def healthy(url: str) -> bool:
    """True once the gateway at ``url`` answers its health check."""
    try:
        return requests.get(url + "/_smsbridge/health", timeout=2).ok
    except requests.RequestException:
        return False


@contextlib.contextmanager
def serve_fleet(config: Path, logs: Path,
                started: Callable[[list[str]], None] | None = None) -> Iterator[Callable[..., list[str]]]:
    """``start(*worker_counts)``: one ``smsbridge serve --workers N`` per count on ``config``,
    each logging to ``logs/serve-<port>.log``; returns their URLs once each answers
    (``started(urls)`` is told them too).  Every process is stopped when the block ends;
    ``start.procs`` lists them."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*workers: int) -> list[str]:
        urls = []
        for count in workers:
            port = free_port()
            log = (logs / f"serve-{port}.log").open("wb")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "smsbridge.cli", "--config", str(config), "serve", "--port", str(port),
                 "--workers", str(count)], stdout=log, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_until(lambda url=url: healthy(url), f"{url} to answer")
        if started is not None:
            started(urls)
        return urls

    start.procs = procs  # type: ignore[attr-defined]
    try:
        yield start
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
