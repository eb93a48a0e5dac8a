"""Concurrent-load check of the web API on loopback: does the server keep answering, and how fast?

    .venv/bin/python benchmarks/load.py                          # 20 clients × 25 uploads, under a minute on 2 cores
    .venv/bin/python benchmarks/load.py --clients 2 --uploads 3  # a quick smoke run

Starts `selfscore serve` on 127.0.0.1 (a free port, nothing else is ever contacted), waits for /healthz, then
CLIENTS threads each POST UPLOADS workbooks to /api/check: a mix of good, faulty and hostile files from the
corpus of tests/corpus.py. It stops by itself: the counts are bounded, every request has a timeout, no new
upload starts after --time-limit, and the server is always terminated. Prints requests, errors (any 5xx,
connection failure or timeout), wrong answers (a status other than the one expected for that file), the
status-code histogram, p50/p90/p99 latency, throughput and the server's peak RSS.

Exit status: 0 when there were no errors and no wrong answers, 1 otherwise, 2 when the server did not start.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "sample_data")]

#: the only address this script ever talks to
HOST = "127.0.0.1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: hostile corpus cases in the mix: cheap to build, no LibreOffice needed; the at-the-caps case (8 s and 250 MB
#: each) is left out so the figures describe ordinary traffic under attack, not a queue of worst cases
HOSTILE = (
    "empty", "random_bytes", "truncated_zip", "csv_renamed", "pdf_renamed", "word_97_renamed", "encrypted", "xlsm",
    "file_over_20mb", "compression_ratio_1000", "lying_declared_size", "members_3000", "billion_laughs",
    "merge_whole_sheet", "shared_strings_400k", "names_swapped", "text_over_32767", "control_characters",
    "formula_injection", "with_image",
)
#: faulty but readable workbooks, as offices send them
FAULTY = (
    ("shantytown", {"scores": {"funds_raising": 7}}),
    ("old_communities", {"facts": {"quality_issues": 2}}),
    ("shantytown", {"facts": {"starts_actual": "二百八十二"}}),
    ("shantytown", {"total": 99}),
)


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    #: the status the server must answer with
    expected: int


def workload(max_upload_bytes: int) -> list[Upload]:
    """Good, faulty and hostile workbooks, built from the real template and the corpus generator."""
    import corpus
    from helpers import make_workbook

    uploads = []
    with tempfile.TemporaryDirectory() as directory:
        for number, (table, changes) in enumerate([("shantytown", {}), ("old_communities", {}), *FAULTY]):
            data = make_workbook(Path(directory) / f"{number}.xlsx", table, **changes).read_bytes()
            uploads.append(Upload(f"{'good' if not changes else 'faulty'}-{table}-{number}.xlsx", data, 200))
        cases = {case.name: case for case in corpus.CASES}
        for name in HOSTILE:
            data = cases[name].build(Path(directory) / f"{name}.xlsx").read_bytes()
            expected = 413 if len(data) > max_upload_bytes else 422 if cases[name].exit_code == 2 else 200
            uploads.append(Upload(f"hostile-{name}.xlsx", data, expected))
    return uploads


# --- the server ---------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(port: int, log: Path, max_upload_mb: float) -> subprocess.Popen:
    command = [sys.executable, "-m", "selfscore", "serve", "--host", HOST, "--port", str(port),
               "--max-upload-mb", f"{max_upload_mb:g}"]
    with open(log, "wb") as output:  # a file, not a pipe: an unread pipe would stall the server's access log
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=REPO)


def wait_healthy(client, server: subprocess.Popen, base: str, seconds: float) -> bool:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            if client.get(f"{base}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def peak_rss_mb(pid: int) -> float | None:
    """The server process's peak resident memory (Linux's VmHWM), or None where /proc is not there."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration, ValueError):
        return None


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


