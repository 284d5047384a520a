"""Every hook in smsbridge/hookspecs.py is documented and tested (as datasette checks its own).

- docs/plugins.md shows each hook with its exact signature, `` `name(arg, arg)` `` — the
  argument names in the spec's order, which is what pluggy matches implementations on —
  and names no hook, or argument, that does not exist;
- each hook has a test here (or anywhere under tests/) named ``test_hook_<hook name>…``:
  adding a hookspec without a test fails :func:`test_every_hook_has_a_test`.

The ``test_hook_*`` tests register their plugins with ``smsbridge.testing.registered`` and
send through ``smsbridge.testing.fake_backend``: the helpers plugin authors get.
"""
from __future__ import annotations

import ast
import inspect
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from smsbridge import Bridge, ConfigError, InvalidMessage, ProviderUnavailable, hookspecs
from smsbridge.model import InboundMessage, Status
from smsbridge.testing import fake_backend, registered

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "plugins.md"
INLINE_SIGNATURE = re.compile(r"`(smsbridge_[a-z_]+)\(([^)`]*)\)`")


def hooks() -> dict[str, list[str]]:
    """hook name -> its argument names, in order, from the hookspecs module."""
    return {name: list(inspect.signature(fn).parameters) for name, fn in vars(hookspecs).items()
            if name.startswith("smsbridge_") and hasattr(fn, "smsbridge_spec")}


def test_hooks_are_found() -> None:
    assert {"smsbridge_backends", "smsbridge_before_send", "smsbridge_inbound"} <= set(hooks())


@pytest.mark.parametrize("hook", sorted(hooks()))
def test_every_hook_is_documented_with_its_exact_signature(hook: str) -> None:
    signature = f"`{hook}({', '.join(hooks()[hook])})`"
    assert signature in DOC.read_text(encoding="utf-8"), f"docs/plugins.md does not show {signature}"


def test_the_doc_shows_no_hook_or_argument_that_does_not_exist() -> None:
    known = hooks()
    shown = INLINE_SIGNATURE.findall(DOC.read_text(encoding="utf-8"))
    assert shown
    for name, args in shown:
        assert name in known, f"docs/plugins.md shows a hook smsbridge does not have: {name}"
        assert [a.strip() for a in args.split(",") if a.strip()] == known[name], \
            f"docs/plugins.md shows {name}({args}); the hookspec is {name}({', '.join(known[name])})"


def test_every_hook_has_a_test() -> None:
    tests: set[str] = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_hook_"):
                tests.add(node.name)
    missing = [h for h in sorted(hooks()) if not any(t.startswith(f"test_hook_{h}") for t in tests)]
    assert not missing, f"hooks without a test named test_hook_<hook>: {missing}"


# -- one test per hook ----------------------------------------------------------------------------

def config(**backends: Any) -> dict[str, Any]:
    return {"store": ":memory:", "backends": backends or {"main": {"plugin": "kit-fake"}}}


def test_hook_smsbridge_backends() -> None:
    from smsbridge.backend import Backend
    from smsbridge.model import Accepted

    class Echo(Backend):
        def send(self, message: Any) -> Accepted:
            return Accepted(provider_id="echo-" + message.text)

    class Plugin:
        @hookspecs.hookimpl
        def smsbridge_backends(self, register: Any) -> None:
            register("kit-echo", Echo, description="echo")

    with registered(Plugin(), name="kit-echo-plugin"):
        with Bridge.from_dict(config(main={"plugin": "kit-echo"})) as bridge:
            assert bridge.send("+36301234567", "hi").provider_id == "echo-hi"
    with pytest.raises(ConfigError, match="unknown plugin 'kit-echo'"):  # gone with the block
        Bridge.from_dict(config(main={"plugin": "kit-echo"}))

    class Clash:
        @hookspecs.hookimpl
        def smsbridge_backends(self, register: Any) -> None:
            register("sandbox", Echo)

    with registered(Clash(), name="kit-clash"):
        with pytest.raises(ConfigError, match="'sandbox' is registered by both .*'kit-clash'"):
            Bridge.from_dict(config(main={"plugin": "sandbox"}))


def test_hook_smsbridge_sdk_shims() -> None:
    import importlib

    with registered(smsbridge_sdk_shims=lambda register: register("kitjson", "json")):
        shim = importlib.import_module("smsbridge.compat.kitjson")
        assert shim.dumps([1]) == "[1]"
        from smsbridge.compat import available

        assert "kitjson" in available()
    from smsbridge.compat import available

    assert "kitjson" not in available()


