"""Reading request bodies safely: bounded size, strict decoding, one error type.

Hostile input (huge bodies, broken encodings, malformed forms or JSON) becomes
:class:`BadRequest`, which each face renders in its provider's error shape (SPEC §7:
a provider-shaped 4xx, never a 500).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

__all__ = ["BadRequest", "read_body", "read_form", "read_json", "DEFAULT_MAX_BODY"]

DEFAULT_MAX_BODY = 64 * 1024  # bytes: an SMS request is a few hundred; 64 KiB leaves room for batches
DEFAULT_BODY_TIMEOUT = 30.0  # seconds to receive a whole body (``gateway.body_timeout``)


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
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BadRequest(413, f"request body too large (limit {limit} bytes)")
            chunks.append(chunk)

    try:  # a body trickled byte by byte must not hold the request (wait_for: Python 3.10 too)
        await asyncio.wait_for(collect(), deadline)
    except asyncio.TimeoutError:
        raise BadRequest(408, f"request body not received within {deadline:g} seconds") from None
    return b"".join(chunks)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "request body is not valid UTF-8") from None


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
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict",
                          max_num_fields=1000)
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
