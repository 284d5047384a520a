"""Reading request bodies safely: bounded size, strict decoding, one error type.

Hostile input (huge bodies, broken encodings, malformed forms or JSON) becomes
:class:`BadRequest`, which each face renders in its provider's error shape (SPEC §7:
a provider-shaped 4xx, never a 500).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from starlette.requests import ClientDisconnect, Request

__all__ = ["BadRequest", "read_body", "read_form", "read_json", "parse_pairs", "DEFAULT_MAX_BODY"]

DEFAULT_MAX_BODY = 64 * 1024  # bytes: an SMS request is a few hundred; 64 KiB leaves room for batches
DEFAULT_BODY_TIMEOUT = 30.0  # seconds to receive a whole body (``gateway.body_timeout``)
MAX_FIELDS = 1000  # form fields (a request with more is refused: memory, not SMS, is what they cost)

_timeout = getattr(asyncio, "timeout", None)  # Python 3.11+


class BadRequest(Exception):
    """The request cannot be processed; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


async def read_body(request: Request) -> bytes:
    """The raw body, refusing more than the gateway's ``max_body`` bytes (413)."""
    limit = getattr(request.app.state, "max_body", DEFAULT_MAX_BODY)
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest(400, "invalid Content-Length header")
        if int(declared) > limit:
            raise BadRequest(413, f"request body too large (limit {limit} bytes)")
    chunks: list[bytes] = []
    deadline = float(getattr(request.app.state, "body_timeout", DEFAULT_BODY_TIMEOUT))

    async def collect() -> None:
        # request.receive(), not request.stream(): the same messages without an async
        # generator per request (~4 us of a create, issue 18); nothing reads the body twice.
        size = 0
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise BadRequest(413, f"request body too large (limit {limit} bytes)")
                chunks.append(chunk)
            if not message.get("more_body", False):
                return

    try:  # a body trickled byte by byte must not hold the request
        if _timeout is not None:  # Python 3.11+: a deadline on this task, no task of its own (issue 18)
            async with _timeout(deadline):
                await collect()
        else:  # Python 3.10
            await asyncio.wait_for(collect(), deadline)
    except asyncio.TimeoutError:
        raise BadRequest(408, f"request body not received within {deadline:g} seconds") from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)  # b"" when there was no body


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "request body is not valid UTF-8") from None


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict",
    max_num_fields=MAX_FIELDS)``, pair for pair, without its per-field calls.

    Why: a create's form is parsed on every request, and parse_qsl's argument coercion and
    two ``replace`` + ``unquote`` calls per field were ~10% of the gateway's own CPU per
    create (issue 18).  Fields without ``%`` or ``+`` (most) are taken as they are; the
    others go through ``unquote`` exactly as parse_qsl does (``tests/test_gateway_http_form.py``
    compares both on hostile input).  Raises ValueError past :data:`MAX_FIELDS` fields
    and UnicodeDecodeError for a percent-escape that is not UTF-8, as parse_qsl does.
    """
    if not text:
        return []
    if text.count("&") >= MAX_FIELDS:  # parse_qsl: 1 + count > max_num_fields
        raise ValueError("Max number of fields exceeded")
    pairs = []
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name, errors="strict")
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:  # an ASCII value (the usual one) is one chunk for unquote: the same bytes
            value = unquote_to_bytes(value).decode() if value.isascii() else unquote(value, errors="strict")
        pairs.append((name, value))
    return pairs


async def read_form(request: Request, *, multi: bool = False) -> dict[str, Any]:
    """A url-encoded form (or the query string for GET). ``multi`` gives lists of values."""
    if request.method in ("GET", "HEAD", "DELETE"):
        text = request.url.query
    else:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ("", "application/x-www-form-urlencoded"):
            raise BadRequest(415, f"expected application/x-www-form-urlencoded, got {ctype}")
        text = _decode(await read_body(request))
    try:
        pairs = parse_pairs(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(400, f"malformed form body: {exc}") from None
    if multi:
        out: dict[str, Any] = {}
        for key, value in pairs:
            out.setdefault(key, []).append(value)
        return out
    return dict(pairs)


async def read_json(request: Request) -> Any:
    """A JSON body (any content type that parses; many SDKs send charset variants)."""
    raw = await read_body(request)
    if not raw.strip():
        raise BadRequest(400, "request body is empty; JSON expected")
    try:
        return json.loads(_decode(raw))
    except json.JSONDecodeError as exc:
        raise BadRequest(400, f"malformed JSON body: {exc.msg} at position {exc.pos}") from None
    except RecursionError:  # "[[[[..." within the size limit: json's decoder recurses per level
        raise BadRequest(400, "malformed JSON body: nested too deeply") from None
    except ValueError as exc:  # an integer past Python's int-string limit (4300 digits), ...
        raise BadRequest(400, f"malformed JSON body: {str(exc)[:100]}") from None
