"""simpleSMS logins work across a fleet of gateways (issue 13).

The simpleSMS faces log a caller in once (REST: ``connect`` -> a bearer token; SOAP:
``connect`` -> a ``PHPSESSID`` cookie).  Those logins are signed tokens, not process
memory, so a caller may connect through one ``smsbridge serve`` process and call any
other.  Two real ``serve`` processes (and one ``serve --workers 2``) share a SQLite
journal; between them and smsbridge's own ``simplesms-rest`` / ``simplesms-soap``
backends sits a small load balancer (a real HTTP proxy on 127.0.0.1) that sends every
``connect`` to process A and every other call to the processes in turn, B first, each on
a new upstream connection.  It records which process served which operation, and how.  Behind ``serve --workers 2``
each call's worker is identified (the process holding the server end of its socket, read
from Linux's /proc), so the test proves both workers accepted the one login.
"""
from __future__ import annotations

import http.client
import http.server
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from processes import serve_fleet
from processes import wait_until as _wait

from smsbridge import Bridge, Status

pytestmark = pytest.mark.usefixtures("fresh_wsdl_cache")

CLIENT = {"username": "shop", "password": "fleet-Pa55word", "domain": "shop.example.hu"}
TO = "+36301234567"
_SOAP_OPERATION = re.compile(rb"<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?(\w+)")
_SUCCESS = b'<key xsi:type="xsd:string">success</key><value xsi:type="xsd:boolean">true</value>'
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host",
               "proxy-connection", "te", "trailer", "upgrade", "accept-encoding"}




class Balancer:
    """A load balancer for the test: ``connect`` goes to the first upstream, every other
    call round-robin over all of them starting with the second (one new connection each).

    ``served`` lists ``(upstream index, operation, HTTP status)`` in order.
    """

    def __init__(self) -> None:
        self.upstreams: list[str] = []
        self.served: list[tuple[int, str, int]] = []
        self._turn = 0
        self._lock = threading.Lock()
        balancer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                balancer.forward(self)

            def do_POST(self) -> None:
                balancer.forward(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _pick(self, operation: str) -> int:
        if operation == "connect" or len(self.upstreams) == 1:
            return 0
        with self._lock:
            index = (self._turn + 1) % len(self.upstreams)
            self._turn += 1
            return index

    def forward(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if handler.path.startswith("/soap"):
            found = _SOAP_OPERATION.search(body)
            operation = found.group(1).decode() if found else "?"
        else:
            operation = handler.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        index = self._pick(operation)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Connection"] = "close"  # a new upstream connection per call
        reply = requests.request(handler.command, self.upstreams[index] + handler.path, data=body, headers=headers,
                                 timeout=60, allow_redirects=False)
        with self._lock:
            self.served.append((index, operation, reply.status_code))
        handler.send_response(reply.status_code)
        for key, value in reply.raw.headers.items():
            if key.lower() not in _HOP_BY_HOP and key.lower() not in ("server", "date"):
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(reply.content)))
        handler.end_headers()
        handler.wfile.write(reply.content)

    def operations(self, index: int) -> list[str]:
        return [operation for upstream, operation, _ in self.served if upstream == index]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def balancer() -> Iterator[Balancer]:
    lb = Balancer()
    yield lb
    lb.close()


@pytest.fixture
def fleet(tmp_path: Path, balancer: Balancer) -> Iterator[Callable[..., list[str]]]:
    """``fleet(*worker_counts)`` starts one ``serve`` per count on one config and one SQLite
    journal, puts them behind ``balancer``, and returns their URLs."""
    config = tmp_path / "smsbridge.yaml"
    config.write_text(yaml.safe_dump({
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "provider.sqlite3"),
                               "delivery_delay": 0.2}},
        "store": str(tmp_path / "fleet.sqlite3"),
        # The WSDL every process serves points callers at the balancer.
        "gateway": {"clients": {"shop": {"simplesms": dict(CLIENT)}}, "public_url": balancer.url,
                    "poll_interval": 0.05},
    }))

    def route(urls: list[str]) -> None:
        balancer.upstreams = urls

    with serve_fleet(config, tmp_path, started=route) as start:
        yield start
    for log in tmp_path.glob("serve-*.log"):  # the gateways never logged a token or a password
        text = log.read_text(errors="replace")
        assert CLIENT["password"] not in text and "sb1." not in text, text


