"""The gateway's simpleSMS REST face, spoken to directly over HTTP: the provider's reply
shapes, logins and tokens, and hostile input (SPEC §6, §7: a provider-shaped 4xx, never a
500).  Ends with ``smsbridge serve`` as a real subprocess."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smsbridge_plugins.simplesms import gateway_rest, wire

from smsbridge import Bridge, Status
from smsbridge.model import MonthlyStat

API = "/rest/SMSapi/"


@pytest.fixture(scope="module")
def face(tmp_path_factory):
    """One gateway for the module (sandbox + two simpleSMS clients, max 2 segments)."""
    from smsbridge.gateway.server import run_in_thread

    tmp = tmp_path_factory.mktemp("face")
    server = run_in_thread({
        "default": "local",
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp / "sandbox.sqlite3")}},
        "store": str(tmp / "journal.sqlite3"),
        "defaults": {"max_segments": 2},
        "gateway": {"clients": {
            "shop": {"simplesms": {"username": "shop", "password": "s3cret-Pa55", "domain": "shop.example.hu"}},
            "other": {"simplesms": {"username": "other", "password": "pw2", "domain": "other.hu"}}}},
    })
    yield server
    server.stop()
    server.bridge.close()


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def call(http, face, operation, data=None, token=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return http.post(face.url + API + operation, data=data, headers=headers, timeout=10, **kw)


def login(http, face, credentials):
    reply = call(http, face, "connect", credentials)
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


def assert_error(reply, status, code):
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert body["success"] is False and body["error"] is True and body["error_code"] == code, body
    assert isinstance(body["error_message"], str) and body["error_message"]
    return body


# -- the happy path, in the provider's shapes --------------------------------------------
def test_a_session_in_the_providers_shapes(http, face, simplesms_client):
    reply = call(http, face, "connect", simplesms_client)
    body = reply.json()
    assert body["success"] is True and body["error"] is False
    assert body["access_token"] == body["response"]["access_token"]
    expires = wire.parse_time(body["response"]["expires_in"])           # a Budapest date-time string
    assert 3590 <= (expires - datetime.now(timezone.utc)).total_seconds() <= 3600
    token = body["access_token"]

    sent = call(http, face, "sendSMS", {"country_code": "36", "area_code": "30", "number": "1234567",
                                        "message": "Szia!"}, token).json()
    # The id itself in `response` (the provider's documentation), a JSON number.
    assert sent["success"] is True and isinstance(sent["response"], int)
    sms_id = sent["response"]

    status = call(http, face, "getStatus", {"sms_id": sms_id}, token).json()["response"]
    assert {k: status[k] for k in ("sms_id", "country_code", "area_code", "number", "message", "status",
                                   "status_code")} == {
        "sms_id": sms_id, "country_code": "36", "area_code": "30", "number": "1234567", "message": "Szia!",
        "status": "Delivered", "status_code": 3}
    assert wire.parse_time(status["created"]) and wire.parse_time(status["status_date"])

    history = call(http, face, "getHistory", {"sms_id": str(sms_id)}, token).json()["response"]
    assert [(e["code"], e["message"]) for e in history] == [(1, "Queued"), (2, "Sent"), (3, "Delivered")]

    credit = call(http, face, "getCreditNumber", {}, token).json()
    assert credit == wire.ok_reply(int(face.bridge.balance().amount))
    monthly = call(http, face, "getMonthlyStat", None, token).json()["response"]
    assert [MonthlyStat(m, **v) for m, v in monthly.items()] == face.bridge.monthly_stats()


def test_json_bodies_are_accepted_too(http, face, simplesms_client):
    token = call(http, face, "connect", json=simplesms_client).json()["access_token"]
    reply = call(http, face, "sendSMS", json={"country_code": 36, "area_code": 30, "number": 1234567,
                                              "message": "json"}, token=token)
    assert reply.json()["success"] is True


# -- logins and tokens ------------------------------------------------------------------
@pytest.mark.parametrize("change", [{"password": "wrong"}, {"domain": "other.hu"}, {"username": "other"},
                                    {"password": ""}, {"password": None}])
def test_wrong_or_missing_credentials(http, face, simplesms_client, change):
    credentials = {k: v for k, v in {**simplesms_client, **change}.items() if v is not None}
    assert_error(call(http, face, "connect", credentials), 401, 101)


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer nope", "Basic dXNlcjpwdw==",
                                           "bearer  \t", "Bearer ÿÿÿ"])
@pytest.mark.parametrize("operation", ["sendSMS", "getCreditNumber", "getMonthlyStat", "getStatus", "getHistory"])
def test_bad_tokens_are_refused_with_code_102(http, face, operation, authorization):
    headers = {} if authorization is None else {"Authorization": authorization.encode("latin-1")}
    reply = http.post(face.url + API + operation, data={"sms_id": "1"}, headers=headers, timeout=10)
    assert_error(reply, 401, 102)


def test_tokens_expire(monkeypatch, http, gateway, simplesms_gateway_config, simplesms_client):
    monkeypatch.setattr(gateway_rest, "TOKEN_LIFETIME", 0.5)
    face = gateway(simplesms_gateway_config)
    token = login(http, face, simplesms_client)
    assert call(http, face, "getCreditNumber", {}, token).status_code == 200
    time.sleep(0.7)
    assert_error(call(http, face, "getCreditNumber", {}, token), 401, 102)
    assert call(http, face, "getCreditNumber", {}, login(http, face, simplesms_client)).status_code == 200


def test_a_token_is_accepted_by_another_gateway_on_the_same_config(http, gateway, simplesms_gateway_config,
                                                                   simplesms_client):
    """Signed tokens (issue 13): a second gateway, sharing nothing but the config, accepts
    the first one's token; one on a config with another password does not."""
    first, second = gateway(simplesms_gateway_config), gateway(simplesms_gateway_config)
    token = login(http, first, simplesms_client)
    assert call(http, second, "getCreditNumber", {}, token).json()["success"] is True
    changed = {**simplesms_gateway_config, "gateway": {"clients": {"shop": {"simplesms": {
        **simplesms_client, "password": "changed-Pa55"}}}}}
    assert_error(call(http, gateway(changed), "getCreditNumber", {}, token), 401, 102)
    # A token's fields cannot be edited: here, its expiry pushed a year ahead.
    fields = token.split(".")
    fields[3] = str(int(fields[3]) + 365 * 86400 * 10**6)
    assert_error(call(http, second, "getCreditNumber", {}, ".".join(fields)), 401, 102)


