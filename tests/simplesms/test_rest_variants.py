"""The simplesms-rest backend against a scriptable stand-in for api.simplesms.hu.

The real server is not reachable from here and its documentation is loose (SPEC §5), so
a small Starlette server on 127.0.0.1 answers each variant the backend must tolerate,
and records every request: the exact form fields, the bearer token, how many times each
operation was called (to prove a message is sent at most once).
"""
from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import phonenumbers
import pytest
from simplesms.login_variants import LOST_LOGIN, NOT_PROOF_ON_SEND, REFUSED_CONNECT, params
from smsbridge_plugins.simplesms import rest, wire
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from smsbridge import Bridge, Status
from smsbridge.errors import (
    AuthenticationError,
    DeliveryUnknown,
    InsufficientCredit,
    ProviderError,
    ProviderUnavailable,
)
from smsbridge.model import Message

CREDENTIALS = {"username": "user", "password": "secret-pw-123", "domain": "example.hu"}

PHP_STATUS = {"sms_id": 1001, "country_code": "36", "area_code": "30", "number": "1234567", "message": "Hi",
              "sender": None, "created": "2024-07-01 12:00:00", "status": "Delivered", "status_code": 3,
              "status_date": "2024-07-01 12:00:05"}
HISTORY = [{"code": 1, "message": "Queued", "date": "2024-07-01 12:00:00"},
           {"code": 2, "message": "Sent", "date": "2024-07-01 12:00:01"},
           {"code": 4, "message": "Undelivered", "date": "2024-07-01 12:00:05", "comment": "Handset unreachable"}]

Handler = Callable[[dict, dict], Any]


