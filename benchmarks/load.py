"""Concurrent-load check of the web API on loopback: does the server keep answering, and how fast?

    .venv/bin/python benchmarks/load.py                          # 20 clients × 25 uploads, under a minute on 2 cores
    .venv/bin/python benchmarks/load.py --clients 2 --uploads 3  # a quick smoke run
    .venv/bin/python benchmarks/load.py --scenario rush          # a deadline rush, 1 worker process, then one per CPU

The rush: for each process count (--processes-list, default "1,<CPUs>"), a fresh server; --clients threads keep
uploading slow workbooks (about 1.6 s each to check) for --duration seconds (the checks in flight then are
answered and counted; throughput is checks ÷ the time to the last answer), honouring 503 + Retry-After, while a
prober GETs /healthz and / every 100 ms. Printed per process count: checks done and throughput, upload p50/p99,
prober p50/p99/max, 503s, errors; then the throughput ratio and the targets (prober p99 ≤ 100 ms, no 5xx but
deliberate 503s, N processes ≥ 1.7× one on 2 cores), beside the machine's own two-process ceiling.

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
sys.path[:0] = [str(HERE), str(REPO / "tests"), str(REPO / "sample_data")]

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
    from support import corpus
    from support.helpers import make_workbook

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


def start_server(port: int, log: Path, max_upload_mb: float, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "selfscore", "serve", "--host", HOST, "--port", str(port),
               "--max-upload-mb", f"{max_upload_mb:g}", "--store", str(log.parent / "store"), *extra]
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


# --- the deadline rush --------------------------------------------------------------------------------------------------

PROBE_EVERY = 0.1


@dataclass
class Rush:
    processes: int
    checks: int = 0  # uploads answered 200 (every one started within the window)
    started: float = 0.0
    last_answer: float = 0.0
    uploads: list[float] = field(default_factory=list)
    probes: list[float] = field(default_factory=list)
    busy: int = 0  # deliberate 503s
    errors: list[str] = field(default_factory=list)
    window: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def span(self) -> float:
        """From the start of the rush to its last check's answer: the uploads in flight at the window's end count too."""
        return max(self.window, self.last_answer - self.started)

    @property
    def throughput(self) -> float:
        return self.checks / self.span if self.span else 0.0


def rush_client(base: str, data: bytes, end: float, timeout: float, rush: Rush) -> None:
    import httpx

    with httpx.Client(trust_env=False) as client:
        while time.monotonic() < end:
            start = time.perf_counter()
            try:
                response = client.post(f"{base}/api/check", files=[("files", ("slow.xlsx", data, XLSX))], timeout=timeout)
            except httpx.HTTPError as error:
                with rush.lock:
                    rush.errors.append(f"upload: {type(error).__name__}: {error}")
                continue
            seconds = time.perf_counter() - start
            with rush.lock:
                if response.status_code == 503:
                    rush.busy += 1
                elif response.status_code != 200:
                    rush.errors.append(f"upload: HTTP {response.status_code}")
                else:
                    rush.uploads.append(seconds)
                    rush.checks += 1
                    rush.last_answer = max(rush.last_answer, time.monotonic())
            if response.status_code == 503:  # as a well-behaved client does: wait as told, within the window
                time.sleep(max(0.0, min(float(response.headers.get("retry-after", 1)), end - time.monotonic())))


def prober(base: str, end: float, rush: Rush) -> None:
    import httpx

    with httpx.Client(trust_env=False) as client:
        paths = ("/healthz", "/")
        number = 0
        while time.monotonic() < end:
            tick = time.monotonic()
            start = time.perf_counter()
            try:
                response = client.get(f"{base}{paths[number % 2]}", timeout=30)
                ok = response.status_code == 200
            except httpx.HTTPError as error:
                ok, response = False, error
            with rush.lock:
                rush.probes.append(time.perf_counter() - start)
                if not ok:
                    rush.errors.append(f"probe {paths[number % 2]}: {response}")
            number += 1
            time.sleep(max(0.0, tick + PROBE_EVERY - time.monotonic()))


def run_rush(processes: int, clients: int, duration: float, timeout: float, data: bytes, directory: Path) -> Rush | None:
    import httpx

    port = free_port()
    base = f"http://{HOST}:{port}"
    log = directory / f"server-{processes}.log"
    server = start_server(port, log, 10, "--processes", str(processes), "--check-timeout", str(timeout))
    rush = Rush(processes)
    try:
        with httpx.Client(trust_env=False) as client:
            if not wait_healthy(client, server, base, 60):
                print(f"the server did not answer /healthz within 60 s:\n{log.read_text(errors='replace')[-3000:]}",
                      file=sys.stderr)
                return None
            # Warm every worker process (they import the checker at start) before the clock starts.
            warm = [threading.Thread(target=client.post, args=(f"{base}/api/check",),
                                     kwargs={"files": [("files", ("warm.xlsx", data, XLSX))], "timeout": timeout})
                    for _ in range(processes)]
            for thread in warm:
                thread.start()
            for thread in warm:
                thread.join(timeout)
        start = time.monotonic()
        end = start + duration
        rush.started = start
        threads = [threading.Thread(target=rush_client, args=(base, data, end, timeout, rush), daemon=True)
                   for _ in range(clients)]
        threads.append(threading.Thread(target=prober, args=(base, end, rush), daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, end + timeout + 5 - time.monotonic()))
        rush.window = duration
    finally:
        stop_server(server)
    return rush


def print_rush(rush: Rush) -> None:
    def ms(values: list[float], fraction: float | None = None) -> str:
        if not values:
            return "—"
        return f"{1000 * (max(values) if fraction is None else percentile(values, fraction)):.0f} ms"

    def s(values: list[float], fraction: float) -> str:
        return f"{percentile(values, fraction):.2f} s" if values else "—"

    print(f"processes {rush.processes}: {rush.checks} checks in {rush.span:.1f} s = {rush.throughput:.2f} checks/s; "
          f"upload p50 {s(rush.uploads, 0.5)}, p99 {s(rush.uploads, 0.99)}; prober p50 {ms(rush.probes, 0.5)}, "
          f"p99 {ms(rush.probes, 0.99)}, max {ms(rush.probes)} ({len(rush.probes)} probes); 503s {rush.busy}; "
          f"errors {len(rush.errors)}")
    for line in rush.errors[:10]:
        print(f"  ! {line}")


def rush_main(args: argparse.Namespace) -> int:
    from bench import ceiling

    from support.slow import slow_workbook

    counts = [int(part) for part in args.processes_list.split(",")] if args.processes_list else sorted({1, default_cpus()})
    with tempfile.TemporaryDirectory(prefix="selfscore-rush-") as directory:
        data = slow_workbook(Path(directory) / "slow.xlsx").read_bytes()
        print(f"rush: {args.clients} clients uploading a {len(data) // 1024} KB workbook for {args.duration:g} s, "
              f"a prober on /healthz and / every {PROBE_EVERY * 1000:.0f} ms; processes {counts}; all on {HOST}", flush=True)
        limit_before = ceiling() if len(counts) > 1 else None
        rushes = []
        for processes in counts:
            rush = run_rush(processes, args.clients, args.duration, args.timeout, data, Path(directory))
            if rush is None:
                return 2
            print_rush(rush)
            rushes.append(rush)
        limit = (limit_before + ceiling()) / 2 if limit_before is not None else None
    probe_p99 = max(percentile(rush.probes, 0.99) for rush in rushes if rush.probes)
    errors = sum(len(rush.errors) for rush in rushes)
    print(f"targets: prober p99 ≤ 100 ms: {1000 * probe_p99:.0f} ms — {'met' if probe_p99 <= 0.1 else 'MISSED'}; "
          f"no 5xx but deliberate 503s: {errors} errors — {'met' if errors == 0 else 'MISSED'}")
    if len(rushes) > 1 and rushes[0].throughput:
        ratio = rushes[-1].throughput / rushes[0].throughput
        print(f"throughput {rushes[-1].processes} processes ÷ {rushes[0].processes}: {ratio:.2f}× (target ≥ 1.7× on 2 cores: "
              f"{'met' if ratio >= 1.7 else 'MISSED'}); this machine's ceiling for two processes at once: {limit:.2f}×")
    print(f"machine:       {os.cpu_count()} CPU(s) visible, {default_cpus()} usable, load average "
          f"{' '.join(f'{load:.1f}' for load in os.getloadavg())}, Python {sys.version.split()[0]}")
    return 1 if errors else 0


def default_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# --- main ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("mixed", "rush"), default="mixed",
                        help="mixed: good, faulty and hostile files (default); rush: slow workbooks plus a prober")
    parser.add_argument("--clients", type=int, default=None, help="concurrent clients (threads), default 20 (rush: 12)")
    parser.add_argument("--uploads", type=int, default=25, help="uploads per client, default 25")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="seconds after which no new upload starts and running ones are cut off, default 600")
    parser.add_argument("--timeout", type=float, default=120.0, help="per-request timeout in seconds, default 120")
    parser.add_argument("--max-upload-mb", type=float, default=10.0, help="the server's per-file cap, default 10")
    parser.add_argument("--duration", type=float, default=30.0, help="rush: seconds each process count is rushed, default 30")
    parser.add_argument("--processes-list", default=None, help='rush: worker process counts to compare, default "1,<CPUs>"')
    args = parser.parse_args(argv)
    if args.clients is None:
        args.clients = 12 if args.scenario == "rush" else 20
    # SIGTERM (a CI runner's timeout) unwinds like Ctrl+C, so the server is stopped on every way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.scenario == "rush":
        if args.clients < 1 or not 0 < args.duration <= 600:
            parser.error("--clients must be at least 1 and --duration within (0, 600] seconds")
        return rush_main(args)
    if args.clients < 1 or args.uploads < 1 or args.time_limit <= 0 or args.timeout <= 0:
        parser.error("--clients and --uploads must be at least 1, --time-limit and --timeout positive")


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
