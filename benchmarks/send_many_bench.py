"""4b. ``send_many`` speed figures (moved out of the test suite, issue 11/18: speed figures
belong here, not in tests that fail on a busy 2-core machine).

- ``serve_speedup``: ``Bridge.send_many`` at concurrency 16 vs a sequential ``send_many``
  through ``simplesms-rest`` against a real ``smsbridge serve`` process (its own GIL) whose
  sandbox takes 20 ms per message.  Target: at least 8× (was
  ``tests/test_failover_servers.py::test_send_many_concurrency_16_is_8x_faster_over_a_20ms_server``).
- ``slow_reply``: 2,000 messages at concurrency 16 where every 250th reply is 2 s late,
  ``send_many`` vs ``ThreadPoolExecutor.map`` of raw ``requests`` POSTs to the same server:
  with head-of-line blocking one late reply stalls the whole window.  Target: ≤ 1.2× the
  time of the thread pool.

Run through ``python benchmarks/run.py --only send_many`` (or ``python benchmarks/send_many_bench.py``).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from common import PYTHON, Figure, Mode  # noqa: E402

__all__ = ["run", "serve_speedup", "slow_reply"]

CONNECT_OK = {"success": True, "error": False, "access_token": "tok", "expires_in": 3600}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _client(url: str) -> Any:
    from smsbridge import Bridge

    return Bridge.from_dict({"backends": {"rest": {
        "plugin": "simplesms-rest", "username": "u", "password": "p", "domain": "d.hu",
        "base_url": url + "/rest/SMSapi/", "timeout": 30}}})


def serve_speedup(mode: Mode) -> list[Figure]:
    import requests

    tmp = tempfile.mkdtemp(prefix="smsbridge-bench-")
    config = os.path.join(tmp, "server.yaml")
    with open(config, "w", encoding="utf-8") as fh:
        fh.write("backends:\n  sim: {plugin: sandbox, chaos: {latency: 0.02}}\n"
                 "gateway:\n  clients:\n    app:\n      simplesms: {username: u, password: p, domain: d.hu}\n")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "SMSBRIDGE_CONFIG"}
    proc = subprocess.Popen([PYTHON, "-m", "smsbridge.cli", "--config", config, "serve", "--port", str(port)],
                            env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/_smsbridge/health", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("smsbridge serve did not start") from None
                time.sleep(0.05)
        items = [("+36301234567", f"m{i}") for i in range(mode.pick(96, 64, 16))]
        with _client(url) as bridge:
            bridge.send("+36301234567", "warm-up")  # connect once, outside the timing
            start = time.perf_counter()
            sequential = bridge.send_many(items, concurrency=1)
            t_seq = time.perf_counter() - start
            start = time.perf_counter()
            parallel = bridge.send_many(items, concurrency=16)
            t_par = time.perf_counter() - start
        failed = sum(isinstance(r, Exception) for r in sequential + parallel)
        speedup = t_seq / t_par
        return [Figure("4. bulk", "send_many c=16 vs sequential, smsbridge serve at 20 ms", len(items) / t_par,
                       len(items) / t_seq, "msg/s", target=">= 8", note=f"{speedup:.1f}x; {len(items)} messages"
                       + (f"; {failed} FAILED" if failed else ""))]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _SlowServer(ThreadingHTTPServer):
    daemon_threads = True
    delay = 2.0


class _SlowHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _SlowServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "connect" in self.path:
            data: Any = CONNECT_OK
        else:
            if b"slow" in body:
                time.sleep(self.server.delay)
            data = {"success": True, "error": False, "response": {"sms_id": 1}}
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def slow_reply(mode: Mode) -> list[Figure]:
    import requests

    server = _SlowServer(("127.0.0.1", 0), _SlowHandler)
    server.delay = mode.pick(2.0, 2.0, 0.2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    count = mode.pick(2000, 1000, 100)
    texts = [("slow" if i % 250 == 249 else "fast") + f" {i}" for i in range(count)]
    try:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=16)
        session.mount("http://", adapter)

        def raw(text: str) -> Any:
            return session.post(url + "/rest/SMSapi/sendSMS", data={"to": "+36301234567", "text": text},
                                timeout=30).json()

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(raw, texts[:16]))  # warm the pool
            start = time.perf_counter()
            list(pool.map(raw, texts))
            t_raw = time.perf_counter() - start
        with _client(url) as bridge:
            bridge.send("+36301234567", "warm-up")
            start = time.perf_counter()
            results = bridge.send_many([("+36301234567", t) for t in texts], concurrency=16)
            t_bridge = time.perf_counter() - start
        failed = sum(isinstance(r, Exception) for r in results)
        return [Figure("4. bulk", f"send_many c=16, every 250th reply {server.delay:g} s late, vs "
                       "ThreadPoolExecutor.map", t_bridge, t_raw, "s", target="<= 1.2",
                       note=f"{count} messages" + (f"; {failed} FAILED" if failed else ""))]
    finally:
        server.shutdown()
        server.server_close()


def run(mode: Mode) -> list[Figure]:
    return serve_speedup(mode) + slow_reply(mode)


if __name__ == "__main__":
    for figure in run(Mode("quick" if "--quick" in sys.argv else "full")):
        print(figure)