class FakeSimpleSMS:
    """``/rest/SMSapi/{operation}``: canonical replies unless ``handlers[operation]`` says
    otherwise.  A handler gets ``(form, headers)`` and returns ``(status, body)``: a dict or
    list is sent as JSON (or as XML through ``xml``), bytes as XML, a str as text/html; it
    may be async (to answer late)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.tokens: set[str] = set()
        self.connects = 0
        self.next_id = 1001
        self.handlers: dict[str, Handler] = {}
        self.token_body: Callable[[str], Any] = lambda token: wire.token_reply(
            token, datetime.now(timezone.utc) + timedelta(hours=1))
        self.xml: Callable[[Any], bytes] | None = None     # set: every reply object is sent as this XML
        self.xml_media_type = "application/xml"
        self._lock = threading.Lock()
        self.asgi = self.app()

    def count(self, operation: str) -> int:
        return sum(1 for r in self.requests if r["operation"] == operation)

    def forms(self, operation: str) -> list[dict[str, str]]:
        return [r["form"] for r in self.requests if r["operation"] == operation]

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/rest/SMSapi/{operation}", self._handle, methods=["GET", "POST"])])

    async def _handle(self, request: Request) -> Response:
        operation = request.path_params["operation"]
        body = await request.body()
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self.requests.append({"operation": operation, "method": request.method, "form": form,
                                  "authorization": headers.get("authorization"),
                                  "content_type": headers.get("content-type")})
        handler = self.handlers.get(operation) or (lambda f, h: self.standard(operation, f, h))
        result = handler(form, headers)
        if inspect.isawaitable(result):
            result = await result
        status, payload = result
        if self.xml is not None and isinstance(payload, (dict, list)):
            payload = self.xml(payload)
        if isinstance(payload, bytes):
            return Response(payload, status_code=status, media_type=self.xml_media_type)
        if isinstance(payload, str):
            return PlainTextResponse(payload, status_code=status, media_type="text/html")
        return JSONResponse(payload, status_code=status)

    def standard(self, operation: str, form: dict, headers: dict) -> tuple[int, Any]:
        """What a well-behaved simpleSMS answers."""
        if operation == "connect":
            if {k: form.get(k) for k in CREDENTIALS} != CREDENTIALS:
                return 200, wire.error_reply(101, "Invalid username, password or domain")
            with self._lock:
                self.connects += 1
                token = f"tok-{self.connects}-abcdefgh"
                self.tokens.add(token)
            return 200, self.token_body(token)
        if not self.authorized(headers):
            return 401, wire.error_reply(102, "Not logged in or the session has expired")
        if operation == "sendSMS":
            with self._lock:
                sms_id, self.next_id = self.next_id, self.next_id + 1
            return 200, wire.ok_reply({"sms_id": sms_id})
        canned = {"getCreditNumber": 100, "getMonthlyStat": {"2024-01": {"domestic": 12, "foreign": 1}},
                  "getStatus": PHP_STATUS, "getHistory": HISTORY}
        if operation in canned:
            return 200, wire.ok_reply(canned[operation])
        return 404, wire.error_reply(400, "Unknown operation")

    def authorized(self, headers: dict) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme == "Bearer" and token in self.tokens


@pytest.fixture(scope="module")
def _fake_server(serve_asgi_module):
    holder: dict[str, FakeSimpleSMS] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await holder["fake"].asgi(scope, receive, send)
    holder["url"] = serve_asgi_module(app)  # type: ignore[assignment]
    return holder


@pytest.fixture
def fake(_fake_server):
    """A fresh stand-in for each test, behind one long-lived server."""
    server = FakeSimpleSMS()
    server.url = _fake_server["url"]
    _fake_server["fake"] = server
    return server


def make_bridge(fake: FakeSimpleSMS, *, spare: bool = False, tmp_path: Any = None, **overrides: Any) -> Bridge:
    backends: dict[str, Any] = {"primary": {"plugin": "simplesms-rest", **CREDENTIALS,
                                            "base_url": fake.url + "/rest/SMSapi/", **overrides}}
    config: dict[str, Any] = {"backends": backends}
    if spare:
        backends["spare"] = {"plugin": "sandbox"}
        config["routes"] = [{"backends": ["primary", "spare"]}]
    if tmp_path is not None:
        config["store"] = str(tmp_path / "journal.sqlite3")
    return Bridge.from_dict(config)


# -- the requests ---------------------------------------------------------------------
def test_exact_requests(fake):
    with make_bridge(fake) as bridge:
        receipt = bridge.send("+36301234567", "Szia!")
        bridge.status(receipt.id)
        bridge.history(receipt.id)
        bridge.balance()
        bridge.monthly_stats()
    token = "tok-1-abcdefgh"
    assert [(r["operation"], r["method"], r["form"], r["authorization"]) for r in fake.requests] == [
        ("connect", "POST", CREDENTIALS, None),
        ("sendSMS", "POST", {"country_code": "36", "area_code": "30", "number": "1234567", "message": "Szia!"},
         f"Bearer {token}"),
        ("getStatus", "POST", {"sms_id": "1001"}, f"Bearer {token}"),
        ("getHistory", "POST", {"sms_id": "1001"}, f"Bearer {token}"),
        ("getCreditNumber", "POST", {}, f"Bearer {token}"),
        ("getMonthlyStat", "POST", {}, f"Bearer {token}"),
    ]
    assert {r["content_type"] for r in fake.requests if r["form"]} == {"application/x-www-form-urlencoded"}


@pytest.mark.parametrize("to", ["+447911123456", "+4915112345678", "+12025550123", "+33612345678",
                                "+3612345678", "+61412345678"])
def test_numbers_are_split_by_phonenumbers(fake, to):
    number = phonenumbers.parse(to)
    national = phonenumbers.national_significant_number(number)
    ndc = phonenumbers.length_of_national_destination_code(number)
    with make_bridge(fake) as bridge:
        bridge.send(to, "Hello")
    form = fake.forms("sendSMS")[0]
    assert form == {"country_code": str(number.country_code), "area_code": national[:ndc],
                    "number": national[ndc:], "message": "Hello"}


def test_unicode_text_arrives_intact(fake):
    text = "Árvíztűrő tükörfúrógép 🚀 & = + %"
    with make_bridge(fake) as bridge:
        receipt = bridge.send("+36301234567", text)
    assert fake.forms("sendSMS")[0]["message"] == text
    assert receipt.encoding == "ucs2"


# -- the token ------------------------------------------------------------------------
@pytest.mark.parametrize("shape", ["wrapped", "top-level", "both", "flagless", "flags-as-strings"])
def test_token_reply_shapes(fake, shape):
    expires = wire.format_time(datetime.now(timezone.utc) + timedelta(hours=1))
    fields = {"access_token": None, "expires_in": expires}

    def body(token: str) -> Any:
        f = {**fields, "access_token": token}
        return {"wrapped": {"success": True, "error": False, "response": f},
                "top-level": {"success": True, "error": False, **f},
                "both": wire.token_reply(token, datetime.now(timezone.utc) + timedelta(hours=1)),
                "flagless": f,
                "flags-as-strings": {"success": "true", "error": "false", "response": f}}[shape]
    fake.token_body = body
    with make_bridge(fake) as bridge:
        bridge.balance()
        bridge.balance()
        bridge.send("+36301234567", "x")
    assert fake.count("connect") == 1
    assert {r["authorization"] for r in fake.requests[1:]} == {"Bearer tok-1-abcdefgh"}


class _Clock(datetime):
    """The backend's clock, shifted by ``offset`` (the server's stays real)."""

    offset = timedelta(0)

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return datetime.now(tz) + cls.offset


@pytest.mark.parametrize("render", [
    pytest.param(lambda at: wire.format_time(at), id="budapest-date-string"),
    pytest.param(lambda at: at.strftime("%Y-%m-%dT%H:%M:%SZ"), id="iso-utc"),
    pytest.param(lambda at: at.astimezone(timezone(timedelta(hours=-5))).isoformat(), id="iso-offset"),
    pytest.param(lambda at: round((at - datetime.now(timezone.utc)).total_seconds()), id="seconds"),
    pytest.param(lambda at: str(round((at - datetime.now(timezone.utc)).total_seconds())), id="seconds-string"),
    pytest.param(lambda at: int(at.timestamp()), id="unix-timestamp"),
])
def test_expires_in_variants_are_honoured(fake, monkeypatch, render):
    monkeypatch.setattr(rest, "datetime", _Clock)
    monkeypatch.setattr(_Clock, "offset", timedelta(0))
    fake.token_body = lambda token: {"success": True, "error": False, "response": {
        "access_token": token, "expires_in": render(datetime.now(timezone.utc) + timedelta(seconds=600))}}
    with make_bridge(fake) as bridge:
        bridge.balance()
        _Clock.offset = timedelta(seconds=300)
        bridge.balance()
        assert fake.count("connect") == 1
        _Clock.offset = timedelta(seconds=700)        # past expiry by the backend's clock
        bridge.balance()
        assert fake.count("connect") == 2
    assert fake.count("getCreditNumber") == 3           # never refused: refreshed before use


@pytest.mark.parametrize("refusal", [
    pytest.param((401, wire.error_reply(102, "Session expired")), id="401-code-102"),
    pytest.param((200, wire.error_reply(102, "Session expired")), id="200-code-102"),
    pytest.param((200, {"success": False, "error": True, "errorCode": "102", "errorMessage": "expired"}),
                 id="200-camel"),
    pytest.param((401, "<h1>401 Unauthorized</h1>"), id="401-html"),
    pytest.param((401, {"error": "invalid_token"}), id="401-oauth-style"),
    pytest.param((200, {"success": False, "error": True, "code": "token_expired", "message": "expired"}),
                 id="200-textual-code"),
])
@pytest.mark.parametrize("operation", ["sendSMS", "getCreditNumber"])
def test_a_refused_token_is_replaced_once_and_the_call_repeated(fake, refusal, operation):
    refused = []

    def once(form: dict, headers: dict) -> tuple[int, Any]:
        if not refused:
            refused.append(headers.get("authorization"))
            return refusal
        return fake.standard(operation, form, headers)
    fake.handlers[operation] = once
    fake.token_body = lambda token: wire.ok_reply({"access_token": token})       # no expiry given
    with make_bridge(fake) as bridge:
        if operation == "sendSMS":
            assert bridge.send("+36301234567", "x").provider_id == "1001"
        else:
            assert bridge.balance().amount == Decimal(100)
    assert fake.count("connect") == 2 and fake.count(operation) == 2
    assert refused == ["Bearer tok-1-abcdefgh"]
    assert fake.requests[-1]["authorization"] == "Bearer tok-2-abcdefgh"


def test_the_token_is_replaced_at_most_once_per_call(fake, tmp_path):
    fake.handlers["sendSMS"] = lambda form, headers: (401, wire.error_reply(102, "expired"))
    with make_bridge(fake, spare=True, tmp_path=tmp_path) as bridge:
        receipt = bridge.send("+36301234567", "x")
        assert receipt.backend == "spare"      # an auth refusal proves "not accepted": failover is safe
    assert fake.count("connect") == 2 and fake.count("sendSMS") == 2


def test_a_refused_reconnect_is_an_authentication_error(fake):
    with make_bridge(fake) as bridge:
        bridge.balance()
        fake.tokens.clear()
        fake.handlers["connect"] = lambda form, headers: (200, wire.error_reply(101, "Wrong login"))
        with pytest.raises(AuthenticationError) as info:
            bridge.balance()
    assert info.value.code == "101"


def test_many_threads_share_one_token_and_one_refresh(fake):
    def send(form: dict, headers: dict) -> tuple[int, Any]:
        with fake._lock:
            if fake.count("sendSMS") == 10:
                fake.tokens.clear()              # the provider forgets every token mid-batch
        return fake.standard("sendSMS", form, headers)
    fake.handlers["sendSMS"] = send
    fake.token_body = lambda token: wire.ok_reply({"access_token": token})
    with make_bridge(fake) as bridge:
        results = bridge.send_many([("+36301234567", f"n{i}") for i in range(40)], concurrency=8)
    assert all(not isinstance(r, Exception) for r in results), results
    assert fake.connects == 2
    assert len({r.provider_id for r in results}) == 40


# -- reply variants --------------------------------------------------------------------
@pytest.mark.parametrize("response", [1001, "1001", 1001.0, {"sms_id": 1001}, {"sms_id": "1001"}, {"id": 1001},
                                      [1001], {"smsId": "1001"}])
def test_sms_id_shapes(fake, response):
    fake.handlers["sendSMS"] = lambda form, headers: (200, wire.ok_reply(response))
    with make_bridge(fake) as bridge:
        receipt = bridge.send("+36301234567", "x")
    assert receipt.provider_id == "1001"


def test_a_flagless_success_object_is_tolerated(fake):
    fake.handlers["sendSMS"] = lambda form, headers: (200, {"sms_id": 77})
    with make_bridge(fake) as bridge:
        assert bridge.send("+36301234567", "x").provider_id == "77"


@pytest.mark.parametrize("body, error, failover", [
    ({"success": False, "error": True, "error_code": 301, "error_message": "No credit"}, InsufficientCredit, True),
    ({"success": False, "error": True, "errorCode": 301, "errorMessage": "No credit"}, InsufficientCredit, True),
    ({"success": "false", "error": "true", "code": "301", "message": "No credit"}, InsufficientCredit, True),
    ({"success": 0, "error": 1, "code": 201, "message": "Invalid phone number"}, ProviderError, True),
    ({"success": False, "error": True, "error_code": 202, "error_message": "Empty"}, ProviderError, True),
    ({"success": False, "error": True, "error_code": 503, "error_message": "Busy"}, ProviderUnavailable, True),
    ({"success": False, "error": True, "error_code": 999, "error_message": "Odd"}, ProviderError, False),
    ({"success": False, "error": True, "error_code": 504, "error_message": "Maybe"}, DeliveryUnknown, False),
])
def test_error_flags_with_http_200(fake, tmp_path, body, error, failover):
    fake.handlers["sendSMS"] = lambda form, headers: (200, body)
    with make_bridge(fake, spare=True, tmp_path=tmp_path) as bridge:
        if failover:
            assert bridge.send("+36301234567", "x").backend == "spare"
        else:
            with pytest.raises(error) as info:
                bridge.send("+36301234567", "x")
            assert type(info.value) is error
            # not retry-safe: not proven refused, so journaled unknown, never failed (issue 11)
            assert bridge.status(info.value.message_id).status is Status.UNKNOWN
        backend = bridge.backend("primary")
        with pytest.raises(error):
            backend.send(Message(to="+36301234567", text="x"))
    assert fake.count("sendSMS") == 2 and fake.count("connect") == 1


@pytest.mark.parametrize("status, body, error", [
    (503, "<h1>Service Unavailable</h1>", ProviderUnavailable),
    (503, {"error": "try later"}, ProviderUnavailable),
    (429, {"success": False, "error": True, "error_code": 42, "error_message": "slow down"}, ProviderUnavailable),
    (429, "Too Many Requests", ProviderUnavailable),
    (404, "<h1>Not Found</h1>", ProviderError),
    (502, "<h1>Bad Gateway</h1>", DeliveryUnknown),
    (500, {"oops": True}, DeliveryUnknown),
    (200, "<html>maintenance</html>", DeliveryUnknown),
    (200, wire.ok_reply({"nothing": "here"}), DeliveryUnknown),
])
def test_http_level_failures_of_a_send(fake, tmp_path, status, body, error):
    fake.handlers["sendSMS"] = lambda form, headers: (status, body)
    with make_bridge(fake, spare=True, tmp_path=tmp_path) as bridge:
        if error is DeliveryUnknown:
            with pytest.raises(DeliveryUnknown) as info:
                bridge.send("+36301234567", "x")
            assert bridge.status(info.value.message_id).status is Status.UNKNOWN
            assert bridge.backend("spare").balance().amount == Decimal(1000)      # never failed over
        else:
            assert bridge.send("+36301234567", "x").backend == "spare"            # refused: failover is safe
    assert fake.count("sendSMS") == 1


def test_a_reply_after_the_timeout_is_delivery_unknown_and_never_retried(fake, tmp_path):
    accepted = []

    async def slow(form: dict, headers: dict) -> tuple[int, Any]:
        reply = fake.standard("sendSMS", form, headers)          # accepted at once...
        accepted.append(form["message"])
        await asyncio.sleep(1.0)                                 # ...answered too late
        return reply
    fake.handlers["sendSMS"] = slow
    with make_bridge(fake, spare=True, tmp_path=tmp_path, timeout=0.3) as bridge:
        with pytest.raises(DeliveryUnknown) as info:
            bridge.send("+36301234567", "once only")
        record = bridge.record(info.value.message_id)
        assert (record.status, record.phase) == (Status.UNKNOWN, "unknown")
        assert bridge.journaled(status="unknown")[0].id == info.value.message_id
        assert bridge.backend("spare").balance().amount == Decimal(1000)
        time.sleep(1.2)
    assert fake.count("sendSMS") == 1 and accepted == ["once only"]


def test_a_slow_look_up_is_provider_unavailable(fake):
    async def slow(form: dict, headers: dict) -> tuple[int, Any]:
        await asyncio.sleep(1.0)
        return 200, wire.ok_reply(5)
    fake.handlers["getCreditNumber"] = slow
    with make_bridge(fake, timeout=0.3) as bridge:
        with pytest.raises(ProviderUnavailable):
            bridge.balance()


@pytest.mark.parametrize("response", [
    {"2024-02": {"domestic": 7, "foreign": 0}, "2024-01": {"domestic": 12, "foreign": 1}},
    [{"month": "2024-01", "domestic": 12, "foreign": 1}, {"month": "2024-02", "domestic": "7", "foreign": "0"}],
])
def test_monthly_stat_shapes(fake, response):
    fake.handlers["getMonthlyStat"] = lambda form, headers: (200, wire.ok_reply(response))
    with make_bridge(fake) as bridge:
        stats = bridge.monthly_stats()
    assert [(s.month, s.domestic, s.foreign) for s in stats] == [("2024-01", 12, 1), ("2024-02", 7, 0)]


def test_monthly_stat_of_a_new_account_is_empty(fake):
    fake.handlers["getMonthlyStat"] = lambda form, headers: (200, wire.ok_reply([]))    # PHP's empty array
    with make_bridge(fake) as bridge:
        assert bridge.monthly_stats() == []


@pytest.mark.parametrize("response, status, at", [
    (PHP_STATUS, Status.DELIVERED, datetime(2024, 7, 1, 10, 0, 5, tzinfo=timezone.utc)),
    ({"status_code": "4", "status_date": "2024-07-01T10:00:05Z"}, Status.UNDELIVERED,
     datetime(2024, 7, 1, 10, 0, 5, tzinfo=timezone.utc)),
    (HISTORY, Status.UNDELIVERED, datetime(2024, 7, 1, 10, 0, 5, tzinfo=timezone.utc)),
])
def test_status_shapes(fake, response, status, at):
    fake.handlers["getStatus"] = lambda form, headers: (200, wire.ok_reply(response))
    with make_bridge(fake) as bridge:
        report = bridge.backend("primary").status("1001")
    assert (report.id, report.status, report.updated_at) == ("1001", status, at)


def test_history_keyed_by_index(fake):
    keyed = {"2": HISTORY[2], "0": HISTORY[0], "1": HISTORY[1]}
    fake.handlers["getHistory"] = lambda form, headers: (200, wire.ok_reply(keyed))
    with make_bridge(fake) as bridge:
        events = bridge.backend("primary").history("1001")
    assert [(e.status, e.code, e.comment) for e in events] == [
        (Status.QUEUED, "1", None), (Status.SENT, "2", None), (Status.UNDELIVERED, "4", "Handset unreachable")]


@pytest.mark.parametrize("response, amount", [(100, "100"), ("1 234,5", "1234.5"), ({"credit": 12.25}, "12.25")])
def test_credit_shapes(fake, response, amount):
    fake.handlers["getCreditNumber"] = lambda form, headers: (200, wire.ok_reply(response))
    with make_bridge(fake) as bridge:
        assert bridge.balance().amount == Decimal(amount)


@pytest.mark.parametrize("operation, call", [
    ("getStatus", lambda b: b.status("1")), ("getHistory", lambda b: b.history("1")),
    ("getCreditNumber", lambda b: b.balance()), ("getMonthlyStat", lambda b: b.monthly_stats()),
])
def test_unreadable_look_ups_are_provider_unavailable(fake, operation, call):
    fake.handlers[operation] = lambda form, headers: (200, wire.ok_reply("gibberish" if operation != "getStatus"
                                                                         else {"x": 1}))
    with make_bridge(fake) as bridge:
        with pytest.raises(ProviderUnavailable):
            call(bridge.backend("primary"))


def test_an_unreadable_connect_is_provider_unavailable(fake):
    fake.handlers["connect"] = lambda form, headers: (200, "<html>login page</html>")
    with make_bridge(fake) as bridge:
        with pytest.raises(ProviderUnavailable) as info:
            bridge.send("+36301234567", "x")
        assert info.value.retry_safe
    assert fake.count("sendSMS") == 0


# -- a chain: client -> gateway face -> simplesms-rest -> this stand-in ---------------------
CHAIN_CLIENT = {"username": "app", "password": "pw", "domain": "app.hu"}


def chain_gateway_config(upstream: dict[str, Any]) -> dict[str, Any]:
    """A gateway whose one backend is simplesms-rest (``upstream`` options), serving the
    simpleSMS face to the client ``CHAIN_CLIENT``."""
    return {"backends": {"upstream": {"plugin": "simplesms-rest", **CREDENTIALS, **upstream}},
            "gateway": {"clients": {"app": {"simplesms": dict(CHAIN_CLIENT)}}}}


def chain_client(server: Any) -> Bridge:
    """The client's Bridge, whose one backend is simplesms-rest pointed at the gateway."""
    return Bridge.from_dict({"backends": {"client": {"plugin": "simplesms-rest", **CHAIN_CLIENT,
                                                     "base_url": server.url + "/rest/SMSapi/"}}})


