"""The pytest plugin (entry point ``pytest11``): ``sms_outbox`` and ``smsbridge_gateway``,
run in a separate pytest process as a user's project would."""
from __future__ import annotations

from importlib.metadata import entry_points


def test_registered_through_the_pytest11_entry_point():
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("smsbridge") == "smsbridge.pytest_plugin"


def test_sms_outbox_collects_what_the_code_under_test_sends(pytester):
    pytester.makepyfile(test_app="""
        from smsbridge import Bridge

        def send_welcome(number):  # the application's code: it reads $SMSBRIDGE_CONFIG
            with Bridge.from_config() as bridge:
                bridge.send(number, "Welcome to the shop!")

        def test_welcome(sms_outbox):
            send_welcome("+36301234567")
            assert len(sms_outbox) == 1
            assert sms_outbox[0].to == "+36301234567"
            assert sms_outbox[0].text == "Welcome to the shop!"

        def test_each_test_starts_empty(sms_outbox):
            assert list(sms_outbox) == []

        def test_its_own_bridge_and_clear(sms_outbox):
            sms_outbox.bridge.send("+36301111111", "one")
            sms_outbox.bridge.send("+36302222222", "two")
            assert [m.text for m in sms_outbox] == ["one", "two"]  # oldest first
            sms_outbox.clear()
            assert len(sms_outbox) == 0

        def test_a_failing_assertion_shows_the_messages(sms_outbox):
            sms_outbox.bridge.send("+36301234567", "the actual text")
            assert sms_outbox == []
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*sms_outbox*+36301234567*the actual text*"])


def test_smsbridge_gateway_serves_the_twilio_sdk_and_the_inbox_api(pytester):
    pytester.makepyfile(test_gateway="""
        import requests
        from twilio.rest import Client

        def test_send_and_fail(smsbridge_gateway):
            client = Client(smsbridge_gateway.account_sid, smsbridge_gateway.auth_token)
            client.api.base_url = smsbridge_gateway.url
            sent = client.messages.create(to="+36301234567", from_="+15005550006", body="Hi")
            [message] = smsbridge_gateway.inbox.wait_for(1)
            assert message["text"] == "Hi" and message["face"] == "twilio" and message["client"] == "test"
            smsbridge_gateway.inbox.fail(message["id"], 30003)
            fetched = client.messages(sent.sid).fetch()
            assert (fetched.status, fetched.error_code) == ("failed", 30003)
            assert requests.get(smsbridge_gateway.url + "/ui", timeout=5).status_code == 200
            client.http_client.session.close()

        def test_chaos_and_reply(smsbridge_gateway):
            inbox = smsbridge_gateway.inbox
            assert inbox.chaos()["sandbox"]["failure_rate"] == 0.0
            assert inbox.chaos(sandbox={"failure_rate": 1})["sandbox"]["failure_rate"] == 1.0
            assert inbox.messages() == [] and inbox.clear() == 0
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_gateway_config_can_be_overridden(pytester):
    pytester.makeconftest("""
        import pytest

        @pytest.fixture
        def smsbridge_gateway_config(smsbridge_gateway_config):
            smsbridge_gateway_config["gateway"]["ui_password"] = "letmein"
            return smsbridge_gateway_config
    """)
    pytester.makepyfile(test_locked="""
        import pytest
        from smsbridge.gateway.inbox.client import InboxClient, InboxError

        def test_locked(smsbridge_gateway):
            with pytest.raises(InboxError) as caught:
                smsbridge_gateway.inbox.messages()
            assert caught.value.status == 401
            assert InboxClient(smsbridge_gateway.url, password="letmein").messages() == []
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
