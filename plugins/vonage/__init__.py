"""The vonage plugin: backend, SDK shim and gateway face for the Vonage (Nexmo) SMS API.

Hook implementations only; everything is registered by ``"module:attr"`` string, so
loading this plugin imports neither requests nor starlette (STYLE.md §10).
See docs/providers/vonage.md.
"""
from smsbridge.backend import Option
from smsbridge.hookspecs import hookimpl


@hookimpl
def smsbridge_backends(register):
    register("vonage", "smsbridge_plugins.vonage.backend:VonageBackend",
             description="Vonage (Nexmo) SMS API (or an smsbridge gateway's vonage face)")


@hookimpl
def smsbridge_sdk_shims(register):
    register("vonage", "smsbridge_plugins.vonage.sdk")


@hookimpl
def smsbridge_http_shims(register):
    register("vonage", "smsbridge_plugins.vonage.gateway:routes", clients={
        "api_key": Option(str, required=True, help="the client's API key"),
        "api_secret": Option(str, required=True, secret=True, help="its API secret"),
        "signature_secret": Option(str, secret=True,
                                   help="accept signed requests (sig) and sign delivery receipts with it"),
        "signature_method": Option(str, default="md5",
                                   help="how delivery receipts are signed: md5, sha1, sha256, sha512 or md5hash"),
        "dlr_method": Option(str, default="POST",
                             help="how delivery receipts are sent: GET, POST (form) or POST-JSON"),
    })


@hookimpl
def smsbridge_webhooks(register):
    register("vonage", "smsbridge_plugins.vonage.webhooks")
