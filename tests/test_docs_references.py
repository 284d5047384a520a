"""Docs a user can act on (issue 16): README.md and docs/ point only at files that are in
the repository — no project-internal specs, style guides or research notes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
OUTSIDE = re.compile(r"SPEC\b|STYLE\.md|shared/providers\.md|\bproviders\.md §")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PATH = re.compile(r"`((?:\.?[\w.-]+/)+[\w.-]+\.(?:md|py|yaml|toml|sh|pyi|wsdl|xsd|php))`")
EXAMPLES = ("smsbridge-acme/", "smsbridge_acme/")  # docs/plugins.md's example package, not ours


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_references_outside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    found = [f"line {text[:m.start()].count(chr(10)) + 1}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert not found, found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_linked_and_named_files_exist(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing = []
    for m in LINK.finditer(text):
        target = m.group(1)
        if re.match(r"[a-z]+:", target):
            continue
        if not (doc.parent / target).exists():
            missing.append(target)
    for m in PATH.finditer(text):
        target = m.group(1)
        if target.startswith(EXAMPLES) or target.startswith("./") or "<" in target:  # ./x: the user's own
            continue
        if not ((ROOT / target).exists() or (doc.parent / target).exists()):
            missing.append(target)
    assert not missing, missing


def test_license_and_changelog_exist() -> None:
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License") and "Permission is hereby granted" in license_text
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog") and "## [Unreleased]" in changelog
