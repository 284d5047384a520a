"""Issue 13: two gateways on one PostgreSQL journal behave as one (ids and aliases made by
one resolve in the other; the Twilio SDK sees one message list)."""
from __future__ import annotations

from test_gateway_lists import SID, TOKEN, config


def twilio(server):
    from twilio.rest import Client

    client = Client(SID, TOKEN)
    client.api.base_url = server.url
    return client


def test_a_message_created_through_one_gateway_is_fetched_through_the_other(tmp_path, gateway, postgres_url):
    shared = {**config(tmp_path), "store": postgres_url}
    one, other = gateway(shared), gateway(shared)
    created = twilio(one).messages.create(to="+36301234567", from_="+15017122661", body="through one")
    fetched = twilio(other).messages(created.sid).fetch()  # a Twilio SM… alias made by the first gateway
    assert (fetched.sid, fetched.body, fetched.to) == (created.sid, "through one", "+36301234567")
    assert [m.sid for m in twilio(other).messages.list()] == [created.sid]
    again = twilio(other).messages.create(to="+36301234568", from_="+15017122661", body="through the other")
    assert [m.sid for m in twilio(one).messages.list()] == [again.sid, created.sid]
