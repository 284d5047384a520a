"""The official ``twilio`` SDK (unmodified) against ``smsbridge serve``'s Twilio face + sandbox.

Real sockets throughout: the gateway runs on uvicorn in a thread; the SDK is pointed at
it with ``client.api.base_url`` (providers.md §1.3, approach A) or a URL-rewriting
``TwilioHttpClient`` (approach B).
"""
from __future__ import annotations

import base64
import re
from datetime import datetime, timezone

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smsbridge_plugins.twilio import wire
from twilio.base.exceptions import TwilioException, TwilioRestException

from smsbridge import Status

AC = "AC" + "1" * 32          # the "shop" client of conftest.twilio_config
TOKEN = "shop-auth-token"
OTHER_AC = "AC" + "2" * 32
OTHER_TOKEN = "other-auth-token"
HU = "+36301234567"
HU2 = "+36201234567"
SENDER = "+15017122661"
# 71 UCS-2 units ("ő" forces UCS-2): one more than a single segment holds
TWO_SEGMENTS_UCS2 = "Árvíztűrő tükörfúrógép " * 3 + "ő" * 2


def test_create_returns_a_twilio_message(twilio_client, twilio_gateway):
    m = twilio_client.messages.create(to=HU, from_=SENDER, body="Hello")
    assert re.fullmatch(r"SM[0-9a-f]{32}", m.sid)
    assert (m.account_sid, m.to, m.from_, m.body) == (AC, HU, SENDER, "Hello")
    assert m.status == "queued" and m.direction == "outbound-api"
    assert m.num_segments == "1" and m.num_media == "0"          # strings, like Twilio's
    assert m.error_code is None and m.error_message is None and m.price is None
    assert isinstance(m.date_created, datetime) and m.date_created.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - m.date_created).total_seconds()) < 60
    assert m.uri == f"/2010-04-01/Accounts/{AC}/Messages/{m.sid}.json"
    # the sid maps, through the journal, to the message the gateway's Bridge sent
    message_id = twilio_gateway.bridge.journal.resolve("twilio", m.sid)
    assert message_id == wire.message_id_in(m.sid)
    assert twilio_gateway.bridge.record(message_id).text == "Hello"


def test_ucs2_two_segment_message_reports_two_segments(twilio_client, twilio_gateway):
    m = twilio_client.messages.create(to=HU, from_=SENDER, body=TWO_SEGMENTS_UCS2)
    assert m.num_segments == "2"
    record = twilio_gateway.bridge.record(wire.message_id_in(m.sid))
    assert (record.encoding, record.segments) == ("ucs2", 2)
    assert twilio_client.messages(m.sid).fetch().num_segments == "2"


def test_fetch_agrees_with_bridge_status(twilio_client, twilio_gateway):
    m = twilio_client.messages.create(to=HU, from_=SENDER, body="fetch me")
    fetched = twilio_client.messages(m.sid).fetch()
    report = twilio_gateway.bridge.status(wire.message_id_in(m.sid))
    assert fetched.sid == m.sid and fetched.body == "fetch me"
    assert fetched.status == "delivered" and report.status is Status.DELIVERED  # sandbox, delay 0
    assert wire.to_status(fetched.status) is report.status
    assert fetched.date_sent is not None and fetched.date_updated >= fetched.date_created


def test_list_pages_like_twilio(twilio_client):
    sids = [twilio_client.messages.create(to=to, from_=SENDER, body=f"n{i}").sid
            for i, to in enumerate([HU, HU2, HU, HU2, HU])]
    newest_first = list(reversed(sids))
    assert [m.sid for m in twilio_client.messages.list(limit=2)] == newest_first[:2]
    # page_size 2 without a limit: the SDK follows next_page_uri to the end
    assert [m.sid for m in twilio_client.messages.list(page_size=2)] == newest_first
    assert [m.body for m in twilio_client.messages.list(to=HU2)] == ["n3", "n1"]
    page = twilio_client.messages.page(page_size=2)
    assert page.next_page_url is not None and page.previous_page_url is None
    assert [m.sid for m in page.next_page()] == newest_first[2:4]


def test_list_has_exactly_status_200_and_paging_keys(twilio_gateway):
    session = requests.Session()
    session.auth = (AC, TOKEN)
    r = session.get(f"{twilio_gateway.url}/2010-04-01/Accounts/{AC}/Messages.json", params={"PageSize": 5})
    assert r.status_code == 200
    assert set(r.json()) == {"messages", "end", "first_page_uri", "next_page_uri", "page", "page_size",
                             "previous_page_uri", "start", "uri"}


