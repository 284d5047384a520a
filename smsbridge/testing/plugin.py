"""Register a plugin for one test, the way an installed one is registered.

:func:`registered` goes through :func:`smsbridge.plugins.register`, so the plugin meets the
same checks an entry-point plugin meets (an unknown hook name is a ``ConfigError``, a
backend name clash names both plugins), and the registry of backends, shims and faces is
rebuilt on the way in and on the way out: a Bridge built inside the block sees the plugin,
one built after it does not.

Hooks can be given as keyword arguments instead of a plugin object::

    with registered(smsbridge_after_send=lambda receipt: seen.append(receipt)):
        bridge.send(...)

Each function is marked as a hook implementation; pluggy passes it the arguments it names
(any subset of the hook's).
"""
from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["registered", "hooks_plugin"]


class _Hooks:
    """A plugin object (pluggy needs plugins hashable: a ``SimpleNamespace`` is not)."""

    def __repr__(self) -> str:
        return f"<hooks {', '.join(sorted(vars(self)))}>"


def hooks_plugin(**hooks: Callable[..., Any]) -> object:
    """A plugin object implementing the given hooks (``smsbridge_<hook>=function``)."""
    from ..hookspecs import hookimpl

    plugin = _Hooks()
    for hook_name, function in hooks.items():
        if not hook_name.startswith("smsbridge_"):
            raise TypeError(f"{hook_name!r} is not a smsbridge hook name (they start with 'smsbridge_')")
        setattr(plugin, hook_name, hookimpl(_own_function(function)))
    return plugin


def _own_function(function: Callable[..., Any]) -> Callable[..., Any]:
    """A copy pluggy may mark (marking a shared function, e.g. a module's, would leak)."""
    if isinstance(function, types.FunctionType):
        copy = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                                  function.__defaults__, function.__closure__)
        copy.__kwdefaults__ = function.__kwdefaults__
        return copy
    return function


@contextmanager
def registered(plugin: object | None = None, *, name: str | None = None,
               **hooks: Callable[..., Any]) -> Iterator[str]:
    """Register ``plugin`` (a module or object with ``@hookimpl`` functions), or the
    ``hooks`` given as keywords, for the ``with`` block; yields the name it was registered
    under and unregisters it afterwards, even when the block raises."""
    from .. import plugins

    if plugin is None:
        if not hooks:
            raise TypeError("registered() needs a plugin or hooks as keyword arguments")
        plugin = hooks_plugin(**hooks)
    elif hooks:
        raise TypeError("registered() takes a plugin or hooks as keyword arguments, not both")
    registered_name = plugins.register(plugin, name=name)
    try:
        yield registered_name
    finally:
        plugins.unregister(registered_name)
