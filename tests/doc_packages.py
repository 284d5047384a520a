"""Packages written out in a doc page, file by file, rebuilt from the page's own text.

docs/plugins.md gives a plugin package whole: each file is a fenced block whose nearest
preceding paragraph starts with the file's path in backticks (`` `smsbridge-acme/pyproject.toml`: ``).
:func:`files` finds them; :func:`build` writes them under a folder and returns each
project's root (the folder holding its ``pyproject.toml``), ready for ``pip install`` or
``PYTHONPATH``.  Used by tests/test_docs_snippets.py (so a page's snippets can import the
package it defines) and tests/test_plugin_kit.py (which installs it).
"""
from __future__ import annotations

import re
from pathlib import Path

FENCE = re.compile(r"^```(?P<lang>[A-Za-z0-9_+-]*)\s*$")
LABEL = re.compile(r"^`(?P<path>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+\.(?:py|toml|cfg|txt|md))`")


def files(page: Path) -> dict[str, str]:
    """``relative path -> text`` for every file-labelled fenced block of ``page``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: dict[str, str] = {}
    i = 0
    while i < len(lines):
        if not FENCE.match(lines[i]):
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and not re.match(r"^```\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        i += 1
        # the paragraph right before the fence, from its first line
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        while j > 0 and lines[j - 1].strip():
            j -= 1
        label = LABEL.match(lines[j]) if j >= 0 else None
        if label:
            found[label.group("path")] = "\n".join(body) + "\n"
    return found


def build(page: Path, dest: Path) -> list[Path]:
    """Write ``page``'s files under ``dest``; the roots of the projects among them."""
    written = files(page)
    for relative, text in written.items():
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return sorted({(dest / r).parent for r in written if r.endswith("pyproject.toml")})
