"""Opt-out: an inbound STOP through a provider's webhook puts the number on the list, a
send to it is refused (``InvalidMessage(reason="opted_out")``, nothing sent), START takes
it off and the next send goes out; per-backend settings; the ``optout`` and ``inbox`` CLI."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from provider_webhooks.payloads import fixture, post

from smsbridge import Bridge, InvalidMessage
from smsbridge.cli import cli

NUMBER = "+14155552671"  # the sender of the inbound SMS below


def _config(tmp_path: Any, **sandbox: Any) -> dict[str, Any]:
    return {"default": "local",
            "backends": {
                "local": {"plugin": "sandbox", "path": str(tmp_path / "sandbox.sqlite3"), **sandbox},
                "twilio": {"plugin": "twilio", "account_sid": "AC" + "0" * 32, "auth_token": "tw-auth-token",
                           "base_url": "http://127.0.0.1:9"}},
            "store": str(tmp_path / "journal.sqlite3")}


def _say(server: Any, text: str) -> None:
    data = copy.deepcopy(fixture("twilio", "inbound"))
    data["payload"]["Body"] = text
    data["payload"]["From"] = NUMBER
    data["payload"]["MessageSid"] = data["payload"]["SmsSid"] = "SM" + str(abs(hash(text)))[:10].rjust(32, "0")
    assert post("twilio", f"{server.url}/webhooks/twilio/inbound", data).status_code == 200


def test_stop_refuses_sends_until_start(gateway: Any, tmp_path: Any) -> None:
    server = gateway(Bridge.from_dict(_config(tmp_path)))
    bridge = server.bridge
    bridge.send(NUMBER, "before", backend="local")
    _say(server, "Stop")
    assert [e["number"] for e in bridge.opt_outs()] == [NUMBER]
    assert bridge.opt_outs()[0]["keyword"] == "STOP" and bridge.opt_outs()[0]["backend"] == "twilio"
    before = len(bridge.journaled())
    with pytest.raises(InvalidMessage) as refused:
        bridge.send(NUMBER, "after STOP", backend="local")
    assert refused.value.reason == "opted_out"
    assert len(bridge.journaled()) == before  # refused before the journal: nothing sent
    bridge.send("+36201234567", "another number is fine", backend="local")
    _say(server, "START")
    assert bridge.opt_outs() == []
    receipt = bridge.send(NUMBER, "after START", backend="local")
    assert receipt.status.value in ("queued", "delivered")


def test_a_stop_word_inside_a_sentence_is_not_an_opt_out(gateway: Any, tmp_path: Any) -> None:
    server = gateway(Bridge.from_dict(_config(tmp_path)))
    _say(server, "please don't stop the music")
    assert server.bridge.opt_outs() == []


def test_per_backend_settings(gateway: Any, tmp_path: Any) -> None:
    config = _config(tmp_path, opt_out={"enforce": False})
    config["backends"]["twilio"]["opt_out"] = {"stop": ["ARRET"], "start": ["ENCORE"]}
    server = gateway(Bridge.from_dict(config))
    _say(server, "stop")  # not a keyword for this backend
    assert server.bridge.opt_outs() == []
    _say(server, "arrêt".replace("ê", "e"))
    assert [e["keyword"] for e in server.bridge.opt_outs()] == ["ARRET"]
    server.bridge.send(NUMBER, "the sandbox backend does not enforce", backend="local")
    _say(server, "encore")
    assert server.bridge.opt_outs() == []


def test_opt_out_false_turns_both_directions_off(tmp_path: Any) -> None:
    config = _config(tmp_path)
    config["defaults"] = {"opt_out": False}
    with Bridge.from_dict(config) as bridge:
        bridge.opt_out(NUMBER)
        bridge.send(NUMBER, "not enforced anywhere", backend="local")


def test_bad_opt_out_setting_names_the_key(tmp_path: Any) -> None:
    from smsbridge.errors import ConfigError

    config = _config(tmp_path, opt_out={"stopp": ["X"]})
    with pytest.raises(ConfigError) as error:
        Bridge.from_dict(config)
    assert "backends.local.opt_out" in str(error.value) and "stopp" in str(error.value)


def test_optout_and_inbox_cli(gateway: Any, tmp_path: Any) -> None:
    path = tmp_path / "smsbridge.yaml"
    path.write_text(yaml.safe_dump(_config(tmp_path)))
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli, ["--config", str(path), *args])
        return result

    assert run("optout", "list").output.strip() == "(no opted-out numbers)"
    added = run("optout", "add", "06 20 123 4567")  # national: read in defaults.default_region (HU)
    assert added.exit_code == 0 and "+36201234567 opted out" in added.output
    assert "already" in run("optout", "add", "+36201234567").output
    listed = json.loads(run("optout", "list", "--json").output)
    assert [e["number"] for e in listed] == ["+36201234567"]
    bad = run("optout", "add", "not a number")
    assert bad.exit_code == 1 and "Traceback" not in bad.output and "not a number" in bad.output
    assert "removed" in run("optout", "remove", "+36201234567").output
    assert "was not opted out" in run("optout", "remove", "+36201234567").output

    assert run("inbox").output.strip() == "(no inbound SMS)"
    server = gateway(str(path))
    _say(server, "Hello there")
    shown = run("inbox")
    assert shown.exit_code == 0 and f"{NUMBER} -> +15017122661: Hello there" in shown.output
    as_json = json.loads(run("inbox", "--json").output)
    assert [(m["from"], m["text"], m["backend"]) for m in as_json] == [(NUMBER, "Hello there", "twilio")]


def test_inbox_follow_prints_each_new_sms_as_json_lines(gateway: Any, tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    path = tmp_path / "smsbridge.yaml"
    path.write_text(yaml.safe_dump(_config(tmp_path)))
    server = gateway(str(path))
    _say(server, "first")
    follower = subprocess.Popen([sys.executable, "-m", "smsbridge.cli", "--config", str(path), "inbox", "--follow",
                                 "--json", "--interval", "0.05"], stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert follower.stdout is not None
        assert json.loads(follower.stdout.readline())["text"] == "first"
        _say(server, "second")
        assert json.loads(follower.stdout.readline())["text"] == "second"
    finally:
        follower.terminate()
        follower.wait(timeout=10)
