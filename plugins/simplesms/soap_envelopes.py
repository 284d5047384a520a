"""simpleSMS SOAP envelopes as PHP's SoapServer writes and reads them (SPEC §5): pure, no I/O.

The gateway's SOAP face (:mod:`.gateway_soap`) answers with these bytes and reads its
calls with :func:`parse_call`:

- replies as PHP encodes an ``array``: associative arrays as Apache ``Map``
  (``item``/``key``/``value``), lists as ``SOAP-ENC:Array``, ``null`` as ``xsi:nil``,
  scalars with their ``xsi:type`` — byte for byte the shapes measured against PHP 8.2;
- rpc/encoded calls of the six operations of ``sms.wsdl``, arguments read by part name,
  falling back to their position (PHP's SoapServer does the same);
- hostile XML refused: parsed by lxml with entity resolution, DTD loading and network
  access off, and a document with a DTD refused as a whole ("DTD are not supported by
  SOAP"), so neither XXE nor entity expansion can happen.

Split from :mod:`.gateway_soap`, which re-exports these names.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from .soap_decode import decode

__all__ = ["SOAP_ENV", "SOAP12_ENV", "SERVICE_NS", "OPERATIONS", "SoapFault", "render_response", "render_fault",
           "parse_call"]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
SERVICE_NS = "urn:SMSapi"

#: Operation name -> its parts, in order (sms.wsdl; SPEC §5).
OPERATIONS: dict[str, tuple[str, ...]] = {
    "connect": ("userName", "userPassword", "domainName"),
    "sendSMS": ("strCountryCode", "strAreaCode", "strNumber", "strMessage"),
    "getCreditNumber": (),
    "getMonthlyStat": (),
    "getStatus": ("numSMSID",),
    "getHistory": ("numSMSID",),
}

_XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
# PHP declares these on every reply (ns2 only when a Map occurs; declaring it always is
# equivalent XML, and cheaper than deciding).
_ENVELOPE_OPEN = (
    _XML_HEADER
    + f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_ENV}" xmlns:ns1="{SERVICE_NS}"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
    ' xmlns:ns2="http://xml.apache.org/xml-soap" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"'
    ' SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>'
)
_ENVELOPE_CLOSE = "</SOAP-ENV:Body></SOAP-ENV:Envelope>"

# ---------------------------------------------------------------------------------------
# Rendering replies the way PHP's SoapServer encodes an array


class SoapFault(Exception):
    """A SOAP 1.1 Fault to answer with. ``code`` is ``Client`` or ``Server``."""

    def __init__(self, code: str, string: str, *, status: int = 500) -> None:
        super().__init__(string)
        self.code = code
        self.string = string
        self.status = status


# Characters XML 1.0 cannot carry (and lone surrogates UTF-8 cannot): PHP would emit
# broken XML; we send U+FFFD instead.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _text(value: str) -> str:
    if _INVALID_XML.search(value):
        value = _INVALID_XML.sub("\ufffd", value)
    return value.translate(_ESCAPES)


def _type_of(value: Any) -> str:
    """The ``xsi:type`` PHP gives a value (``xsd:int``, ``ns2:Map``, ...)."""
    if value is None:
        return "xsi:nil"
    if isinstance(value, bool):
        return "xsd:boolean"
    if isinstance(value, int):
        return "xsd:int"  # PHP's choice for every integer, 64-bit ones included
    if isinstance(value, float):
        return "xsd:float"
    if isinstance(value, Decimal):
        return "xsd:int" if value == value.to_integral_value() else "xsd:float"
    if isinstance(value, Mapping):
        return "ns2:Map"
    if isinstance(value, (list, tuple)):
        return "SOAP-ENC:Array"
    return "xsd:string"


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return _text(str(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return str(value.normalize())
    if isinstance(value, datetime):  # PHP services hand dates out as "Y-m-d H:i:s" strings
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return _text(str(value))


def _render(tag: str, value: Any, out: list[str]) -> None:
    """Append ``<tag xsi:type=...>value</tag>`` to ``out``."""
    if value is None:
        out.append(f'<{tag} xsi:nil="true"/>')
        return
    kind = _type_of(value)
    if kind == "ns2:Map":
        out.append(f'<{tag} xsi:type="ns2:Map">')
        for key, item in value.items():
            key_type = "xsd:int" if isinstance(key, int) and not isinstance(key, bool) else "xsd:string"
            out.append(f'<item><key xsi:type="{key_type}">{_text(str(key))}</key>')
            _render("value", item, out)
            out.append("</item>")
        out.append(f"</{tag}>")
    elif kind == "SOAP-ENC:Array":
        types = {_type_of(item) for item in value}
        item_type = types.pop() if len(types) == 1 else "xsd:ur-type"  # empty or mixed, as PHP says
        out.append(f'<{tag} SOAP-ENC:arrayType="{item_type}[{len(value)}]" xsi:type="SOAP-ENC:Array">')
        for item in value:
            _render("item", item, out)
        out.append(f"</{tag}>")
    else:
        out.append(f'<{tag} xsi:type="{kind}">{_scalar_text(value)}</{tag}>')


def render_response(operation: str, value: Any) -> bytes:
    """The reply envelope of ``operation`` returning ``value`` (a PHP-style array)."""
    out = [_ENVELOPE_OPEN, f"<ns1:{operation}Response>"]
    _render("return", value, out)
    out.append(f"</ns1:{operation}Response>")
    out.append(_ENVELOPE_CLOSE)
    return "".join(out).encode("utf-8")


def render_fault(code: str, string: str) -> bytes:
    """A SOAP 1.1 Fault envelope, as PHP writes one."""
    return (
        f'{_XML_HEADER}<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_ENV}"><SOAP-ENV:Body><SOAP-ENV:Fault>'
        f"<faultcode>SOAP-ENV:{code}</faultcode><faultstring>{_text(string)}</faultstring>"
        f"</SOAP-ENV:Fault>{_ENVELOPE_CLOSE}"
    ).encode()


# ---------------------------------------------------------------------------------------
# Reading calls, hardened


class _Parsers(threading.local):
    def __init__(self) -> None:
        # No entity resolution, no DTD loading or validation, no network, no huge trees
        # (libxml2's depth and size limits stay on).  A DTD is refused after parsing.
        self.parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                      dtd_validation=False, huge_tree=False, remove_comments=True,
                                      remove_pis=True, collect_ids=False)


_PARSERS = _Parsers()
_DTD_MARKERS = (b"<!DOCTYPE", b"<!doctype", b"<!ENTITY", b"<!entity")


def _element_args(operation: str, call: etree._Element) -> dict[str, Any]:
    names = OPERATIONS[operation]
    children = [child for child in call if isinstance(child.tag, str)]
    by_name: dict[str, etree._Element] = {}
    for child in children:
        by_name.setdefault(etree.QName(child).localname, child)
    args: dict[str, Any] = {}
    for position, name in enumerate(names):
        element = by_name.get(name)
        if element is None and position < len(children) and etree.QName(children[position]).localname not in names:
            element = children[position]  # a client that names parts differently: by position
        if element is None:
            args[name] = None
            continue
        try:
            value = decode(element)
        except (ValueError, RecursionError):
            raise SoapFault("Client", f"Invalid value for parameter {name!r}") from None
        if isinstance(value, (dict, list)):
            raise SoapFault("Client", f"Invalid value for parameter {name!r}: a scalar is expected")
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        args[name] = value
    return args


def parse_call(body: bytes) -> tuple[str, dict[str, Any]]:
    """``(operation, {part: value})`` of a SOAP 1.1 rpc call; :class:`SoapFault` otherwise."""
    if not body.strip():
        raise SoapFault("Client", "Bad Request: the request body is empty")
    if any(marker in body for marker in _DTD_MARKERS):
        raise SoapFault("Client", "DTD are not supported by SOAP")
    try:
        root = etree.fromstring(body, _PARSERS.parser)
    except etree.XMLSyntaxError:
        raise SoapFault("Client", "Bad Request: the body is not well-formed XML") from None
    except ValueError:  # e.g. an encoding lxml cannot use
        raise SoapFault("Client", "Bad Request: the body could not be decoded") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise SoapFault("Client", "DTD are not supported by SOAP")
    if not isinstance(root.tag, str) or etree.QName(root).localname != "Envelope":
        raise SoapFault("Client", "Bad Request: the root element is not a SOAP Envelope")
    namespace = etree.QName(root).namespace
    if namespace != SOAP_ENV:
        raise SoapFault("VersionMismatch", "Wrong Version: this service speaks SOAP 1.1 "
                        f"({SOAP_ENV})" if namespace == SOAP12_ENV else "Wrong Version")
    body_element = root.find(f"{{{SOAP_ENV}}}Body")
    if body_element is None:
        raise SoapFault("Client", "Bad Request: the Envelope has no Body")
    calls = [child for child in body_element if isinstance(child.tag, str) and child.get("id") is None]
    if not calls:
        raise SoapFault("Client", "Bad Request: the Body names no operation")
    call = calls[0]  # multiRef values (SOAP-ENC, with an id) may follow it
    operation = etree.QName(call).localname
    if operation not in OPERATIONS:
        raise SoapFault("Client", f"Procedure {operation[:64]!r} not present")
    return operation, _element_args(operation, call)
