"""Turn what zeep hands back from a simpleSMS SOAP call into plain Python.

:func:`decode` is pure (no I/O) and accepts every shape we have seen or expect
(SPEC.md section 5, measured against PHP 8.2's SoapServer):

* Apache ``Map`` (``xsi:type="ns2:Map"``, namespace ``http://xml.apache.org/xml-soap``):
  ``item`` elements, each with a ``key`` and a ``value``. PHP encodes every
  associative array this way, even where the WSDL says ``soapenc:Array``.
  Becomes a ``dict``.
* ``SOAP-ENC:Array``: PHP's encoding of a list. Becomes a ``list``.
* ``xsi:nil="true"``: PHP's ``null``. Becomes ``None``.
* scalars typed with ``xsi:type`` (``xsd:int``, ``xsd:boolean``, ``xsd:float``,
  ``xsd:decimal``, ``xsd:string``, ...): ``int``, ``bool``, ``float``,
  ``Decimal``, ``str``. Untyped text stays ``str``.
* raw lxml elements: what zeep returns for ``xsd:anyType`` returns, or inside
  the ``_value_1`` of a ``soapenc:Array``/``Struct`` it parsed. A list of
  elements (zeep's answer for an anyType element with children) is read as the
  children of one element: Map items make a ``dict``, same-named elements a
  ``list``, differently named ones a struct (``dict`` by local name).
* zeep objects (``CompoundValue`` from document/literal or typed replies,
  ``AnyObject``): serialised with ``zeep.helpers.serialize_object`` and decoded
  recursively; a literal Map (``{"item": [{"key": .., "value": ..}, ...]}``)
  becomes a ``dict`` and an ``{"item": [...]}`` wrapper its list.
* ``href="#id"`` multi-references are followed within the reply.

PHP cannot tell an empty list from an empty associative array: both arrive as
an empty ``SOAP-ENC:Array`` and decode to ``[]``.

This module never imports zeep itself (it only recognises zeep's objects when
zeep is already loaded), so the gateway side can use it without zeep.
"""

from __future__ import annotations

import base64
import binascii
import sys
from collections import deque
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

__all__ = ["decode"]

_XSI = ("http://www.w3.org/2001/XMLSchema-instance", "http://www.w3.org/1999/XMLSchema-instance")
_XSD = frozenset({"http://www.w3.org/2001/XMLSchema", "http://www.w3.org/1999/XMLSchema"})
_SOAP_ENC = frozenset({"http://schemas.xmlsoap.org/soap/encoding/", "http://www.w3.org/2003/05/soap-encoding"})
_APACHE = "http://xml.apache.org/xml-soap"
_SCALAR_NAMESPACES = _XSD | _SOAP_ENC

_INTEGER_TYPES = frozenset(
    {
        "int", "integer", "long", "short", "byte",
        "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
        "nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger",
    }
)
_FLOAT_TYPES = frozenset({"float", "double"})

# Attributes zeep gives a soapenc:Array / soapenc:Struct value besides its content.
_ENCODING_ATTRIBUTES = frozenset({"arrayType", "offset", "id", "href", "itemType", "arraySize", "_attr_1"})

# What _from_zeep answers for a value that is not a zeep object.
_NOT_ZEEP = object()

# Guard against a hostile reply whose href="#x" points at its own ancestor.
_MAX_DEPTH = 100


def decode(value: Any) -> Any:
    """Return ``value`` (anything zeep returned) as dicts, lists, str, int,
    float, Decimal, bool, bytes and None. See the module docstring for the rules."""
    return _decode(value, 0)


