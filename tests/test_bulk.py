"""``smsbridge bulk`` (issue 11 item 4, issue 16 item 4), run as a user runs it: a real
process, a sandbox provider on disk that counts what it received, a journal on disk."""
from __future__ import annotations

import csv
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

SMSBRIDGE = [sys.executable, "-m", "smsbridge.cli"]


def setup(tmp_path: Path, *, chaos: str = "{}") -> Path:
    (tmp_path / "smsbridge.yaml").write_text(
        "backends:\n  local:\n    plugin: sandbox\n    path: provider.sqlite3\n    credit: 1000000\n"
        f"    chaos: {chaos}\nstore: journal.sqlite3\n", encoding="utf-8")
    return tmp_path


def write_csv(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] = ("to", "text"), *,
              delimiter: str = ",", encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def bulk(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SMSBRIDGE_CONFIG"}
    proc = subprocess.run([*SMSBRIDGE, "bulk", *args], cwd=cwd, env=env, capture_output=True, timeout=300,
                          input=stdin)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8"),
                                         proc.stderr.decode("utf-8"))
    assert "Traceback" not in result.stderr, result.stderr
    return result


def results(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def received(cwd: Path) -> list[tuple[str, str]]:
    """(to, text) of every message the provider accepted, in arrival order."""
    try:
        with sqlite3.connect(cwd / "provider.sqlite3") as conn:
            return [(r[0], r[1]) for r in conn.execute("SELECT to_number, text FROM sms ORDER BY id")]
    except sqlite3.OperationalError:
        return []


def summary(run: subprocess.CompletedProcess[str]) -> str:
    return run.stderr.strip().splitlines()[-1]


ROWS = [(f"+3630{i:07d}", f"message {i}") for i in range(1, 201)]


def test_first_run_sends_and_the_result_csv_matches_the_input(tmp_path):
    setup(tmp_path)
    write_csv(tmp_path / "a.csv", [*ROWS[:3], ("not-a-number", "bad"), *ROWS[3:10]])
    first = bulk(tmp_path, "a.csv")
    assert first.returncode == 1  # a row failed
    out = results(first.stdout)
    assert [r["row"] for r in out] == [str(i) for i in range(1, 12)]
    assert [r["to"] for r in out] == [*(t for t, _ in ROWS[:3]), "not-a-number", *(t for t, _ in ROWS[3:10])]
    assert [r["result"] for r in out] == ["sent"] * 3 + ["failed"] + ["sent"] * 7
    assert summary(first) == "10 sent, 0 already sent, 1 failed, 0 unknown (of 11 rows)"
    assert first.stderr.count("\n") == 1  # stderr is no terminal: no progress bar, only the summary
    assert sorted(received(tmp_path)) == sorted(ROWS[:10])


def test_edited_file_sends_exactly_the_rows_not_yet_sent(tmp_path):
    setup(tmp_path)
    write_csv(tmp_path / "a.csv", ROWS)
    assert bulk(tmp_path, "a.csv", "--out", "first.csv").returncode == 0
    edited = [("+36209999999", "new at the top"), *ROWS]
    edited[50] = (edited[50][0], "text changed")       # an edited row is a new message
    del edited[120]                                     # a deleted row is simply not there
    edited.insert(70, ("+36201111111", "new in the middle"))
    write_csv(tmp_path / "a.csv", edited)
    second = bulk(tmp_path, "a.csv")
    assert second.returncode == 0, second.stderr
    out = results(second.stdout)
    assert [(r["to"]) for r in out] == [t for t, _ in edited]       # one to one, each row's own recipient
    sent_now = [(r["to"], edited[int(r["row"]) - 1][1]) for r in out if r["result"] == "sent"]
    assert sorted(sent_now) == sorted([("+36209999999", "new at the top"), ("+36201111111", "new in the middle"),
                                       (edited[50][0], "text changed")])
    assert summary(second) == f"3 sent, {len(edited) - 3} already sent, 0 failed, 0 unknown (of {len(edited)} rows)"
    assert Counter(received(tmp_path)) == Counter(ROWS + sent_now)   # nothing twice
    first_ids = {r["to"]: r["id"] for r in results((tmp_path / "first.csv").read_text(encoding="utf-8"))}
    assert all(first_ids[r["to"]] == r["id"] for r in out if r["result"] == "already-sent")


def test_reordered_copied_and_piped_files_send_nothing_again(tmp_path):
    setup(tmp_path)
    write_csv(tmp_path / "a.csv", ROWS[:60])
    assert bulk(tmp_path, "a.csv").returncode == 0
    shuffled = ROWS[:60]
    random.Random(7).shuffle(shuffled)
    write_csv(tmp_path / "copy under another name.csv", shuffled)
    for args, stdin in ((["copy under another name.csv"], None), (["-"], (tmp_path / "a.csv").read_bytes())):
        run = bulk(tmp_path, *args, stdin=stdin)
        assert run.returncode == 0, run.stderr
        assert {r["result"] for r in results(run.stdout)} == {"already-sent"}
        assert summary(run) == "0 sent, 60 already sent, 0 failed, 0 unknown (of 60 rows)"
    assert len(received(tmp_path)) == 60


def test_two_different_piped_files_do_not_share_rows(tmp_path):
    setup(tmp_path)
    first = write_csv(tmp_path / "first.csv", ROWS[:20]).read_bytes()
    second = write_csv(tmp_path / "second.csv", ROWS[20:45]).read_bytes()
    assert summary(bulk(tmp_path, "-", stdin=first)).startswith("20 sent, 0 already sent")
    assert summary(bulk(tmp_path, "-", stdin=second)).startswith("25 sent, 0 already sent")
    assert sorted(received(tmp_path)) == sorted(ROWS[:45])


def test_identical_rows_are_counted_by_occurrence(tmp_path):
    setup(tmp_path)
    row = ("+36301234567", "Your code: 1234")
    write_csv(tmp_path / "a.csv", [row, ROWS[0], row])
    assert summary(bulk(tmp_path, "a.csv")).startswith("3 sent")
    write_csv(tmp_path / "a.csv", [row, row, ("+36 30 123 4567", row[1]), ROWS[0]])  # a third, spelt apart
    again = bulk(tmp_path, "a.csv")
    assert [r["result"] for r in results(again.stdout)] == ["already-sent", "already-sent", "sent", "already-sent"]
    assert received(tmp_path).count(row) == 3


def test_key_column_is_the_identity_and_binds_its_payload(tmp_path):
    setup(tmp_path)
    write_csv(tmp_path / "a.csv", [("k1", "+36301234567", "one"), ("k2", "+36301234568", "two")],
              header=("key", "to", "text"))
    assert summary(bulk(tmp_path, "a.csv")).startswith("2 sent")
    write_csv(tmp_path / "moved.csv", [("k2", "+36301234568", "two"), ("k1", "+36301234567", "one, edited"),
                                      ("k3", "+36301234567", "one")], header=("key", "to", "text"))
    run = bulk(tmp_path, "moved.csv")
    out = results(run.stdout)
    assert [r["result"] for r in out] == ["already-sent", "failed", "sent"]
    assert "IdempotencyConflict" in out[1]["error"]            # k1 already meant another message
    assert summary(run) == "1 sent, 1 already sent, 1 failed, 0 unknown (of 3 rows)"
    assert sorted(received(tmp_path)) == [("+36301234567", "one"), ("+36301234567", "one"), ("+36301234568", "two")]


def test_unknown_outcomes_are_counted_apart_and_not_sent_again(tmp_path):
    setup(tmp_path, chaos="{lost_reply_rate: 1.0}")
    write_csv(tmp_path / "a.csv", ROWS[:5])
    first = bulk(tmp_path, "a.csv", "--json")
    assert first.returncode == 1
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    assert [line["result"] for line in lines] == ["unknown"] * 5 and all(line["id"] for line in lines)
    assert json.loads(summary(first)) == {"total": 5, "sent": 0, "already-sent": 0, "failed": 0, "unknown": 5}
    again = bulk(tmp_path, "a.csv")
    assert summary(again) == "0 sent, 0 already sent, 0 failed, 5 unknown (of 5 rows)"
    assert len(received(tmp_path)) == 5  # the provider got each once; the re-run sent nothing


def test_semicolons_and_cp1250_from_hungarian_excel(tmp_path):
    setup(tmp_path)
    rows = [("+36301234567", "Árvíztűrő tükörfúrógép"), ("+36301234568", "Őszi ünnep; ő és ű")]
    write_csv(tmp_path / "excel.csv", rows, header=("to", "text"), delimiter=";", encoding="cp1250")
    run = bulk(tmp_path, "excel.csv")
    assert run.returncode == 0, run.stderr
    assert sorted(received(tmp_path)) == sorted(rows)
    write_csv(tmp_path / "tabs.csv", [("+36301234569", "tab, separated")], delimiter="\t")
    assert summary(bulk(tmp_path, "tabs.csv", "--delimiter", "\\t")).startswith("1 sent")
    wrong = bulk(tmp_path, "excel.csv", "--encoding", "utf-8")
    assert wrong.returncode == 1 and "not valid utf-8" in wrong.stderr and "--encoding" in wrong.stderr
    forced = bulk(tmp_path, "excel.csv", "--delimiter", ",")
    assert forced.returncode == 1 and "'to' and 'text'" in forced.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1 and len(forced.stderr.strip().splitlines()) == 1


def test_a_row_with_an_unquoted_delimiter_is_not_cut_short(tmp_path):
    setup(tmp_path)
    (tmp_path / "a.csv").write_text("to;text\n+36301234567;hello; world\n+36301234568;fine\n", encoding="utf-8")
    out = results(bulk(tmp_path, "a.csv").stdout)
    assert [r["result"] for r in out] == ["failed", "sent"] and "3 fields" in out[0]["error"]
    assert received(tmp_path) == [("+36301234568", "fine")]


def test_two_concurrent_runs_of_one_file_send_every_row_once(tmp_path):
    setup(tmp_path, chaos="{latency: 0.02}")  # ~1 s per run: the two runs overlap
    write_csv(tmp_path / "a.csv", ROWS)
    # The sandbox provider's own file is created first: creating it from two processes at
    # once is the sandbox's race, not bulk's (the journal's is tested in test_journal.py).
    from smsbridge import Bridge

    with Bridge.from_config(tmp_path / "smsbridge.yaml") as bridge:
        bridge.balance()
    (tmp_path / "journal.sqlite3").unlink()
    env = {k: v for k, v in os.environ.items() if k != "SMSBRIDGE_CONFIG"}
    procs = [subprocess.Popen([*SMSBRIDGE, "bulk", "a.csv", "--out", f"out{n}.csv", "--concurrency", "4"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0 and "Traceback" not in err and "IntegrityError" not in err, err
    assert Counter(received(tmp_path)) == Counter(ROWS)  # every row once
    per_run = [results((tmp_path / f"out{n}.csv").read_text(encoding="utf-8")) for n in range(2)]
    assert all(len(r) == len(ROWS) for r in per_run)
    sent_by = [sum(r["result"] == "sent" for r in run) for run in per_run]
    assert sum(sent_by) == len(ROWS)  # each row counted "sent" by exactly one run
    for a, b in zip(*per_run, strict=True):
        assert a["id"] == b["id"] and {a["result"], b["result"]} == {"sent", "already-sent"}


def test_again_sends_every_row_anew(tmp_path):
    setup(tmp_path)
    write_csv(tmp_path / "a.csv", ROWS[:4])
    bulk(tmp_path, "a.csv")
    assert summary(bulk(tmp_path, "a.csv", "--again")).startswith("4 sent")
    assert len(received(tmp_path)) == 8


@pytest.mark.parametrize("option", ["--concurrency", "--out", "--json", "--delimiter", "--encoding", "--again"])
def test_every_bulk_option_has_help(option):
    from click.testing import CliRunner

    from smsbridge.cli import cli

    help_text = CliRunner().invoke(cli, ["bulk", "--help"]).output
    line = next(line for line in help_text.splitlines() if option in line)
    assert len(line.split(option, 1)[1].strip()) > 10 or "  " in line, help_text
    for command in cli.commands["bulk"].params:
        if isinstance(command, __import__("click").Option):
            assert command.help, command.name


def test_rows_an_older_version_sent_are_not_sent_again_after_an_upgrade(tmp_path):
    """Before journal schema 1, bulk keyed rows by the file's absolute path and row number."""
    from smsbridge import Bridge

    setup(tmp_path)
    path = write_csv(tmp_path / "campaign.csv", ROWS[:6])
    with Bridge.from_config(tmp_path / "smsbridge.yaml") as bridge:  # what the old version journaled
        for number, (to, text) in enumerate(ROWS[:3], start=1):
            bridge.send(to, text, idempotency_key=f"bulk:{path.resolve()}:{number}")
    write_csv(path, [("+36209999999", "new at the top"), *ROWS[:6]])  # and the rows moved since
    run = bulk(tmp_path, "campaign.csv")
    assert [r["result"] for r in results(run.stdout)] == ["sent"] + ["already-sent"] * 3 + ["sent"] * 3
    assert Counter(received(tmp_path)) == Counter([("+36209999999", "new at the top"), *ROWS[:6]])
