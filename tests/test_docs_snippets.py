"""Every YAML and Python snippet in README.md and docs/ works as written.

The test is generic: it finds every fenced block in README.md and every ``*.md`` under
docs/ (so snippets added later are tested too), and

- **YAML** (```` ```yaml ````): loaded with ``Bridge.from_config`` from a file in a fresh
  folder, with every ``${VAR}`` that has no fallback set to a dummy value. A snippet that
  is not a whole config (no top-level ``backends:``, e.g. a ``gateway:`` block) gets
  sandbox backends named ``local`` and ``primary`` appended, and a block of bare backend
  entries (``primary: {plugin: …}``) is put under ``backends:``, so each is checked as
  part of a config a reader would write.
- **Python** (```` ```python ````): run in a subprocess, in a fresh folder holding the
  repository's ``config.example.yaml`` (also as ``smsbridge.yaml`` and
  ``$SMSBRIDGE_CONFIG``). A snippet that talks to ``127.0.0.1:8080`` (where the docs
  say ``smsbridge serve`` listens) gets a real gateway: the page's ``gateway:`` YAML
  blocks over sandbox backends, served in a thread, with the address rewritten to it;
  ``127.0.0.1:8443`` gets the same over TLS (``--tls-self-signed``), and the docs'
  placeholder ``/path/printed/by/serve/cert.pem`` becomes that server's certificate.

A block that is deliberately partial carries ``<!-- snippet: partial (why) -->`` on the
line right before its fence: its YAML must still parse, its Python must still compile,
but neither is run. ``test_partial_blocks_are_few`` keeps that an exception.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import doc_packages
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[A-Za-z0-9_+-]*)\s*$")
MARKER = re.compile(r"<!--\s*snippet:\s*(?P<kind>[a-z-]+)\b(?P<why>.*?)-->")
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")
GATEWAY_ADDRESS = "127.0.0.1:8080"
TLS_GATEWAY_ADDRESS = "127.0.0.1:8443"  # the docs' `smsbridge serve --tls-self-signed --port 8443`
PRINTED_CERT = "/path/printed/by/serve/cert.pem"
BASE_BACKENDS = "\nbackends:\n  local: {plugin: sandbox}\n  primary: {plugin: sandbox}\n"


@dataclass
class Snippet:
    path: Path
    line: int  # the fence line, 1-based
    lang: str
    text: str
    marker: str | None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def snippets(path: Path) -> Iterator[Snippet]:
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang, start = len(m.group("indent")), m.group("lang").lower(), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not re.match(r"^ *```\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1
        prev = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.search(prev)
        yield Snippet(path, start + 1, lang, "\n".join(body) + "\n", marker.group("kind") if marker else None)


ALL = [s for p in doc_files() for s in snippets(p)]
YAML_SNIPPETS = [s for s in ALL if s.lang in ("yaml", "yml")]
PYTHON_SNIPPETS = [s for s in ALL if s.lang in ("python", "py")]


def dummy_env(text: str) -> dict[str, str]:
    """A dummy value for every ``${VAR}`` without a fallback; variables with one stay unset."""
    env = dict(os.environ)
    for name, fallback in VAR.findall(text):
        if fallback:
            env.pop(name, None)
        else:
            env[name] = f"dummy-{name.lower()}"
    return env


@pytest.fixture
def snippet_env(monkeypatch: pytest.MonkeyPatch) -> Any:
    def apply(text: str) -> None:
        for name, fallback in VAR.findall(text):
            if fallback:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, f"dummy-{name.lower()}")
    return apply


def test_snippets_found() -> None:
    assert len(YAML_SNIPPETS) >= 20 and len(PYTHON_SNIPPETS) >= 15


def test_partial_blocks_are_few() -> None:
    partial = [s.id for s in YAML_SNIPPETS + PYTHON_SNIPPETS if s.marker == "partial"]
    assert len(partial) <= max(4, len(YAML_SNIPPETS + PYTHON_SNIPPETS) // 8), partial


@pytest.mark.parametrize("snippet", YAML_SNIPPETS, ids=lambda s: s.id)
def test_yaml_snippet(snippet: Snippet, tmp_path: Path, snippet_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from smsbridge import Bridge

    yaml.safe_load(snippet.text)  # every YAML block parses, partial or not
    if snippet.marker == "partial":
        return
    snippet_env(snippet.text)
    text = snippet.text
    data = yaml.safe_load(text)
    if isinstance(data, dict) and data and all(isinstance(v, dict) and "plugin" in v for v in data.values()):
        # a fragment of backend entries (``primary: {plugin: …}``): the ``backends:`` it belongs under
        text = "backends:\n" + "".join(f"  {line}\n" for line in text.splitlines())
    elif isinstance(data, dict) and "backends" not in data:
        text += BASE_BACKENDS
    config = tmp_path / "smsbridge.yaml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with Bridge.from_config(config) as bridge:
        assert bridge.backends()


def _page_gateway(path: Path) -> dict[str, Any]:
    """The ``gateway:`` blocks of a page, merged, over sandbox backends."""
    clients: dict[str, Any] = {}
    gateway: dict[str, Any] = {}
    for s in snippets(path):
        if s.lang not in ("yaml", "yml") or "gateway:" not in s.text:
            continue
        for name, fallback in VAR.findall(s.text):
            if not fallback:
                os.environ.setdefault(name, f"dummy-{name.lower()}")
        data = yaml.safe_load(s.text) or {}
        for name, client in ((data.get("gateway") or {}).get("clients") or {}).items():
            clients.setdefault(name, {}).update(client)
        gateway.update({k: v for k, v in (data.get("gateway") or {}).items() if k != "clients"})
    gateway["clients"] = clients
    return gateway


@pytest.mark.parametrize("snippet", PYTHON_SNIPPETS, ids=lambda s: s.id)
def test_python_snippet(snippet: Snippet, tmp_path: Path, gateway: Any) -> None:
    code = compile(snippet.text, snippet.id, "exec")  # every Python block compiles, partial or not
    assert code
    if snippet.marker == "partial":
        return
    text = snippet.text
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.example.yaml")
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "smsbridge.yaml")
    env = dummy_env(text)
    # A page that writes out a package (docs/plugins.md's smsbridge-acme): its snippets may
    # import it, as a reader who created those files would.
    roots = doc_packages.build(snippet.path, tmp_path / "packages")
    if roots:
        env["PYTHONPATH"] = os.pathsep.join([*map(str, roots), *filter(None, [env.get("PYTHONPATH")])])
    env["SMSBRIDGE_CONFIG"] = str(tmp_path / "smsbridge.yaml")
    env.pop("TWILIO_REGION", None)
    env.pop("TWILIO_EDGE", None)
    tls = TLS_GATEWAY_ADDRESS in text
    if GATEWAY_ADDRESS in text or tls:
        saved = dict(os.environ)
        try:
            config = {"default": "local", "store": str(tmp_path / "gateway-journal.sqlite3"),
                      "backends": {name: {"plugin": "sandbox", "path": str(tmp_path / f"{name}.sqlite3")}
                                   for name in ("local", "primary")},
                      "gateway": _page_gateway(snippet.path)}
            server = gateway(config, tls="self-signed" if tls else None)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        text = text.replace(TLS_GATEWAY_ADDRESS if tls else GATEWAY_ADDRESS, f"{server.host}:{server.port}")
        if tls:
            text = text.replace(PRINTED_CERT, server.cafile)
    result = subprocess.run([sys.executable, "-c", text], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, f"{snippet.id} failed:\n{result.stderr[-3000:]}"


def test_config_example_commented_gateway_block_works_uncommented(tmp_path: Path, snippet_env: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """config.example.yaml's commented ``gateway:`` block is meant to be uncommented."""
    from smsbridge import Bridge

    lines = (ROOT / "config.example.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# gateway:"))
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    assert len(block) >= 4
    text = "\n".join(lines[:start] + block) + "\n"
    snippet_env(text)
    (tmp_path / "smsbridge.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with Bridge.from_config(tmp_path / "smsbridge.yaml") as bridge:  # validates the gateway section too
        assert set(bridge.config.gateway["clients"]["shop"]) == {"backend", "twilio", "simplesms"}