def test_clients_do_not_see_each_others_messages(twilio_client, twilio_gateway, make_sdk_client):
    mine = twilio_client.messages.create(to=HU, from_=SENDER, body="private")
    other = make_sdk_client(twilio_gateway, OTHER_AC, OTHER_TOKEN)
    assert other.messages.list() == []
    with pytest.raises(TwilioRestException) as caught:
        other.messages(mine.sid).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_balance(twilio_client):
    twilio_client.messages.create(to=HU, from_=SENDER, body=TWO_SEGMENTS_UCS2)
    balance = twilio_client.balance.fetch()
    assert (balance.account_sid, balance.balance, balance.currency) == (AC, "998.00", "credit")
    assert twilio_client.api.v2010.account.balance.fetch().balance == "998.00"


def test_wrong_token_is_the_sdks_own_401(twilio_gateway, make_sdk_client):
    client = make_sdk_client(twilio_gateway, AC, "wrong-token")
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=HU, from_=SENDER, body="x")
    err = caught.value
    assert type(err) is TwilioRestException  # not TwilioServiceException: no type+title keys
    assert (err.status, err.code, err.method) == (401, 20003, "POST")
    assert err.msg == "Unable to create record: Authenticate"
    assert twilio_gateway.bridge.journaled() == []  # nothing was sent


def test_unknown_account_and_mismatched_path_are_401(twilio_gateway, make_sdk_client):
    for sid, token in (("AC" + "9" * 32, TOKEN), (OTHER_AC, TOKEN)):
        with pytest.raises(TwilioRestException) as caught:
            make_sdk_client(twilio_gateway, sid, token).balance.fetch()
        assert caught.value.status == 401
    # authenticating as one account while addressing another's path
    r = requests.get(f"{twilio_gateway.url}/2010-04-01/Accounts/{OTHER_AC}/Messages.json", auth=(AC, TOKEN))
    assert r.status_code == 401 and r.json()["code"] == 20003
    assert "AccountSid in the URL" in r.json()["message"]  # the caller is known: say what is wrong
    wrong = requests.get(f"{twilio_gateway.url}/2010-04-01/Accounts/{OTHER_AC}/Messages.json", auth=(AC, "bad"))
    assert wrong.status_code == 401 and wrong.json()["message"] == "Authenticate"  # unknown: say nothing more


def test_wrong_methods_are_twilios_405_after_authentication(twilio_gateway):
    base = f"{twilio_gateway.url}/2010-04-01/Accounts/{AC}"
    for method, path in (("DELETE", "/Messages.json"), ("POST", "/Balance.json"),
                         ("DELETE", f"/Messages/SM{'0' * 32}.json")):
        r = requests.request(method, base + path, auth=(AC, TOKEN))
        assert (r.status_code, r.json()["code"], r.json()["status"]) == (405, 20004, 405), (method, path)
        assert requests.request(method, base + path, auth=(AC, "bad")).status_code == 401


def test_invalid_number_is_the_sdks_own_400_21211(twilio_client, twilio_gateway):
    with pytest.raises(TwilioRestException) as caught:
        twilio_client.messages.create(to="+10000000000", from_=SENDER, body="x")
    err = caught.value
    assert (err.status, err.code) == (400, 21211)
    assert err.msg == "Unable to create record: The 'To' number +10000000000 is not a valid phone number."
    assert err.uri == f"/Accounts/{AC}/Messages.json"


@pytest.mark.parametrize("kwargs, code", [
    ({"to": HU, "from_": SENDER}, 21602),
    ({"to": HU, "from_": SENDER, "body": "x" * 1601}, 21617),
    ({"to": HU, "from_": SENDER, "body": "x" * 1000}, 21617),  # over the sandbox's max_segments
    ({"to": HU, "from_": SENDER, "body": "x", "media_url": ["https://x.test/a.png"]}, 21620),
    ({"to": HU, "from_": "not a sender!", "body": "x"}, 21212),
])
def test_refusals_carry_twilio_codes(twilio_client, kwargs, code):
    with pytest.raises(TwilioRestException) as caught:
        twilio_client.messages.create(**kwargs)
    assert (caught.value.status, caught.value.code) == (400, code)


