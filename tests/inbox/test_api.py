"""The inbox REST API (/api/v1), over a real gateway, with sends through the official Twilio SDK."""
from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

TOKEN = "shop-auth-token"  # as in tests/inbox/conftest.py
HUNGARIAN = "Árvíztűrő tükörfúrógép: ez a magyar üzenet hosszabb hetven karakternél, így két részben megy ki."


def send(twilio: Any, body: str = "Hello from the shop", to: str = "+36301234567") -> Any:
    return twilio.messages.create(to=to, from_="+15005550006", body=body)


def only(api: Any, **filters: Any) -> dict[str, Any]:
    found = api("GET", "/api/v1/messages", params=filters).json()["messages"]
    assert len(found) == 1, found
    return found[0]


def test_list_shows_what_the_sdk_sent_with_client_face_backend(api, twilio):
    sent = send(twilio)
    listed = only(api)
    assert listed["to"] == "+36301234567" and listed["from"] == "+15005550006"
    assert listed["text"] == "Hello from the shop"
    assert (listed["client"], listed["face"], listed["backend"]) == ("shop", "twilio", "local")
    assert listed["status"] == "delivered"  # refreshed from the sandbox, not the journal's stale "queued"
    detail = api("GET", f"/api/v1/messages/{listed['id']}").json()
    assert detail["face_id"] == sent.sid


@pytest.mark.parametrize("filters, expected", [
    ({"q": "pizza"}, ["+36301111111"]),
    ({"q": "+3630222"}, ["+36302222222"]),
    ({"number": "3630 1111"}, ["+36301111111"]),
    ({"text": "INVOICE"}, ["+36302222222"]),
    ({"client": "shop"}, ["+36302222222", "+36301111111"]),
    ({"client": "nobody"}, []),
    ({"face": "twilio"}, ["+36302222222", "+36301111111"]),
    ({"face": "vonage"}, []),
    ({"backend": "local"}, ["+36302222222", "+36301111111"]),
    ({"status": "delivered"}, ["+36302222222", "+36301111111"]),
    ({"status": "failed"}, []),
])
def test_search(api, twilio, filters, expected):
    send(twilio, "Your pizza is on its way", "+36301111111")
    send(twilio, "Your invoice is ready", "+36302222222")
    found = api("GET", "/api/v1/messages", params=filters).json()
    assert [m["to"] for m in found["messages"]] == expected and found["count"] == len(expected)


def test_search_refuses_an_unknown_status_and_a_bad_limit(api):
    reply = api("GET", "/api/v1/messages", params={"status": "lost"})
    assert reply.status_code == 400 and "unknown status 'lost'" in reply.json()["error"]
    reply = api("GET", "/api/v1/messages", params={"limit": "0"})
    assert reply.status_code == 400 and "limit" in reply.json()["error"]


def test_limit(api, twilio):
    for n in range(3):
        send(twilio, f"message {n}")
    assert [m["text"] for m in api("GET", "/api/v1/messages", params={"limit": 2}).json()["messages"]] == \
        ["message 2", "message 1"]


def test_get_has_analysis_segments_timeline_and_attempts(api, twilio):
    send(twilio, HUNGARIAN)
    detail = api("GET", f"/api/v1/messages/{only(api)['id']}").json()
    analysis = detail["analysis"]
    assert analysis["encoding"] == "ucs2" and analysis["segments"] == 2 == detail["segments"]
    assert set(analysis["ucs2_characters"]) == {"Á", "í", "ű", "ő", "ó", "ú"}
    assert "".join(p["text"] for p in analysis["parts"]) == HUNGARIAN
    assert analysis["parts"][0]["units"] == 67
    alt = analysis["transliterated"]
    assert alt["encoding"] == "gsm7" and alt["segments"] == 1 and alt["saving"] == 1
    assert alt["text"].startswith("Arviztürö tükörfurogép")
    assert {e["status"] for e in detail["events"]} >= {"queued", "delivered"}
    assert [a["backend"] for a in detail["attempts"]] == ["local"]


