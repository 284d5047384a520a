"""``smsbridge.compat.twilio``: Twilio's quick-start runs with only the import changed, or
with no change at all after ``install()``; objects and errors look like the SDK's."""
from __future__ import annotations

from datetime import datetime

import pytest
from compat_shims import installed, run_quickstart
from smsbridge_plugins.twilio import wire

from smsbridge import Bridge, Status

HU = "+36301234567"
SENDER = "+15017122661"

# Twilio's Python quick-start ("Send an SMS message"), verbatim except the numbers:
# +15558675310 is a fictional 555 number that no number plan (and so no smsbridge) accepts.
QUICKSTART = '''
import os
from twilio.rest import Client

# Find your Account SID and Auth Token at twilio.com/console
# and set the environment variables. See http://twil.io/secure
account_sid = os.environ["TWILIO_ACCOUNT_SID"]
auth_token = os.environ["TWILIO_AUTH_TOKEN"]
client = Client(account_sid, auth_token)

message = client.messages.create(
    body="Join Earth's mightiest heroes. Like Kevin Bacon.",
    from_="+15017122661",
    to="+36301234567",
)

print(message.body)
'''


@pytest.fixture
def bridge(sandbox_config):
    with Bridge.from_dict(sandbox_config) as bridge:
        yield bridge


@pytest.fixture
def configured(shim_config_file, monkeypatch):
    """SMSBRIDGE_CONFIG pointing at a sandbox config, quick-start env vars, and a clean
    shim cache afterwards."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "3" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "anything")
    return shim_config_file("twilio")


def test_quickstart_with_only_the_import_changed(configured):
    changed = QUICKSTART.replace("from twilio.rest import Client", "from smsbridge.compat.twilio import Client")
    assert changed != QUICKSTART
    assert run_quickstart(changed) == "Join Earth's mightiest heroes. Like Kevin Bacon.\n"
    with Bridge.from_config(str(configured)) as bridge:  # it really went through smsbridge
        [record] = bridge.journaled()
        assert (record.to, record.sender, record.backend) == (HU, SENDER, "local")


def test_quickstart_unchanged_after_install(configured):
    import smsbridge.compat.twilio as shim

    with installed(shim, "twilio.rest"):  # and then sys.modules is as before: the real SDK imports again
        import twilio.rest
        from twilio.base.exceptions import TwilioRestException

        assert twilio.rest.Client is shim.Client and TwilioRestException is shim.TwilioRestException
        assert run_quickstart(QUICKSTART) == "Join Earth's mightiest heroes. Like Kevin Bacon.\n"
    import twilio.rest

    assert twilio.rest.Client is not shim.Client


def test_compat_import_is_the_plugins_module():
    from smsbridge_plugins.twilio import sdk

    import smsbridge.compat.twilio as shim

    assert shim is sdk


def test_create_fetch_list_balance(bridge):
    from smsbridge.compat.twilio import Client

    client = Client("AC" + "4" * 32, "token", bridge=bridge)
    m = client.messages.create(to=HU, from_=SENDER, body="ő" * 71)
    assert wire.MESSAGE_SID_RE.match(m.sid) and m.account_sid == "AC" + "4" * 32
    assert (m.status, m.num_segments, m.error_code, m.from_) == ("queued", "2", None, SENDER)
    assert isinstance(m.date_created, datetime) and m.date_created.tzinfo is not None
    assert m.smsbridge_id == wire.message_id_in(m.sid)

    fetched = client.messages(m.sid).fetch()
    assert fetched.status == "delivered" == bridge.status(m.smsbridge_id).status.value
    assert m.fetch().sid == m.sid

    client.messages.create(to="+36201234567", from_=SENDER, body="second")
    assert [x.body for x in client.messages.list(limit=1)] == ["second"]
    assert [x.sid for x in client.messages.list(to=HU)] == [m.sid]
    assert len(list(client.messages.stream(page_size=1))) == 2
    today = datetime.now().date()
    assert len(client.messages.list(date_sent_after=today)) == 2
    assert client.messages.list(date_sent_before=datetime(2000, 1, 1)) == []

    balance = client.balance.fetch()
    assert (balance.balance, balance.currency) == ("997.00", "credit")
    assert client.api.v2010.account.messages(m.sid).fetch().sid == m.sid


def test_errors_are_the_sdks(bridge):
    from smsbridge.compat.twilio import Client, TwilioRestException

    client = Client(bridge=bridge)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="+10000000000", from_=SENDER, body="x")
    err = caught.value
    assert (err.status, err.code, err.method) == (400, 21211, "POST")
    assert err.msg == "Unable to create record: The 'To' number +10000000000 is not a valid phone number."
    assert err.uri == f"/Accounts/{client.account_sid}/Messages.json"

    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=HU, from_=SENDER)
    assert caught.value.code == 21602

    with pytest.raises(TwilioRestException) as caught:
        client.messages("SM" + "0" * 32).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)
    assert caught.value.msg.startswith("Unable to fetch record:")

    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=HU, from_=SENDER, body="\ud800")   # not text: a 400, never a crash
    assert (caught.value.status, caught.value.code) == (400, 21200)

    m = client.messages.create(to=HU, from_=SENDER, body="x")
    with pytest.raises(TwilioRestException):
        client.messages(m.sid).update(status="canceled")


def test_no_credit_and_outages_look_like_twilio_errors(sandbox_config):
    from smsbridge.compat.twilio import Client, TwilioRestException

    sandbox_config["backends"]["local"]["credit"] = 0
    with Bridge.from_dict(sandbox_config) as bridge, pytest.raises(TwilioRestException) as caught:
        Client(bridge=bridge).messages.create(to=HU, from_=SENDER, body="x")
    assert (caught.value.status, caught.value.code) == (400, 20005)


def test_shim_and_gateway_show_the_same_sid(gateway, make_sdk_client, twilio_config):
    """A message sent through the shim is fetched through the gateway with the same sid."""
    from smsbridge.compat.twilio import Client

    config = twilio_config()  # same store and sandbox files as sandbox_config
    server = gateway(config, faces=["twilio"])
    with Bridge.from_dict(config) as bridge:
        m = Client(bridge=bridge).messages.create(to=HU, from_=SENDER, body="one message, two faces")
    fetched = make_sdk_client(server).messages(m.sid).fetch()
    assert (fetched.sid, fetched.body) == (m.sid, "one message, two faces")
    assert wire.to_status(fetched.status) is Status.DELIVERED


def test_request_validator_stand_in_agrees_with_twilios():
    from twilio.request_validator import RequestValidator as Real

    from smsbridge.compat.twilio import RequestValidator

    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "sent"}
    url = "https://example.test/cb"
    assert RequestValidator("t").compute_signature(url, params) == Real("t").compute_signature(url, params)
    assert RequestValidator("t").validate(url, params, Real("t").compute_signature(url, params))