def test_hook_smsbridge_http_shims(tmp_path: Path) -> None:
    import requests
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from smsbridge.backend import Option
    from smsbridge.gateway.server import run_in_thread

    def routes(gateway: Any) -> list[Route]:
        async def whoami(request: Any) -> JSONResponse:
            client = gateway.authenticate("kitface", token=request.headers.get("x-token", ""))
            return JSONResponse({"client": client.name if client else None, "face": gateway.face})
        return [Route("/kit/whoami", whoami)]

    def hook(register: Any) -> None:
        register("kitface", routes, clients={"token": Option(str, required=True, secret=True)})

    with registered(smsbridge_http_shims=hook), fake_backend("kit-fake"):
        server = run_in_thread({**config(), "gateway": {"clients": {"shop": {"kitface": {"token": "t-1"}}}}},
                               faces=["kitface"])
        try:
            answer = requests.get(server.url + "/kit/whoami", headers={"X-Token": "t-1"}, timeout=5).json()
        finally:
            server.stop()
            server.bridge.close()
    assert answer == {"client": "shop", "face": "kitface"}


def test_hook_smsbridge_webhooks() -> None:
    from smsbridge.gateway.webhooks import handlers

    class Handler:
        @staticmethod
        def answer(kind: str) -> Any:
            return None

    with registered(smsbridge_webhooks=lambda register: register("kit-provider", Handler)):
        assert handlers()["kit-provider"] is Handler
        with registered(smsbridge_webhooks=lambda: None):  # pluggy's rule: any subset of the arguments
            assert handlers()["kit-provider"] is Handler
        with registered(smsbridge_webhooks=lambda register: register("kit-provider", object()), name="kit-other"), \
                pytest.raises(ConfigError, match="'kit-provider' is registered by both .*'kit-other'"):
            handlers()
    assert "kit-provider" not in handlers()


def test_hook_smsbridge_before_send_rewrites_and_vetoes() -> None:
    from dataclasses import replace

    routes: list[tuple[str, ...]] = []

    def before(message: Any, route: tuple[str, ...]) -> Any:  # a subset of (message, bridge, route)
        routes.append(route)
        if message.to.endswith("1111111"):
            raise InvalidMessage("no messages to this number", reason="vetoed")
        return replace(message, text=message.text + " -- shop")

    with fake_backend("kit-fake") as provider, registered(smsbridge_before_send=before):
        with Bridge.from_dict(config()) as bridge:
            bridge.send("+36301234567", "hello")
            with pytest.raises(InvalidMessage) as info:
                bridge.send("+36301111111", "hello")
    assert info.value.reason == "vetoed"
    assert [m.text for m in provider.sent] == ["hello -- shop"] and provider.send_attempts == 1
    assert routes == [("main",), ("main",)]


def test_hook_smsbridge_before_send_gets_the_bridge() -> None:
    seen: list[Any] = []
    with fake_backend("kit-fake"), registered(smsbridge_before_send=lambda bridge: seen.append(bridge)):
        with Bridge.from_dict(config()) as bridge:
            bridge.send("+36301234567", "hello")
    assert seen == [bridge]


def test_hook_smsbridge_after_send_with_a_subset_of_arguments() -> None:
    receipts: list[Any] = []
    with fake_backend("kit-fake"), registered(smsbridge_after_send=lambda receipt: receipts.append(receipt)):
        with Bridge.from_dict(config()) as bridge:
            sent = bridge.send("+36301234567", "hello")
    assert receipts == [sent]


def test_hook_smsbridge_send_failed() -> None:
    failures: list[tuple[str, str]] = []

    def failed(message: Any, error: Any) -> None:
        failures.append((message.text, type(error).__name__))
        raise RuntimeError("a broken observer is logged, not raised")

    with fake_backend("kit-fake") as provider, registered(smsbridge_send_failed=failed):
        provider.fail_next(ProviderUnavailable("down"))
        with Bridge.from_dict(config()) as bridge:
            with pytest.raises(ProviderUnavailable):
                bridge.send("+36301234567", "hello")
    assert failures == [("hello", "ProviderUnavailable")]


def test_hook_smsbridge_status_changed() -> None:
    changes: list[tuple[str, Status, Status]] = []

    def changed(message_id: str, old: Status, new: Status, report: Any) -> None:
        changes.append((message_id, old, new))

    with fake_backend("kit-fake") as provider, registered(smsbridge_status_changed=changed):
        with Bridge.from_dict(config()) as bridge:
            sent = bridge.send("+36301234567", "hello")
            provider.set_status(sent.provider_id, Status.DELIVERED)
            assert bridge.status(sent.id).status is Status.DELIVERED
            bridge.status(sent.id)  # final now: not asked again, not changed again
    assert changes == [(sent.id, Status.QUEUED, Status.DELIVERED)]
    assert provider.status_lookups == 1


def test_hook_smsbridge_inbound_once_per_message() -> None:
    seen: list[tuple[str, Any]] = []
    message = InboundMessage(id="in_1", from_="+36301234567", to="+3612345", text="STOP",
                             received_at=datetime.now(timezone.utc), backend="main", provider_id="p-1")
    with fake_backend("kit-fake"), registered(smsbridge_inbound=lambda message, bridge: seen.append((message.text,
                                                                                                  bridge))):
        with Bridge.from_dict(config()) as bridge:
            assert bridge.receive(message) is True
            assert bridge.receive(message) is False  # a provider's retry: no second call
    assert seen == [("STOP", bridge)]
