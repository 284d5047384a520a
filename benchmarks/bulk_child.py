"""Run ``smsbridge bulk`` in this process with ``Bridge.send`` replaced by a stub.

Used by ``bulk_send.py`` to measure the memory of the *streaming* part of ``smsbridge
bulk`` over a million rows within the time budget: the CSV reader, the lazy item feed
(``bulk.Rows``), ``Bridge.send_iter``'s bounded window and thread pool, and the result
CSV writer all run for real; only the per-message work (validation, journal, backend)
is skipped, because its memory does not depend on how many rows came before (that is
measured separately with the real ``smsbridge bulk`` on 20k/100k rows).

    python benchmarks/bulk_child.py CONFIG CSV OUT CONCURRENCY
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any

from smsbridge import Bridge, Receipt, Status
from smsbridge.cli import main

_NOW = datetime.now(timezone.utc)


def _stub_send(self: Bridge, to: str, text: str, **kwargs: Any) -> Receipt:
    return Receipt(id="sb_stub", backend="stub", provider_id="1", status=Status.QUEUED, to=to, segments=1,
                   encoding="gsm7", created_at=_NOW)


if __name__ == "__main__":
    config, csv_path, out, concurrency = sys.argv[1:5]
    Bridge.send = _stub_send  # type: ignore[method-assign]
    sys.argv = ["smsbridge", "--config", config, "bulk", csv_path, "--out", out, "--concurrency", concurrency]
    main()