def _bridge(tmp_path: Path, backend: dict[str, Any]) -> Bridge:
    return Bridge.from_dict({"backends": {"fleet": {**backend, **CLIENT, "timeout": 30}},
                             "store": str(tmp_path / "client.sqlite3")})


def _rest(url: str) -> dict[str, Any]:
    return {"plugin": "simplesms-rest", "base_url": url + "/rest/SMSapi/"}


def _soap(url: str) -> dict[str, Any]:
    return {"plugin": "simplesms-soap", "wsdl": url + "/sms.wsdl"}


def _delivered(bridge: Bridge, message_id: str) -> bool:
    return bridge.status(message_id).status is Status.DELIVERED


@pytest.mark.parametrize("face", ["rest", "soap"])
def test_connect_through_one_gateway_and_call_another(fleet: Any, balancer: Balancer, tmp_path: Path,
                                                      face: str) -> None:
    fleet(1, 1)
    with _bridge(tmp_path, (_rest if face == "rest" else _soap)(balancer.url)) as bridge:
        receipt = bridge.send(TO, f"fleet {face}")
        second = bridge.send(TO, f"fleet {face} again")
        _wait(lambda: _delivered(bridge, receipt.id) and _delivered(bridge, second.id), "both to be delivered")
        assert bridge.balance().amount >= 0
        assert bridge.backend("fleet").connects == 1
    assert balancer.operations(0).count("connect") == 1 and "connect" not in balancer.operations(1)
    assert "sendSMS" in balancer.operations(1) and "getStatus" in balancer.operations(0) + balancer.operations(1)
    assert len(set(balancer.operations(0)) - {"connect", "sms.wsdl"}) >= 1  # A served calls after connect too
    soap_refusals = [s for _, _, s in balancer.served if s != 200]
    assert soap_refusals == []