@pytest.mark.parametrize("reply, error", [
    ((200, {"success": False, "error": True, "error_code": 301, "error_message": "No credit"}), InsufficientCredit),
    ((200, {"success": False, "error": True, "error_code": 999, "error_message": "Odd"}), ProviderError),
    ((502, "<h1>Bad Gateway</h1>"), DeliveryUnknown),
    ((503, "<h1>Service Unavailable</h1>"), ProviderUnavailable),
])
def test_errors_keep_their_meaning_through_a_gateway(fake, gateway, reply, error):
    """The face answers a downstream error so that the caller's backend raises the same
    kind: what may be retried stays retry-safe, what may have been accepted stays unknown."""
    fake.handlers["sendSMS"] = lambda form, headers: reply
    server = gateway(chain_gateway_config({"base_url": fake.url + "/rest/SMSapi/"}))
    with chain_client(server) as bridge:
        with pytest.raises(error) as info:
            bridge.send("+36301234567", "through the chain")
    upstream_error = server.bridge.journaled()[0]
    assert type(info.value) is error
    assert info.value.retry_safe is error(message="x").retry_safe
    assert fake.count("sendSMS") == 1
    assert upstream_error.status is (Status.FAILED if error(message="x").retry_safe else Status.UNKNOWN)


def test_an_incomplete_gateway_config_is_unavailable_not_unknown(gateway, monkeypatch):
    monkeypatch.delenv("UPSTREAM_PASSWORD", raising=False)
    server = gateway(chain_gateway_config({"password": "${UPSTREAM_PASSWORD:-}"}))
    with chain_client(server) as bridge:
        with pytest.raises(ProviderUnavailable) as info:
            bridge.send("+36301234567", "x")
    assert info.value.code == "503" and "UPSTREAM" not in str(info.value)


