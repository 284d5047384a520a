"""The inbox REST API under ``/api/v1/`` (described by :mod:`.openapi`).

Errors are ``{"error": "...", "status": N}``: 400 for bad input, 401/403 from the
access guard, 404 for an unknown id, 415 for a change request without JSON.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ...errors import NotFound
from ..http import BadRequest, read_json
from . import guard
from .openapi import document
from .service import FORCEABLE, BadInput, Filters, Inbox

__all__ = ["routes"]

Handler = Callable[[Request], Awaitable[Response]]


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"error": detail, "status": status}, status_code=status)


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise BadInput(f"limit must be a whole number from 1 to 500, not {raw!r}")
    return int(raw)


async def _body(request: Request) -> dict[str, Any]:
    if not int(request.headers.get("content-length") or 0) and "chunked" not in \
            request.headers.get("transfer-encoding", ""):
        return {}
    data = await read_json(request)
    if not isinstance(data, dict):
        raise BadInput("expected a JSON object")
    return data


def routes(inbox: Inbox) -> list[BaseRoute]:
    def guarded(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            refused = guard(request, inbox.password)
            if refused is not None:
                return refused
            try:
                return await handler(request)
            except NotFound as exc:
                return _error(404, str(exc))
            except BadInput as exc:
                return _error(400, str(exc))
            except BadRequest as exc:
                return _error(exc.status, exc.detail)
        return endpoint

    async def messages(request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse({"deleted": await inbox.delete()})
        found = await inbox.messages(Filters.from_query(request.query_params), _limit(request))
        return JSONResponse({"messages": found, "count": len(found)})

    async def message(request: Request) -> Response:
        message_id = request.path_params["id"]
        if request.method == "DELETE":
            return JSONResponse({"deleted": await inbox.delete(message_id)})
        return JSONResponse(await inbox.message(message_id))

    async def action(request: Request) -> Response:
        message_id, name = request.path_params["id"], request.path_params["action"]
        body = await _body(request)
        if name == "reply":
            return JSONResponse(await inbox.reply(message_id, body.get("text")), status_code=201)
        if name not in FORCEABLE:
            return _error(404, f"no action {name!r}; actions: {', '.join([*FORCEABLE, 'reply'])}")
        code = body.get("error_code") if name != "deliver" else None
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise BadInput("description must be a string")
        return JSONResponse(await inbox.force(message_id, name, code=code, description=description))

    async def chaos(request: Request) -> Response:
        if request.method == "PUT":
            return JSONResponse(inbox.set_chaos(await _body(request)))
        return JSONResponse(inbox.chaos())

    async def events(request: Request) -> Response:
        return StreamingResponse(inbox.events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def openapi(request: Request) -> Response:
        return JSONResponse(document())

    return [
        Route("/api/v1/openapi.json", guarded(openapi), methods=["GET"]),
        Route("/api/v1/messages", guarded(messages), methods=["GET", "DELETE"]),
        Route("/api/v1/messages/{id}", guarded(message), methods=["GET", "DELETE"]),
        Route("/api/v1/messages/{id}/{action}", guarded(action), methods=["POST"]),
        Route("/api/v1/chaos", guarded(chaos), methods=["GET", "PUT"]),
        Route("/api/v1/events", guarded(events), methods=["GET"]),
    ]
