"""The twilio plugin: backend, SDK shim and gateway face for Twilio Programmable Messaging.

Hook implementations only; everything is registered by ``"module:attr"`` string, so
loading this plugin imports neither requests nor starlette (STYLE.md §10).
See docs/providers/twilio.md.
"""
from smsbridge.backend import Option
from smsbridge.hookspecs import hookimpl


@hookimpl
def smsbridge_backends(register):
    register("twilio", "smsbridge_plugins.twilio.backend:TwilioBackend",
             description="Twilio Programmable Messaging (REST API, or an smsbridge gateway's twilio face)")


@hookimpl
def smsbridge_sdk_shims(register):
    register("twilio", "smsbridge_plugins.twilio.sdk")


@hookimpl
def smsbridge_http_shims(register):
    register("twilio", "smsbridge_plugins.twilio.gateway:routes", clients={
        "account_sid": Option(str, required=True, help="the AccountSid the client authenticates with (AC...)"),
        "auth_token": Option(str, required=True, secret=True,
                             help="its auth token; also signs status callbacks (X-Twilio-Signature)"),
    })


@hookimpl
def smsbridge_webhooks(register):
    register("twilio", "smsbridge_plugins.twilio.webhooks")