# -- issue 19: one rule for "the login is gone"; a refused connect ------------------------


def _refuse_once(fake: FakeSimpleSMS, operation: str, status: int, reply: Any) -> list[str | None]:
    refused: list[str | None] = []

    def once(form: dict, headers: dict) -> tuple[int, Any]:
        if not refused:
            refused.append(headers.get("authorization"))
            return status, reply
        return fake.standard(operation, form, headers)
    fake.handlers[operation] = once
    return refused


@pytest.mark.parametrize("status, reply", params(LOST_LOGIN))
@pytest.mark.parametrize("operation", ["sendSMS", "getStatus", "getCreditNumber"])
def test_every_lost_login_variant_reconnects_once_and_succeeds(fake, status, reply, operation):
    refused = _refuse_once(fake, operation, status, reply)
    with make_bridge(fake) as bridge:
        backend = bridge.backend("primary")
        if operation == "sendSMS":
            assert bridge.send("+36301234567", "x").provider_id == "1001"
        elif operation == "getStatus":
            assert backend.status("1001").status is Status.DELIVERED
        else:
            assert bridge.balance().amount == Decimal(100)
        assert backend.connects == 2
    assert fake.count("connect") == 2 and fake.count(operation) == 2
    assert refused == ["Bearer tok-1-abcdefgh"] and fake.requests[-1]["authorization"] == "Bearer tok-2-abcdefgh"


