"""Infobip plugin: backend ``infobip`` (SMS API v3) and a gateway face serving
``/sms/3/messages`` and the deprecated ``/sms/2/text/advanced`` (+ reports, logs, balance).

Hookimpls only, registered by ``"module:attr"`` strings (cheap to import).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smsbridge.backend import Option
from smsbridge.hookspecs import hookimpl


@hookimpl
def smsbridge_backends(register: Callable[..., Any]) -> None:
    register("infobip", "smsbridge_plugins.infobip.backend:InfobipBackend", description="Infobip SMS API")


@hookimpl
def smsbridge_http_shims(register: Callable[..., Any]) -> None:
    register("infobip", "smsbridge_plugins.infobip.gateway:routes",
             clients={"api_key": Option(str, required=True, secret=True,
                                        help="the caller's 'Authorization: App …' key")})


@hookimpl
def smsbridge_webhooks(register):
    register("infobip", "smsbridge_plugins.infobip.webhooks")
