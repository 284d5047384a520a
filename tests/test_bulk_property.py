"""Property (issue 11, "Done when"): random bulk re-runs over randomly edited CSVs, each run
under a random fault sequence, against a provider on disk that records what it received.

Whatever the edits and the faults: every row is delivered at most once, none is skipped
once the faults stop and the unknowns are reconciled, the result rows match the input
rows one to one, and the journal agrees with what the provider received.

Faults come from the sandbox provider's seeded chaos: ``failure_rate`` refuses a send
before accepting it (``ProviderUnavailable``: certainly not sent), ``lost_reply_rate``
accepts it and loses the reply (``DeliveryUnknown``: sent, but the sender cannot know).
"""
from __future__ import annotations

import csv
import io
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsbridge import Bridge
from smsbridge.bulk import BulkFile, outcome, send_rows

NUMBERS = ["+36301234567", "06301234568", "+36 20 123 4567", "+14155552671"]
TEXTS = ["Szia", "code 1111", "ár, ő; ű", "multi\nline", "x"]
content = st.tuples(st.sampled_from(NUMBERS), st.sampled_from(TEXTS))


@st.composite
def edited(draw: Any, rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``rows`` after a few random edits: insert, delete, change a text, move, duplicate."""
    rows = list(rows)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["insert", "delete", "edit", "move", "duplicate"]))
        if op == "insert" or not rows:
            rows.insert(draw(st.integers(0, len(rows))), draw(content))
            continue
        i = draw(st.integers(0, len(rows) - 1))
        if op == "delete":
            del rows[i]
        elif op == "edit":
            rows[i] = (rows[i][0], draw(st.sampled_from(TEXTS)))
        elif op == "move":
            rows.insert(draw(st.integers(0, len(rows) - 1)), rows.pop(i))
        else:
            rows.insert(draw(st.integers(0, len(rows))), rows[i])
    return rows


def csv_bytes(rows: list[tuple[str, str]], delimiter: str, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["to", "text"])
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def config(tmp: Path, chaos: dict[str, Any]) -> dict[str, Any]:
    return {"backends": {"local": {"plugin": "sandbox", "path": str(tmp / "provider.sqlite3"), "credit": 1e9,
                                   "chaos": chaos}},
            "store": str(tmp / "journal.sqlite3")}


def e164(number: str) -> str:
    return {"06301234568": "+36301234568", "+36 20 123 4567": "+36201234567"}.get(number, number)


def received(tmp: Path) -> list[tuple[str, str, str]]:
    """(client_ref = smsbridge id, to, text) of every message the provider accepted."""
    try:
        with sqlite3.connect(tmp / "provider.sqlite3") as conn:
            return list(conn.execute("SELECT client_ref, to_number, text FROM sms"))
    except sqlite3.OperationalError:
        return []


def run(tmp: Path, rows: list[tuple[str, str]], chaos: dict[str, Any], *, delimiter: str, encoding: str,
        concurrency: int) -> list[str]:
    with Bridge.from_dict(config(tmp, chaos)) as bridge:
        source = BulkFile(io.BytesIO(csv_bytes(rows, delimiter, encoding)))
        assert source.total == len(rows)
        results = list(send_rows(bridge, source.rows(), concurrency=concurrency))
    # one result per input row, in order, each naming its own row's recipient
    assert [(row.number, row.to) for row, _ in results] == [(i, to) for i, (to, _) in enumerate(rows, start=1)]
    return [outcome(result) for _, result in results]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_reruns_of_edited_files_deliver_each_row_at_most_once_and_skip_none(data: Any) -> None:
    with tempfile.TemporaryDirectory(prefix="smsbridge-prop-") as name:
        tmp = Path(name)
        rows = data.draw(st.lists(content, max_size=6), label="first file")
        most = Counter[tuple[str, str]]()  # the most copies of each content any version of the file held
        for attempt in range(data.draw(st.integers(1, 4), label="runs")):
            if attempt:
                rows = data.draw(edited(rows), label=f"file {attempt + 1}")
            most |= Counter((e164(to), text) for to, text in rows)
            chaos = {"failure_rate": data.draw(st.sampled_from([0.0, 0.3, 1.0])),
                     "lost_reply_rate": data.draw(st.sampled_from([0.0, 0.3])),
                     "seed": data.draw(st.integers(0, 10_000))}
            outcomes = run(tmp, rows, chaos, delimiter=data.draw(st.sampled_from([",", ";"])),
                           encoding=data.draw(st.sampled_from(["utf-8", "cp1250"])),
                           concurrency=data.draw(st.integers(1, 4)))
            assert set(outcomes) <= {"sent", "already-sent", "failed", "unknown"}
            got = Counter((to, text) for _, to, text in received(tmp))
            assert got <= most, "a row was delivered twice"  # at most once per row identity
            if data.draw(st.booleans(), label="reconcile"):
                with Bridge.from_dict(config(tmp, {})) as bridge:
                    bridge.reconcile()
        # The faults stop; the unknowns are settled; one more run sends whatever is missing.
        with Bridge.from_dict(config(tmp, {})) as bridge:
            bridge.reconcile()
        outcomes = run(tmp, rows, {}, delimiter=",", encoding="utf-8", concurrency=2)
        assert set(outcomes) <= {"sent", "already-sent"}, outcomes  # none skipped
        got = Counter((to, text) for _, to, text in received(tmp))
        assert got <= most
        assert got >= Counter((e164(to), text) for to, text in rows)
        # The journal agrees with the provider: what it holds is exactly what was accepted.
        with Bridge.from_dict(config(tmp, {})) as bridge:
            records = list(bridge.journal.iter_records())
        accepted = {r.id for r in records if r.phase == "accepted"}
        assert {ref for ref, _, _ in received(tmp)} == accepted
        assert not any(r.phase in ("sending", "unknown") for r in records)