@pytest.mark.parametrize("status, reply", params(NOT_PROOF_ON_SEND))
def test_a_login_reply_that_does_not_prove_refusal_is_never_repeated(fake, tmp_path, status, reply):
    _refuse_once(fake, "sendSMS", status, reply)
    with make_bridge(fake, spare=True, tmp_path=tmp_path) as bridge:
        with pytest.raises(DeliveryUnknown) as info:
            bridge.send("+36301234567", "x")
        assert bridge.status(info.value.message_id).status is Status.UNKNOWN
    assert fake.count("sendSMS") == 1 and fake.count("connect") == 1


@pytest.mark.parametrize("status, reply", params(REFUSED_CONNECT))
def test_a_refused_connect_is_an_authentication_error_whatever_the_code(fake, tmp_path, status, reply):
    fake.handlers["connect"] = lambda form, headers: (status, reply)
    with make_bridge(fake) as bridge:
        with pytest.raises(AuthenticationError) as info:
            bridge.balance()
        assert info.value.backend == "primary"
        assert CREDENTIALS["password"] not in str(info.value)
    with make_bridge(fake, spare=True, tmp_path=tmp_path) as bridge:
        assert bridge.send("+36301234567", "x").backend == "spare"        # refused login: failover is safe
    assert fake.count("getCreditNumber") == 0 and fake.count("sendSMS") == 0


