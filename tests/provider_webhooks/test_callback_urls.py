"""``gateway.public_url`` set: every backend hands its provider a callback URL pointing at
``/webhooks/<backend>/status``; the provider posts its delivery report there, and
``bridge.status()`` reads ``delivered`` without asking the provider."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from smsbridge import Bridge, Status

ACCOUNT, TOKEN = "AC" + "7" * 32, "fake-twilio-token"
SID = "SM" + "ab" * 16


class FakeTwilio:
    """A Twilio stand-in: takes a send, posts a signed ``delivered`` StatusCallback to the URL
    it was given (``early``: before answering the send), answers GET fetches with ``queued``
    (so a poll would show), and counts every request."""

    def __init__(self, *, early: bool) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.callbacks: list[int] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                fake.requests.append(("POST", self.path, form))
                if early:
                    fake.report(form["StatusCallback"])
                body = json.dumps({"sid": SID, "status": "queued", "to": form["To"], "from": form.get("From"),
                                   "num_segments": "1", "date_created": "Tue, 01 Dec 2026 08:00:00 +0000"})
                self._answer(201, body)
                if not early:
                    threading.Thread(target=fake.report, args=(form["StatusCallback"],), daemon=True).start()

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path, {}))
                self._answer(200, json.dumps({"sid": SID, "status": "queued", "to": "+14155552671"}))

            def _answer(self, status: int, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def report(self, url: str) -> None:
        from twilio.request_validator import RequestValidator

        form = {"MessageSid": SID, "SmsSid": SID, "MessageStatus": "delivered", "SmsStatus": "delivered",
                "AccountSid": ACCOUNT, "To": "+14155552671", "From": "+15017122661", "ApiVersion": "2010-04-01"}
        signature = RequestValidator(TOKEN).compute_signature(url, form)
        self.callbacks.append(requests.post(url, data=form, headers={"X-Twilio-Signature": signature},
                                            timeout=10).status_code)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _wait(predicate: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


@pytest.mark.parametrize("early", [False, True], ids=["report-after-reply", "report-before-reply"])
def test_a_fake_providers_report_to_the_given_url_makes_status_delivered_without_a_poll(
        early: bool, gateway: Any, free_port: int, tmp_path: Any) -> None:
    fake = FakeTwilio(early=early)
    public = f"http://127.0.0.1:{free_port}"
    try:
        config = {"backends": {"tw": {"plugin": "twilio", "account_sid": ACCOUNT, "auth_token": TOKEN,
                                      "sender": "+15017122661", "base_url": fake.url}},
                  "store": str(tmp_path / "journal.sqlite3"), "gateway": {"public_url": public}}
        server = gateway(Bridge.from_dict(config), port=free_port)
        receipt = server.bridge.send("+14155552671", "Hello")
        sent = fake.requests[0][2]
        assert sent["StatusCallback"] == f"{public}/webhooks/tw/status"  # the URL it was given
        _wait(lambda: fake.callbacks != [])
        assert fake.callbacks == [204]
        report = server.bridge.status(receipt.id)
        assert report.status == Status.DELIVERED
        assert [method for method, _, _ in fake.requests] == ["POST"]  # no status fetch: no poll
        assert server.bridge.journal.events(receipt.id)[-1].description == "Twilio: delivered"
    finally:
        fake.close()


# -- every backend passes its provider's callback parameter ---------------------------------
# smsbridge's own gateway faces are faithful providers here: each posts its provider's
# delivery report to the callback URL a send names (signed where the provider signs).
_SECRET = "shared-secret"
BACKENDS = {
    "twilio": ({"account_sid": "AC" + "8" * 32, "auth_token": _SECRET, "sender": "+15017122661"},
               {"account_sid": "AC" + "8" * 32, "auth_token": _SECRET}, "StatusCallback"),
    "vonage": ({"api_key": "vkey", "api_secret": _SECRET, "signature_secret": _SECRET, "signature_method": "sha256",
                "sender": "AcmeInc"},
               {"api_key": "vkey", "api_secret": _SECRET, "signature_secret": _SECRET, "signature_method": "sha256"},
               "callback"),
    "messagebird": ({"access_key": "mbkey", "sender": "smsbridge"}, {"access_key": "mbkey"}, "reportUrl"),
    "plivo": ({"auth_id": "MA" + "Q" * 18, "auth_token": _SECRET, "sender": "14155551234"},
              {"auth_id": "MA" + "Q" * 18, "auth_token": _SECRET}, "url"),
    "sinch": ({"service_plan_id": "plan9", "api_token": _SECRET, "sender": "12345"},
              {"service_plan_id": "plan9", "api_token": _SECRET}, "callback_url"),
    "infobip": ({"api_key": _SECRET, "sender": "InfoSMS"}, {"api_key": _SECRET}, "notifyUrl"),
}


@pytest.mark.parametrize("plugin", sorted(BACKENDS))
def test_every_backend_gives_its_provider_the_webhook_url(plugin: str, gateway: Any, free_port: int,
                                                          tmp_path: Any) -> None:
    backend_options, client, _parameter = BACKENDS[plugin]
    provider = gateway({"backends": {"sim": {"plugin": "sandbox"}}, "store": str(tmp_path / "provider.sqlite3"),
                        "gateway": {"poll_interval": 0.05, "clients": {"app": {plugin: client}}}})
    public = f"http://127.0.0.1:{free_port}"
    name = f"my-{plugin}"
    server = gateway(Bridge.from_dict({
        "backends": {name: {"plugin": plugin, "base_url": provider.url, **backend_options}},
        "store": str(tmp_path / "journal.sqlite3"), "gateway": {"public_url": public}}), port=free_port)
    receipt = server.bridge.send("+36201234567", "Hello")
    # Nothing polls here: the journal can only learn "delivered" from the report the
    # provider posted to the URL the send gave it as ``parameter``.
    _wait(lambda: server.bridge.journal.get(receipt.id).status == Status.DELIVERED)
    assert server.bridge.status(receipt.id).status == Status.DELIVERED
    descriptions = [e.description or "" for e in server.bridge.journal.events(receipt.id)]
    assert any(d.lower().startswith(plugin) for d in descriptions), descriptions


def test_a_webhook_report_reaches_the_callers_own_status_callback(gateway: Any, free_port: int, tmp_path: Any,
                                                                   receiver: Any) -> None:
    """A Twilio-SDK caller of the gateway asked for a StatusCallback; the upstream provider's
    delivery report arrives by webhook, and the caller's callback gets ``delivered``, signed
    with the caller's own token (the face's Gateway.watch callbacks)."""
    from twilio.request_validator import RequestValidator
    from twilio.rest import Client

    fake = FakeTwilio(early=False)
    public = f"http://127.0.0.1:{free_port}"
    caller_sid, caller_token = "AC" + "9" * 32, "caller-token"
    try:
        server = gateway({"backends": {"tw": {"plugin": "twilio", "account_sid": ACCOUNT, "auth_token": TOKEN,
                                              "sender": "+15017122661", "base_url": fake.url}},
                          "store": str(tmp_path / "journal.sqlite3"),
                          "gateway": {"public_url": public, "poll_interval": 0.05,
                                      "clients": {"app": {"twilio": {"account_sid": caller_sid,
                                                                     "auth_token": caller_token}}}}},
                         port=free_port)
        client = Client(caller_sid, caller_token)
        client.api.base_url = server.url
        callback = receiver.url + "/status"
        message = client.messages.create(to="+14155552671", from_="+15017122661", body="Hi",
                                         status_callback=callback)
        got = receiver.wait_for(lambda rs: any(r["params"].get("MessageStatus") == "delivered" for r in rs))
        delivered = [r for r in got if r["params"].get("MessageStatus") == "delivered"]
        assert len(delivered) == 1 and delivered[0]["params"]["MessageSid"] == message.sid
        assert RequestValidator(caller_token).validate(callback, delivered[0]["params"],
                                                       delivered[0]["headers"]["X-Twilio-Signature"])
        assert fake.callbacks == [204]
    finally:
        fake.close()
