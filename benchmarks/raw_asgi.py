"""The baseline for the gateway benchmark: a bare Starlette endpoint on uvicorn that answers
Twilio's create path with a fixed 201 reply (and its fetch path with a fixed 200), run exactly as ``smsbridge serve`` runs its app
(``uvicorn.run``, one process, ``log_level="warning"``, no access log).

    python benchmarks/raw_asgi.py --port 8081
"""
from __future__ import annotations

import argparse

import uvicorn
from fixed_server import _TWILIO
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def create(request: Request) -> Response:
    return Response(_TWILIO, status_code=201, media_type="application/json")


async def fetch(request: Request) -> Response:
    return Response(_TWILIO, status_code=200, media_type="application/json")


app = Starlette(routes=[Route("/2010-04-01/Accounts/{account_sid}/Messages.json", create, methods=["POST"]),
                        Route("/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json", fetch, methods=["GET"])])

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--http", default="auto", help="uvicorn's HTTP implementation (auto: httptools if installed)")
    parser.add_argument("--loop", default="auto", help="uvicorn's event loop (auto: uvloop if installed)")
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, http=args.http,
                loop=args.loop)
