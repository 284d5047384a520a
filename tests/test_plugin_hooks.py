"""pluggy calls every hook (issue 17 item 3): argument subsets are honoured, an entry-point
name claimed by two distributions is an error naming both, and ``check_pending`` runs at
load (a misspelt hook is reported, not silently ignored).

Distributions are made as tests/fakeplugin is: a module plus a ``*.dist-info`` folder with
an ``entry_points.txt``, on ``PYTHONPATH`` of a fresh ``smsbridge`` process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from smsbridge import Bridge, InvalidMessage, hookimpl, plugins
from smsbridge.errors import ConfigError


def make_dist(root: Path, dist: str, module: str, source: str, entry: str) -> None:
    """A distribution ``dist`` (version 1.0) whose entry point ``entry`` is module ``module``."""
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[smsbridge]\n{entry} = {module}\n", encoding="utf-8")


def cli(tmp_path: Path, *args: str, path: list[Path]) -> subprocess.CompletedProcess:
    (tmp_path / "smsbridge.yaml").write_text("backends:\n  local: {plugin: sandbox}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in path)}
    env.pop("SMSBRIDGE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "smsbridge.cli", *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)


# -- argument subsets --------------------------------------------------------------------------

def test_hooks_with_a_subset_of_the_arguments_run(sandbox_config):
    seen: list[tuple[str, object]] = []

    class Minimal:
        @hookimpl
        def smsbridge_after_send(self, receipt):  # no `message`: pluggy allows it
            seen.append(("after", receipt.id))

        @hookimpl
        def smsbridge_status_changed(self, new):
            seen.append(("status", new.value))

        @hookimpl
        def smsbridge_before_send(self):  # a hook that needs nothing (e.g. a counter)
            seen.append(("before", None))

    class Failing:
        @hookimpl
        def smsbridge_send_failed(self, error):
            seen.append(("failed", type(error).__name__))

    names = [plugins.register(Minimal(), name="minimal"), plugins.register(Failing(), name="failing")]
    try:
        with Bridge.from_dict(sandbox_config) as bridge:
            receipt = bridge.send("+36301234567", "hi")
            bridge.status(receipt.id)
    finally:
        for name in names:
            plugins.unregister(name)
    assert seen == [("before", None), ("after", receipt.id), ("status", "delivered")]


def test_before_send_plugins_chain_in_pluggy_order(sandbox_config):
    class First:
        @hookimpl
        def smsbridge_before_send(self, message):
            from dataclasses import replace
            return replace(message, text=message.text + " [first]")

    class Second:
        @hookimpl(tryfirst=True)  # pluggy's ordering option is honoured
        def smsbridge_before_send(self, message):
            from dataclasses import replace
            return replace(message, text=message.text + " [second]")

    class Veto:
        @hookimpl
        def smsbridge_before_send(self, message):
            if message.to.endswith("999"):
                raise InvalidMessage("opted out", reason="opted_out")

    names = [plugins.register(First(), name="first"), plugins.register(Second(), name="second"),
             plugins.register(Veto(), name="veto")]
    try:
        with Bridge.from_dict(sandbox_config) as bridge:
            receipt = bridge.send("+36301234567", "hi")
            assert bridge.record(receipt.id).text == "hi [second] [first]"
            with pytest.raises(InvalidMessage) as info:
                bridge.send("+36301234999", "hi")
            assert info.value.reason == "opted_out"
    finally:
        for name in names:
            plugins.unregister(name)


def test_a_misspelt_hook_registered_in_process_is_refused():
    class Typo:
        @hookimpl
        def smsbridge_after_sent(self, receipt):
            pass

    with pytest.raises(ConfigError, match="unknown hook 'smsbridge_after_sent'.*smsbridge_after_send"):
        plugins.register(Typo(), name="typo")
    assert "typo" not in plugins.registry().plugins


# -- entry points ------------------------------------------------------------------------------

def test_an_entry_point_name_claimed_by_two_distributions_is_an_error_naming_both(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    make_dist(site, "evil-twilio", "evil_twilio", """
        from smsbridge import hookimpl

        @hookimpl
        def smsbridge_backends(register):
            pass
    """, entry="twilio")
    out = cli(tmp_path, "backends", path=[site])
    assert out.returncode != 0 and "Traceback" not in out.stderr
    message = out.stderr + out.stdout
    assert "'twilio'" in message and "evil-twilio 1.0" in message and "smsbridge" in message


def test_the_same_distribution_visible_twice_is_fine(tmp_path):
    fake = Path(__file__).parent / "fakeplugin"
    out = cli(tmp_path, "backends", "--json", path=[fake, fake])
    assert out.returncode == 0, out.stderr
    assert "fake" in {p["plugin"] for p in json.loads(out.stdout)["installed"]}


def test_check_pending_runs_at_load_and_reports_the_broken_plugin(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    make_dist(site, "smsbridge-typo", "smsbridge_typo", """
        from smsbridge import hookimpl

        @hookimpl
        def smsbridge_backend(register):  # misspelt: smsbridge_backends
            register("typo", object)
    """, entry="typo")
    out = cli(tmp_path, "backends", "--json", path=[site])
    assert out.returncode == 0, out.stderr  # one broken plugin does not break the others
    listing = json.loads(out.stdout)
    text = json.dumps(listing)
    assert "unknown hook 'smsbridge_backend'" in text and "smsbridge_backends" in text
    assert "sandbox" in {p["plugin"] for p in listing["installed"]}
