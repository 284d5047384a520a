"""Caller idempotency through the official Twilio SDK (issue 12, item 5): a create whose
reply was lost is retried with the same ``I-Twilio-Idempotency-Token`` and gets the same
message, sent once; the token with another payload is a 409 in Twilio's shape."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from .conftest import AC, TOKEN


class RetryingHttpClient:
    """Wraps the SDK's own HTTP client: every create carries one idempotency token; the
    first attempt's reply is lost (gateway chaos ``lost``), and the SDK call is retried."""

    def __init__(self, token: str) -> None:
        from twilio.http.http_client import TwilioHttpClient

        self.inner = TwilioHttpClient(timeout=1)
        self.token = token
        self.attempts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def request(self, method: str, url: str, params: Any = None, data: Any = None, headers: Any = None,
                auth: Any = None, timeout: Any = None, allow_redirects: bool = False) -> Any:
        headers = {**(headers or {}), "I-Twilio-Idempotency-Token": self.token}
        for attempt in range(2):
            self.attempts += 1
            chaos = {"X-Smsbridge-Chaos": "lost"} if attempt == 0 and method == "POST" else {}
            try:
                return self.inner.request(method, url, params=params, data=data, headers={**headers, **chaos},
                                          auth=auth, timeout=1 if chaos else 10, allow_redirects=allow_redirects)
            except requests.exceptions.Timeout:
                continue  # the reply was lost: retry, with the same token
        raise AssertionError("the retry did not get an answer")


@pytest.fixture
def chaos_gateway(gateway: Any, twilio_config: Any) -> Any:
    config = twilio_config()
    config["gateway"]["chaos"] = True  # the simulator: chaos is allowed
    return gateway(config, faces=["twilio"])


def sdk(server: Any, http_client: Any) -> Any:
    from twilio.rest import Client

    client = Client(AC, TOKEN, http_client=http_client)
    client.api.base_url = server.url
    return client


def test_a_retried_create_with_the_token_sends_once_and_replies_the_same(chaos_gateway):
    http = RetryingHttpClient(str(uuid.uuid4()))
    client = sdk(chaos_gateway, http)
    message = client.messages.create(to="+36301234567", from_="+15017122661", body="exactly once")
    assert http.attempts == 2  # the first reply was lost; the SDK's call was retried
    journaled = chaos_gateway.bridge.journaled()
    assert [r.text for r in journaled] == ["exactly once"]
    from smsbridge_plugins.twilio import wire

    assert message.sid == wire.provider_id_for(journaled[0].id)
    again = client.messages.create(to="+36301234567", from_="+15017122661", body="exactly once")
    assert again.sid == message.sid and len(chaos_gateway.bridge.journaled()) == 1


def test_the_token_with_another_payload_is_a_409(chaos_gateway):
    from twilio.base.exceptions import TwilioRestException

    token = str(uuid.uuid4())
    client = sdk(chaos_gateway, RetryingHttpClient(token))
    client.messages.create(to="+36301234567", from_="+15017122661", body="first")
    with pytest.raises(TwilioRestException) as caught:
        sdk(chaos_gateway, RetryingHttpClient(token)).messages.create(
            to="+36301234567", from_="+15017122661", body="another text")
    assert caught.value.status == 409 and caught.value.code == 20409
    assert [r.text for r in chaos_gateway.bridge.journaled()] == ["first"]


def test_tokens_are_per_client(gateway, twilio_config):
    from .conftest import OTHER_AC, OTHER_TOKEN

    server = gateway(twilio_config(), faces=["twilio"])
    form = {"To": "+36301234567", "From": "+15017122661", "Body": "same key, two clients"}
    headers = {"Idempotency-Key": "k-1"}
    one = requests.post(f"{server.url}/2010-04-01/Accounts/{AC}/Messages.json", data=form, auth=(AC, TOKEN),
                        headers=headers, timeout=5)
    two = requests.post(f"{server.url}/2010-04-01/Accounts/{OTHER_AC}/Messages.json", data=form,
                        auth=(OTHER_AC, OTHER_TOKEN), headers=headers, timeout=5)
    assert one.status_code == two.status_code == 201 and one.json()["sid"] != two.json()["sid"]
    bad = requests.post(f"{server.url}/2010-04-01/Accounts/{AC}/Messages.json", data=form, auth=(AC, TOKEN),
                        headers={"Idempotency-Key": "x" * 300}, timeout=5)
    assert bad.status_code == 400 and bad.json()["code"] == 21200
