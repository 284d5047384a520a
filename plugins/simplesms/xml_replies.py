"""simpleSMS REST replies in XML (the documentation: the API "uses JSON or XML-based data
exchange"): read like JSON ones (client side), written on request (server side).

The documentation shows no XML, so :func:`parse_xml_reply` reads the shapes a PHP server
produces when it turns its reply array into XML (SimpleXML/DOM loops, common
array-to-XML helpers): a root element of any name holding ``success``, ``error`` and
``response`` (or the same one level further down); a list as repeated children
(``<item>``, or numbered ``<item0>``/``<key_1>``, or repeated names); keys that are no
XML names (``2024-01``) as ``<item key="2024-01">`` or ``<_2024-01>``; ``xsi:nil`` /
``nil="true"`` as null, and a ``type="boolean|integer|array|null"`` hint where a helper
writes one.  Leaf values stay text: every reader of :mod:`.payloads` and
:mod:`.replies` already reads ``"1001"``, ``"true"``/``"1"``/``""`` and ``"3"``.

The body is untrusted: lxml with entity resolution, DTD loading and network access off,
libxml2's size and depth limits on, and a document with a DTD refused as a whole — no
XXE, no entity expansion.

:func:`render_xml_reply` writes a reply object as the REST face's XML answer
(``<result><success>true</success>...</result>``), in the shape the parser reads back.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .codes import MalformedReply
from .values import as_flag

__all__ = ["parse_xml_reply", "render_xml_reply", "looks_like_xml", "XML_MEDIA_TYPE"]

XML_MEDIA_TYPE = "application/xml"

_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_LIST_ITEM = frozenset({"item", "entry", "element", "row", "value", "elem", "node"})
_NUMBERED = re.compile(r"(?:item|key|entry|element|row|elem|node|n)?_?\d+", re.IGNORECASE)
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")
_DTD_MARKERS = (b"<!DOCTYPE", b"<!doctype", b"<!ENTITY", b"<!entity")


class _Parsers(threading.local):
    parser: Any = None


_PARSERS = _Parsers()


def looks_like_xml(content_type: str | None, content: bytes) -> bool:
    """True when a body is XML by its media type (``application/xml``, ``text/xml``,
    ``*+xml``), or starts with an XML declaration under no JSON media type."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("application/xml", "text/xml") or media.endswith("+xml"):
        return True
    return "json" not in media and content.lstrip()[:5] == b"<?xml"


def parse_xml_reply(content: bytes) -> Any:
    """A reply object (dicts, lists, text, ``None``) from an XML body; :class:`MalformedReply`
    when the body is not well-formed XML or carries a DTD."""
    from lxml import etree

    if any(marker in content for marker in _DTD_MARKERS):
        raise MalformedReply("the XML reply carries a DTD")
    if _PARSERS.parser is None:
        _PARSERS.parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                          dtd_validation=False, huge_tree=False, remove_comments=True,
                                          remove_pis=True, collect_ids=False)
    try:
        root = etree.fromstring(content, _PARSERS.parser)
    except (etree.XMLSyntaxError, ValueError):
        raise MalformedReply("the XML reply is not well-formed") from None
    if root.getroottree().docinfo.doctype:
        raise MalformedReply("the XML reply carries a DTD")
    try:
        value = _value(root)
    except RecursionError:
        raise MalformedReply("the XML reply is nested too deeply") from None
    if isinstance(value, dict) and not _flagged(value) and len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, dict) and _flagged(inner):
            return inner  # <SMSapi><sendSMS><success>...</sendSMS></SMSapi>
    return value


def _flagged(value: Mapping[str, Any]) -> bool:
    return "success" in value or "error" in value


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _value(element: Any) -> Any:
    nil = element.get(f"{{{_XSI}}}nil") or element.get("nil")
    if nil is not None and nil.strip().lower() in ("true", "1"):
        return None
    kind = (element.get("type") or element.get(f"{{{_XSI}}}type") or "").rpartition(":")[2].lower()
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        text = (element.text or "").strip()
        if kind in ("boolean", "bool"):
            flag = as_flag(text)
            return text if flag is None else flag
        if kind in ("integer", "int", "long") and re.fullmatch(r"-?\d{1,18}", text):
            return int(text)
        if kind == "array":
            return []
        if kind == "null":
            return None
        return text
    names = [_local(child) for child in children]
    keyed = any(child.get("key") is not None for child in children)
    if kind == "array" or not keyed and (
            (len(set(names)) == 1 and (len(names) > 1 or names[0].lower() in _LIST_ITEM))
            or all(_NUMBERED.fullmatch(name) for name in names)):
        return [_value(child) for child in children]
    grouped: dict[str, list[Any]] = {}
    for name, child in zip(names, children, strict=True):
        key = child.get("key")
        if key is None:
            key = name[1:] if name.startswith("_") and name[1:2].isdigit() else name
        grouped.setdefault(key, []).append(_value(child))
    # A name repeated among others is a list under that name.
    return {key: items[0] if len(items) == 1 else items for key, items in grouped.items()}


# -- server side ----------------------------------------------------------------------------
def render_xml_reply(reply: Any, *, root: str = "result") -> bytes:
    """``reply`` (a reply object) as an XML document that :func:`parse_xml_reply` reads back."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<{root} xmlns:xsi="{_XSI}">']
    _render_children(reply, out)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")


def _render_children(value: Any, out: list[str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if _XML_NAME.fullmatch(name) and not name.lower().startswith("xml"):
                _render(name, item, out)
            else:
                _render("item", item, out, key=name)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _render("item", item, out)
    else:
        out.append(_text(value))


def _render(tag: str, value: Any, out: list[str], *, key: str | None = None) -> None:
    attrs = f" key={quoteattr(_clean(key))}" if key is not None else ""
    if value is None:
        out.append(f'<{tag}{attrs} xsi:nil="true"/>')
        return
    if isinstance(value, (list, tuple)):
        attrs += ' type="array"'
    out.append(f"<{tag}{attrs}>")
    _render_children(value, out)
    out.append(f"</{tag}>")


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_clean(str(value)), {"\r": "&#13;"})
