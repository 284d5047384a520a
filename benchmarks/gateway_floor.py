"""The gateway with nothing behind its faces: the floor of issue 18's gateway rows.

``smsbridge serve`` exactly as the CLI runs it (the same app, middleware, faces, uvicorn
stack and ``gc.freeze``), except that :meth:`Gateway.send` and
:meth:`Gateway.record_by_alias` are stubbed: a create is authenticated, its form read and
checked and its reply rendered, but no number is parsed, nothing is journaled and nothing
is sent; a fetch is authenticated, routed and rendered from one record read at start-up.

Why: it measures what the face and the framework cost on their own.  If even this server
answers at less than half of a bare Starlette endpoint's rate on the same stack, no change
to the send path (journal, numbers, backend) can bring the real gateway to the issue's
0.5x; only the face, Starlette or the HTTP stack could (docs/performance.md).  It is a
benchmark fixture, never a way to run a gateway.

    python benchmarks/gateway_floor.py --config gw.yaml --port 8082
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    from smsbridge import Bridge
    from smsbridge.gateway.app import Gateway
    from smsbridge.gateway.server import serve
    from smsbridge.ids import new_message_id
    from smsbridge.model import Receipt, Status

    bridge = Bridge.from_config(args.config)
    # What every stubbed fetch renders: a message the benchmark's client sent through the face.
    sent = bridge.send("+36302000000", "Szia!", sender="+15005550006",
                       extra={"gateway_client": "bench", "face": "twilio"})
    kept = bridge.record(sent.id)

    async def send(self: Gateway, client: Any, to: str, text: str, *, sender: str | None = None,
                   reference: str | None = None, **_: Any) -> Receipt:
        return Receipt(id=new_message_id(), backend="local", provider_id="1", status=Status.QUEUED, to=to,
                       segments=1, encoding="gsm", sender=sender, reference=reference,
                       created_at=datetime.now(timezone.utc))

    async def record_by_alias(self: Gateway, kind: str, alias: str, carried: Any) -> Any:
        return kept

    Gateway.send = send  # type: ignore[method-assign]
    Gateway.record_by_alias = record_by_alias  # type: ignore[method-assign]
    serve(bridge, port=args.port)


if __name__ == "__main__":
    main()
