"""simpleSMS has no sender field (issue 19): a backend that cannot set a sender says so.

Through the real REST backend and the gateway's REST face over the sandbox (the face's
journal shows what arrived), the SOAP backend (refused before any network), and the CLI.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smsbridge import Bridge, InvalidMessage
from smsbridge.cli import cli

TO = "+36301234567"


def rest_backend(url: str, credentials: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"plugin": "simplesms-rest", **credentials, "base_url": url + "/rest/SMSapi/", **extra}


@pytest.fixture
def simulator(gateway, simplesms_gateway_config):
    return gateway(simplesms_gateway_config)


def client_bridge(simulator: Any, credentials: dict[str, str], tmp_path: Path, *, routes: Any = None,
                  **extra: Any) -> Bridge:
    config: dict[str, Any] = {"backends": {"primary": rest_backend(simulator.url, credentials, **extra),
                                           "spare": {"plugin": "sandbox", "sender": "SpareCo"}},
                              "default": "primary", "store": str(tmp_path / "client.sqlite3")}
    if routes:
        config["routes"] = routes
    return Bridge.from_dict(config)


def arrived(simulator: Any) -> list[Any]:
    """What reached the provider side (the gateway's journal), oldest first."""
    return sorted(simulator.bridge.journaled(limit=1000), key=lambda r: r.created_at)


def test_a_configured_sender_is_not_sent_and_the_receipt_says_so(simulator, simplesms_client, tmp_path):
    with client_bridge(simulator, simplesms_client, tmp_path, sender="MyShop") as bridge:
        receipt = bridge.send(TO, "no sender")
        assert receipt.sender is None
        assert bridge.record(receipt.id).sender is None
    assert [(r.text, r.sender) for r in arrived(simulator)] == [("no sender", None)]


def test_a_per_message_sender_is_refused_naming_the_backend(simulator, simplesms_client, tmp_path):
    with client_bridge(simulator, simplesms_client, tmp_path) as bridge:
        with pytest.raises(InvalidMessage) as info:
            bridge.send(TO, "x", sender="MyShop")
        assert info.value.reason == "sender_unsupported"
        assert "'primary'" in str(info.value) and "ignore_sender" in str(info.value)
        assert bridge.journaled() == []                       # refused before the journal
        results = bridge.send_many([{"to": TO, "text": "bulk", "sender": "MyShop"}])
        assert isinstance(results[0], InvalidMessage) and results[0].reason == "sender_unsupported"
    assert arrived(simulator) == []                           # nothing was sent


def test_ignore_sender_drops_it_silently(simulator, simplesms_client, tmp_path):
    with client_bridge(simulator, simplesms_client, tmp_path, ignore_sender=True) as bridge:
        receipt = bridge.send(TO, "dropped", sender="MyShop")
        assert receipt.sender is None and receipt.backend == "primary"
    assert [(r.text, r.sender) for r in arrived(simulator)] == [("dropped", None)]


def test_the_rule_covers_every_backend_of_the_route(simulator, simplesms_client, tmp_path):
    # A failover backend that would drop the sender refuses it too: nothing is dropped unsaid.
    routes = [{"backends": ["spare", "primary"]}]
    with client_bridge(simulator, simplesms_client, tmp_path, routes=routes) as bridge:
        with pytest.raises(InvalidMessage, match="'primary'") as info:
            bridge.send(TO, "x", sender="MyShop")
        assert info.value.reason == "sender_unsupported"
        # Without sender=, the sandbox uses its own configured sender; the message goes.
        assert bridge.send(TO, "x").sender == "SpareCo"
        assert bridge.send(TO, "x", backend="spare", sender="Other").sender == "Other"
    # Failing over *to* a sender-capable backend from a no-sender one: the receipt tells the truth.
    routes = [{"backends": ["primary", "spare"]}]
    with client_bridge(simulator, simplesms_client, tmp_path, routes=routes, password="wrong") as bridge:
        receipt = bridge.send(TO, "failed over")
        assert receipt.backend == "spare" and receipt.sender == "SpareCo"


def test_the_soap_backend_says_the_same_before_any_network(tmp_path, free_port):
    config = {"backends": {"legacy": {"plugin": "simplesms-soap", "username": "u", "password": "p", "domain": "d",
                                      "wsdl": f"http://127.0.0.1:{free_port}/sms.wsdl"}},
              "store": str(tmp_path / "j.sqlite3")}
    with Bridge.from_dict(config) as bridge:
        with pytest.raises(InvalidMessage) as info:
            bridge.send(TO, "x", sender="MyShop")
        assert info.value.reason == "sender_unsupported" and "'legacy'" in str(info.value)
        assert bridge.describe_backends()[0]["sender"] is False


def _cli(tmp_path: Path, yaml_text: str, *args: str) -> Any:
    path = tmp_path / "smsbridge.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    return CliRunner().invoke(cli, ["--config", str(path), *args], catch_exceptions=False)


SIMPLESMS = "{plugin: simplesms-rest, username: u, password: p, domain: d}"


def test_smsbridge_backends_lists_no_sender(tmp_path):
    result = _cli(tmp_path, f"backends:\n  primary: {SIMPLESMS}\n  local: {{plugin: sandbox}}\n"
                            f"store: {tmp_path / 'j.sqlite3'}\n", "backends")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.startswith("  ")}
    assert "(no sender)" in lines["simplesms-rest"] and "(no sender)" in lines["simplesms-soap"]
    assert "(no sender)" not in lines["sandbox"]
    assert "(no sender)" in lines["primary"] and "(no sender)" not in lines["local"]
    as_json = json.loads(_cli(tmp_path, (tmp_path / "smsbridge.yaml").read_text(), "backends", "--json").output)
    installed = {row["plugin"]: row for row in as_json["installed"]}
    assert installed["simplesms-rest"]["sender"] is False and installed["sandbox"]["sender"] is True
    assert {row["name"]: row["sender"] for row in as_json["configured"]} == {"primary": False, "local": True}


@pytest.mark.parametrize("yaml_text, warned", [
    (f"backends:\n  primary: {SIMPLESMS}\n", False),
    ("backends:\n  primary: {plugin: simplesms-rest, username: u, password: p, domain: d, sender: MyShop}\n", True),
    (f"defaults: {{sender: MyShop}}\nbackends:\n  primary: {SIMPLESMS}\n  local: {{plugin: sandbox}}\n", True),
    ("backends:\n  primary: {plugin: simplesms-rest, username: u, password: p, domain: d, sender: MyShop,"
     " ignore_sender: true}\n", False),
    ("backends:\n  local: {plugin: sandbox, sender: MyShop}\n", False),
])
def test_config_check_warns_about_a_sender_that_is_not_sent(tmp_path, yaml_text, warned):
    # click < 8.2 keeps stderr apart only with mix_stderr=False; 8.2+ always does.
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner()
    result = runner.invoke(cli, ["--config", str(_write(tmp_path, yaml_text)), "config", "check"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    warning = "backend 'primary' cannot set a sender (no sender): the configured sender 'MyShop' is not sent"
    assert (warning in result.stderr) is warned, result.stderr
    assert "'local'" not in result.stderr


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "smsbridge.yaml"
    path.write_text(text + f"store: {tmp_path / 'j.sqlite3'}\n", encoding="utf-8")
    return path
