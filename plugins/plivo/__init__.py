"""Plivo plugin: backend ``plivo``, SDK shim ``smsbridge.compat.plivo``, gateway face at
``/v1/Account/{auth_id}/Message/`` (and ``/v1/Account/{auth_id}/`` for the balance).

Hookimpls only, registered by ``"module:attr"`` strings (cheap to import).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smsbridge.backend import Option
from smsbridge.hookspecs import hookimpl


@hookimpl
def smsbridge_backends(register: Callable[..., Any]) -> None:
    register("plivo", "smsbridge_plugins.plivo.backend:PlivoBackend", description="Plivo Message API")


@hookimpl
def smsbridge_sdk_shims(register: Callable[..., Any]) -> None:
    register("plivo", "smsbridge_plugins.plivo.sdk")


@hookimpl
def smsbridge_http_shims(register: Callable[..., Any]) -> None:
    register("plivo", "smsbridge_plugins.plivo.gateway:routes",
             clients={"auth_id": Option(str, required=True,
                                        help="MA… or SA… + 18 characters (the Plivo SDK checks the shape)"),
                      "auth_token": Option(str, required=True, secret=True, help="the caller's auth token")})


@hookimpl
def smsbridge_webhooks(register):
    register("plivo", "smsbridge_plugins.plivo.webhooks")
