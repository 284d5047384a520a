"""The gateway facing a network (issue 12): chaos only when configured, throttled
authentication, connection limits, malformed bodies, client stamping, one error path."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from smsbridge import Bridge, ConfigError
from smsbridge.errors import DeliveryUnknown, InvalidMessage, ProviderError, ProviderUnavailable

SID, TOKEN = "AC" + "1" * 32, "tok-123"
PLIVO_ID, PLIVO_TOKEN = "MA" + "A" * 18, "plivo-token"


def config(tmp_path, **gateway_options) -> dict:
    return {
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "p.sqlite3")}},
        "store": str(tmp_path / "j.sqlite3"),
        "gateway": {"clients": {
            "shop": {"twilio": {"account_sid": SID, "auth_token": TOKEN},
                     "plivo": {"auth_id": PLIVO_ID, "auth_token": PLIVO_TOKEN},
                     "vonage": {"api_key": "shopkey", "api_secret": "shopsecret"},
                     "simplesms": {"username": "shop", "password": "pw", "domain": "shop.hu"}},
            "other": {"twilio": {"account_sid": "AC" + "2" * 32, "auth_token": "other-token"}},
        }, **gateway_options},
    }


def create(url: str, *, token: str = TOKEN, body: str = "hi", headers: dict | None = None,
           timeout: float = 5) -> requests.Response:
    return requests.post(f"{url}/2010-04-01/Accounts/{SID}/Messages.json", auth=(SID, token), timeout=timeout,
                         data={"To": "+36301234567", "From": "+15017122661", "Body": body}, headers=headers or {})


# -- chaos ---------------------------------------------------------------------------------
def test_chaos_header_is_ignored_unless_the_config_enables_it(tmp_path, gateway):
    server = gateway(config(tmp_path))
    reply = create(server.url, headers={"X-Smsbridge-Chaos": "fail"})
    assert reply.status_code == 201
    assert len(server.bridge.journaled()) == 1


def test_chaos_is_honoured_only_for_authenticated_clients(tmp_path, gateway):
    server = gateway(config(tmp_path, chaos=True))
    health = requests.get(server.url + "/_smsbridge/health", headers={"X-Smsbridge-Chaos": "status=503"}, timeout=5)
    assert health.status_code == 200
    stranger = create(server.url, token="wrong", headers={"X-Smsbridge-Chaos": "fail"})
    assert stranger.status_code == 401 and stranger.json()["code"] == 20003
    assert create(server.url, headers={"X-Smsbridge-Chaos": "fail"}).status_code == 503
    assert server.bridge.journaled() == []


def test_chaos_lost_releases_the_request_when_the_client_goes(tmp_path, gateway):
    server = gateway(config(tmp_path, chaos=True))
    gw = server._server.config.app.state.gateway
    for n in range(5):
        with pytest.raises(requests.ReadTimeout):
            create(server.url, body=f"lost {n}", headers={"X-Smsbridge-Chaos": "lost"}, timeout=0.5)
    assert len(server.bridge.journaled()) == 5  # sent, though never answered
    if gw is not None:
        deadline = time.monotonic() + 10  # a generous bound: the rule is "released", not "fast"
        while gw.lost_held and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gw.lost_held == 0


# -- client isolation ----------------------------------------------------------------------
def test_the_core_stamps_client_and_face_whatever_the_face_passes(tmp_path, gateway):
    import asyncio

    from smsbridge.gateway.app import Gateway

    with Bridge.from_dict(config(tmp_path)) as bridge:
        core = Gateway(bridge)
        shop = next(c for c in core.clients if c.name == "shop")
        face = core.for_face("twilio")
        receipt = asyncio.run(face.send(shop, "+36301234567", "x", extra={"gateway_client": "other", "face": "evil"}))
        record = bridge.record(receipt.id)
        assert record.gateway_client == "shop" and record.face == "twilio"
        with pytest.raises(TypeError):
            asyncio.run(face.send(None, "+36301234567", "x"))  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            asyncio.run(core.send(shop, "+36301234567", "x"))  # no face named


def test_plivo_lists_the_clients_messages_from_every_face(tmp_path, gateway):
    server = gateway(config(tmp_path))
    assert create(server.url, body="via twilio").status_code == 201
    listed = requests.get(f"{server.url}/v1/Account/{PLIVO_ID}/Message/", auth=(PLIVO_ID, PLIVO_TOKEN), timeout=5)
    assert listed.status_code == 200
    assert [o["to_number"] for o in listed.json()["objects"]] == ["36301234567"]
    other = requests.get(f"{server.url}/2010-04-01/Accounts/{'AC' + '2' * 32}/Messages.json",
                         auth=("AC" + "2" * 32, "other-token"), timeout=5)
    assert other.status_code == 200 and other.json()["messages"] == []


def test_plivo_double_slash_account_path(tmp_path, gateway):
    server = gateway(config(tmp_path))
    reply = requests.get(f"{server.url}/v1/Account/{PLIVO_ID}//", auth=(PLIVO_ID, PLIVO_TOKEN), timeout=5)
    assert reply.status_code == 200 and reply.json()["auth_id"] == PLIVO_ID


# -- one error path ------------------------------------------------------------------------
def test_error_tables_match_on_fields_not_text():
    from smsbridge.gateway.errors import ErrorTable
    from smsbridge.wire import ErrorReplies, Rule

    replies = ErrorReplies(
        body=lambda status, code, message: {"code": code, "message": message}, internal="internal",
        rules=[Rule(InvalidMessage, 400, "long", reason="too_long"), Rule(InvalidMessage, 400, "other"),
               Rule(ProviderError, 503, "down", transport=True), Rule(ProviderError, 400, "refused", retry_safe=True),
               Rule(ProviderError, 502, "maybe")])
    table = ErrorTable(replies, bad_request="bad")

    def code(exc: BaseException) -> tuple[int, str]:
        response = table.response(exc)
        import json
        return response.status_code, json.loads(response.body)["code"]

    assert code(InvalidMessage("mentions too long and sender", reason="empty")) == (400, "other")
    assert code(InvalidMessage("x", reason="too_long")) == (400, "long")
    assert code(ProviderUnavailable("x", transport=True)) == (503, "down")
    assert code(ProviderError("x", pre_acceptance=True)) == (400, "refused")
    assert code(DeliveryUnknown("x")) == (502, "maybe")
    assert code(KeyError("secret internals")) == (500, "internal")


# -- throttling ----------------------------------------------------------------------------
def test_failed_authentication_is_throttled_with_a_provider_shaped_429(tmp_path, gateway):
    server = gateway(config(tmp_path, auth_failures=5, auth_window=60))
    codes = [create(server.url, token=f"guess-{n}").status_code for n in range(8)]
    assert codes == [401] * 5 + [429] * 3
    throttled = create(server.url, token="guess-x")
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["code"] == 20429  # Twilio's own shape and code
    # The right token from the same address waits too: a 429 must not reveal a right guess.
    assert create(server.url).status_code == 429
    assert server.bridge.journaled() == []
    # Other faces answer the throttled address in their own shape.
    plivo = requests.get(f"{server.url}/v1/Account/{PLIVO_ID}/", auth=(PLIVO_ID, PLIVO_TOKEN), timeout=5)
    assert plivo.status_code == 429 and "error" in plivo.json()


def test_behind_a_proxy_on_this_host_the_throttle_counts_each_forwarded_address(tmp_path, gateway):
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 (a reverse proxy on the same host),
    so one guesser behind the proxy does not lock out the proxy's other callers
    (docs/gateway.md, "Throttling and limits")."""
    server = gateway(config(tmp_path, auth_failures=3, auth_window=60))

    def guess(n: int, forwarded: str) -> int:
        sid = f"AC{n:032x}"  # another claimed account each time: only the address is counted
        return requests.post(f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json", auth=(sid, "wrong"),
                             data={"To": "+36301234567", "Body": "hi"}, headers={"X-Forwarded-For": forwarded},
                             timeout=5).status_code

    assert [guess(n, "203.0.113.7") for n in range(5)] == [401] * 3 + [429] * 2
    assert guess(99, "198.51.100.2") == 401  # another caller behind the same proxy: not throttled
    assert create(server.url, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 201
    assert create(server.url, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429


def test_throttle_counts_per_address_and_per_claimed_client():
    from smsbridge.gateway.throttle import MAX_KEYS, FailureThrottle

    now = [1000.0]
    throttle = FailureThrottle(3, 10.0, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after(("peer", "a"), ("twilio", SID)) is None
        throttle.failed(("peer", "a"), ("twilio", SID))
    assert throttle.retry_after(("peer", "a")) == 10
    assert throttle.retry_after(("peer", "b"), ("twilio", SID)) == 10  # the claimed client, from elsewhere
    assert throttle.retry_after(("peer", "b"), ("twilio", "AC-other")) is None
    now[0] += 10.5
    assert throttle.retry_after(("peer", "a"), ("twilio", SID)) is None
    for n in range(MAX_KEYS + 50):
        throttle.failed(("peer", n))
    assert len(throttle) <= MAX_KEYS


# -- malformed bodies ------------------------------------------------------------------------
@pytest.mark.parametrize("face", ["simplesms-rest", "vonage", "plivo"])
def test_a_json_integer_past_the_digit_limit_is_a_4xx(tmp_path, gateway, face):
    server = gateway(config(tmp_path))
    huge = "1" * 5000
    body = '{"to": "36301234567", "from": "x", "text": "hi", "n": ' + huge + '}'
    headers = {"Content-Type": "application/json"}
    if face == "plivo":
        reply = requests.post(f"{server.url}/v1/Account/{PLIVO_ID}/Message/", data=body, headers=headers,
                              auth=(PLIVO_ID, PLIVO_TOKEN), timeout=5)
    elif face == "vonage":
        reply = requests.post(f"{server.url}/sms/json", data=body, headers=headers, timeout=5)
    else:
        token = requests.post(f"{server.url}/rest/SMSapi/connect", timeout=5,
                              data={"username": "shop", "password": "pw", "domain": "shop.hu"}).json()
        access = token.get("access_token") or token["response"]["access_token"]
        reply = requests.post(f"{server.url}/rest/SMSapi/sendSMS", data=body, timeout=5,
                              headers={**headers, "Authorization": f"Bearer {access}"})
    assert 400 <= reply.status_code < 500, reply.text
    assert server.bridge.journaled() == []


# -- connections ------------------------------------------------------------------------------
def test_a_slow_loris_connection_is_dropped(tmp_path, gateway):
    server = gateway(config(tmp_path, header_timeout=0.5))
    with socket.create_connection((server.host, server.port), timeout=10) as slow:
        slow.sendall(b"GET /_smsbridge/health HTTP/1.1\r\nHost: x\r\n")
        dropped = False
        for _ in range(40):  # one header line every 0.1 s: never a complete head
            try:
                slow.sendall(b"X-A: b\r\n")
                time.sleep(0.1)
                if slow.recv(1024, socket.MSG_DONTWAIT) == b"":
                    dropped = True
                    break
            except BlockingIOError:
                continue
            except OSError:
                dropped = True
                break
    assert dropped
    # and the server still answers everyone else
    assert requests.get(server.url + "/_smsbridge/health", timeout=5).status_code == 200


def test_a_trickled_body_gets_408(tmp_path, gateway):
    server = gateway(config(tmp_path, body_timeout=0.5))
    with socket.create_connection((server.host, server.port), timeout=10) as slow:
        slow.sendall(b"POST /sms/json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{")
        raw = b""
        while chunk := slow.recv(65536):
            raw += chunk
            if b"\r\n\r\n" in raw:
                break
    assert raw.startswith(b"HTTP/1.1 408")


# -- config ---------------------------------------------------------------------------------
def test_gateway_options_are_validated(tmp_path):
    from smsbridge.gateway.clients import check_clients

    for key, value in (("public_url", "ftp://x"), ("auth_failures", 0),
                      ("header_timeout", float("nan")), ("chaos", "maybe")):
        with Bridge.from_dict(config(tmp_path, **{key: value})) as bridge, \
                pytest.raises(ConfigError, match=f"gateway.{key}"):
            check_clients(bridge.config)
    with Bridge.from_dict(config(tmp_path, public_url="https://sms.example.com", chaos=False)) as bridge:
        check_clients(bridge.config)


def test_wsdl_address_is_the_public_url_and_never_a_foreign_host(tmp_path, gateway):
    server = gateway(config(tmp_path))
    foreign = requests.get(f"{server.url}/sms.wsdl", headers={"Host": "evil.example:666"}, timeout=5).text
    assert "evil.example" not in foreign and f"{server.url}/soap" in foreign
    public = gateway(config(tmp_path, public_url="https://sms.example.com/gw"))
    assert "https://sms.example.com/gw/soap" in requests.get(f"{public.url}/sms.wsdl", timeout=5).text


def test_self_signed_material_is_removed_when_the_server_stops(tmp_path):
    import os

    from smsbridge.gateway.server import run_in_thread

    server = run_in_thread(config(tmp_path), tls="self-signed")
    try:
        assert server.cafile is not None
        directory = os.path.dirname(server.cafile)
        assert os.stat(directory).st_mode & 0o777 == 0o700
        assert os.stat(os.path.join(directory, "key.pem")).st_mode & 0o777 == 0o600
    finally:
        server.stop()
        server.bridge.close()
    assert not os.path.exists(directory)


# -- caller idempotency on other faces ---------------------------------------------------------
def test_idempotency_key_on_the_plivo_face(tmp_path, gateway):
    server = gateway(config(tmp_path))
    url = f"{server.url}/v1/Account/{PLIVO_ID}/Message/"

    def send(text: str, key: str) -> requests.Response:
        return requests.post(url, json={"src": "+15017122661", "dst": "36301234567<36209876543", "text": text},
                             auth=(PLIVO_ID, PLIVO_TOKEN), headers={"Idempotency-Key": key}, timeout=5)

    first, again = send("once", "order-7"), send("once", "order-7")
    assert first.status_code == again.status_code == 202
    assert first.json()["message_uuid"] == again.json()["message_uuid"] and len(first.json()["message_uuid"]) == 2
    assert len(server.bridge.journaled()) == 2  # two recipients, each sent once
    conflict = send("another text", "order-7")
    assert conflict.status_code == 409 and "error" in conflict.json()
    assert len(server.bridge.journaled()) == 2


# -- serve's command line ------------------------------------------------------------------------
def _serve(tmp_path, *args: str, clients: bool = True, wait: float = 20):
    import subprocess
    import sys

    import yaml

    cfg = config(tmp_path)
    if not clients:
        cfg.pop("gateway")
    path = tmp_path / "smsbridge.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "smsbridge.cli", "--config", str(path), "serve", *args],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_serve_refuses_an_invalid_or_busy_port_in_one_line(tmp_path):
    proc = _serve(tmp_path, "--port", "99999")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.strip().splitlines() == ["error: --port must be between 1 and 65535, not 99999"]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        proc = _serve(tmp_path, "--port", str(busy.getsockname()[1]))
        _, err = proc.communicate(timeout=60)
    lines = err.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "already in use" in lines[0], err
    assert "smsbridge gateway on" not in err and "Traceback" not in err


def test_serve_warns_when_no_clients_are_configured(tmp_path, free_port):
    import signal

    proc = _serve(tmp_path, "--port", str(free_port), clients=False)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert "no gateway.clients are configured" in first
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_docs_gateway_yaml_snippets_are_valid_configs(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    import yaml

    from smsbridge.gateway.clients import check_clients

    monkeypatch.chdir(tmp_path)
    text = (Path(__file__).parent.parent / "docs" / "gateway.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    for block in blocks:
        with Bridge.from_dict(yaml.safe_load(block)) as bridge:
            check_clients(bridge.config)
