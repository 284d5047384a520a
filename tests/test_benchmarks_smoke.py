"""Smoke test of benchmarks/: every runner function works and produces numbers.

Tiny iteration counts, no timing assertions (docs/performance.md holds the figures;
``python benchmarks/run.py`` measures them).
"""
from __future__ import annotations

import math
import os
import shutil
import sys
from typing import Any

import pytest

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


@pytest.fixture(scope="module")
def bench() -> Any:
    sys.path.insert(0, BENCHMARKS)
    before = set(sys.modules)
    try:
        import common
        yield common
    finally:
        sys.path.remove(BENCHMARKS)
        for name in set(sys.modules) - before:  # generic names (common, run): leave none behind
            if getattr(sys.modules[name], "__file__", "") and sys.modules[name].__file__.startswith(BENCHMARKS):
                del sys.modules[name]


def _numbers(figures: list[Any]) -> None:
    assert figures
    for figure in figures:
        assert math.isfinite(figure.value) and figure.value > 0, figure
        if figure.baseline is not None:
            assert math.isfinite(figure.baseline) and figure.baseline > 0, figure
            assert figure.ratio is not None and math.isfinite(figure.ratio), figure


def test_send_overhead_and_journal(bench: Any) -> None:
    import journal_cost
    import send_overhead

    tiny = bench.Mode("tiny")
    with bench.fixed_server() as base:
        _numbers([send_overhead.measure_rest(base, tiny), send_overhead.measure_twilio(base, tiny)])
        figures = journal_cost.measure(base, tiny)
    _numbers(figures)
    assert figures[0].target == "<= 1.10" and figures[0].met in (True, False)


def test_bulk_speedup_and_streaming_memory(bench: Any, tmp_path: Any) -> None:
    import bulk_send

    tiny = bench.Mode("tiny")
    figures = bulk_send.speedup(tiny, latency=0.005)
    _numbers(figures)
    assert "FAILED" not in figures[0].note
    _numbers(bulk_send.stream_memory(tiny, str(tmp_path)))


def test_gateway_rps(bench: Any) -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    import gateway_rps

    figures = gateway_rps.run(bench.Mode("tiny"))
    _numbers(figures)
    assert "NON-2xx" not in figures[0].note


def test_issue18_table(bench: Any) -> None:
    """Every row of issue 18's table runs (tiny counts) and yields a number; no timing asserted."""
    import issue18

    figures = issue18.run(bench.Mode("tiny"))
    assert len(figures) == 8
    _numbers(figures)
    assert not any("FAILED" in f.note or "NON-2xx" in f.note for f in figures), [f.note for f in figures]
    assert "INDEX" in figures[6].note  # journal --status unknown is an index search
    plain = issue18.gateway_rows(bench.Mode("tiny"), plain_baseline=True)  # the issue's own baseline stack
    _numbers(plain)
    assert len(plain) == 2 and all("baseline h11 + asyncio" in f.note and "NON-2xx" not in f.note for f in plain)
    for figure in plain:  # the servers' CPU per request is reported for both sides of every round
        assert "server CPU per request" in figure.note
        assert len(figure.extra["gateway_cpu_us"]) == len(figure.extra["raw_cpu_us"]) == len(figure.extra["raw"])
    # The floor: the real serve with Gateway.send / record_by_alias stubbed still answers
    # every create (201) and fetch (200) the load generator sends, as provider-shaped replies.
    floor = issue18.gateway_rows(bench.Mode("tiny"), floor=True)
    _numbers(floor)
    assert [f.name.startswith("floor:") for f in floor] == [True, True]
    assert all("stubbed" in f.note and "NON-2xx" not in f.note for f in floor), [f.note for f in floor]


def test_runner_table(bench: Any) -> None:
    import run

    figures = run.run_sections(["startup"], bench.Mode("tiny"))
    _numbers(figures)
    table = run.format_table(figures)
    assert "import smsbridge" in table and "x" in table
    assert run.format_table(figures, markdown=True).startswith("| #")


def test_runner_reads_soap_send_output(bench: Any) -> None:
    """benchmarks/soap_send.py is a command; the runner reads its printed medians back."""
    import run

    printed = """
simplesms-soap send against the gateway's SOAP face (sandbox), linux, Python 3.11.7
client                  sends   mean ms    median       p95     per s
raw POST + lxml          2000     1.020     0.976     1.400       980
Bridge.send (zeep)       2000     1.300     1.222     1.700       769
ratio Bridge/raw: median 1.25x, mean 1.27x (target <= 1.3x: ok)
"""
    (figure,) = run._soap_figures(run._parse_soap_output(printed))
    assert (figure.value, figure.baseline, figure.ratio, figure.met) == (1.222, 0.976, 1.25, True)
