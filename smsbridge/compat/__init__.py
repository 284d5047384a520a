"""``smsbridge.compat.<name>``: SDK shims, served from what plugins register.

The core never names a provider (docs/architecture.md): ``from smsbridge.compat.twilio import Client``
works because a plugin registered ``"twilio"`` through the ``smsbridge_sdk_shims`` hook,
and the import finder below resolves ``smsbridge.compat.twilio`` to that plugin's module
(the very same module object, so ``isinstance`` checks and ``install()`` agree).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["available"]

_PREFIX = __name__ + "."


def available() -> list[str]:
    """The shim names installed plugins provide."""
    from .. import plugins

    return sorted(plugins.registry().sdk_shims)


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """The target module is already executed by its own import."""


class _ShimFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_PREFIX) or "." in fullname[len(_PREFIX):]:
            return None
        from .. import plugins

        reg = plugins.registry().sdk_shims.get(fullname[len(_PREFIX):])
        if reg is None:
            return None
        target_name = reg.target if isinstance(reg.target, str) else reg.target.__name__
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(target_name.partition(":")[0]))


if not any(isinstance(f, _ShimFinder) for f in sys.meta_path):
    sys.meta_path.append(_ShimFinder())