def test_a_soap_session_id_is_no_rest_token(http, face, simplesms_client):
    envelope = ('<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
                ' xmlns:ns1="urn:SMSapi"><SOAP-ENV:Body><ns1:connect><userName>{username}</userName>'
                "<userPassword>{password}</userPassword><domainName>{domain}</domainName></ns1:connect>"
                "</SOAP-ENV:Body></SOAP-ENV:Envelope>").format(**simplesms_client)
    sid = requests.post(face.url + "/soap", data=envelope, timeout=10).cookies["PHPSESSID"]
    assert_error(call(http, face, "getCreditNumber", {}, sid), 401, 102)


def test_a_client_sees_only_its_own_messages(http, face, simplesms_client):
    mine = login(http, face, simplesms_client)
    theirs = login(http, face, {"username": "other", "password": "pw2", "domain": "other.hu"})
    sms_id = call(http, face, "sendSMS", {"country_code": "36", "area_code": "30", "number": "1234567",
                                          "message": "private"}, mine).json()["response"]
    assert call(http, face, "getStatus", {"sms_id": sms_id}, mine).json()["success"] is True
    for operation in ("getStatus", "getHistory"):
        assert_error(call(http, face, operation, {"sms_id": sms_id}, theirs), 200, 404)


# -- application errors: HTTP 200 with the flags, as the provider does -------------------
@pytest.mark.parametrize("fields, code", [
    ({"country_code": "36", "area_code": "30", "number": "123", "message": "x"}, 201),
    ({"country_code": "36", "area_code": "30", "number": "12345678901234", "message": "x"}, 201),
    ({"country_code": "xx", "area_code": "30", "number": "1234567", "message": "x"}, 201),
    ({"country_code": "36", "area_code": "30", "number": "1234567", "message": ""}, 202),
    ({"country_code": "36", "area_code": "30", "number": "1234567", "message": "x" * 400}, 203),
])
def test_send_refusals(http, face, simplesms_client, fields, code):
    token = login(http, face, simplesms_client)
    before = len(face.bridge.journaled(limit=10_000))
    assert_error(call(http, face, "sendSMS", fields, token), 200, code)
    assert len(face.bridge.journaled(limit=10_000)) == before          # refused before the journal


