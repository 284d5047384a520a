"""Every YAML and Python snippet in docs/webhooks.md works: each YAML block is a config
that loads (backends and gateway clients validated), each Python block runs."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from smsbridge import Bridge
from smsbridge.gateway.clients import check_clients

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
BLOCKS = re.findall(r"```(yaml|python)\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_doc_has_snippets() -> None:
    assert {kind for kind, _ in BLOCKS} == {"yaml", "python"}


@pytest.mark.parametrize("text", [t for k, t in BLOCKS if k == "yaml"])
def test_yaml_snippet_is_a_valid_config(text: str, tmp_path: Any) -> None:
    data = yaml.safe_load(text)
    data.setdefault("store", str(tmp_path / "journal.sqlite3"))
    with Bridge.from_dict(data) as bridge:
        check_clients(bridge.config)


@pytest.mark.parametrize("text", [t for k, t in BLOCKS if k == "python"])
def test_python_snippet_runs(text: str) -> None:
    exec(compile(text, str(DOC), "exec"), {})