def test_get_and_delete_unknown_ids_are_404(api):
    for method in ("GET", "DELETE"):
        reply = api(method, "/api/v1/messages/sb_nope")
        assert reply.status_code == 404 and "sb_nope" in reply.json()["error"]
    reply = api("POST", "/api/v1/messages/sb_nope/deliver", json={})
    assert reply.status_code == 404


def test_delete_one_and_clear_all(api, twilio):
    for n in range(3):
        send(twilio, f"message {n}")
    first = api("GET", "/api/v1/messages").json()["messages"][-1]
    assert api("DELETE", f"/api/v1/messages/{first['id']}").json() == {"deleted": 1}
    assert api("GET", f"/api/v1/messages/{first['id']}").status_code == 404
    assert api("DELETE", "/api/v1/messages").json() == {"deleted": 2}
    assert api("GET", "/api/v1/messages").json() == {"messages": [], "count": 0}


def test_fail_with_a_code_is_what_the_twilio_sdk_fetches(api, twilio):
    sent = send(twilio)
    message_id = only(api)["id"]
    reply = api("POST", f"/api/v1/messages/{message_id}/fail", json={"error_code": "30003"})
    assert reply.status_code == 200 and reply.json()["status"] == "failed"
    assert reply.json()["error_code"] == "30003"
    fetched = twilio.messages(sent.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 30003)
    last = reply.json()["events"][-1]
    assert (last["status"], last["code"]) == ("failed", "30003")


@pytest.mark.parametrize("action, status, twilio_word", [("deliver", "delivered", "delivered"),
                                                         ("expire", "expired", "undelivered")])
def test_deliver_and_expire(api, twilio, inbox_gateway, action, status, twilio_word):
    sent = send(twilio)
    message_id = only(api)["id"]
    assert api("POST", f"/api/v1/messages/{message_id}/fail", json={}).json()["status"] == "failed"
    assert api("POST", f"/api/v1/messages/{message_id}/{action}").status_code == 415  # no JSON: could be CSRF
    reply = api("POST", f"/api/v1/messages/{message_id}/{action}", json={})
    assert reply.status_code == 200 and reply.json()["status"] == status
    assert twilio.messages(sent.sid).fetch().status == twilio_word  # Twilio has no "expired"


