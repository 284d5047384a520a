"""What the tests of the compat shims (smsbridge.compat.<provider>) share; their config
comes from the ``shim_config_file`` fixture (tests/conftest.py).

- ``installed(shim, *modules)``: ``shim.install()`` for the block, ``uninstall()`` after
  it, and then asserts that ``sys.modules`` holds for ``modules`` what it held before;
- ``run_quickstart(code)``: runs a provider's quick-start as a script; returns its stdout.
"""
from __future__ import annotations

import contextlib
import io
import sys
import textwrap
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def installed(shim: Any, *modules: str) -> Iterator[Any]:
    before = {name: sys.modules.get(name) for name in modules}
    shim.install()
    try:
        yield shim
    finally:
        shim.uninstall()
    assert {name: sys.modules.get(name) for name in modules} == before


def run_quickstart(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(textwrap.dedent(code), "<quickstart>", "exec"), {"__name__": "__quickstart__"})
    return out.getvalue()