@pytest.mark.parametrize("sms_id", ["999", "abc", "", "1" * 40, "١٢٣", "-1"])
def test_unknown_sms_ids(http, face, simplesms_client, sms_id):
    token = login(http, face, simplesms_client)
    for operation in ("getStatus", "getHistory"):
        assert_error(call(http, face, operation, {"sms_id": sms_id}, token), 200, 404)


def test_no_credit(http, gateway, simplesms_gateway_config, simplesms_client):
    simplesms_gateway_config["backends"]["local"]["credit"] = 0
    face = gateway(simplesms_gateway_config)
    token = login(http, face, simplesms_client)
    assert_error(call(http, face, "sendSMS", {"country_code": "36", "area_code": "30", "number": "1234567",
                                              "message": "x"}, token), 200, 301)


# -- hostile input: provider-shaped 4xx, never a 500 ---------------------------------------
@pytest.mark.parametrize("method, operation", [
    (method, operation) for method in ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"] for operation in wire.OPERATIONS
    if not (method == "GET" and operation in gateway_rest.GET_OPERATIONS)])     # those answer GET (issue 19)
def test_wrong_methods(http, face, method, operation):
    reply = http.request(method, face.url + API + operation, timeout=10)
    assert_error(reply, 405, 405)
    assert reply.headers["allow"] == ("GET, HEAD, POST" if operation in gateway_rest.GET_OPERATIONS else "POST")


def test_head_is_refused_too(http, face):
    reply = http.head(face.url + API + "connect", timeout=10)
    assert reply.status_code == 405 and reply.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["sendsms", "nope", "connect/extra", "getStatus/1", "", "connect%00"])
def test_unknown_operations(http, face, path):
    assert_error(http.post(face.url + API + path, timeout=10), 404, 400)


def test_a_huge_body_is_413(http, face, simplesms_client):
    token = login(http, face, simplesms_client)
    huge = "message=" + "x" * (200 * 1024)
    for operation, auth in (("connect", None), ("sendSMS", token)):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        assert_error(call(http, face, operation, huge, auth, headers=dict(headers)), 413, 413)
        # the same without a Content-Length (chunked): counted while read
        chunks = (huge[i:i + 8192].encode() for i in range(0, len(huge), 8192))
        assert_error(call(http, face, operation, chunks, auth, headers=dict(headers)), 413, 413)


