"""Redaction knows the values (issue 11 item 7): a provider that echoes a credential in prose
("... with password pw-..., access token 37F4...") never gets it into an exception, a log
line, the journal, CLI output or a gateway reply.

The providers are real local servers (tests/scripted_server.py) that put the secrets they
were sent into their error texts, in shapes no pattern recognises.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
from urllib.parse import parse_qs

import pytest
import requests
from scripted_server import ScriptedServer

from smsbridge import Bridge, SmsBridgeError, redaction
from smsbridge.errors import redact

PASSWORD = "pw-ECHOED-8841"
TOKEN = "37F4AB12CD34EF56"  # the access token simpleSMS hands out at run time
TW_TOKEN = "twtok-ECHOED-5512"
CLIENT_KEY = "ib-client-ECHOED-77"


def simplesms(request):
    if request.path.endswith("/connect"):
        form = parse_qs(request.body.decode())
        assert form["password"] == [PASSWORD]
        return 200, {"success": True, "error": False, "access_token": TOKEN, "expires_in": 3600}
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
    return 200, {"success": False, "error": True, "error_code": "forbidden",
                 "error_message": f"user u with password {PASSWORD} and access token {bearer} may not send"}


def twilio(request):
    return 400, {"code": 21606, "status": 400,
                 "message": f"The From number is not yours; the account with auth {TW_TOKEN} has none"}


def run_cli(config_path, *args):
    out = subprocess.run([sys.executable, "-m", "smsbridge.cli", "--config", str(config_path), *args],
                         capture_output=True, text=True, timeout=60)
    return out.stdout + out.stderr


@pytest.fixture
def debug_logs(caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "smsbridge", "smsbridge_plugins"):
        caplog.set_level(logging.DEBUG, logger=name)
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)
    return caplog


@pytest.mark.parametrize("provider", ["simplesms-rest", "twilio"])
def test_echoed_secrets_are_masked_everywhere(tmp_path, provider, debug_logs):
    answer = simplesms if provider == "simplesms-rest" else twilio
    with ScriptedServer(answer) as server:
        backend = ({"plugin": "simplesms-rest", "username": "u", "password": PASSWORD, "domain": "d.hu",
                    "base_url": server.url + "/rest/SMSapi/"} if provider == "simplesms-rest" else
                   {"plugin": "twilio", "account_sid": "AC" + "3" * 32, "auth_token": TW_TOKEN,
                    "base_url": server.url, "sender": "+15017122661"})
        config = tmp_path / "smsbridge.yaml"
        config.write_text(json.dumps({"backends": {"p": backend}, "store": str(tmp_path / "journal.sqlite3")}))
        with Bridge.from_config(config) as bridge:
            with pytest.raises(SmsBridgeError) as info:
                bridge.send("+36301234567", "hello")
            message_id = info.value.message_id
            seen = [str(info.value), repr(info.value), str(bridge.status(message_id).description),
                    repr(bridge.record(message_id)), repr(bridge.history(message_id))]
        assert len(server.requests) >= 1 and "***" in str(info.value)  # it was echoed, and masked
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:  # every column of every table
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        seen += [repr(db.execute(f"SELECT * FROM {t}").fetchall()) for t in tables]
    # a fresh process knows only the configured secrets: what it prints comes from the journal
    seen += [run_cli(config, "status", message_id), run_cli(config, "history", message_id),
             run_cli(config, "journal"), run_cli(config, "journal", "--json")]
    text = "\n".join(seen) + debug_logs.text
    for secret in (PASSWORD, TOKEN, TW_TOKEN):
        assert secret not in text


def test_a_gateway_reply_never_carries_an_upstream_secret(tmp_path, gateway):
    with ScriptedServer(twilio) as upstream:
        server = gateway({"backends": {"tw": {"plugin": "twilio", "account_sid": "AC" + "3" * 32,
                                              "auth_token": TW_TOKEN, "base_url": upstream.url,
                                              "sender": "+15017122661"}},
                          "store": str(tmp_path / "gw.sqlite3"),
                          "gateway": {"clients": {"shop": {"infobip": {"api_key": CLIENT_KEY}}}}},
                         faces=["infobip"])
        reply = requests.post(server.url + "/sms/2/text/advanced", timeout=10,
                              headers={"Authorization": f"App {CLIENT_KEY}"},
                              json={"messages": [{"destinations": [{"to": "36301234567"}], "text": "hi"}]})
        assert upstream.requests  # the upstream was called and echoed its token
    assert reply.status_code >= 400
    assert TW_TOKEN not in reply.text and CLIENT_KEY not in reply.text
    # the gateway's own client credentials are known secrets too
    assert redact(f"caller sent key {CLIENT_KEY}") == "caller sent key ***"


def test_registered_values_and_patterns():
    redaction.register_secret("run-time-session-XYZ")
    redaction.register_secret("p")  # too short to mask safely: patterns still cover password=p
    assert redact("session run-time-session-XYZ, url-encoded run-time-session-XYZ") == "session ***, url-encoded ***"
    assert redact("password=p&x=1") == "password=***&x=1"
    assert redact("happy path") == "happy path"
    assert redact("https://user:hunter2@example.com/x") == "https://user:***@example.com/x"
    assert redact("Authorization: Bearer abc.def") == "Authorization: ***"
    logging.getLogger("some.library").warning("leaked %s", "run-time-session-XYZ")  # any logger


def test_log_records_of_any_logger_are_redacted(caplog):
    redaction.register_secret("lib-secret-0042")
    with caplog.at_level(logging.INFO, logger="some.library"):
        logging.getLogger("some.library").info("token is %s", "lib-secret-0042")
        try:
            raise ValueError("boom lib-secret-0042")
        except ValueError:
            logging.getLogger("some.library").exception("failed")
    assert "lib-secret-0042" not in caplog.text and "token is ***" in caplog.text


def test_a_soap_session_id_is_masked_once_obtained(tmp_path, gateway, fresh_wsdl_cache):
    creds = {"username": "u", "password": "pw-SOAP-ECHO-31", "domain": "d.hu"}
    server = gateway({"backends": {"local": {"plugin": "sandbox"}}, "store": str(tmp_path / "gw.sqlite3"),
                      "gateway": {"clients": {"shop": {"simplesms": creds}}}})
    with Bridge.from_dict({"backends": {"soap": {"plugin": "simplesms-soap", **creds,
                                                 "wsdl": server.url + "/sms.wsdl", "timeout": 5}}}) as bridge:
        bridge.balance("soap")  # connects: the PHP session id arrives as a cookie
        backend = bridge.backend("soap")
        (session,) = [c.value for c in backend._http.session.cookies if c.name == "PHPSESSID"]
        assert len(session) >= 6
        assert redact(f"session {session} expired") == "session *** expired"
