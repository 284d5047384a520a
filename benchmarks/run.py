"""Run every smsbridge benchmark and print one table: ``python benchmarks/run.py [--quick]``.

Each figure is measured side by side in this one run (smsbridge and its baseline in
alternating rounds, against the same local server on 127.0.0.1) and reported as a ratio;
docs/performance.md explains each one and records the figures.

    python benchmarks/run.py              # the documented figures (~4-5 minutes on 2 cores)
    python benchmarks/run.py --quick      # shorter runs, smaller files (~1.5 minutes)
    python benchmarks/run.py --only send,startup --json results.json

Sections: ``issue18`` (issue 18's table: every row as a side-by-side ratio, see
benchmarks/issue18.py; ``--only issue18 --quick`` takes about a minute), ``send`` (1, send overhead), ``soap`` (2, benchmarks/soap_send.py), ``journal``
(3), ``bulk`` (4), ``send_many`` (4b, benchmarks/send_many_bench.py), ``gateway`` (5, needs ``wrk``), ``startup`` (6, uses ``hyperfine`` if
installed).

``soap_send.py`` is written by the SOAP backend's author; this runner runs it as a
command and reads back the medians and the ratio it prints (or calls its ``run(mode)``
if it grows one), so the two stay decoupled.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from common import Figure, Mode, machine  # noqa: E402

__all__ = ["SECTIONS", "run_sections", "format_table", "main"]


def _module_runner(name: str) -> Callable[[Mode], list[Figure]]:
    def run(mode: Mode) -> list[Figure]:
        return importlib.import_module(name).run(mode)
    return run


def _soap(mode: Mode) -> list[Figure]:
    """2. SOAP send, from ``benchmarks/soap_send.py`` (the SOAP backend author's benchmark).

    It is a command (``main()`` printing a table and ``ratio Bridge/raw: median X``), so it
    runs as a subprocess and its printed medians are read back; a ``run(mode)`` function
    returning Figures, if it grows one, is used instead.
    """
    path = os.path.join(HERE, "soap_send.py")
    if not os.path.exists(path):
        return [Figure("2. SOAP send", "simplesms-soap send vs raw", math.nan, None, "ms/send", target="<= 1.3",
                       note="SKIPPED: benchmarks/soap_send.py is not there yet")]
    module = importlib.import_module("soap_send")
    if callable(getattr(module, "run", None)):
        return _soap_figures(module.run(mode))
    iterations = mode.pick(2000, 600, 40)
    out = subprocess.run([sys.executable, path, "--iterations", str(iterations), "--block", str(min(100, iterations))],
                         capture_output=True, text=True, timeout=600, cwd=HERE)
    if out.returncode != 0:
        raise RuntimeError(f"soap_send.py exited {out.returncode}: {(out.stderr or out.stdout)[-400:]}")
    return _soap_figures(_parse_soap_output(out.stdout))


def _parse_soap_output(text: str) -> dict[str, float]:
    """Medians (ms) from soap_send.py's table: rows 'client sends mean median p95 per-s'."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        cells = line.split()
        if len(cells) >= 6 and line.startswith("raw POST"):
            found["raw_ms"] = float(cells[-3])
        elif len(cells) >= 6 and line.startswith("Bridge.send"):
            found["smsbridge_ms"] = float(cells[-3])
        elif line.startswith("ratio Bridge/raw: median"):
            found["ratio"] = float(line.split("median", 1)[1].split("x", 1)[0])
    if "ratio" not in found:
        raise RuntimeError(f"could not read soap_send.py's output: {text[-400:]!r}")
    return found


def _soap_figures(result: Any) -> list[Figure]:
    """Accept what soap_send returns: Figures, a Figure, or a mapping of timings/ratio."""
    if isinstance(result, Figure):
        return [result]
    if isinstance(result, (list, tuple)) and result and all(isinstance(f, Figure) for f in result):
        return list(result)
    if isinstance(result, dict):
        def pick(*keys: str) -> float | None:
            for key in keys:
                for k, v in result.items():
                    if k.lower() == key and isinstance(v, (int, float)):
                        return float(v)
            return None
        value = pick("smsbridge_ms", "smsbridge", "bridge_ms", "bridge", "value")
        base = pick("raw_ms", "raw", "baseline", "requests")
        ratio = pick("ratio")
        return [Figure("2. SOAP send", "Bridge.send via simplesms-soap vs raw POST + lxml (soap_send.py)",
                       value if value is not None else math.nan, base, "ms/send", ratio=ratio, target="<= 1.3",
                       note="benchmarks/soap_send.py: gateway SOAP face + sandbox in a child process",
                       extra={k: v for k, v in result.items() if isinstance(v, (int, float, str))})]
    raise TypeError(f"soap_send returned {type(result).__name__}; expected Figures or a mapping")


SECTIONS: dict[str, Callable[[Mode], list[Figure]]] = {
    "issue18": _module_runner("issue18"),  # issue 18's whole table, side by side (benchmarks/issue18.py)
    "send": _module_runner("send_overhead"),
    "soap": _soap,
    "journal": _module_runner("journal_cost"),
    "bulk": _module_runner("bulk_send"),
    "send_many": _module_runner("send_many_bench"),  # 4b: moved out of tests (issue 11), slow-reply row (issue 18)
    "gateway": _module_runner("gateway_rps"),
    "startup": _module_runner("startup"),
}


def run_sections(names: list[str], mode: Mode, *, log: Callable[[str], None] = lambda s: None) -> list[Figure]:
    figures: list[Figure] = []
    for name in names:
        start = time.perf_counter()
        log(f"[{name}] running ...")
        try:
            got = SECTIONS[name](mode)
        except Exception as exc:  # one broken section must not hide the others' figures
            log(traceback.format_exc())
            got = [Figure(name, f"{name}: FAILED", math.nan, None, "", note=f"{type(exc).__name__}: {exc}"[:200])]
        figures += got
        log(f"[{name}] done in {time.perf_counter() - start:.1f} s")
    return figures


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def format_table(figures: list[Figure], *, markdown: bool = False) -> str:
    head = ["#", "figure", "smsbridge", "baseline", "unit", "ratio", "target", "met"]
    rows = []
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "NO")
        rows.append([f.section.split(".")[0], f.name, _num(f.value), _num(f.baseline), f.unit,
                     "-" if f.ratio is None or math.isnan(f.ratio) else f"{f.ratio:.2f}x", f.target or "", met])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        notes = [f"- {f.name}: {f.note}" for f in figures if f.note]
        return "\n".join(lines + ([""] + notes if notes else []))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    widths[1] = min(widths[1], 78)
    def line(cells: list[str]) -> str:
        return "  ".join(str(c)[:w].ljust(w) if i == 1 else str(c).rjust(w) if i in (2, 3, 5) else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    out = [line(head), line(["-" * w for w in widths])] + [line(r) for r in rows]
    notes = [f"  {f.section.split('.')[0]}. {f.name[:50]}: {f.note}" for f in figures if f.note]
    return "\n".join(out + (["", "notes:"] + notes if notes else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="smsbridge benchmarks (docs/performance.md)")
    parser.add_argument("--quick", action="store_true", help="shorter runs and smaller files")
    parser.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--json", help="also write the figures and the machine context to this file")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    names = list(SECTIONS) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    mode = Mode("quick" if args.quick else "full")
    context = machine()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"smsbridge benchmarks ({mode.name}): Python {context['python']}, {context['cpu']}, "
          f"{context['cores']} cores, load average {load[0]:.2f}" if load else "", file=sys.stderr)
    start = time.perf_counter()
    figures = run_sections(names, mode, log=lambda s: print(s, file=sys.stderr, flush=True))
    elapsed = time.perf_counter() - start
    print(format_table(figures, markdown=args.markdown))
    print(f"\n{len(figures)} figures in {elapsed:.0f} s", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"mode": mode.name, "machine": context, "load_before": load, "seconds": elapsed,
                       "figures": [f.as_dict() for f in figures]}, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
