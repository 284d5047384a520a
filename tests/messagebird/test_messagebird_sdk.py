"""``smsbridge.compat.messagebird``: MessageBird's quick-start, with only the import changed."""
from __future__ import annotations

import textwrap
from datetime import datetime

import pytest
from compat_shims import installed

QUICKSTART = textwrap.dedent("""
    client = messagebird.Client('YOUR_ACCESS_KEY')
    message = client.message_create('TestMessage', '+31612345678', 'This is a test message', {'reference': 'Foobar'})
    fetched = client.message(message.id)
    balance = client.balance()
    try:
        client.message_create('TestMessage', '+3161', 'bad number')
    except messagebird.client.ErrorException as e:
        errors = [(error.code, error.description, error.parameter) for error in e.errors]
""")


def test_quickstart_with_the_import_changed(shim_config):
    ns: dict = {}
    exec("import smsbridge.compat.messagebird as messagebird\n" + QUICKSTART, ns)
    message, fetched, balance = ns["message"], ns["fetched"], ns["balance"]
    assert len(message.id) == 32 and message.reference == "Foobar" and message.originator == "TestMessage"
    assert isinstance(message.createdDatetime, datetime)
    assert message.recipients["items"][0].recipient == 31612345678
    assert fetched.id == message.id and fetched.body == "This is a test message"
    assert fetched.recipients["items"][0].status in ("scheduled", "sent", "delivered")
    assert (balance.amount, balance.type, balance.payment) == (99.0, "credits", "prepaid")
    assert ns["errors"] == [(9, "no (correct) recipients found", "recipients")]
    listed = ns["client"].message_list(limit=5)
    assert listed.totalCount == 1 and listed.items[0].id == message.id


def test_quickstart_unchanged_after_install(shim_config):
    import messagebird as real  # the real SDK is installed in the test venv

    from smsbridge.compat import messagebird as shim

    with installed(shim, "messagebird", "messagebird.client"):
        ns: dict = {}
        exec("import messagebird\n" + QUICKSTART, ns)
        assert ns["messagebird"].Client is shim.Client
        assert len(ns["message"].id) == 32 and ns["errors"][0][0] == 9
    import messagebird

    assert messagebird is real


def test_same_id_as_the_gateway_face(shim_config):
    from smsbridge_plugins.messagebird import wire

    from smsbridge import Bridge
    from smsbridge.compat.messagebird import Client

    with Bridge.from_config() as bridge:
        msg = Client(bridge=bridge).message_create("Shop", ["31612345678", "31687654321"], "two")
        assert wire.message_id_in(msg.id) is not None
        assert msg.recipients["totalCount"] == 2
        assert len(Client(bridge=bridge).message(msg.id).recipients["items"]) == 2


def test_errors_are_the_sdks(shim_config):
    from smsbridge.compat.messagebird import Client, ErrorException

    client = Client("key")
    with pytest.raises(ErrorException) as info:
        client.message("0" * 32)
    assert info.value.errors[0].code == 20
    with pytest.raises(ErrorException) as info:
        client.message_create("TestMessage", "31612345678", "")
    assert info.value.errors[0].parameter == "body"