def test_actions_need_json_and_a_known_name(api, twilio):
    send(twilio)
    message_id = only(api)["id"]
    reply = api("POST", f"/api/v1/messages/{message_id}/fail", data="error_code=1",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status_code == 415  # a cross-site form post cannot change anything
    reply = api("POST", f"/api/v1/messages/{message_id}/explode", json={})
    assert reply.status_code == 404 and "deliver" in reply.json()["error"]
    reply = api("POST", f"/api/v1/messages/{message_id}/fail", json={"error_code": ["x"]})
    assert reply.status_code == 400
    reply = api("POST", f"/api/v1/messages/{message_id}/fail", data="[1]", headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and "JSON object" in reply.json()["error"]


def test_reply_calls_the_clients_inbound_webhook_signed_as_twilio_does(api, twilio, receiver):
    send(twilio, to="+36309999999")
    message_id = only(api)["id"]
    reply = api("POST", f"/api/v1/messages/{message_id}/reply", json={"text": "STOP? no: yes please"})
    assert reply.status_code == 201
    inbound = reply.json()
    assert (inbound["from"], inbound["to"], inbound["in_reply_to"]) == ("+36309999999", "+15005550006", message_id)
    [hook] = receiver.wait(1)
    assert hook["path"] == "/sms/inbound"
    assert hook["params"]["From"] == "+36309999999" and hook["params"]["Body"] == "STOP? no: yes please"
    url = receiver.url + "/sms/inbound"
    assert RequestValidator(TOKEN).validate(url, hook["params"], hook["headers"]["X-Twilio-Signature"])
    detail = api("GET", f"/api/v1/messages/{message_id}").json()
    assert [r["text"] for r in detail["replies"]] == ["STOP? no: yes please"]
    assert api("POST", f"/api/v1/messages/{message_id}/reply", json={"text": " "}).status_code == 400


def test_callbacks_sent_are_listed_with_their_answers(inbox_gateway, api, twilio, receiver):
    sent = twilio.messages.create(to="+36301234567", from_="+15005550006", body="hi",
                                  status_callback=receiver.url + "/status?x=1")
    receiver.wait(1, where=lambda r: r["path"] == "/status")
    message_id = inbox_gateway.bridge.journal.resolve("twilio", sent.sid)
    callbacks = api("GET", f"/api/v1/messages/{message_id}").json()["callbacks"]
    assert callbacks and callbacks[0]["url"] == receiver.url + "/status"  # the query is not shown
    assert callbacks[0]["status"] == 200 and callbacks[0]["method"] == "POST"


def test_chaos_get_put_and_the_next_send_gets_503(api, twilio):
    assert api("GET", "/api/v1/chaos").json() == {"local": {"failure_rate": 0.0, "lost_reply_rate": 0.0,
                                                            "latency": 0.0}}
    reply = api("PUT", "/api/v1/chaos", json={"local": {"failure_rate": 1}})
    assert reply.status_code == 200 and reply.json()["local"]["failure_rate"] == 1.0
    with pytest.raises(TwilioRestException) as caught:
        send(twilio)
    assert caught.value.status == 503
    api("PUT", "/api/v1/chaos", json={"local": {"failure_rate": 0}})
    assert api("GET", "/api/v1/chaos").json()["local"]["failure_rate"] == 0.0


@pytest.mark.parametrize("body, words", [
    ({"nope": {"failure_rate": 1}}, "not a simulator backend"),
    ({"local": {"failure_rate": 2}}, "from 0 to 1"),
    ({"local": {"latency": -1}}, "from 0 to 60"),
    ({"local": {"failure_rate": True}}, "must be a number"),
    ({"local": {"weather": 1}}, "unknown chaos setting"),
    ([1], "JSON object"),
])
def test_chaos_refuses_bad_settings_and_changes_nothing(api, body, words):
    reply = api("PUT", "/api/v1/chaos", json=body)
    assert reply.status_code == 400 and words in reply.json()["error"]
    assert api("GET", "/api/v1/chaos").json()["local"] == {"failure_rate": 0.0, "lost_reply_rate": 0.0,
                                                           "latency": 0.0}


def test_chaos_latency_still_sends(api, twilio):
    api("PUT", "/api/v1/chaos", json={"local": {"latency": 0.2}})
    assert api("GET", "/api/v1/chaos").json()["local"]["latency"] == 0.2
    assert api("GET", "/_smsbridge/health").json()["ok"]
    assert send(twilio).status == "queued"
    api("PUT", "/api/v1/chaos", json={"local": {"latency": 0}})


def _events(url: str, last: str, ready: threading.Event, got: list[tuple[str, Any]]) -> None:
    """Read events into ``got`` until one of kind ``last`` came."""
    with requests.get(url + "/api/v1/events", stream=True, timeout=15) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in response.iter_lines(chunk_size=1, decode_unicode=True):  # unbuffered
            ready.set()
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind:
                got.append((kind, json.loads(line[6:])))
                if kind == last:
                    return


def test_event_stream_reports_new_messages_changes_replies_and_chaos(inbox_gateway, api, twilio):
    ready = threading.Event()
    result: list[Any] = []
    reader = threading.Thread(target=_events, args=(inbox_gateway.url, "chaos", ready, result), daemon=True)
    reader.start()
    assert ready.wait(10)
    import time
    time.sleep(0.6)  # the poller's first look is the baseline
    send(twilio, "live!")
    deadline = time.monotonic() + 10
    while not any(k == "message" and d["text"] == "live!" for k, d in result) and time.monotonic() < deadline:
        if not reader.is_alive():
            break
        time.sleep(0.05)
    message_id = inbox_gateway.bridge.journal.records(limit=1)[0].id
    api("POST", f"/api/v1/messages/{message_id}/reply", json={"text": "ok"})
    api("PUT", "/api/v1/chaos", json={"local": {"lost_reply_rate": 0.5}})
    reader.join(15)
    kinds = [k for k, _ in result]
    assert ("message", "live!") in [(k, d.get("text")) for k, d in result]
    assert "reply" in kinds and "chaos" in kinds
    inbound = [d for k, d in result if k == "callback"]
    assert inbound and inbound[0]["url"].endswith("/sms/inbound") and inbound[0]["status"] == 200


def test_openapi_document_validates_and_lists_every_route(api):
    reply = api("GET", "/api/v1/openapi.json")
    assert reply.status_code == 200
    doc = reply.json()
    validate(doc)
    assert set(doc["paths"]) == {
        "/api/v1/messages", "/api/v1/messages/{id}", "/api/v1/messages/{id}/deliver",
        "/api/v1/messages/{id}/fail", "/api/v1/messages/{id}/expire", "/api/v1/messages/{id}/reply",
        "/api/v1/chaos", "/api/v1/events", "/api/v1/openapi.json"}


# -- who may use it ------------------------------------------------------------------------
def test_a_foreign_host_header_is_refused_without_a_password(api):
    reply = api("GET", "/api/v1/messages", headers={"Host": "evil.example:8080"})
    assert reply.status_code == 403 and "ui_password" in reply.json()["error"]
    assert api("GET", "/ui", headers={"Host": "evil.example"}).status_code == 403
    assert api("GET", "/api/v1/messages", headers={"Host": "localhost:1234"}).status_code == 200


def test_a_non_loopback_client_is_refused_without_a_password():
    from starlette.requests import Request

    from smsbridge.gateway.inbox import guard

    def request(client: str) -> Request:
        return Request({"type": "http", "method": "GET", "path": "/api/v1/messages", "query_string": b"",
                        "headers": [(b"host", b"127.0.0.1:8080")], "client": (client, 5555)})

    assert guard(request("127.0.0.1"), None) is None and guard(request("::1"), None) is None
    assert guard(request("10.1.2.3"), None).status_code == 403
    assert guard(request("10.1.2.3"), "pw").status_code == 401


def test_with_a_password_basic_auth_is_required(gateway, inbox_config):
    server = gateway(inbox_config(ui_password="s3cret pass"))
    assert requests.get(server.url + "/api/v1/messages", timeout=5).status_code == 401
    reply = requests.get(server.url + "/ui", timeout=5, auth=("me", "wrong"))
    assert reply.status_code == 401 and reply.headers["WWW-Authenticate"].startswith("Basic")
    assert requests.get(server.url + "/api/v1/messages", auth=("any", "s3cret pass"), timeout=5).status_code == 200
    broken = {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe").decode()}
    assert requests.get(server.url + "/api/v1/messages", headers=broken, timeout=5).status_code == 401
    # and from another Host as well: the password opens it to the network
    assert requests.get(server.url + "/ui", auth=("x", "s3cret pass"), headers={"Host": "box.lan"},
                        timeout=5).status_code == 200


# -- on or off -----------------------------------------------------------------------------
def test_off_with_gateway_ui_false(gateway, inbox_config):
    server = gateway(inbox_config(ui=False))
    assert requests.get(server.url + "/ui", timeout=5).status_code == 404
    assert requests.get(server.url + "/api/v1/messages", timeout=5).status_code == 404


def test_off_without_a_sandbox_and_on_when_asked(gateway, tmp_path):
    real = {"backends": {"vendor": {"plugin": "twilio", "account_sid": "AC" + "3" * 32, "auth_token": "t",
                                    "base_url": "http://127.0.0.1:9"}}, "store": str(tmp_path / "j.sqlite3")}
    server = gateway(real)
    assert requests.get(server.url + "/ui", timeout=5).status_code == 404
    server = gateway(dict(real, gateway={"ui": "true"}))
    page = requests.get(server.url + "/ui", timeout=5)
    assert page.status_code == 200 and "No messages yet" in page.text


def test_gateway_ui_must_be_a_boolean(sandbox_config):
    from smsbridge import Bridge, ConfigError
    from smsbridge.gateway.app import build_app

    with Bridge.from_dict(dict(sandbox_config, gateway={"ui": "sometimes"})) as bridge, \
            pytest.raises(ConfigError, match="gateway.ui"):
        build_app(bridge)
    with Bridge.from_dict(dict(sandbox_config, gateway={"ui_password": ""})) as bridge, \
            pytest.raises(ConfigError, match="gateway.ui_password"):
        build_app(bridge)
