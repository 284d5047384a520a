"""Test helpers for smsbridge plugins, installed with smsbridge (docs/plugins.md, "Testing a plugin").

- :func:`fake_backend` / :class:`FakeProvider`: a backend plugin whose provider is an
  in-process fake that counts what reached it — for testing hooks, shims and faces
  against the real core.
- :func:`registered`: register a plugin (or a few hooks given as keywords) for one
  ``with`` block, through the same checks as an installed plugin.
- :class:`FaultServer`: a real local HTTP server with one switchable fault on the send
  (refused, 503, 429, 500, hang, reset, TLS corruption, trickle, huge, garbage).
- :func:`check_backend`: a backend through every fault, with a :class:`FaultReport` of what
  it raised against what the error rules require.

Nothing here is imported by smsbridge itself; importing it loads no provider code.
"""
from __future__ import annotations

from .check import FaultReport, FaultResult, check_backend
from .fake import FakeBackend, FakeProvider, fake_backend
from .faults import ACCEPTING_FAULTS, EXPECTED, FAULTS, REFUSING_FAULTS, Expectation, FaultServer
from .plugin import hooks_plugin, registered

__all__ = ["FakeBackend", "FakeProvider", "fake_backend", "registered", "hooks_plugin", "FaultServer",
           "FAULTS", "ACCEPTING_FAULTS", "REFUSING_FAULTS", "EXPECTED", "Expectation", "check_backend",
           "FaultReport", "FaultResult"]
