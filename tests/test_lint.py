"""Type and lint checks are tests (issue 17): a finding fails the suite, and so `.ci/run`.

- mypy, strict for the core (``smsbridge``), default strictness for the built-in plugins
  (``smsbridge_plugins``, whose wire modules juggle untyped provider JSON), with the
  settings in pyproject.toml.  The source tree is checked (not an installed copy): a
  scratch folder maps ``smsbridge_plugins`` onto ``plugins/`` as the wheel does.
- ruff with the rule set chosen in pyproject.toml: pyflakes, pycodestyle errors and
  warnings, bugbear, pyupgrade and import order.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{name} is required under CI=true (it is in the test extra)")
        pytest.skip(f"{name} is not installed (pip install '.[test]')")
    return found


@pytest.fixture(scope="module")
def mypy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mypy")
    (root / "smsbridge").symlink_to(REPO / "smsbridge")
    (root / "smsbridge_plugins").symlink_to(REPO / "plugins")
    return root


def _mypy(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": str(root)}
    return subprocess.run([_tool("mypy"), "--config-file", str(REPO / "pyproject.toml"), "--no-incremental",
                           *args], cwd=root, env=env, capture_output=True, text=True, timeout=900)


def test_the_core_is_strictly_typed(mypy_root: Path) -> None:
    result = _mypy(mypy_root, "--strict", "-p", "smsbridge")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_plugins_type_check(mypy_root: Path) -> None:
    result = _mypy(mypy_root, "-p", "smsbridge_plugins")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing() -> None:
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "smsbridge", "plugins", "tests", "benchmarks"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
