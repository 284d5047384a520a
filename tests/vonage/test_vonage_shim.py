"""``smsbridge.compat.vonage``: Vonage's quick-starts (3.x dict style and 4.x model style)
run with only the import changed, or unchanged after ``install()``."""
from __future__ import annotations

import pytest
from compat_shims import installed, run_quickstart
from smsbridge_plugins.vonage import wire

from smsbridge import Bridge

TO = "447911123456"

# Vonage's "Send an SMS" Python snippet for the 4.x SDK, verbatim except the placeholders.
QUICKSTART_4 = '''
from vonage import Auth, Vonage
from vonage_sms import SmsMessage, SmsResponse

VONAGE_API_KEY = "abc123"
VONAGE_API_SECRET = "s3cr3t"
TO_NUMBER = "447911123456"
VONAGE_BRAND_NAME = "AcmeInc"

client = Vonage(Auth(api_key=VONAGE_API_KEY, api_secret=VONAGE_API_SECRET))

message = SmsMessage(
    to=TO_NUMBER,
    from_=VONAGE_BRAND_NAME,
    text="A text message sent using the Vonage SMS API.",
)

response: SmsResponse = client.sms.send(message)
print(response.messages[0].status)
'''

# The same snippet as written for vonage 2.x/3.x (dict in, dict out).
QUICKSTART_3 = '''
import vonage

client = vonage.Client(key="abc123", secret="s3cr3t")
sms = vonage.Sms(client)

responseData = sms.send_message(
    {
        "from": "AcmeInc",
        "to": "447911123456",
        "text": "A text message sent using the Nexmo SMS API",
    }
)

if responseData["messages"][0]["status"] == "0":
    print("Message sent successfully.")
else:
    print(f"Message failed with error: {responseData['messages'][0]['error-text']}")
'''


@pytest.fixture
def bridge(sandbox_config):
    with Bridge.from_dict(sandbox_config) as bridge:
        yield bridge


@pytest.fixture
def configured(shim_config_file):
    return shim_config_file("vonage")


def test_4x_quickstart_with_only_the_import_changed(configured):
    changed = QUICKSTART_4.replace("from vonage import Auth, Vonage", "from smsbridge.compat.vonage import Auth, Vonage")
    changed = changed.replace("from vonage_sms import", "from smsbridge.compat.vonage import")
    assert run_quickstart(changed) == "0\n"
    with Bridge.from_config(str(configured)) as bridge:
        [record] = bridge.journaled()
        assert (record.to, record.sender) == ("+" + TO, "AcmeInc")


def test_3x_quickstart_with_only_the_import_changed(configured):
    changed = QUICKSTART_3.replace("import vonage\n", "import smsbridge.compat.vonage as vonage\n", 1)
    assert run_quickstart(changed) == "Message sent successfully.\n"


def test_quickstarts_unchanged_after_install(configured):
    import smsbridge.compat.vonage as shim

    with installed(shim, "vonage", "vonage_sms", "vonage.errors", "vonage_sms.errors"):
        import vonage
        import vonage_sms
        from vonage_sms.errors import SmsError

        # the shim's names, served as views of the real packages (their other modules still import)
        assert vonage.Vonage is shim.Vonage and vonage_sms.SmsMessage is shim.SmsMessage
        assert SmsError is shim.SmsError
        assert run_quickstart(QUICKSTART_4) == "0\n"
        assert run_quickstart(QUICKSTART_3) == "Message sent successfully.\n"
    import vonage_sms

    assert vonage_sms is not shim


def test_4x_models_and_errors(bridge):
    from smsbridge.compat.vonage import Auth, SmsError, SmsMessage, Vonage

    client = Vonage(Auth(api_key="k", api_secret="s"), bridge=bridge)
    response = client.sms.send(SmsMessage(to=TO, from_="AcmeInc", text="ő" * 71, client_ref="r1"))
    assert response.message_count == "2" and len(response.messages) == 2
    first = response.messages[0]
    assert (first.to, first.status, first.client_ref) == (TO, "0", "r1")
    message_id = bridge.journaled()[0].id
    assert [m.message_id for m in response.messages] == wire.message_ids_for(message_id, 2)  # as the gateway
    assert response.model_dump(by_alias=True)["message-count"] == "2"

    with pytest.raises(SmsError) as caught:
        client.sms.send(SmsMessage(to="10000000000", from_="AcmeInc", text="x"))
    assert str(caught.value).startswith("Sms.send_message method failed with error code 3:")

    balance = client.account.get_balance()
    assert (balance.value, balance.auto_reload) == (998.0, False)


def test_4x_client_side_validation_like_the_sdk():
    from smsbridge.compat.vonage import Auth, InvalidAuthError, SmsMessage

    with pytest.raises(InvalidAuthError):
        Auth(api_key="k")
    with pytest.raises(InvalidAuthError):
        Auth(api_secret="s")
    with pytest.raises(ValueError):
        SmsMessage(to=TO, from_="A", text="x", type="wap")
    with pytest.raises(ValueError):
        SmsMessage(to=TO, from_="A", text="x", ttl=5)


def test_3x_dicts_do_not_raise_on_refusal(bridge):
    from smsbridge.compat.vonage import Client, Sms

    client = Client(key="k", secret="s", bridge=bridge)
    ok = Sms(client).send_message({"from": "AcmeInc", "to": TO, "text": "hi", "client-ref": "x"})
    assert ok["message-count"] == "1" and ok["messages"][0]["status"] == "0"
    assert ok["messages"][0]["client-ref"] == "x"
    refused = client.sms.send_message({"from": "AcmeInc", "to": "10000000000", "text": "hi"})
    assert refused["messages"][0]["status"] == "3" and refused["messages"][0]["error-text"]
    missing = client.send_message({"from": "AcmeInc", "text": "hi"})   # 2.x deprecated spelling
    assert missing["messages"][0]["status"] == "2"
    assert client.account.get_balance() == {"value": 999.0, "autoReload": False}
    assert client.get_balance()["value"] == 999.0


def test_no_credit_is_status_9_in_both_styles(sandbox_config):
    from smsbridge.compat.vonage import Auth, Client, SmsError, SmsMessage, Vonage

    sandbox_config["backends"]["local"]["credit"] = 0
    with Bridge.from_dict(sandbox_config) as bridge:
        assert Client(bridge=bridge).sms.send_message(
            {"from": "A", "to": TO, "text": "x"})["messages"][0]["status"] == "9"
        with pytest.raises(SmsError, match="error code 9"):
            Vonage(Auth(api_key="k", api_secret="s"), bridge=bridge).sms.send(SmsMessage(to=TO, from_="A", text="x"))


def test_lost_reply_is_a_server_error(sandbox_config):
    from smsbridge.compat.vonage import Auth, Client, HttpRequestError, ServerError, SmsMessage, Vonage

    sandbox_config["backends"]["local"]["chaos"] = {"lost_reply_rate": 1.0}
    with Bridge.from_dict(sandbox_config) as bridge:
        with pytest.raises(ServerError):
            Client(bridge=bridge).sms.send_message({"from": "A", "to": TO, "text": "x"})
        with pytest.raises(HttpRequestError):
            Vonage(Auth(api_key="k", api_secret="s"), bridge=bridge).sms.send(SmsMessage(to=TO, from_="A", text="x"))
