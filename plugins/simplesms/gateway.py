"""The gateway's simpleSMS faces: REST (``/rest/SMSapi/*``) and SOAP (``/sms.wsdl``, ``/soap``)."""
from __future__ import annotations

from typing import Any


def routes(gateway: Any) -> list[Any]:
    """Both faces' routes (each a :class:`~smsbridge.gateway.provider_face.ProviderFace`)."""
    from .gateway_rest import RestFace
    from .gateway_soap import SoapFace

    return [*RestFace.routes(gateway), *SoapFace.routes(gateway)]
