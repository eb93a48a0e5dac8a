"""benchmarks/load.py itself, at a tiny size: it starts a server on loopback, gets no errors and stops by itself."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest


def test_the_load_script_runs_clean_at_a_tiny_size(repo):
    result = subprocess.run([sys.executable, str(repo / "benchmarks" / "load.py"), "--clients", "2", "--uploads", "3",
                             "--time-limit", "120"], capture_output=True, text=True, timeout=300, cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^requests:\s+6 of 6 planned", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^errors:\s+0 ", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^wrong answers:\s+0 ", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^latency:\s+p50 [\d.]+ s, p90 [\d.]+ s, p99 [\d.]+ s", result.stdout, re.MULTILINE), result.stdout
    assert "127.0.0.1" in result.stdout and "Traceback" not in result.stderr
    # and the server it started is gone: nothing listens on its port any more
    port = int(re.search(r"on http://127\.0\.0\.1:(\d+) ", result.stdout).group(1))
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_the_rush_scenario_runs_clean_at_a_tiny_size(repo):
    result = subprocess.run([sys.executable, str(repo / "benchmarks" / "load.py"), "--scenario", "rush", "--clients", "2",
                             "--duration", "4", "--processes-list", "1"], capture_output=True, text=True, timeout=300, cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    line = re.search(r"^processes 1: (\d+) checks in [\d.]+ s = [\d.]+ checks/s; upload p50 [\d.]+ s, p99 [\d.]+ s; "
                     r"prober p50 \d+ ms, p99 \d+ ms, max \d+ ms \((\d+) probes\); 503s (\d+); errors 0$",
                     result.stdout, re.MULTILINE)
    assert line, result.stdout
    assert int(line.group(2)) >= 10  # a probe every 100 ms for 4 s, each answered while checks ran
    assert re.search(r"^targets: prober p99 ≤ 100 ms: \d+ ms — (met|MISSED); no 5xx but deliberate 503s: 0 errors — met$",
                     result.stdout, re.MULTILINE), result.stdout
