"""simpleSMS (Hungary): REST and SOAP backends, and the gateway's simpleSMS faces.

Both APIs share one wire module (``wire.py``: reply flags, error codes, status words,
number splitting), so what the backends send and what the gateway faces read is
defined once.  Import-cheap: everything is registered as ``"module:attr"`` strings.
"""
from smsbridge.backend import Option
from smsbridge.hookspecs import hookimpl


@hookimpl
def smsbridge_backends(register):
    register("simplesms-rest", "smsbridge_plugins.simplesms.rest:RestBackend",
             description="simpleSMS REST API (requests)")
    register("simplesms-soap", "smsbridge_plugins.simplesms.soap:SoapBackend",
             description="simpleSMS SOAP API (zeep)")


@hookimpl
def smsbridge_http_shims(register):
    # One face name for both APIs: a client's `simplesms:` credentials work on either.
    register("simplesms", "smsbridge_plugins.simplesms.gateway:routes",
             clients={"username": Option(str, required=True), "password": Option(str, required=True, secret=True),
                      "domain": Option(str, required=True)})