@pytest.mark.parametrize("sid", ["SM" + "0" * 32, "SMnope", "%2e%2e", "SM" + "f" * 40])
def test_fetching_unknown_messages_is_404_20404(twilio_client, sid):
    with pytest.raises(TwilioRestException) as caught:
        twilio_client.messages(sid).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_update_and_delete_are_refused_in_twilios_shape(twilio_client):
    m = twilio_client.messages.create(to=HU, from_=SENDER, body="keep")
    with pytest.raises(TwilioRestException) as caught:
        twilio_client.messages(m.sid).update(body="")
    assert caught.value.status == 405 and caught.value.code == 20004
    with pytest.raises(TwilioRestException):
        twilio_client.messages(m.sid).delete()


def test_rewriting_http_client_works_too(twilio_gateway):
    """providers.md §1.3 approach B: also survives TWILIO_REGION/TWILIO_EDGE."""
    from urllib.parse import urlsplit, urlunsplit

    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    class LocalTwilioHttpClient(TwilioHttpClient):
        def __init__(self, base, **kw):
            super().__init__(**kw)
            self._base = urlsplit(base)

        def request(self, method, url, *a, **kw):
            u = urlsplit(url)
            return super().request(method, urlunsplit((self._base.scheme, self._base.netloc, u.path, u.query,
                                                       u.fragment)), *a, **kw)

    client = Client(AC, TOKEN, region="ie1", edge="dublin",
                    http_client=LocalTwilioHttpClient(twilio_gateway.url))
    m = client.messages.create(to=HU, from_=SENDER, body="via B")
    assert client.messages(m.sid).fetch().body == "via B"


def test_tls_gateway_with_the_sdk(gateway, twilio_config, make_sdk_client, monkeypatch):
    server = gateway(twilio_config(), faces=["twilio"], tls="self-signed")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cafile)
    m = make_sdk_client(server).messages.create(to=HU, from_=SENDER, body="over TLS")
    assert m.status == "queued"


# --------------------------------------------------------------------------- hostile input

def _assert_twilio_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"} and body["status"] == status


def test_hostile_requests_get_twilio_shaped_4xx(twilio_gateway):
    base = f"{twilio_gateway.url}/2010-04-01/Accounts/{AC}"
    s = requests.Session()
    s.auth = (AC, TOKEN)
    _assert_twilio_error(s.post(base + "/Messages.json", data=b"\xff\xfe=\xff",
                                headers={"Content-Type": "application/x-www-form-urlencoded"}), 400)
    _assert_twilio_error(s.post(base + "/Messages.json", json={"To": HU, "Body": "x"}), 415)
    _assert_twilio_error(s.post(base + "/Messages.json", data={"To": HU, "Body": "x" * 100_000}), 413)
    _assert_twilio_error(s.put(base + "/Messages.json", data={"To": HU}), 405)
    _assert_twilio_error(s.options(base + "/Messages.json"), 405)
    _assert_twilio_error(s.get(base + "/Messages.json", params={"PageSize": "-3"}), 400)
    _assert_twilio_error(s.get(base + "/Messages.json", params={"Page": "x"}), 400)
    _assert_twilio_error(s.get(base + "/Calls.json"), 404)
    _assert_twilio_error(s.get(f"{twilio_gateway.url}/2010-04-01/Accounts/{AC}/Messages/SM../x.json"), 404)
    for header in ("Basic !!!", "Bearer abc", "Basic " + base64.b64encode(b"nocolon").decode(), ""):
        _assert_twilio_error(requests.get(base + "/Messages.json", headers={"Authorization": header}), 401)
    _assert_twilio_error(requests.get(base + "/Messages.json"), 401)
    _assert_twilio_error(requests.get(base + "/Balance.json", auth=(AC, "x")), 401)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(["To", "From", "Body", "StatusCallback", "MediaUrl",
                                             "MessagingServiceSid", "x"]),
                            st.text(max_size=40), max_size=6))
def test_random_create_forms_never_cause_a_500(twilio_gateway, form):
    r = requests.post(f"{twilio_gateway.url}/2010-04-01/Accounts/{AC}/Messages.json", data=form, auth=(AC, TOKEN))
    assert r.status_code in (201, 400, 503), r.text
    if r.status_code != 201:
        assert set(r.json()) == {"code", "message", "more_info", "status"}


def test_sdk_list_with_a_non_200_is_what_the_sdk_expects(twilio_gateway, make_sdk_client):
    # the list endpoint answers exactly 200 on success; on failure the SDK raises
    with pytest.raises(TwilioException):
        make_sdk_client(twilio_gateway, AC, "bad").messages.list()
