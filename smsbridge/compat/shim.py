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

import importlib.machinery
import importlib.util
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

__all__ = ["BridgeCache", "bridge_attribute", "ModuleAliases", "overlay", "real_sdk_installed", "real_spec"]


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


_MISSING = object()


def real_spec(name: str) -> importlib.machinery.ModuleSpec | None:
    """The installed SDK's spec for ``name`` (None when it is not installed).

    Nothing is imported: a submodule is looked up in its parent's folder.
    """
    parent, _, child = name.rpartition(".")
    try:
        if not parent:
            return importlib.util.find_spec(name)
        # Not find_spec(name): that would import (and run) the real parent package.
        parent_spec = real_spec(parent)
        if parent_spec is None or parent_spec.submodule_search_locations is None:
            return None
        return importlib.machinery.PathFinder.find_spec(child, list(parent_spec.submodule_search_locations))
    except (ImportError, ValueError):
        return None


def real_sdk_installed(name: str) -> bool:
    """Whether the provider's own SDK package ``name`` is importable (and not a stand-in)."""
    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__smsbridge_stand_in__", False) is False and getattr(module, "__spec__", None) \
            is not None
    return real_spec(name) is not None


def overlay(name: str, real: ModuleType, shim: ModuleType, names: Iterable[str]) -> ModuleType:
    """A module ``name`` holding everything of ``real``, with ``names`` taken from ``shim``.

    For a module an application imports both shimmed and unshimmed names from (e.g.
    ``twilio.base.exceptions``: the shim's ``TwilioRestException``, the SDK's others).
    """
    module = ModuleType(name, real.__doc__)
    module.__dict__.update({k: v for k, v in vars(real).items() if k not in ("__name__", "__doc__")})
    for attr in names:
        setattr(module, attr, getattr(shim, attr))
    vars(module)["__smsbridge_stand_in__"] = True
    return module


class ModuleAliases:
    """The ``sys.modules`` entries a shim's ``install()`` sets, and what they replaced.

    ``stand_ins`` builds ``{import name: module}`` (the shim itself, or small package
    modules pointing at it); it runs on each install.  Only those names are served by
    the shim: every other module of the provider's SDK imports from the real installed
    package.  So where the real SDK has a package of a stand-in's name (``twilio.rest``,
    ``vonage_sms``), the stand-in is served as a view with the real package's
    ``__path__`` and its unshimmed submodules (``vonage_sms.requests``) still import;
    and each stand-in is also set as its parent package's attribute (``import
    twilio.rest`` then ``twilio.rest.Client`` works when ``twilio`` is the real package).

    Installing twice is a no-op; uninstalling restores every name and attribute as it
    was (absent names are removed again), so the real SDK, if any, imports again.
    """

    def __init__(self, stand_ins: Callable[[], Mapping[str, ModuleType]]) -> None:
        self._stand_ins = stand_ins
        self._saved: dict[str, ModuleType | None] | None = None
        self._saved_attrs: list[tuple[ModuleType, str, Any]] = []

    @property
    def installed(self) -> bool:
        return self._saved is not None

    def install(self) -> None:
        if self._saved is not None:
            return
        modules = dict(self._stand_ins())
        for name, module in list(modules.items()):
            spec = real_spec(name) if name not in sys.modules or not getattr(
                sys.modules[name], "__smsbridge_stand_in__", False) else None
            if spec is not None and spec.submodule_search_locations is not None \
                    and getattr(module, "__path__", None) in (None, []):
                modules[name] = self._package_view(name, module, spec)
        self._saved = {name: sys.modules.get(name) for name in modules}
        sys.modules.update(modules)
        self._saved_attrs = []
        for name, module in modules.items():
            parent_name, _, child = name.rpartition(".")
            parent = sys.modules.get(parent_name) if parent_name else None
            if parent is not None:
                self._saved_attrs.append((parent, child, getattr(parent, child, _MISSING)))
                setattr(parent, child, module)

    @staticmethod
    def _package_view(name: str, module: ModuleType, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """``module``'s names, as package ``name`` of the real SDK: its submodules import
        from the real folder, and a name only the real ``__init__`` defines (``plivo.plivoxml``)
        is looked up there, the real ``__init__`` being run on first such use."""
        view = ModuleType(name, module.__doc__)
        view.__dict__.update({k: v for k, v in vars(module).items()
                              if k not in ("__name__", "__doc__", "__path__", "__spec__", "__loader__",
                                           "__package__", "__getattr__")})
        path = list(spec.submodule_search_locations or [])
        view.__path__ = path
        view.__package__ = name
        vars(view)["__smsbridge_stand_in__"] = True
        for loaded, sub in list(sys.modules.items()):  # submodules the app imported before install()
            if loaded.startswith(name + ".") and "." not in loaded[len(name) + 1:]:
                setattr(view, loaded[len(name) + 1:], sub)
        real: list[ModuleType] = []

        def __getattr__(attr: str) -> Any:
            if attr.startswith("__") or spec.origin is None:
                raise AttributeError(attr)
            if not real:
                shadow_spec = importlib.util.spec_from_file_location(
                    name, spec.origin, submodule_search_locations=path)
                if shadow_spec is None or shadow_spec.loader is None:
                    raise AttributeError(attr)
                shadow = importlib.util.module_from_spec(shadow_spec)
                real.append(shadow)
                try:
                    shadow_spec.loader.exec_module(shadow)
                except Exception as exc:
                    raise AttributeError(f"module {name!r} has no attribute {attr!r} ({exc})") from None
            try:
                return getattr(real[0], attr)
            except AttributeError:
                raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

        vars(view)["__getattr__"] = __getattr__  # PEP 562: a module-level __getattr__
        return view

    def uninstall(self) -> None:
        if self._saved is None:
            return
        for parent, child, old in reversed(self._saved_attrs):
            if old is _MISSING:
                try:
                    delattr(parent, child)
                except AttributeError:
                    pass
            else:
                setattr(parent, child, old)
        self._saved_attrs = []
        for name, module in self._saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        self._saved = None