@pytest.mark.parametrize("status, reply", [
    pytest.param(503, {"success": False, "error": True, "error_code": 77, "error_message": "Maintenance"},
                 id="http-503"),
    pytest.param(200, wire.error_reply(503, "Try later"), id="code-503"),
    pytest.param(502, "<h1>Bad Gateway</h1>", id="http-502-page"),
])
def test_a_connect_the_service_cannot_serve_is_unavailable(fake, status, reply):
    fake.handlers["connect"] = lambda form, headers: (status, reply)
    with make_bridge(fake) as bridge:
        with pytest.raises(ProviderUnavailable):
            bridge.balance()


# -- issue 19: XML replies, in the shapes PHP code makes of its reply array --------------
def _php_scalar(value: Any, booleans: tuple[str, str]) -> str:
    from xml.sax.saxutils import escape

    if isinstance(value, bool):
        return booleans[0] if value else booleans[1]
    return "" if value is None else escape(str(value))


def simplexml_style(reply: Any) -> bytes:
    """A SimpleXMLElement loop: root <response>, PHP's true/false as "1"/"", list keys as
    <item0>..., keys that are no XML names as <item key="...">."""
    def walk(value: Any) -> str:
        if isinstance(value, dict):
            return "".join(f"<{k}>{walk(v)}</{k}>" if str(k)[:1].isalpha() else
                           f'<item key="{k}">{walk(v)}</item>' for k, v in value.items())
        if isinstance(value, list):
            return "".join(f"<item{i}>{walk(v)}</item{i}>" for i, v in enumerate(value))
        return _php_scalar(value, ("1", ""))
    return f'<?xml version="1.0"?>\n<response>{walk(reply)}</response>\n'.encode()


