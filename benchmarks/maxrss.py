"""Peak RSS of one command: ``python maxrss.py CMD [ARG ...]`` prints one JSON line.

Why a separate small process: on Linux a child's ``ru_maxrss`` starts from the RSS of the
process it was forked from (the kernel carries the old address space's high-water mark
across ``exec``), so measuring ``smsbridge bulk`` straight from the benchmark runner
(itself 50+ MiB) would report the runner's size.  This process is a bare interpreter
(~10 MiB of its own, reported as ``floor_kib``) that imports next to nothing, well below what it
measures; a figure close to the floor would be meaningless, and the caller checks that.
"""
import json
import os
import resource
import shutil
import sys
import time

start = time.perf_counter()
program = sys.argv[1] if os.sep in sys.argv[1] else (shutil.which(sys.argv[1]) or sys.argv[1])
devnull = os.open(os.devnull, os.O_WRONLY)
pid = os.posix_spawn(program, sys.argv[1:], os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
_, status, usage = os.wait4(pid, 0)
# What the child inherits is this process's own address-space high-water mark (VmHWM);
# ru_maxrss of this process may itself be inflated by *its* parent in the same way.
floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    with open("/proc/self/status") as fh:
        floor = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
print(json.dumps({"maxrss_kib": usage.ru_maxrss, "floor_kib": floor, "exit": os.waitstatus_to_exitcode(status),
                  "seconds": round(time.perf_counter() - start, 3)}))
