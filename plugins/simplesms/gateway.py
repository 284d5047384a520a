"""The gateway's simpleSMS faces: REST (``/rest/SMSapi/*``) and SOAP (``/sms.wsdl``, ``/soap``)."""
from __future__ import annotations

from typing import Any


def routes(gateway: Any) -> list[Any]:
    from .gateway_rest import routes as rest_routes

    found = list(rest_routes(gateway))
    try:
        from .gateway_soap import routes as soap_routes
    except ImportError:  # the SOAP face is optional while it is being built
        return found
    return found + list(soap_routes(gateway))
