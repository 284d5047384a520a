"""``send_iter``/``send_many`` without head-of-line blocking (issue 18), over real sockets.

A local simpleSMS-shaped server holds the reply to one send until every *other* send of the
batch has arrived (or 10 s pass).  Sends are counted as they arrive while the stalled one
waits: with a window that refills only when the oldest item finishes, at most the first
window's worth would arrive; here all do.  Results stay in input order.  No timing asserts.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from smsbridge import Bridge, Receipt

CONNECT_OK = {"success": True, "error": False, "access_token": "tok", "expires_in": 3600}


class StallingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stall_text: str, total: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stall_text = stall_text
        self.total = total
        self.lock = threading.Lock()
        self.arrived: list[str] = []
        self.arrived_while_stalled = 0
        self.released_by_arrivals = False
        self.stall_over = False
        self.stalled = threading.Event()
        self.released = threading.Event()
        self.ids: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: StallingServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if "connect" in self.path:
            return self._reply(CONNECT_OK)
        form = parse_qs(body)
        text = next((v[0] for v in form.values() if v and v[0].startswith("m")), "?")
        srv = self.server
        with srv.lock:
            srv.arrived.append(text)
            sms_id = srv.ids.setdefault(text, 1000 + len(srv.ids))
            if srv.stalled.is_set() and not srv.stall_over:
                srv.arrived_while_stalled += 1
                if len(srv.arrived) >= srv.total:  # the whole batch came in while one reply was held
                    srv.released_by_arrivals = True
                    srv.released.set()
            if text == srv.stall_text:
                srv.stalled.set()
        if text == srv.stall_text:
            srv.released.wait(10)
            with srv.lock:
                srv.stall_over = True
        self._reply({"success": True, "error": False, "response": {"sms_id": sms_id}})

    def _reply(self, data: Any) -> None:
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def stalling() -> Iterator[Any]:
    servers: list[StallingServer] = []

    def start(stall_text: str, total: int) -> StallingServer:
        server = StallingServer(stall_text, total)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.released.set()
        server.shutdown()
        server.server_close()


def bridge_for(server: StallingServer, tmp_path: Any) -> Bridge:
    return Bridge.from_dict({"backends": {"rest": {
        "plugin": "simplesms-rest", "username": "u", "password": "p", "domain": "d.hu",
        "base_url": server.url + "/rest/SMSapi/", "timeout": 30}},
        "store": str(tmp_path / "journal.sqlite3")})


@pytest.mark.parametrize("stalled_index", [0, 7])
def test_one_stalled_reply_keeps_the_other_sends_flowing_and_results_stay_in_order(stalling, tmp_path,
                                                                                   stalled_index):
    items = [("+36301234567", f"m{i}") for i in range(60)]
    server = stalling(f"m{stalled_index}", total=len(items))
    with bridge_for(server, tmp_path) as bridge:
        results = list(bridge.send_iter(items, concurrency=4))
    # Every send queued behind the stalled one reached the server while it waited: the
    # window refilled as the others finished (an oldest-first window lets at most 7 more in).
    assert server.released_by_arrivals
    assert server.arrived_while_stalled >= len(items) - 1 - stalled_index - 4
    assert sorted(server.arrived) == sorted(text for _, text in items)  # each sent once
    assert all(isinstance(r, Receipt) for r in results)
    assert [r.provider_id for r in results] == [str(server.ids[text]) for _, text in items]  # input order


def test_send_many_keeps_input_order_and_progress_sees_results_in_that_order(stalling, tmp_path):
    items = [("+36301234567", f"m{i}") for i in range(30)]
    server = stalling("m3", total=30)
    seen: list[Any] = []
    with bridge_for(server, tmp_path) as bridge:
        results = bridge.send_many(items, concurrency=3, progress=seen.append)
    assert seen == results
    assert [r.provider_id for r in results] == [str(server.ids[text]) for _, text in items]


def test_window_is_bounded_so_memory_stays_constant(stalling, tmp_path):
    """A stalled send holds back at most 64 × concurrency others, then new sends wait."""
    items = [("+36301234567", f"m{i}") for i in range(200)]
    server = stalling("m0", total=10**6)  # never released by arrivals: only by the bound
    with bridge_for(server, tmp_path) as bridge:
        iterator = bridge.send_iter(items, concurrency=2)
        done = threading.Event()
        results: list[Any] = []

        def consume() -> None:
            results.extend(iterator)
            done.set()

        threading.Thread(target=consume, daemon=True).start()
        # Wait until the window is full: 64 × 2 in flight or buffered, the stalled one included.
        for _ in range(400):
            with server.lock:
                if len(server.arrived) >= 128:
                    break
            done.wait(0.05)
        with server.lock:
            assert len(server.arrived) == 128
        server.released.set()
        assert done.wait(30)
    assert len(results) == 200 and sorted(server.arrived) == sorted(t for _, t in items)