@pytest.mark.parametrize("body, content_type", [
    (b"username=\xff\xfe&password=x&domain=y", "application/x-www-form-urlencoded"),
    (b"username=%FF%FE&password=x&domain=y", "application/x-www-form-urlencoded"),
    (b"username=a&" * 1200, "application/x-www-form-urlencoded"),               # too many fields
    (b'{"username": ', "application/json"),
    (b"\xff\xfe{}", "application/json"),
    (b'["a list"]', "application/json"),
    (b'{"username": {"nested": 1}}', "application/json"),
    (b'{"username": "\\ud800", "password": "x", "domain": "y"}', "application/json"),   # a lone surrogate
    (b"[" * 60000, "application/json"),                                               # nested too deeply
    (b'{"a":' * 12000, "application/json"),
    (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--", "multipart/form-data; boundary=x"),
])
def test_malformed_bodies(http, face, body, content_type):
    reply = http.post(face.url + API + "connect", data=body, headers={"Content-Type": content_type}, timeout=10)
    assert 400 <= reply.status_code < 500
    assert_error(reply, reply.status_code, 400)


def test_a_bad_content_length_is_400(face):
    import socket

    with socket.create_connection(("127.0.0.1", face.port), timeout=5) as sock:
        sock.sendall(b"POST /rest/SMSapi/connect HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n"
                     b"Connection: close\r\n\r\nusername=x")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.split(b" ", 2)[1].startswith(b"4")


def test_hostile_json_on_send(http, face, simplesms_client):
    token = login(http, face, simplesms_client)
    fields = '"country_code": "36", "area_code": "30", "number": "1234567"'
    for body in ('{' + fields + ', "message": "\\udc80 lone"}', "[" * 50000):
        reply = call(http, face, "sendSMS", body.encode(), token, headers={"Content-Type": "application/json"})
        assert_error(reply, 400, 400)


@pytest.mark.parametrize("missing", ["country_code", "area_code", "number", "message"])
def test_missing_send_fields(http, face, simplesms_client, missing):
    token = login(http, face, simplesms_client)
    fields = {"country_code": "36", "area_code": "30", "number": "1234567", "message": "x"}
    del fields[missing]
    body = assert_error(call(http, face, "sendSMS", fields, token), 400, 400)
    assert missing in body["error_message"]


def test_missing_sms_id(http, face, simplesms_client):
    token = login(http, face, simplesms_client)
    for operation in ("getStatus", "getHistory"):
        assert_error(call(http, face, operation, {}, token), 400, 400)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operation=st.sampled_from(wire.OPERATIONS), body=st.binary(max_size=300),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", ""]))
def test_garbage_never_gets_a_500(http, face, simplesms_client, operation, body, content_type):
    token = login(http, face, simplesms_client)
    reply = http.post(face.url + API + operation, data=body, timeout=10,
                      headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"})
    assert reply.status_code < 500, reply.text
    data = reply.json()
    assert isinstance(data, dict) and "success" in data and "error" in data


# -- smsbridge serve, the real command ------------------------------------------------------
def _smsbridge_command() -> list[str]:
    script = Path(sys.executable).with_name("smsbridge")
    if script.exists():
        return [str(script)]
    found = shutil.which("smsbridge")
    return [found] if found else [sys.executable, "-m", "smsbridge.cli"]


def test_smsbridge_serve_is_a_local_simplesms(tmp_path, free_port, simplesms_client, monkeypatch):
    config = tmp_path / "smsbridge.yaml"
    config.write_text(yaml.safe_dump({
        "default": "local",
        "backends": {"local": {"plugin": "sandbox", "path": str(tmp_path / "sandbox.sqlite3")}},
        "store": str(tmp_path / "journal.sqlite3"),
        "gateway": {"clients": {"shop": {"simplesms": {**simplesms_client, "password": "${SHOP_SSMS_PASSWORD}"}}}},
    }))
    env = {**os.environ, "SHOP_SSMS_PASSWORD": simplesms_client["password"]}
    env.pop("SMSBRIDGE_CONFIG", None)
    proc = subprocess.Popen([*_smsbridge_command(), "--config", str(config), "serve", "--host", "127.0.0.1",
                             "--port", str(free_port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{free_port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(url + "/_smsbridge/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"smsbridge serve did not start: {proc.communicate(timeout=5)}")
            time.sleep(0.1)
        with Bridge.from_dict({"backends": {"ssms": {"plugin": "simplesms-rest", **simplesms_client,
                                                     "base_url": url + API}}}) as bridge:
            receipt = bridge.send("+36301234567", "Szia a szimulátorból!")
            assert bridge.status(receipt.id).status is Status.DELIVERED
            assert bridge.balance().amount == 999
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode in (0, -signal.SIGINT, 130), err
    assert simplesms_client["password"].encode() not in out + err
    # the journal outlives the server: a message sent through the face is there
    monkeypatch.setenv("SHOP_SSMS_PASSWORD", simplesms_client["password"])
    with Bridge.from_config(str(config)) as served:
        assert [r.text for r in served.journaled()] == ["Szia a szimulátorból!"]


# -- issue 19: XML on request -------------------------------------------------------------
def _xml(reply):
    """A face's XML reply read by the standard library (not by our own parser): element -> dict."""
    import xml.etree.ElementTree as ET

    assert reply.headers["content-type"].startswith("application/xml"), reply.headers
    root = ET.fromstring(reply.content)
    return root, {child.tag: child for child in root}


def test_the_face_answers_in_xml_when_asked(http, face, simplesms_client):
    xml = {"Accept": "application/xml"}
    root, parts = _xml(call(http, face, "connect", simplesms_client, headers=dict(xml)))
    assert root.tag == "result" and parts["success"].text == "true" and parts["error"].text == "false"
    token = parts["access_token"].text
    assert token and parts["response"].find("access_token").text == token

    sent = call(http, face, "sendSMS", {"country_code": "36", "area_code": "30", "number": "1234567",
                                        "message": "XML <&>"}, token, headers=dict(xml))
    _, parts = _xml(sent)
    sms_id = parts["response"].text                         # the id itself, as the element's text
    assert sms_id.isdigit() and len(list(parts["response"])) == 0

    status = call(http, face, "getStatus", {"sms_id": sms_id}, token, headers={"Accept": "text/xml"})
    _, parts = _xml(status)
    assert parts["response"].find("message").text == "XML <&>"
    assert parts["response"].find("status").text == "Delivered"
    assert parts["response"].find("sms_id").text == sms_id
    assert wire.parse_xml_reply(status.content)["response"]["status_code"] == "3"

    history = wire.parse_xml_reply(call(http, face, "getHistory", {"sms_id": sms_id}, token, headers=dict(xml))
                                   .content)["response"]
    assert [e["message"] for e in history] == ["Queued", "Sent", "Delivered"]
    monthly = wire.parse_xml_reply(call(http, face, "getMonthlyStat", {}, token, headers=dict(xml)).content)
    assert [MonthlyStat(m, int(v["domestic"]), int(v["foreign"])) for m, v in monthly["response"].items()] \
        == face.bridge.monthly_stats()

    # Errors too, with their HTTP status.
    refused = call(http, face, "getCreditNumber", {}, "nope", headers=dict(xml))
    assert refused.status_code == 401
    _, parts = _xml(refused)
    assert parts["success"].text == "false" and parts["error_code"].text == "102"
    wrong = http.put(face.url + API + "getCreditNumber", headers=dict(xml), timeout=10)
    assert wrong.status_code == 405 and _xml(wrong)[1]["error_code"].text == "405"


@pytest.mark.parametrize("accept, xml", [
    (None, False), ("*/*", False), ("application/json", False), ("application/xml", True), ("text/xml", True),
    ("application/json, application/xml;q=0.5", False), ("application/xml, application/json;q=0.9", True),
    ("application/json;q=0.1, text/xml", True), ("application/soap+xml", True), ("text/html", False),
    ("application/xml;q=0", False), ("application/xml;q=abc", False), ("*/*;q=0.8, application/xml", True),
])
def test_which_accept_headers_get_xml(accept, xml):
    assert gateway_rest.wants_xml(accept) is xml


def test_the_backend_reads_the_faces_xml(face, simplesms_client, tmp_path):
    """simplesms-rest against the face, the face answering XML (the backend asked for XML only)."""
    from smsbridge_plugins.simplesms import rest

    class XmlOnly(rest.RestBackend):
        def http_headers(self):
            return {**super().http_headers(), "Accept": "application/xml"}

    backend = XmlOnly("xml", Bridge.from_dict({"backends": {"xml": {
        "plugin": "simplesms-rest", **simplesms_client, "base_url": face.url + API}}}).backend("xml").settings)
    try:
        from smsbridge.model import Message

        probe = backend.transport.request("POST", "connect", data=dict(simplesms_client))
        assert probe.headers["content-type"].startswith("application/xml")          # XML it is
        accepted = backend.send(Message(to="+36301234567", text="via XML"))
        assert accepted.provider_id.isdigit()
        assert backend.status(accepted.provider_id).status is Status.DELIVERED
        assert backend.balance().amount >= 0
    finally:
        backend.close()


# -- issue 19: GET for the calls that read ---------------------------------------------------
def test_get_works_for_the_calls_that_read(http, face, simplesms_client):
    token = login(http, face, simplesms_client)
    auth = {"Authorization": f"Bearer {token}"}
    sms_id = call(http, face, "sendSMS", {"country_code": "36", "area_code": "30", "number": "1234567",
                                          "message": "read me by GET"}, token).json()["response"]

    status = http.get(face.url + API + "getStatus", params={"sms_id": sms_id}, headers=auth, timeout=10)
    assert status.status_code == 200 and status.json()["response"]["message"] == "read me by GET"
    assert status.json() == call(http, face, "getStatus", {"sms_id": sms_id}, token).json()   # as on POST
    history = http.get(f"{face.url}{API}getHistory?sms_id={sms_id}", headers=auth, timeout=10).json()
    assert [e["message"] for e in history["response"]] == ["Queued", "Sent", "Delivered"]
    credit = http.get(face.url + API + "getCreditNumber", headers=auth, timeout=10).json()
    assert credit == wire.ok_reply(int(face.bridge.balance().amount))
    monthly = http.get(face.url + API + "getMonthlyStat", headers=auth, timeout=10).json()
    assert [MonthlyStat(m, **v) for m, v in monthly["response"].items()] == face.bridge.monthly_stats()
    head = http.head(face.url + API + "getCreditNumber", headers=auth, timeout=10)
    assert head.status_code == 200 and head.content == b""
    as_xml = http.get(face.url + API + "getStatus", params={"sms_id": sms_id}, timeout=10,
                      headers={**auth, "Accept": "application/xml"})
    assert wire.parse_xml_reply(as_xml.content)["response"]["sms_id"] == str(sms_id)

    # The same rules as on POST: the token in the header, the client's own messages only.
    assert_error(http.get(face.url + API + "getCreditNumber", timeout=10), 401, 102)
    assert_error(http.get(face.url + API + "getStatus", params={"sms_id": sms_id, "access_token": token},
                          timeout=10), 401, 102)                                      # never a token in the URL
    assert_error(http.get(face.url + API + "getStatus", headers=auth, timeout=10), 400, 400)   # no sms_id
    assert_error(http.get(face.url + API + "getStatus", params={"sms_id": "999"}, headers=auth, timeout=10),
                 200, 404)
    other = login(http, face, {"username": "other", "password": "pw2", "domain": "other.hu"})
    assert_error(http.get(face.url + API + "getStatus", params={"sms_id": sms_id}, timeout=10,
                          headers={"Authorization": f"Bearer {other}"}), 200, 404)


@pytest.mark.parametrize("operation", ["connect", "sendSMS"])
def test_get_never_logs_in_or_sends(http, face, simplesms_client, operation):
    before = len(face.bridge.journaled(limit=10_000))
    reply = http.get(face.url + API + operation, params={**simplesms_client, "country_code": "36",
                                                         "area_code": "30", "number": "1234567", "message": "x"},
                     timeout=10)
    assert_error(reply, 405, 405)
    assert reply.headers["allow"] == "POST"
    assert len(face.bridge.journaled(limit=10_000)) == before


def test_a_php_client_written_for_the_provider_round_trips(face, simplesms_client):
    """tests/php/rest_client.php: plain PHP streams and json_decode, reading `response` as the id."""
    from php_soap_server import require_php

    php = require_php()
    result = subprocess.run([php, str(Path(__file__).resolve().parents[1] / "php" / "rest_client.php"),
                             face.url + API, simplesms_client["username"], simplesms_client["password"],
                             simplesms_client["domain"]], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr + result.stdout
    out = json.loads(result.stdout)
    assert out["connect"]["status"] == 200 and out["connect"]["reply"]["success"] is True
    sent = out["sendSMS"]["reply"]
    assert sent["success"] is True and isinstance(sent["response"], int) and out["idType"] == "int"
    for key in ("getStatus", "getStatusByGet"):
        assert out[key]["status"] == 200, out[key]
        status = out[key]["reply"]["response"]
        assert status["sms_id"] == sent["response"] and status["message"] == "Szia PHP REST! ő"
        assert status["status"] == "Delivered"
    assert [e["message"] for e in out["getHistoryByGet"]["reply"]["response"]] == ["Queued", "Sent", "Delivered"]
    assert out["getCreditNumberByGet"]["reply"] == wire.ok_reply(int(face.bridge.balance().amount))
    assert out["getMonthlyStatByGet"]["reply"]["success"] is True
    assert out["sendSMSByGet"]["status"] == 405 and out["sendSMSByGet"]["reply"]["error_code"] == 405
    assert out["wrongLogin"]["status"] == 401 and out["wrongLogin"]["reply"]["error_code"] == 101