def typed_dom_style(reply: Any) -> bytes:
    """A DOMDocument helper writing type hints: <root>, type="boolean|integer|array",
    lists as repeated <item>, null as xsi:nil."""
    def walk(tag: str, value: Any) -> str:
        if value is None:
            return f'<{tag} xsi:nil="true"/>'
        if isinstance(value, bool):
            return f'<{tag} type="boolean">{"true" if value else "false"}</{tag}>'
        if isinstance(value, int):
            return f'<{tag} type="integer">{value}</{tag}>'
        if isinstance(value, list):
            return f'<{tag} type="array">' + "".join(walk("item", v) for v in value) + f"</{tag}>"
        if isinstance(value, dict):
            return f"<{tag}>" + "".join(walk(k if str(k)[:1].isalpha() else f"_{k}", v)
                                        for k, v in value.items()) + f"</{tag}>"
        return f"<{tag}>{_php_scalar(value, ('true', 'false'))}</{tag}>"
    inner = "".join(walk(k, v) for k, v in reply.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?><root xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"{inner}</root>").encode()


def wrapped_style(reply: Any) -> bytes:
    """The reply one level down (<SMSapi><reply>...</reply></SMSapi>), lists as repeated
    <entry>, booleans as "true"/"false", whitespace between elements."""
    def walk(value: Any) -> str:
        if isinstance(value, dict):
            return "".join(f"\n  <{k if str(k)[:1].isalpha() else '_' + str(k)}>{walk(v)}"
                           f"</{k if str(k)[:1].isalpha() else '_' + str(k)}>" for k, v in value.items())
        if isinstance(value, list):
            return "".join(f"<entry>{walk(v)}</entry>" for v in value)
        return _php_scalar(value, ("true", "false"))
    return f"<?xml version='1.0'?>\n<SMSapi>\n <reply>{walk(reply)}\n </reply>\n</SMSapi>".encode()