# --- the clients --------------------------------------------------------------------------------------------------------


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    #: latencies by kind of file: good, faulty, hostile
    by_kind: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    by_file: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    statuses: collections.Counter = field(default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    sent: int = 0
    cut_off: int = 0  # requests stopped by the overall time limit
    not_sent: int = 0  # uploads never started because the time limit had passed
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_client(number: int, uploads: int, mix: list[Upload], base: str, timeout: float, deadline: float,
               results: Results) -> None:
    import httpx

    rng = random.Random(number)
    plan = [mix[rng.randrange(len(mix))] for _ in range(uploads)]
    # trust_env=False: no proxy from the environment, the request goes straight to 127.0.0.1
    with httpx.Client(trust_env=False) as client:
        for index, upload in enumerate(plan):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                with results.lock:
                    results.not_sent += len(plan) - index
                return
            limit = min(timeout, remaining)
            with results.lock:
                results.sent += 1
            start = time.perf_counter()
            try:
                response = client.post(f"{base}/api/check", files=[("files", (upload.name, upload.data, XLSX))],
                                       timeout=limit)
            except httpx.TimeoutException as error:
                with results.lock:
                    if limit < timeout:
                        results.cut_off += 1
                    else:
                        results.errors.append(f"{upload.name}: timeout after {limit:.0f} s ({type(error).__name__})")
                continue
            except httpx.HTTPError as error:
                with results.lock:
                    results.errors.append(f"{upload.name}: {type(error).__name__}: {error}")
                continue
            seconds = time.perf_counter() - start
            with results.lock:
                results.latencies.append(seconds)
                results.by_kind[upload.name.split("-", 1)[0]].append(seconds)
                results.by_file[upload.name].append(seconds)
                results.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    results.errors.append(f"{upload.name}: HTTP {response.status_code}")
                elif response.status_code != upload.expected:
                    results.wrong.append(f"{upload.name}: HTTP {response.status_code}, expected {upload.expected}")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


# --- main ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (threads), default 20")
    parser.add_argument("--uploads", type=int, default=25, help="uploads per client, default 25")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="seconds after which no new upload starts and running ones are cut off, default 600")
    parser.add_argument("--timeout", type=float, default=120.0, help="per-request timeout in seconds, default 120")
    parser.add_argument("--max-upload-mb", type=float, default=10.0, help="the server's per-file cap, default 10")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.uploads < 1 or args.time_limit <= 0 or args.timeout <= 0:
        parser.error("--clients and --uploads must be at least 1, --time-limit and --timeout positive")

    # SIGTERM (a CI runner's timeout) unwinds like Ctrl+C, so the server is stopped on every way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    print("building the workload ...", flush=True)
    mix = workload(int(args.max_upload_mb * 1024 * 1024))
    expected = collections.Counter(upload.expected for upload in mix)
    print(f"  {len(mix)} distinct workbooks: {expected[200]} readable, {expected[422]} unreadable, "
          f"{expected[413]} over the cap", flush=True)

    import httpx

    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="selfscore-load-") as directory:
        log = Path(directory) / "server.log"
        server = start_server(port, log, args.max_upload_mb)
        try:
            with httpx.Client(trust_env=False) as probe:
                if not wait_healthy(probe, server, base, 60):
                    print(f"the server did not answer /healthz within 60 s:\n{log.read_text(errors='replace')[-3000:]}",
                          file=sys.stderr)
                    return 2
            print(f"server: selfscore serve on {base} (pid {server.pid})", flush=True)
            print(f"load: {args.clients} clients × {args.uploads} uploads to POST /api/check "
                  f"(time limit {args.time_limit:g} s, timeout {args.timeout:g} s per request) ...", flush=True)

            results = Results()
            start = time.monotonic()
            deadline = start + args.time_limit
            threads = [threading.Thread(target=run_client, daemon=True,
                                        args=(number, args.uploads, mix, base, args.timeout, deadline, results))
                       for number in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                # every request is bounded by min(timeout, time left), so each thread ends shortly after the limit
                thread.join(timeout=max(0.0, deadline + 30 - time.monotonic()))
            wall = time.monotonic() - start
            stuck = sum(thread.is_alive() for thread in threads)
            peak = peak_rss_mb(server.pid)
        finally:
            stop_server(server)

    with results.lock:
        answered = len(results.latencies)
        print()
        print(f"requests:      {results.sent} of {args.clients * args.uploads} planned "
              f"({results.not_sent} not sent, {results.cut_off} cut off by the time limit)")
        print(f"errors:        {len(results.errors)} (5xx, connection failures, timeouts)")
        print(f"wrong answers: {len(results.wrong)} (a status other than the one expected for that file)")
        print("status codes:  " + (", ".join(f"{code}×{count}" for code, count in sorted(results.statuses.items())) or "none"))
        if results.latencies:
            p50, p90, p99 = (percentile(results.latencies, q) for q in (0.50, 0.90, 0.99))
            print(f"latency:       p50 {p50:.2f} s, p90 {p90:.2f} s, p99 {p99:.2f} s, max {max(results.latencies):.2f} s")
            for kind, seconds in sorted(results.by_kind.items()):
                print(f"  {kind + ':':9s}    p50 {percentile(seconds, 0.5):.2f} s, p99 {percentile(seconds, 0.99):.2f} s "
                      f"({len(seconds)} requests)")
            slowest = sorted(results.by_file.items(), key=lambda item: -statistics.median(item[1]))[:3]
            print("  slowest:     " + ", ".join(f"{name} (median {statistics.median(seconds):.2f} s)" for name, seconds in slowest))
        print(f"throughput:    {answered / wall:.1f} requests/s over {wall:.1f} s")
        if peak is not None:
            print(f"server peak:   {peak:.0f} MB RSS")
        print(f"machine:       {os.cpu_count()} CPU(s) visible, Python {sys.version.split()[0]}")
        for line in (results.errors + results.wrong)[:20]:
            print(f"  ! {line}")
        if stuck:
            print(f"  ! {stuck} client thread(s) still running at exit")
        return 1 if results.errors or results.wrong or stuck else 0


if __name__ == "__main__":
    sys.exit(main())
