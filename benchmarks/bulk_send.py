"""4. Bulk: concurrency speed-up of ``send_many``, and the memory of ``smsbridge bulk``.

Speed-up: ``Bridge.send_many`` through ``simplesms-rest`` against the fixed-reply server
with 20 ms of latency per request (a provider's round trip), at concurrency 4, 16 and 64,
against a plain sequential loop of ``Bridge.send``.  Ideal is the concurrency itself; a
2-core machine running one CPython process caps it (the GIL: each send costs ~0.1-0.2 ms of
CPU, so ~5,000 sends/s is a hard ceiling, and 64 x 50/s = 3,200/s is close to it).

Memory: peak RSS (``ru_maxrss`` from ``wait4``, taken by the small ``maxrss.py`` so that
the figure is the measured process's own peak, not its parent's) of

- the real ``smsbridge bulk FILE`` (the installed command) with the journal on disk,
  sending to the sandbox on disk, and through ``simplesms-rest`` to the fixed-reply
  server, each on two input sizes 5x apart: constant memory means equal peaks;
- the same command with ``Bridge.send`` stubbed (``bulk_child.py``) on 100k, 300k and 1M
  rows: CSV reading, the lazy item feed, the bounded in-flight window, the thread pool and
  the result writer — everything that could grow with the input — at a million rows
  within the time budget;
- for contrast, the real command with neither ``store`` nor a sandbox ``path``: the
  in-memory journal and sandbox keep every message by design, so that configuration
  grows with the input (use a ``store`` for big files; resuming needs one anyway).
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time

from common import HERE, PYTHON, Figure, Mode, fixed_server, hu_numbers, venv_bin

__all__ = ["run", "speedup", "write_csv", "peak_rss", "bulk_memory", "stream_memory", "in_memory_growth"]


def speedup(mode: Mode, latency: float = 0.02) -> list[Figure]:
    from send_overhead import _bridge

    figures = []
    levels = mode.pick((4, 16, 64), (4, 16, 64), (4,))
    with fixed_server(latency=latency) as base:
        with _bridge(base) as bridge:
            numbers = hu_numbers(mode.pick(6000, 3000, 100))
            bridge.send(numbers[0], "warm-up")
            n_seq = mode.pick(40, 20, 4)
            start = time.perf_counter()
            for to in numbers[:n_seq]:
                bridge.send(to, "Szia!")
            sequential = n_seq / (time.perf_counter() - start)
            for level in levels:
                count = level * mode.pick(25, 12, 2)
                items = [(to, "Szia!") for to in numbers[:count]]
                start = time.perf_counter()
                results = bridge.send_many(items, concurrency=level)
                rate = count / (time.perf_counter() - start)
                failed = sum(1 for r in results if isinstance(r, Exception))
                figures.append(Figure(
                    "4. bulk", f"send_many speed-up at concurrency {level} (20 ms latency)", rate, sequential,
                    "msg/s", note=f"ideal {level}x; {count} messages" + (f"; {failed} FAILED" if failed else ""),
                    extra={"sequential_msg_per_s": sequential, "efficiency": rate / sequential / level}))
    return figures


def write_csv(path: str, rows: int) -> None:
    """``rows`` distinct valid Hungarian mobile numbers, one short text each."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("to,text\n")
        chunk = []
        for i in range(rows):
            chunk.append(f"+3630{2000000 + i:07d},Szia {i}!\n")
            if len(chunk) == 10000:
                fh.write("".join(chunk))
                chunk.clear()
        fh.write("".join(chunk))


