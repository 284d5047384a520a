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


# -- faults at a real HTTP server, with failover ----------------------------------------
# The first backend is simplesms-rest against tests/misbehaving.py's server, whose fault
# mode is drawn per run: "ok" accepts, "503" refuses before accepting (failover to the
# sandbox), "reset" and "truncate" read the message and lose the reply (maybe accepted:
# unknown, never failed over).  The server's request log says what it received.

CONNECT_OK = {"success": True, "error": False, "access_token": "tok", "expires_in": 3600}
SEND_OK = {"success": True, "error": False, "response": {"sms_id": 77}}
ACCEPTING = {"ok", "reset", "truncate"}  # modes in which the server got (and may have kept) the message


def chain(tmp: Path, url: str) -> dict[str, Any]:
    return {"backends": {"primary": {"plugin": "simplesms-rest", "username": "u", "password": "p-SECRET",
                                     "domain": "d.hu", "base_url": url + "/rest/SMSapi/", "timeout": 2},
                         "fallback": {"plugin": "sandbox", "path": str(tmp / "provider.sqlite3"), "credit": 1e9}},
            "routes": [{"backends": ["primary", "fallback"]}], "store": str(tmp / "journal.sqlite3")}


def digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())[-9:]  # national number (8 would merge +36 20 and 30)


def server_got(server: Any, start: int) -> list[tuple[str, str]]:
    """(last 8 digits, text) of each sendSMS the server read since request ``start``."""
    from urllib.parse import parse_qsl

    got = []
    for path, body in list(zip(server.paths, server.bodies, strict=True))[start:]:
        if "sendSMS" in path:
            form = dict(parse_qsl(body.decode("utf-8")))
            got.append((digits(form.get("area_code", "") + form.get("number", "")), form["message"]))
    return got


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_faults_and_failover_never_deliver_a_row_twice(data: Any) -> None:
    from misbehaving import MisbehavingServer

    with tempfile.TemporaryDirectory(prefix="smsbridge-prop-") as name, \
            MisbehavingServer("ok", only="sendSMS", replies={"connect": CONNECT_OK, "sendSMS": SEND_OK}) as server:
        tmp = Path(name)
        rows = data.draw(st.lists(content, max_size=6), label="first file")
        most = Counter[tuple[str, str]]()
        delivered = Counter[tuple[str, str]]()  # by the server in an accepting mode, or by the sandbox
        for attempt in range(data.draw(st.integers(1, 4), label="runs")):
            if attempt:
                rows = data.draw(edited(rows), label=f"file {attempt + 1}")
            most |= Counter((digits(to), text) for to, text in rows)
            server.mode = data.draw(st.sampled_from(["ok", "503", "reset", "truncate"]), label="fault")
            start = len(server.paths)
            before = Counter((digits(to), text) for _, to, text in received(tmp))
            with Bridge.from_dict(chain(tmp, server.url)) as bridge:
                source = BulkFile(io.BytesIO(csv_bytes(rows, ",", "utf-8")))
                results = list(send_rows(bridge, source.rows(), concurrency=data.draw(st.integers(1, 3))))
            assert [row.to for row, _ in results] == [to for to, _ in rows]
            for _, result in results:
                assert "p-SECRET" not in str(result)
            outcomes = [outcome(result) for _, result in results]
            if server.mode in ACCEPTING:
                delivered += Counter(server_got(server, start))
                assert "failed" not in outcomes  # nothing certainly refused: nothing "failed"
            delivered += Counter((digits(to), text) for _, to, text in received(tmp)) - before
            assert delivered <= most, "a row was delivered twice (across both backends)"
        # Faults stop; a last run delivers whatever is not delivered or maybe-delivered.
        server.mode = "ok"
        start = len(server.paths)
        before = Counter((digits(to), text) for _, to, text in received(tmp))
        with Bridge.from_dict(chain(tmp, server.url)) as bridge:
            source = BulkFile(io.BytesIO(csv_bytes(rows, ",", "utf-8")))
            final = [(row, outcome(result)) for row, result in send_rows(bridge, source.rows(), concurrency=2)]
            records = list(bridge.journal.iter_records())
        delivered += Counter(server_got(server, start))
        delivered += Counter((digits(to), text) for _, to, text in received(tmp)) - before
        assert delivered <= most
        # None lost: each row is delivered, or "unknown" because a server read it and lost the reply.
        assert all(o in ("sent", "already-sent", "unknown") for _, o in final), final
        assert delivered >= Counter((digits(to), text) for to, text in rows)
        # The journal agrees: accepted by the fallback = what the sandbox holds; unknown only
        # for messages the primary server read.
        assert {r.id for r in records if r.phase == "accepted" and r.backend == "fallback"} == \
            {ref for ref, _, _ in received(tmp)}
        assert all(r.backend == "primary" for r in records if r.phase == "unknown")
