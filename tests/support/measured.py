"""Run the selfscore command in its own process and measure its wall time and peak memory."""

from __future__ import annotations

import re
import subprocess
import sys
import time

#: Runs the selfscore command and, on the way out, writes the process's own peak RSS to stderr.
#: VmHWM belongs to the process's memory map, which exec makes anew; ru_maxrss (wait4, RUSAGE_CHILDREN)
#: would instead start from the pytest process's size, which a child inherits across fork and exec on Linux.
PROBE = """
import atexit, resource, sys
def peak():
    try:
        with open("/proc/self/status") as status:
            kilobytes = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stderr.write(f"\\n@peak_rss_kb={kilobytes}\\n")
atexit.register(peak)
from selfscore.cli import main
sys.argv = ["selfscore", *sys.argv[1:]]
main()
"""
_PEAK = re.compile(r"\n@peak_rss_kb=(\d+)\n")


def run_measured(args: list[str], timeout: float = 120) -> tuple[int, str, str, float, float]:
    """Run ``selfscore ARGS`` in its own process: exit code, stdout, stderr, wall seconds, peak RSS in MB."""
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - start
    found = _PEAK.search(result.stderr)
    assert found, result.stderr
    return result.returncode, result.stdout, _PEAK.sub("", result.stderr), seconds, int(found.group(1)) / 1024