def test_a_rest_token_from_process_a_is_accepted_by_b_and_sms_ids_resolve(fleet: Any, tmp_path: Path) -> None:
    """Raw simpleSMS REST calls: connect on A, send on B, status and history on A and B."""
    a, b = fleet(1, 1)
    token = requests.post(a + "/rest/SMSapi/connect", data=CLIENT, timeout=30).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    sent = requests.post(b + "/rest/SMSapi/sendSMS", headers=auth, timeout=30,
                         data={"country_code": "36", "area_code": "30", "number": "1234567", "message": "a to b"})
    assert sent.status_code == 200 and sent.json()["success"] is True
    sms_id = sent.json()["response"]
    for url in (a, b):
        status = requests.post(url + "/rest/SMSapi/getStatus", headers=auth, data={"sms_id": sms_id}, timeout=30)
        assert status.status_code == 200 and status.json()["success"] is True
        assert status.json()["response"]["message"] == "a to b"
    # A token whose signature does not hold is refused by every process alike.
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for url in (a, b):
        refused = requests.post(url + "/rest/SMSapi/getCreditNumber", timeout=30,
                                headers={"Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401 and refused.json()["error_code"] == 102


def test_a_soap_session_from_process_a_is_accepted_by_b(fleet: Any, tmp_path: Path) -> None:
    """Raw SOAP calls: a PHPSESSID cookie set by A's connect works on B's /soap."""
    a, b = fleet(1, 1)
    envelope = ('<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
                ' xmlns:ns1="urn:SMSapi"><SOAP-ENV:Body><ns1:{op}>{args}</ns1:{op}></SOAP-ENV:Body>'
                "</SOAP-ENV:Envelope>")
    login = envelope.format(op="connect", args="".join(
        f"<{k}>{v}</{k}>" for k, v in (("userName", CLIENT["username"]), ("userPassword", CLIENT["password"]),
                                       ("domainName", CLIENT["domain"]))))
    session = requests.Session()
    connected = session.post(a + "/soap", data=login, headers={"Content-Type": "text/xml"}, timeout=30)
    assert connected.status_code == 200 and "PHPSESSID" in connected.cookies
    cookie = connected.cookies["PHPSESSID"]
    credit = envelope.format(op="getCreditNumber", args="")
    with_cookie = requests.post(b + "/soap", data=credit, headers={"Content-Type": "text/xml"},
                                cookies={"PHPSESSID": cookie}, timeout=30)
    assert with_cookie.status_code == 200 and _SUCCESS in with_cookie.content, with_cookie.text
    without = requests.post(b + "/soap", data=credit, headers={"Content-Type": "text/xml"}, timeout=30)
    assert _SUCCESS not in without.content and b'<value xsi:type="xsd:int">102</value>' in without.content


def test_many_calls_on_serve_workers_2_after_one_connect(fleet: Any, balancer: Balancer, tmp_path: Path) -> None:
    """``serve --workers 2``: one connect, then every call on a new connection (so either
    worker may take it); none is refused."""
    fleet(2)
    for plugin in (_rest, _soap):
        with _bridge(tmp_path, plugin(balancer.url)) as bridge:
            receipts = [bridge.send(TO, f"{plugin.__name__} {n}") for n in range(10)]
            for receipt in receipts:
                bridge.status(receipt.id)
            for _ in range(10):
                bridge.balance()
            assert bridge.backend("fleet").connects == 1
    assert [op for _, op, _ in balancer.served].count("connect") == 2  # one per backend
    assert [s for _, _, s in balancer.served if s != 200] == []
    assert len(balancer.served) >= 2 * (1 + 10 + 10 + 10)


# -- which worker process served a connection (Linux /proc) ------------------------------


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in os.listdir(f"/proc/{parent}/task"):
            try:
                children = [int(c) for c in Path(f"/proc/{parent}/task/{task}/children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def _serving_process(root: int, server_port: int, client_port: int) -> int | None:
    """The process holding the server end of our connection 127.0.0.1:client_port."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == server_port and int(fields[2].split(":")[1], 16) == client_port:
            inode = fields[9]
    if inode is None:
        return None
    for pid in [root, *_descendants(root)]:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc to tell the workers apart")
@pytest.mark.parametrize("face", ["rest", "soap"])
def test_both_workers_of_serve_workers_2_accept_one_login(fleet: Any, face: str) -> None:
    """One connect, then calls on new connections until each of the two workers has
    served several (each identified by the process holding the server socket): all are
    answered as logged in."""
    (url,) = fleet(2)
    root = fleet.procs[0].pid
    port = int(url.rsplit(":", 1)[1])
    if face == "rest":
        token = requests.post(url + "/rest/SMSapi/connect", data=CLIENT, timeout=30).json()["access_token"]
        path, body, headers = "/rest/SMSapi/getCreditNumber", b"", {"Authorization": f"Bearer {token}"}
    else:
        login = ('<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
                 ' xmlns:ns1="urn:SMSapi"><SOAP-ENV:Body><ns1:{op}>{args}</ns1:{op}></SOAP-ENV:Body>'
                 "</SOAP-ENV:Envelope>")
        args = (f"<userName>{CLIENT['username']}</userName><userPassword>{CLIENT['password']}</userPassword>"
                f"<domainName>{CLIENT['domain']}</domainName>")
        cookie = requests.post(url + "/soap", data=login.format(op="connect", args=args),
                               timeout=30).cookies["PHPSESSID"]
        path, body = "/soap", login.format(op="getCreditNumber", args="").encode()
        headers = {"Cookie": f"PHPSESSID={cookie}", "Content-Type": "text/xml"}
    served: dict[int | None, int] = {}
    replies = []
    for _ in range(400):  # a bound on calls, not on time
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        client_port = conn.sock.getsockname()[1]
        conn.request("POST", path, body=body, headers=headers)
        reply = conn.getresponse()
        content = reply.read()
        worker = _serving_process(root, port, client_port)  # the connection is still open
        conn.close()
        replies.append((reply.status, content))
        served[worker] = served.get(worker, 0) + 1
        if len([w for w, n in served.items() if w is not None and n >= 5]) >= 2:
            break
    assert all(status == 200 for status, _ in replies)
    if face == "rest":
        assert all(b'"success":true' in content.replace(b" ", b"") for _, content in replies)
    else:
        assert all(_SUCCESS in content for _, content in replies)
    workers = {w for w in served if w is not None and w != root}
    assert len(workers) == 2, served  # both workers took calls, with the one login
