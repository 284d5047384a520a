"""The plugin manager: entry points in, registries of backends and shims out.

Every plugin, built-in or third-party, arrives through the ``smsbridge`` entry-point group
(``importlib.metadata``), so the path our own plugins take from an installed wheel is the
one every third-party package takes.  A plugin that fails to import is recorded as broken
(``smsbridge backends`` shows why) instead of breaking every other plugin.

Registrations are ``"module:attr"`` strings or objects; strings are imported on first use,
which keeps ``import smsbridge`` and plugin discovery free of requests, zeep and starlette.
"""
from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from . import hookspecs, validation
from .errors import ConfigError

__all__ = ["PluginInfo", "Registration", "Registry", "manager", "registry", "register", "unregister",
           "resolve"]

log = logging.getLogger("smsbridge.plugins")


@dataclass
class PluginInfo:
    """An installed plugin: its entry-point name, the distribution it came from, or why it broke."""

    name: str
    package: str | None = None
    version: str | None = None
    error: str | None = None
    backends: list[str] = field(default_factory=list)
    sdk_shims: list[str] = field(default_factory=list)
    http_shims: list[str] = field(default_factory=list)


@dataclass
class Registration:
    """One registered backend / SDK shim / HTTP shim, and the plugin that registered it."""

    name: str
    target: Any
    plugin: str
    extra: dict[str, Any] = field(default_factory=dict)

    def load(self) -> Any:
        """The registered object, importing ``"module:attr"`` strings on first use."""
        if isinstance(self.target, str):
            self.target = resolve(self.target)
        return self.target


class Registry:
    """What the loaded plugins registered, keyed by public name."""

    def __init__(self, pm: pluggy.PluginManager, plugins: dict[str, PluginInfo]) -> None:
        self.plugins = plugins
        self.backends: dict[str, Registration] = {}
        self.sdk_shims: dict[str, Registration] = {}
        self.http_shims: dict[str, Registration] = {}
        self._collect(pm)

    def _collect(self, pm: pluggy.PluginManager) -> None:
        # Each plugin gets a register callback bound to its own name (so clashes name both
        # plugins); pluggy still makes every call (argument subsets, hookimpl options).
        for kind, table in (("backends", self.backends), ("sdk_shims", self.sdk_shims),
                            ("http_shims", self.http_shims)):
            for plugin_name, call in each_impl(f"smsbridge_{kind}", pm):
                call(register=self._registrar(plugin_name, kind, table))

    def _registrar(self, plugin: str, kind: str, table: dict[str, Registration]) -> Callable[..., None]:
        def register(name: str, target: Any, **extra: Any) -> None:
            if not isinstance(name, str) or not name:
                raise ConfigError(f"plugin {plugin!r} registered a {kind[:-1]} without a name")
            if name in table and table[name].plugin != plugin:
                raise ConfigError(f"{kind[:-1].replace('_', ' ')} {name!r} is registered by both "
                                  f"{table[name].plugin!r} and {plugin!r}")
            table[name] = Registration(name, target, plugin, extra)
            info = self.plugins.setdefault(plugin, PluginInfo(plugin))
            getattr(info, kind).append(name)
        return register

    def backend_class(self, plugin_name: str, *, path: str | None = None,
                      where: validation.ErrorSource | None = None) -> Any:
        """The backend class registered as ``plugin_name``; ConfigError naming the choices.

        ``where`` (the :class:`~smsbridge.config.Config`) adds the file and line to the error."""
        reg = self.backends.get(plugin_name)
        if reg is None:
            known = sorted(self.backends)
            raise validation.fail(where, path or "", f"unknown plugin {plugin_name!r}"
                                  f"{validation.suggest(plugin_name, known)}; installed: {', '.join(known) or 'none'}")
        try:
            return reg.load()
        except Exception as exc:  # an installed plugin whose backend cannot be imported
            raise validation.fail(where, path or "", f"plugin {plugin_name!r} (from {reg.plugin}) failed to load: "
                                                     f"{type(exc).__name__}: {exc}") from None


_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None
_plugins: dict[str, PluginInfo] = {}
_registry: Registry | None = None


def manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loading entry points on first call.

    Raises :class:`ConfigError` when two installed distributions claim one entry-point
    name (one would silently replace the other's backends, faces and shims)."""
    global _manager
    with _lock:
        if _manager is None:
            pm = pluggy.PluginManager("smsbridge")
            pm.add_hookspecs(hookspecs)
            _load_entry_points(pm)
            _manager = pm
        return _manager


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    from importlib.metadata import entry_points

    chosen: dict[str, Any] = {}
    for ep in entry_points(group="smsbridge"):
        earlier = chosen.get(ep.name)
        if earlier is None:
            chosen[ep.name] = ep
        elif _dist_name(earlier) != _dist_name(ep) or earlier.value != ep.value:
            raise ConfigError(f"the smsbridge plugin name {ep.name!r} is claimed by two installed distributions: "
                              f"{_describe_dist(earlier)} and {_describe_dist(ep)}; uninstall one of them")
        # else: the same distribution visible twice on sys.path
    for name, ep in chosen.items():
        dist = getattr(ep, "dist", None)
        info = PluginInfo(name, package=getattr(dist, "name", None), version=getattr(dist, "version", None))
        _plugins[name] = info
        try:
            pm.register(ep.load(), name=name)
        except Exception as exc:
            info.error = f"{type(exc).__name__}: {exc}"
            log.warning("smsbridge plugin %r failed to load: %s", name, info.error)
    for name, problem in _pending(pm).items():  # pluggy's check_pending, one plugin at a time
        _plugins[name].error = problem
        log.warning("smsbridge plugin %r failed to load: %s", name, problem)
        pm.unregister(name=name)
    pm.check_pending()


def _dist_name(ep: Any) -> str | None:
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None)
    return str(name).lower().replace("_", "-") if name else None


def _describe_dist(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) or "an unknown distribution"
    version = getattr(dist, "version", None)
    return f"{name}{' ' + version if version else ''} ({ep.value})"


def _pending(pm: pluggy.PluginManager) -> dict[str, str]:
    """Plugins implementing a hook smsbridge does not define (a typo such as
    ``smsbridge_after_sent``), as pluggy's ``check_pending`` finds them: name -> problem."""
    problems: dict[str, str] = {}
    for hook_name in list(vars(pm.hook)):
        if hook_name.startswith("_"):
            continue
        hook = getattr(pm.hook, hook_name)
        if hook.has_spec():
            continue
        for impl in hook.get_hookimpls():
            if not impl.optionalhook:
                known = [n for n in dir(hookspecs) if n.startswith("smsbridge_")]
                problems.setdefault(impl.plugin_name, f"unknown hook {hook_name!r}"
                                                      f"{validation.suggest(hook_name, known)}")
    return problems


_callers: dict[str, list[tuple[str, pluggy.HookCaller]]] = {}
_generation = 0


def generation() -> int:
    """A number that changes whenever the loaded plugins change: what a caller learnt of
    the hooks (e.g. whether every implementation is marked ``never_blocks``) holds for as
    long as it stays the same.  Read without a lock: an int is read whole."""
    return _generation


def each_impl(hook_name: str, pm: pluggy.PluginManager | None = None) -> list[tuple[str, pluggy.HookCaller]]:
    """``(plugin_name, caller)`` for every implementation of ``hook_name``, in pluggy's call
    order; ``caller(**kwargs)`` makes pluggy call that one plugin's implementation (with the
    subset of arguments it accepts) and returns pluggy's list of its non-None results.

    For hooks smsbridge calls one plugin at a time: ``before_send`` passes each plugin's
    result to the next, observers must survive a failing plugin, and registration binds
    ``register`` to the calling plugin.  Cached until plugins change.
    """
    with _lock:
        pm = pm or manager()
        cached = _callers.get(hook_name)
        if cached is None:
            hook = getattr(pm.hook, hook_name)
            # pluggy calls the last registered first; wrappers wrap every plugin's call.
            impls = [i for i in reversed(hook.get_hookimpls()) if not (i.wrapper or i.hookwrapper)]
            everyone = [impl.plugin for impl in impls]
            cached = [(impl.plugin_name,
                       pm.subset_hook_caller(hook_name, [p for p in everyone if p is not impl.plugin]))
                      for impl in impls]
            _callers[hook_name] = cached
        return cached


def registry() -> Registry:
    """The registrations of every loaded plugin (rebuilt after :func:`register`)."""
    global _registry
    with _lock:
        pm = manager()
        if _registry is None:
            _registry = Registry(pm, _plugins)
        return _registry


def register(plugin: object, name: str | None = None) -> str:
    """Register a plugin object in this process (tests, or an application's own hooks).

    Entry points are the normal way; this is for plugins that live in application code.
    Returns the name it was registered under.
    """
    global _registry
    with _lock:
        pm = manager()
        registered = pm.register(plugin, name=name)
        if registered is None:
            raise ConfigError(f"plugin {name or plugin!r} is already registered")
        problem = _pending(pm).get(registered)
        if problem is not None:
            pm.unregister(name=registered)
            raise ConfigError(f"plugin {registered!r}: {problem}")
        _plugins.setdefault(registered, PluginInfo(registered, package="(registered in process)"))
        _reset_registry()
        return registered


def unregister(name: str) -> None:
    """Remove a plugin registered with :func:`register`."""
    with _lock:
        pm = manager()
        pm.unregister(name=name)
        _plugins.pop(name, None)
        _reset_registry()


def _reset_registry() -> None:
    global _registry, _generation
    _callers.clear()
    _generation += 1
    for info in _plugins.values():
        info.backends.clear()
        info.sdk_shims.clear()
        info.http_shims.clear()
    _registry = None


def resolve(ref: str) -> Any:
    """Import ``"package.module:attr"`` (or a plain module path)."""
    module_name, _, attr = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module
