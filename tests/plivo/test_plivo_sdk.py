"""``smsbridge.compat.plivo``: Plivo's quick-start, with only the import changed."""
from __future__ import annotations

import textwrap
import uuid

import pytest
from compat_shims import installed

QUICKSTART = textwrap.dedent("""
    client = plivo.RestClient('<auth_id>', '<auth_token>')
    message_created = client.messages.create(
        src='+14156667777',
        dst='+14156667778',
        text='Hello, world!'
    )
    response = client.messages.get(message_uuid=message_created.message_uuid[0])
    listed = client.messages.list(limit=5, offset=0)
    account = client.account.get()
    try:
        client.messages.create(src='+14156667777', dst='123', text='bad number')
    except plivo.exceptions.PlivoRestError as e:
        error = e
""")


def check(ns):
    created, response = ns["message_created"], ns["response"]
    assert created.message == "message(s) queued" and uuid.UUID(created.message_uuid[0]).version == 4
    assert response.message_uuid == created.message_uuid[0] == response.id
    assert (response.to_number, response.from_number) == ("14156667778", "14156667777")
    assert response.message_state in ("queued", "sent", "delivered") and response.units == 1
    assert response.error_code == "000" and isinstance(response.total_amount, str)
    assert [m.message_uuid for m in ns["listed"]] == created.message_uuid and ns["listed"].meta.total_count == 1
    assert ns["account"].cash_credits == "99.00000"
    assert type(ns["error"]).__name__ == "ValidationError"


def test_quickstart_with_the_import_changed(shim_config):
    ns: dict = {}
    exec("import smsbridge.compat.plivo as plivo\n" + QUICKSTART, ns)
    check(ns)


def test_quickstart_unchanged_after_install(shim_config):
    import plivo as real

    from smsbridge.compat import plivo as shim

    with installed(shim, "plivo", "plivo.exceptions"):
        ns: dict = {}
        exec("import plivo\nfrom plivo import exceptions\n" + QUICKSTART, ns)
        # the shim's names, served as a view of the real package (its other modules still import)
        assert ns["plivo"].RestClient is shim.RestClient and ns["exceptions"].ValidationError is shim.ValidationError
        check(ns)
    import plivo

    assert plivo is real


def test_sdk_client_side_checks_and_errors(shim_config):
    from smsbridge.compat import plivo

    client = plivo.RestClient("x", "y")
    with pytest.raises(plivo.exceptions.ValidationError, match="same as source"):
        client.messages.create(src="14156667777", dst="14156667777", text="x")
    with pytest.raises(plivo.exceptions.ValidationError, match="powerpack_uuid or src"):
        client.messages.create(dst="14156667778", text="x")
    with pytest.raises(plivo.exceptions.ResourceNotFoundError):
        client.messages.get(str(uuid.uuid4()))
    with pytest.raises(plivo.exceptions.ValidationError):
        client.messages.list(limit=50)


def test_uuid_is_the_gateways(shim_config):
    from smsbridge_plugins.plivo import wire

    from smsbridge import Bridge
    from smsbridge.compat import plivo

    with Bridge.from_config() as bridge:
        r = plivo.RestClient(bridge=bridge).messages.create(src="14156667777", dst="14156667778<14156667779", text="x")
        ids = [wire.message_id_in(u) for u in r.message_uuid]
        assert all(ids) and [bridge.record(i).to for i in ids] == ["+14156667778", "+14156667779"]
