"""The gateway core, face-independent: chaos header, rate limits, client config, health."""
from __future__ import annotations

import threading

import pytest
import requests

from smsbridge import Bridge, ConfigError

SID, TOKEN = "AC" + "1" * 32, "tok-123"


def twilio_config(tmp_path, *, chaos: bool | None = None, **backend_options) -> dict:
    config = {
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "p.sqlite3"), **backend_options}},
        "store": str(tmp_path / "j.sqlite3"),
        "gateway": {"clients": {"shop": {"twilio": {"account_sid": SID, "auth_token": TOKEN}}}},
    }
    if chaos is not None:
        config["gateway"]["chaos"] = chaos
    return config


def create(url: str, body: str = "hi", headers: dict | None = None, timeout: float = 5) -> requests.Response:
    return requests.post(f"{url}/2010-04-01/Accounts/{SID}/Messages.json", auth=(SID, TOKEN), timeout=timeout,
                         data={"To": "+36301234567", "From": "+15017122661", "Body": body}, headers=headers or {})


def test_chaos_fail_refuses_in_the_face_shape_and_sends_nothing(tmp_path, gateway):
    server = gateway(twilio_config(tmp_path, chaos=True))
    reply = create(server.url, headers={"X-Smsbridge-Chaos": "fail"})
    assert reply.status_code == 503
    assert set(reply.json()) >= {"code", "message", "more_info", "status"}
    assert server.bridge.journaled() == []
    assert create(server.url, headers={"X-Smsbridge-Chaos": "status=429"}).status_code == 429


def test_chaos_lost_sends_but_never_answers(tmp_path, gateway):
    server = gateway(twilio_config(tmp_path, chaos=True))
    with pytest.raises(requests.ReadTimeout):
        create(server.url, body="lost one", headers={"X-Smsbridge-Chaos": "lost"}, timeout=1)
    records = server.bridge.journaled()
    assert [r.text for r in records] == ["lost one"] and records[0].phase == "accepted"


def test_chaos_latency_delays_the_reply(tmp_path, gateway):
    server = gateway(twilio_config(tmp_path, chaos=True))
    assert create(server.url, timeout=30).status_code == 201  # without chaos: answered
    with pytest.raises(requests.ReadTimeout):  # a 5 s latency outlasts a 1 s client timeout
        create(server.url, body="late", headers={"X-Smsbridge-Chaos": "latency=5"}, timeout=1)


def test_backend_rate_limit_holds_across_concurrent_gateway_requests(tmp_path, gateway):
    server = gateway(twilio_config(tmp_path, rate_limit=10))
    waits: list[float] = []
    limiter = server.bridge._limiters["local"]
    limiter._clock, limiter._sleep = (lambda: 0.0), waits.append  # a stopped clock: count, don't time
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(create(server.url).status_code)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201] * 6
    # 6 messages at 10/s: one at once, then each held for its own 1/10 s slot.
    assert sorted(round(w, 6) for w in waits) == [round(0.1 * k, 6) for k in range(1, 6)]


def test_health_and_unknown_paths(tmp_path, gateway):
    server = gateway(twilio_config(tmp_path))
    health = requests.get(server.url + "/_smsbridge/health", timeout=5).json()
    assert health["ok"] and {"twilio", "simplesms", "vonage"} <= set(health["faces"])
    assert requests.get(server.url + "/no/such/path", timeout=5).status_code == 404


def test_gateway_client_config_is_validated(tmp_path):
    from smsbridge.gateway.clients import check_clients

    bad_face = twilio_config(tmp_path)
    bad_face["gateway"]["clients"]["shop"]["twillio"] = {"account_sid": SID}
    with Bridge.from_dict(bad_face) as bridge, pytest.raises(ConfigError, match="did you mean 'twilio'"):
        check_clients(bridge.config)
    bad_key = twilio_config(tmp_path)
    bad_key["gateway"]["clients"]["shop"]["twilio"]["auth_tokn"] = "x"
    with Bridge.from_dict(bad_key) as bridge, pytest.raises(ConfigError, match="gateway.clients.shop.twilio.auth_tokn"):
        check_clients(bridge.config)
    bad_backend = twilio_config(tmp_path)
    bad_backend["gateway"]["clients"]["shop"]["backend"] = "nope"
    with Bridge.from_dict(bad_backend) as bridge, pytest.raises(ConfigError, match="gateway.clients.shop.backend"):
        check_clients(bridge.config)


def test_gateway_client_repr_hides_credentials(tmp_path):
    from smsbridge.gateway.clients import parse_clients

    with Bridge.from_dict(twilio_config(tmp_path)) as bridge:
        (client,) = parse_clients(bridge.config)
    assert TOKEN not in repr(client) and "twilio" in repr(client)
