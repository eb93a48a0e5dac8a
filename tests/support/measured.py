"""Run the selfscore command in its own process and measure its wall time and peak memory.

``run_measured`` starts a fresh Python for one command. ``measured_commands`` runs many: one runner process per
worker imports what a check imports once, then forks a child for each command, which runs the command (``main()`` of
the ``selfscore`` entry point, with its arguments, its own stdout and stderr, its exit code) and measures its own
peak memory. The child pays none of Python's and pandas' start-up (about 1 s of CPU a command); it is still a
process of its own, whose peak is the command's, bounded like a fresh one's: the runner it is forked from holds
nothing but the imports, which a fresh process would hold too.
"""

from __future__ import annotations

import contextlib
import json
import locale
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

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

Measured = tuple[int, str, str, float, float]


def run_measured(args: list[str], timeout: float = 120) -> Measured:
    """Run ``selfscore ARGS`` in its own process: exit code, stdout, stderr, wall seconds, peak RSS in MB."""
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - start
    return _measured(result.returncode, result.stdout, result.stderr, seconds)


def _measured(code: int, stdout: str, stderr: str, seconds: float) -> Measured:
    found = _PEAK.search(stderr)
    assert found, stderr
    return code, stdout, _PEAK.sub("", stderr), seconds, int(found.group(1)) / 1024


#: The runner: reads one request a line ({"args", "stdout", "stderr", "timeout"}), forks a child that runs the
#: command with its stdout and stderr in those files, waits for it, answers {"code"} or {"timed_out"} in a line.
#: Each child also reports the modules the command imported, in their order, and the runner imports those it lacks:
#: later children start with them loaded (what a command imports depends on its file: an empty one imports little).
#: Before the command, a child resets its peak RSS to what it holds at the fork (writing 5 to /proc/self/clear_refs;
#: a fresh memory map starts from the same on fork anyway), and on the way out writes VmHWM to its stderr as PROBE
#: does.
RUNNER = r"""
import atexit, importlib, json, os, select, signal, sys, time, traceback

def peak_kilobytes():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def child(request, report_modules):
    code = 1
    try:
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")
        except OSError:
            pass
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, name in ((1, "stdout"), (2, "stderr")):
            opened = os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        sys.argv = ["selfscore", *request["args"]]
        try:
            from selfscore.cli import main
            main()
            code = 0
        except SystemExit as exit:  # as the interpreter treats it
            if exit.code is None:
                code = 0
            elif isinstance(exit.code, int):
                code = exit.code
            else:
                print(exit.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()
        sys.stderr.write(f"\n@peak_rss_kb={peak_kilobytes()}\n")
        sys.stdout.flush()
        sys.stderr.flush()
        if report_modules is not None:
            os.write(report_modules, json.dumps(list(sys.modules)).encode())
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code & 0xFF)

def serve():
    requests, answers = sys.stdin, sys.stdout
    for line in requests:
        request = json.loads(line)
        reading, writing = os.pipe()
        answers.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(reading)
            child(request, writing)
        os.close(writing)
        # the child's report of its modules, until its end of the pipe closes (it exits), or it is killed at the deadline
        chunks, timed_out = [], False
        deadline = time.monotonic() + request["timeout"]
        with os.fdopen(reading, "rb", buffering=0) as modules:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    os.kill(pid, signal.SIGKILL)
                    timed_out = True
                    break
                if select.select([modules], [], [], min(left, 1.0))[0]:
                    chunk = modules.read(1 << 16)
                    if not chunk:
                        break
                    chunks.append(chunk)
        status = os.waitpid(pid, 0)[1]
        names = b"" if timed_out else b"".join(chunks)
        if names:
            for name in json.loads(names):
                if name not in sys.modules:
                    try:
                        importlib.import_module(name)
                    except BaseException:
                        pass
        if timed_out:
            answer = {"timed_out": True}
        else:
            answer = {"code": os.waitstatus_to_exitcode(status)}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()

serve()
"""


class _Runner:
    """One runner process, taking one command at a time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process = subprocess.Popen([sys.executable, "-c", RUNNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, encoding="utf-8")
        self.count = 0

    def run(self, args: list[str], timeout: float) -> Measured:
        self.count += 1
        stdout, stderr = self.directory / f"{self.count}.out", self.directory / f"{self.count}.err"
        start = time.monotonic()
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"args": args, "stdout": str(stdout), "stderr": str(stderr),
                                             "timeout": timeout}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        seconds = time.monotonic() - start
        assert line, f"the runner process ended (exit code {self.process.poll()})"
        answer = json.loads(line)
        if answer.get("timed_out"):
            raise subprocess.TimeoutExpired(["selfscore", *args], timeout)
        # as subprocess.run(text=True) reads a child's output: the locale's encoding, universal newlines
        encoding = locale.getpreferredencoding(False)
        return _measured(answer["code"], stdout.read_text(encoding=encoding), stderr.read_text(encoding=encoding),
                         seconds)

    def close(self) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def measured_commands(workers: int) -> Iterator[Callable[..., Measured]]:
    """A ``run_measured`` for many commands, as many at a time as ``workers`` (call it from that many threads): each
    command in a process of its own, forked from a runner that has imported what a check imports."""
    directory = Path(tempfile.mkdtemp(prefix="selfscore-measured-"))
    idle: queue.SimpleQueue[_Runner] = queue.SimpleQueue()
    runners = []
    try:
        for number in range(workers):
            runner = _Runner(directory / str(number))
            runner.directory.mkdir()
            runners.append(runner)
            idle.put(runner)

        def run(args: list[str], timeout: float = 120) -> Measured:
            runner = idle.get()
            try:
                return runner.run(args, timeout)
            finally:
                idle.put(runner)

        yield run
    finally:
        for runner in runners:
            runner.close()
        shutil.rmtree(directory, ignore_errors=True)
