"""Sinch plugin: backend ``sinch`` (SMS REST API, service plan + API token) and a gateway
face at ``/xms/v1/{service_plan_id}/batches…``.

Hookimpls only, registered by ``"module:attr"`` strings (cheap to import).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smsbridge.backend import Option
from smsbridge.hookspecs import hookimpl


@hookimpl
def smsbridge_backends(register: Callable[..., Any]) -> None:
    register("sinch", "smsbridge_plugins.sinch.backend:SinchBackend", description="Sinch SMS REST API (XMS)")


@hookimpl
def smsbridge_http_shims(register: Callable[..., Any]) -> None:
    register("sinch", "smsbridge_plugins.sinch.gateway:routes",
             clients={"service_plan_id": Option(str, required=True, help="the plan id in the caller's URL path"),
                      "api_token": Option(str, required=True, secret=True,
                                          help="the caller's 'Authorization: Bearer …' token"),
                      "webhook_secret": Option(str, secret=True,
                                               help="signs MO SMS forwarded to it (X-Sinch-Webhook-Signature)")})


@hookimpl
def smsbridge_webhooks(register):
    register("sinch", "smsbridge_plugins.sinch.webhooks")
