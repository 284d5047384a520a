"""Config mappings for the provider tests' two Bridges.

- ``face_config``: the gateway's own config: ``sandbox_config`` (its one sandbox backend,
  with options), and the clients a provider face accepts, polled fast so that delivery
  reports and callbacks come within a test's patience;
- ``front_config``: a *front* Bridge whose one backend (``plugin: <provider>``) talks to
  such a gateway, with its own journal.
"""
from __future__ import annotations

import copy
from typing import Any


def face_config(sandbox_config: dict[str, Any], clients: dict[str, Any], **sandbox: Any) -> dict[str, Any]:
    """``clients``: ``gateway.clients``, e.g. ``{"shop": {"twilio": {...credentials}}}``;
    ``sandbox``: options for the sandbox backend (``delivery_delay``, ``credit``, ...)."""
    config = copy.deepcopy(sandbox_config)
    config["backends"]["local"].update(sandbox)
    config["gateway"] = {"poll_interval": 0.05, "clients": clients}
    return config


def front_config(tmp_path: Any, name: str, backend: dict[str, Any]) -> dict[str, Any]:
    return {"default": name, "backends": {name: backend}, "store": str(tmp_path / "front-journal.sqlite3")}