def peak_rss(argv: list[str], *, timeout: float = 900) -> tuple[float, float, int]:
    """Run ``argv`` under ``maxrss.py``; (peak RSS in MiB, wall seconds, exit status) of that process."""
    import json

    out = subprocess.run([PYTHON, os.path.join(HERE, "maxrss.py"), *argv], capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError(f"maxrss.py {argv[:3]}... failed: {out.stderr[-500:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["exit"] != 0:
        raise RuntimeError(f"{argv[:3]}... exited {result['exit']}: {out.stderr[-500:]}")
    if result["maxrss_kib"] < 1.2 * result["floor_kib"]:
        raise RuntimeError(f"peak RSS {result['maxrss_kib']} KiB is too close to the measuring process's own "
                           f"{result['floor_kib']} KiB to mean anything")
    return result["maxrss_kib"] / 1024, result["seconds"], result["exit"]  # KiB on Linux


def _config(path: str, body: str) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(body)
    return path


def bulk_memory(mode: Mode, tmp: str, *, http: bool = False) -> list[Figure]:
    """The real ``smsbridge bulk``, journal on disk: to the sandbox on disk, or (``http``)
    through ``simplesms-rest`` to the fixed-reply server (slower: ~1,000 rows/s, so smaller files)."""
    if http:
        small, large = mode.pick((2_000, 10_000), (1_000, 5_000), (50, 250))
    else:
        small, large = mode.pick((20_000, 100_000), (5_000, 25_000), (100, 500))
    results: dict[int, tuple[float, float]] = {}
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(fixed_server()) if http else ""
        for rows in (small, large):
            tag = f"{'http' if http else 'disk'}-{rows}"
            csv_path = os.path.join(tmp, f"{tag}.csv")
            write_csv(csv_path, rows)
            if http:
                backend = (f'{{plugin: simplesms-rest, username: bench, password: bench-pw, domain: bench.hu, '
                           f'base_url: "{base}/rest/SMSapi/"}}')
            else:
                backend = f"{{plugin: sandbox, credit: 1e12, path: {os.path.join(tmp, tag + '-sandbox.sqlite3')}}}"
            config = _config(os.path.join(tmp, f"{tag}.yaml"),
                             f"default: primary\nbackends:\n  primary: {backend}\n"
                             f"store: {os.path.join(tmp, tag + '-journal.sqlite3')}\n")
            rss, wall, _ = peak_rss([venv_bin("smsbridge"), "--config", config, "bulk", csv_path, "--concurrency", "8",
                                     "--out", os.path.join(tmp, f"{tag}.out.csv")])
            results[rows] = (rss, wall)
            os.unlink(csv_path)
    (rss_s, wall_s), (rss_l, wall_l) = results[small], results[large]
    where = "simplesms-rest to the fixed server" if http else "sandbox on disk"
    return [Figure("4. bulk", f"smsbridge bulk peak RSS, {large:,} vs {small:,} rows (store on disk, {where})",
                   rss_l, rss_s, "MiB", target="<= 1.10",
                   note=f"{large / wall_l:,.0f} rows/s ({small / wall_s:,.0f} on the small file), concurrency 8",
                   extra={"rows_per_s": {small: small / wall_s, large: large / wall_l}})]


def stream_memory(mode: Mode, tmp: str) -> list[Figure]:
    """``smsbridge bulk`` with the send stubbed, up to a million rows."""
    sizes = mode.pick((100_000, 300_000, 1_000_000), (30_000, 100_000), (200, 1000))
    config = _config(os.path.join(tmp, "stub.yaml"), "default: local\nbackends:\n  local: {plugin: sandbox}\n")
    results: dict[int, tuple[float, float]] = {}
    for rows in sizes:
        csv_path = os.path.join(tmp, f"stream-{rows}.csv")
        write_csv(csv_path, rows)
        rss, wall, _ = peak_rss([PYTHON, os.path.join(HERE, "bulk_child.py"), config, csv_path,
                                 os.path.join(tmp, f"stream-{rows}.out.csv"), "8"])
        results[rows] = (rss, wall)
        os.unlink(csv_path)
    first, last = sizes[0], sizes[-1]
    detail = ", ".join(f"{n:,}: {r:.1f} MiB ({n / w:,.0f} rows/s)" for n, (r, w) in results.items())
    return [Figure("4. bulk", f"smsbridge bulk (send stubbed) peak RSS, {last:,} vs {first:,} rows",
                   results[last][0], results[first][0], "MiB", target="<= 1.10", note=detail,
                   extra={"rss_mib": {n: r for n, (r, _) in results.items()}})]


def in_memory_growth(mode: Mode, tmp: str) -> list[Figure]:
    """Contrast: no ``store`` and an in-memory sandbox keep every message in RAM by design."""
    small, large = mode.pick((10_000, 50_000), (5_000, 25_000), (100, 500))
    config = _config(os.path.join(tmp, "memory.yaml"), "default: local\nbackends:\n  local: {plugin: sandbox, credit: 1e9}\n"
                     'store: ":memory:"\n')
    results = {}
    for rows in (small, large):
        csv_path = os.path.join(tmp, f"mem-{rows}.csv")
        write_csv(csv_path, rows)
        rss, wall, _ = peak_rss([venv_bin("smsbridge"), "--config", config, "bulk", csv_path,
                                 "--out", os.path.join(tmp, f"mem-{rows}.out.csv")])
        results[rows] = (rss, wall)
    grow = (results[large][0] - results[small][0]) / (large - small) * 1024 * 1024
    return [Figure("4. bulk", f"for contrast: no store + in-memory sandbox, {large:,} vs {small:,} rows",
                   results[large][0], results[small][0], "MiB",
                   note=f"grows ~{grow:,.0f} bytes/row by design (in-memory journal and sandbox); "
                        f"{large / results[large][1]:,.0f} rows/s")]


def run(mode: Mode) -> list[Figure]:
    figures = speedup(mode)
    with tempfile.TemporaryDirectory(prefix="smsbridge-bulk-") as tmp:
        figures += bulk_memory(mode, tmp)
        figures += bulk_memory(mode, tmp, http=True)
        figures += stream_memory(mode, tmp)
        figures += in_memory_growth(mode, tmp)
    return figures
