"""MessageBird plugin: backend ``messagebird``, SDK shim ``smsbridge.compat.messagebird``,
gateway face at ``/messages`` and ``/balance``.

Hookimpls only: everything is registered by ``"module:attr"`` string, so loading the
entry point imports neither requests nor starlette (STYLE.md §10).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smsbridge.backend import Option
from smsbridge.hookspecs import hookimpl


@hookimpl
def smsbridge_backends(register: Callable[..., Any]) -> None:
    register("messagebird", "smsbridge_plugins.messagebird.backend:MessageBirdBackend",
             description="MessageBird legacy SMS REST API (rest.messagebird.com)")


@hookimpl
def smsbridge_sdk_shims(register: Callable[..., Any]) -> None:
    register("messagebird", "smsbridge_plugins.messagebird.sdk")


@hookimpl
def smsbridge_http_shims(register: Callable[..., Any]) -> None:
    register("messagebird", "smsbridge_plugins.messagebird.gateway:routes",
             clients={"access_key": Option(str, required=True, secret=True,
                                           help="the key the caller sends as 'Authorization: AccessKey …'"),
                      "signing_key": Option(str, secret=True,
                                            help="signs inbound SMS forwarded to it (MessageBird-Signature-JWT)")})


@hookimpl
def smsbridge_webhooks(register: Callable[..., Any]) -> None:
    register("messagebird", "smsbridge_plugins.messagebird.webhooks")