def _decode(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise ValueError("SOAP value nested too deeply (a reference cycle?)")
    depth += 1
    if isinstance(value, str) and type(value) is not str:
        return str(value)  # lxml's smart strings keep their whole tree alive
    if value is None or isinstance(value, (bool, int, float, Decimal, str, bytes)):
        return value
    if isinstance(value, etree._Element):
        return _decode_element(value, depth)
    zeep_value = _from_zeep(value)
    if zeep_value is not _NOT_ZEEP:
        return _decode(zeep_value, depth)
    if isinstance(value, Mapping):
        return _decode_mapping(value, depth)
    if isinstance(value, (list, tuple, deque)):
        items = list(value)
        if items and all(isinstance(item, etree._Element) for item in items):
            return _decode_children(items, depth)
        decoded = [_decode(item, depth) for item in items]
        return _map_from_entries(decoded) if _are_map_entries(decoded) else decoded
    return value  # datetime, date, time, QName text...: already plain enough



def _from_zeep(value: Any) -> Any:
    """Unwrap a zeep value object; _NOT_ZEEP for anything else.

    zeep is looked up in sys.modules rather than imported: if it is not loaded,
    the value cannot be one of its objects (and this module stays zeep-free).
    """
    valueobjects = sys.modules.get("zeep.xsd.valueobjects")
    if valueobjects is None:
        return _NOT_ZEEP
    if isinstance(value, valueobjects.CompoundValue):
        from zeep.helpers import serialize_object

        return serialize_object(value, dict)
    if isinstance(value, valueobjects.AnyObject):
        return value.value
    return _NOT_ZEEP


def _decode_mapping(value: Mapping, depth: int) -> Any:
    fields = dict(value)
    # zeep's bookkeeping, not data: leftover attributes and unparsed elements.
    if not fields.get("_attr_1"):
        fields.pop("_attr_1", None)
    raw = fields.pop("_raw_elements", None)
    if raw:
        for element in raw:
            fields.setdefault(etree.QName(element).localname, element)

    # A soapenc:Array / soapenc:Struct as zeep parses it: the content is in
    # _value_1, the rest are encoding attributes.
    if "_value_1" in fields and all(
        key == "_value_1" or (key in _ENCODING_ATTRIBUTES and not fields[key]) for key in fields
    ):
        content = fields["_value_1"]
        return [] if content is None else _decode(content, depth)

    if set(fields) == {"item"}:
        # A document/literal array wrapper ({"item": [...]}) or literal Map
        # ({"item": [{"key": .., "value": ..}, ...]}); one item may come unlisted.
        items = fields["item"]
        if not isinstance(items, (list, tuple, deque)):
            items = [items]
        return _decode(items, depth)
    return {key: _decode(item, depth) for key, item in fields.items()}


def _are_map_entries(items: list) -> bool:
    return bool(items) and all(
        isinstance(item, dict) and set(item) == {"key", "value"} for item in items
    )


def _map_from_entries(items: list) -> dict:
    return {_hashable(item["key"]): item["value"] for item in items}


def _hashable(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        return str(key)
    return key


# Attribute names, precomputed: _decode_element runs once per element of every reply.
_XSI_NIL = tuple(f"{{{ns}}}nil" for ns in _XSI)
_XSI_TYPE = tuple(f"{{{ns}}}type" for ns in _XSI)
_ENC_REF = tuple(f"{{{ns}}}ref" for ns in sorted(_SOAP_ENC))
_ENC_ARRAY_ATTRIBUTES = tuple(f"{{{ns}}}{name}" for ns in sorted(_SOAP_ENC) for name in ("arrayType", "itemType"))
_ARRAY_NAMESPACES = _SOAP_ENC | {None}


def _local(tag: str) -> str:
    """The local name of an element tag (``{ns}name`` or ``name``)."""
    return tag.rpartition("}")[2]


def _first_attribute(attrib: Any, names: tuple[str, ...]) -> str | None:
    for name in names:
        found = attrib.get(name)
        if found is not None:
            return found
    return None


def _has_array_attributes(attrib: Any) -> bool:
    return any(attrib.get(name) is not None for name in _ENC_ARRAY_ATTRIBUTES)


def _decode_element(element: etree._Element, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise ValueError("SOAP value nested too deeply (a reference cycle?)")
    attrib = element.attrib
    type_text = None
    if len(attrib):
        nil = _first_attribute(attrib, _XSI_NIL)
        if nil is not None and nil.strip() in ("true", "1"):
            return None
        href = attrib.get("href") or _first_attribute(attrib, _ENC_REF)
        if href:
            target = _find_reference(element, href)
            if target is not None:
                return _decode_element(target, depth + 1)
        type_text = _first_attribute(attrib, _XSI_TYPE)

    children = [child for child in element if isinstance(child.tag, str)]
    if type_text:
        prefix, _, local = type_text.strip().rpartition(":")
        if local == "Map":  # Apache SOAP's, in whatever namespace a server spells it
            return _map_from_items(children, depth)
        namespace = element.nsmap.get(prefix or None)
        if local == "Vector" and namespace == _APACHE:
            return [_decode_element(child, depth + 1) for child in children]
        if (local == "Array" and namespace in _ARRAY_NAMESPACES) or _has_array_attributes(attrib):
            return [_decode_element(child, depth + 1) for child in children]
        if namespace in _SCALAR_NAMESPACES and not children:
            return _scalar(local, element.text or "")
    elif len(attrib) and _has_array_attributes(attrib):
        return [_decode_element(child, depth + 1) for child in children]

    if not children:
        return element.text or ""
    return _decode_children(children, depth)


def _find_reference(element: etree._Element, href: str) -> etree._Element | None:
    ident = href[1:] if href.startswith("#") else href
    for candidate in element.getroottree().iter():
        if isinstance(candidate.tag, str) and candidate.get("id") == ident and candidate is not element:
            return candidate
    return None


def _is_map_item(element: etree._Element) -> bool:
    if _local(element.tag) != "item":
        return False
    names = [_local(child.tag) for child in element if isinstance(child.tag, str)]
    return sorted(names) == ["key", "value"]


def _map_from_items(items: list[etree._Element], depth: int) -> dict:
    result: dict = {}
    for item in items:
        key = value = None
        for child in item:
            if not isinstance(child.tag, str):
                continue
            name = _local(child.tag)
            if name == "key":
                key = _decode_element(child, depth + 1)
            elif name == "value":
                value = _decode_element(child, depth + 1)
        result[_hashable(key)] = value
    return result


def _decode_children(children: list[etree._Element], depth: int) -> Any:
    """The content of an element given by its child elements."""
    if all(_is_map_item(child) for child in children):
        return _map_from_items(children, depth)
    names = [_local(child.tag) for child in children]
    if len(set(names)) == 1 and (names[0] == "item" or len(names) > 1):
        return [_decode(child, depth) for child in children]
    # A struct: fields by local name; a repeated field collects its values in a list.
    fields: dict[str, list] = {}
    for name, child in zip(names, children):
        fields.setdefault(name, []).append(_decode(child, depth))
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


def _scalar(local: str, text: str) -> Any:
    """An XSD (or SOAP-ENC) simple value; the text itself if it does not parse."""
    try:
        if local == "boolean":
            lowered = text.strip().lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
            return text
        if local in _INTEGER_TYPES:
            return int(text.strip())
        if local in _FLOAT_TYPES:
            return float(text.strip())
        if local == "decimal":
            return Decimal(text.strip())
        if local in ("base64Binary", "base64"):
            return base64.b64decode(text, validate=False)
    except (ValueError, InvalidOperation, binascii.Error):
        return text
    return text
