"""docs/plugins.md's smsbridge-acme plugin, built from the page's own text and installed.

The package's files are the page's file-labelled code blocks (tests/doc_packages.py).  It is
installed the way a user installs a plugin — ``pip install`` into a fresh virtualenv, found
through its ``smsbridge`` entry point, nothing registered by hand — and then, in that
virtualenv:

- ``smsbridge backends`` lists it with the distribution it came from;
- its backend goes through every fault of ``smsbridge.testing``'s fault server, with a real
  ``smsbridge serve`` running the plugin's *own face* upstream (so the healthy send, the
  status look-up and ``lookup`` for reconcile all run against code from the page);
- the face keeps one client from another's messages and answers errors in ACME's shape.

The virtualenv is made with ``--system-site-packages`` and a ``.pth`` file that adds this
interpreter's site-packages, so it sees the smsbridge under test (and pip, setuptools and
wheel) without downloading anything; the plugin is installed with ``--no-deps
--no-build-isolation``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import doc_packages
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "plugins.md"

CHECK = textwrap.dedent('''
    import json, sys, tempfile
    from pathlib import Path

    from smsbridge import Bridge, plugins
    from smsbridge.model import Message
    from smsbridge.gateway.server import run_in_thread
    from smsbridge.testing import check_backend

    tmp = Path(tempfile.mkdtemp())
    out = {}
    registry = plugins.registry()
    out["backends"] = sorted(registry.backends)
    out["faces"] = sorted(registry.http_shims)
    out["package"] = registry.plugins["acme"].package
    import smsbridge_acme.wire
    from smsbridge.wire import check_wire
    out["wire"] = check_wire(smsbridge_acme.wire)
    clients = {"shop": {"acme": {"api_key": "shop-key"}}, "other": {"acme": {"api_key": "other-key"}}}
    server = run_in_thread({"default": "local", "store": str(tmp / "upstream.sqlite3"),
                            "backends": {"local": {"plugin": "sandbox", "path": str(tmp / "sandbox.sqlite3")}},
                            "gateway": {"clients": clients}}, faces=["acme"])
    try:
        report = check_backend(lambda url: {"plugin": "acme", "api_key": "shop-key", "base_url": url + "/v1/"},
                               upstream=server.url,
                               is_send=lambda method, path, body: method == "POST" and path.startswith("/v1/messages"))
        out["report"] = str(report)
        out["verdicts"] = {r.fault: [r.raised, r.sends_seen, r.journaled, list(r.problems)] for r in report.results}

        # The healthy path against the face: send, status, and reconcile's lookup.
        config = {"default": "acme", "store": str(tmp / "client.sqlite3"),
                  "backends": {"acme": {"plugin": "acme", "api_key": "shop-key", "base_url": server.url + "/v1/",
                                        "timeout": 5}}}
        with Bridge.from_dict(config) as bridge:
            receipt = bridge.send("+36301234567", "hello from acme")
            backend = bridge.backend("acme")
            out["provider_id"] = receipt.provider_id
            # the upstream gateway's message id, carried in the ACME-shaped id its face showed
            out["carried_id"] = smsbridge_acme.wire.message_id_in(receipt.provider_id)
            out["status"] = bridge.status(receipt.id).status.value
            sent = Message(to=receipt.to, text="hello from acme", id=receipt.id)  # as reconcile asks
            found = backend.lookup(sent)
            out["lookup"] = found.provider_id if found else None
            out["lookup_other"] = backend.lookup(Message(to=receipt.to, text="x", id="sb_" + "0" * 24))

        # The face's own rules: other clients cannot see the message; errors in ACME's shape.
        import requests

        def get(path, key):
            reply = requests.get(server.url + path, headers={"Authorization": f"Key {key}"}, timeout=5)
            return reply.status_code, reply.json()

        out["own"] = get(f"/v1/messages/{receipt.provider_id}", "shop-key")
        out["others"] = get(f"/v1/messages/{receipt.provider_id}", "other-key")
        out["bad_key"] = get(f"/v1/messages/{receipt.provider_id}", "wrong")
        reply = requests.post(server.url + "/v1/messages", headers={"Authorization": "Key shop-key"},
                              data=b"{not json", timeout=5)
        out["bad_json"] = [reply.status_code, reply.json()]
        reply = requests.post(server.url + "/v1/messages", headers={"Authorization": "Key shop-key"},
                              json={"to": "12", "text": "x"}, timeout=5)
        out["bad_number"] = [reply.status_code, reply.json()]
    finally:
        server.stop()
        server.bridge.close()
    print(json.dumps(out, default=str))
''')


def _venv_with_plugin(tmp_path: Path) -> Path:
    """A new virtualenv seeing this interpreter's packages, with the page's plugin installed."""
    roots = doc_packages.build(PAGE, tmp_path / "src")
    assert [r.name for r in roots] == ["smsbridge-acme"], roots
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True, capture_output=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # ``import site`` lines of a .pth run at start-up: the tested interpreter's site-packages
    # (with its own .pth files: an editable smsbridge) join the new venv's path.
    (Path(site) / "smsbridge_under_test.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in sorted(ours)), encoding="utf-8")
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                              "--no-index", str(roots[0])], capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert install.returncode == 0, install.stderr[-3000:]
    return python


@pytest.fixture(scope="module")
def acme_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _venv_with_plugin(tmp_path_factory.mktemp("acme"))


def _run(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(python), *args], capture_output=True, text=True, timeout=600, env=env,
                          cwd=python.parent.parent)


def test_the_plugin_is_found_through_its_entry_point(acme_venv: Path) -> None:
    listing = _run(acme_venv, "-m", "smsbridge.cli", "backends", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    text = json.dumps(rows)
    assert "acme" in text and "smsbridge-acme" in text, text
    # not importable from here: only the venv has it
    assert subprocess.run([sys.executable, "-c", "import smsbridge_acme"], capture_output=True).returncode != 0


def test_the_doc_plugin_follows_every_error_rule(acme_venv: Path) -> None:
    result = _run(acme_venv, "-c", CHECK)
    assert result.returncode == 0, result.stderr[-4000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "acme" in out["backends"] and "acme" in out["faces"] and out["package"] == "smsbridge-acme"
    assert out["wire"] == [], out["wire"]  # the page's wire module follows the convention
    verdicts = out["verdicts"]
    assert all(not problems for *_, problems in verdicts.values()), out["report"]
    assert set(verdicts) >= {"ok", "refused", "503", "429", "500", "hang", "reset", "trickle", "huge", "garbage"}
    assert verdicts["ok"][:3] == [None, 1, "queued"]
    assert verdicts["500"][:3] == ["DeliveryUnknown", 1, "unknown"]
    assert verdicts["503"][:3] == ["ProviderUnavailable", 1, "failed"]

    # the healthy path ran through the page's face: ids, status, lookup for reconcile
    # the face shows an ACME-shaped id (its ID_SHAPE) that carries smsbridge's id
    assert len(out["provider_id"]) == 26 and out["carried_id"].startswith("sb_")
    assert out["status"] in ("queued", "sent", "delivered")
    assert out["lookup"] == out["provider_id"] and out["lookup_other"] is None
    status, body = out["own"]
    assert status == 200 and body["id"] == out["provider_id"] and body["state"] in ("accepted", "sent", "delivered")
    assert out["others"] == [404, {"error": {"code": "not_found", "message": "no such message"}}]
    assert out["bad_key"] == [401, {"error": {"code": "bad_key", "message": "API key refused"}}]
    assert out["bad_json"][0] == 400 and out["bad_json"][1]["error"]["code"] == "bad_request"
    assert out["bad_number"][0] == 400 and out["bad_number"][1]["error"]["code"] == "invalid_number"
