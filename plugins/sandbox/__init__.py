"""The sandbox plugin: an embedded simulated SMS provider on SQLite (the default backend).

Registered like any third-party plugin, through the ``smsbridge`` entry-point group.
"""
from smsbridge.hookspecs import hookimpl


@hookimpl
def smsbridge_backends(register):
    register("sandbox", "smsbridge_plugins.sandbox.backend:SandboxBackend",
             description="embedded simulated provider (SQLite): no account, no network")