XML_STYLES = [pytest.param(simplexml_style, id="simplexml"), pytest.param(typed_dom_style, id="typed-dom"),
              pytest.param(wrapped_style, id="wrapped")]


@pytest.mark.parametrize("style", XML_STYLES)
@pytest.mark.parametrize("media_type", ["application/xml", "text/xml; charset=utf-8"])
def test_xml_replies_are_read_like_json(fake, style, media_type):
    fake.xml, fake.xml_media_type = style, media_type
    fake.token_body = lambda token: wire.ok_reply({"access_token": token, "expires_in": 3600})
    fake.handlers["getMonthlyStat"] = lambda form, headers: (200, wire.ok_reply(
        {"2024-01": {"domestic": 12, "foreign": 1}, "2024-02": {"domestic": 0, "foreign": 3}}))
    with make_bridge(fake) as bridge:
        backend = bridge.backend("primary")
        receipt = bridge.send("+36301234567", "x")
        assert receipt.provider_id == "1001"
        report = backend.status("1001")
        assert report.status is Status.DELIVERED and report.raw == "Delivered"
        assert report.updated_at == datetime(2024, 7, 1, 10, 0, 5, tzinfo=timezone.utc)
        events = backend.history("1001")
        assert [e.status for e in events] == [Status.QUEUED, Status.SENT, Status.UNDELIVERED]
        assert events[-1].comment == "Handset unreachable"
        assert bridge.balance().amount == Decimal(100)
        assert [(m.month, m.domestic, m.foreign) for m in bridge.monthly_stats()] == [
            ("2024-01", 12, 1), ("2024-02", 0, 3)]
    assert fake.connects == 1


@pytest.mark.parametrize("style", XML_STYLES)
def test_xml_error_replies_keep_their_meaning(fake, tmp_path, style):
    fake.xml = style
    fake.handlers["sendSMS"] = lambda form, headers: (200, wire.error_reply(301, "Not enough credit"))
    with make_bridge(fake, spare=True, tmp_path=tmp_path) as bridge:
        assert bridge.send("+36301234567", "x").backend == "spare"          # InsufficientCredit: failover
        with pytest.raises(InsufficientCredit):
            bridge.backend("primary").send(Message(to="+36301234567", text="x"))
    # ... and an XML "not logged in" is a lost login like a JSON one.
    fake.handlers.clear()
    _refuse_once(fake, "getCreditNumber", 200, {"success": False, "error": True, "error_code": "NOT_LOGGED_IN"})
    with make_bridge(fake) as bridge:
        assert bridge.balance().amount == Decimal(100)
    assert fake.count("getCreditNumber") == 2


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><success>1</success>'
    b"<response>&x;</response></r>",
    b'<?xml version="1.0"?><r><success>1</success><response>1001</r>',
    b"<?xml version='1.0'?>",
])
def test_hostile_or_broken_xml_is_an_unreadable_reply(fake, body):
    fake.handlers["sendSMS"] = lambda form, headers: (200, body)
    fake.handlers["getCreditNumber"] = lambda form, headers: (200, body)
    with make_bridge(fake) as bridge:
        with pytest.raises(DeliveryUnknown):           # sendSMS: reached the server, reply unreadable
            bridge.send("+36301234567", "x")
        with pytest.raises(ProviderUnavailable):
            bridge.balance()
