"""What every SDK shim needs besides its provider's surface: a Bridge, and ``install()``.

An SDK shim (``smsbridge.compat.<name>``) is a drop-in for a provider's Python SDK, so
its client classes take the SDK's arguments, not a Bridge.  They find one the same way
in every shim: ``bridge=`` when the caller gives it, else ``Bridge.from_config()``
(``$SMSBRIDGE_CONFIG``, else ``./smsbridge.yaml``), built once per process and config
file and shared by every client of that shim (:class:`BridgeCache`,
:class:`bridge_attribute`).

``install()`` makes the SDK's own import names resolve to the shim, the way PyMySQL's
``install_as_MySQLdb()`` does, and ``uninstall()`` puts back whatever ``sys.modules``
held before (:class:`ModuleAliases`).  Each shim says which names and stand-in modules;
the bookkeeping is here.
"""
from __future__ import annotations

import os
import sys
import threading
from types import ModuleType
from typing import Any, Callable, Mapping

__all__ = ["BridgeCache", "bridge_attribute", "ModuleAliases"]


class BridgeCache(dict):  # type: ignore[type-arg]
    """Config file path -> the shim's Bridge for it: one per process and config file.

    A plain dict otherwise, so tests can close and clear what a shim built.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def default(self) -> Any:
        """The Bridge of ``$SMSBRIDGE_CONFIG`` (else ``./smsbridge.yaml``), built on first use."""
        from smsbridge import Bridge

        key = os.path.abspath(os.environ.get("SMSBRIDGE_CONFIG") or "smsbridge.yaml")
        with self._lock:
            bridge = self.get(key)
            if bridge is None:
                bridge = self[key] = Bridge.from_config()
            return bridge


class bridge_attribute:
    """A client's ``bridge``: the one given as ``bridge=`` (kept in ``_bridge``), else the
    cache's default, looked up on first use so that constructing a client stays cheap."""

    def __init__(self, cache: BridgeCache) -> None:
        self.cache = cache

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        if obj._bridge is None:
            obj._bridge = self.cache.default()
        return obj._bridge

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError("bridge is read-only: pass bridge= to the constructor")


class ModuleAliases:
    """The ``sys.modules`` entries a shim's ``install()`` sets, and what they replaced.

    ``stand_ins`` builds ``{import name: module}`` (the shim itself, or small package
    modules pointing at it); it runs on each install.  Installing twice is a no-op;
    uninstalling restores every name as it was (absent names are removed again), so the
    real SDK, if any, imports again.
    """

    def __init__(self, stand_ins: Callable[[], Mapping[str, ModuleType]]) -> None:
        self._stand_ins = stand_ins
        self._saved: dict[str, ModuleType | None] | None = None

    @property
    def installed(self) -> bool:
        return self._saved is not None

    def install(self) -> None:
        if self._saved is not None:
            return
        modules = dict(self._stand_ins())
        self._saved = {name: sys.modules.get(name) for name in modules}
        sys.modules.update(modules)

    def uninstall(self) -> None:
        if self._saved is None:
            return
        for name, module in self._saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        self._saved = None
