"""Live servers on loopback: `selfscore serve` in a subprocess (and nginx in front of one), or an app in a thread.

On a busy machine: a port picked by free_port() can be taken by another process before the server binds it (another
worker's server, or any client's outgoing connection); a server that finds its port taken says so (PortTaken) and is
started again on another (on_free_port), and a server is ready only when the process answering on the port is ours.
Every wait here is for a condition; its seconds only keep a broken build from hanging (WAIT)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

HOST = "127.0.0.1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: seconds a start, a stop or a request may take before the test says it hangs: far beyond what a busy machine needs
WAIT = 120
#: how many ports a server is tried on before its test fails
TRIES = 5

T = TypeVar("T")


class PortTaken(AssertionError):
    """The port free_port() picked was taken before the server could bind it."""


def free_port() -> int:
    """A port free now; nothing holds it for the caller (see PortTaken and on_free_port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def on_free_port(start: Callable[[int], T], tries: int = TRIES) -> T:
    """``start(port)`` on a free port, again on another while it raises PortTaken."""
    for attempt in range(1, tries + 1):
        try:
            return start(free_port())
        except PortTaken:
            if attempt == tries:
                raise
    raise AssertionError("unreachable")


def _port_taken(log: str) -> bool:
    return "address already in use" in log.lower()


@contextlib.contextmanager
def running_server(app):
    """A live uvicorn server for ``app`` in this process, on a free loopback port, in a thread; yields its URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


class Server:
    """`selfscore serve ARGS` on a free loopback port (another one if it finds the port taken; a ``port`` given is
    tried alone, and PortTaken raised); ``stop()`` ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, log_dir: Path, *args: str, port: int | None = None, umask: int | None = None) -> None:
        for attempt in range(1, TRIES + 1):
            try:
                self._start(log_dir, args, port or free_port(), umask)
                return
            except PortTaken:
                if port is not None or attempt == TRIES:
                    raise

    def _start(self, log_dir: Path, args: tuple[str, ...], port: int, umask: int | None) -> None:
        self.port = port
        self.base = f"http://{HOST}:{self.port}"
        self.log = log_dir / f"server-{self.port}.log"
        with open(self.log, "wb") as output:  # a file, not a pipe nobody reads
            self.process = subprocess.Popen(
                [sys.executable, "-m", "selfscore", "serve", "--host", HOST, "--port", str(self.port), *args],
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True, umask=-1 if umask is None else umask)
        self.client = httpx.Client(base_url=self.base, trust_env=False, timeout=WAIT)
        try:
            self._wait_healthy(WAIT)
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self, seconds: float) -> None:
        """Until /healthz answers from this server: a process of its own (the server or a uvicorn worker below it),
        not whoever held the port first."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                taken = _port_taken(self.output())
                raise (PortTaken if taken else AssertionError)(f"selfscore serve exited:\n{self.output()}")
            try:
                response = self.client.get("/healthz", timeout=5)
                if response.status_code == 200 and response.json().get("pid") in {self.process.pid, *self.children()}:
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"selfscore serve did not answer within {seconds} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def health(self) -> dict:
        return self.client.get("/healthz").json()

    def wait_for(self, condition, seconds: float = WAIT) -> dict:
        """Poll /healthz until ``condition(checks)`` holds; returns the checks."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            checks = self.health()["checks"]
            if condition(checks):
                return checks
            time.sleep(0.02)
        raise AssertionError(f"never reached: last {checks}")

    def children(self) -> list[int]:
        """Every process below the server (uvicorn workers, check workers)."""
        found, frontier = [], [self.process.pid]
        while frontier:
            pid = frontier.pop()
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as children:
                        kids = [int(kid) for kid in children.read().split()]
                        found += kids
                        frontier += kids
            except OSError:
                continue
        return found

    def check_workers(self) -> list[int]:
        """The server's check worker processes (multiprocessing's spawned children, not its resource tracker); for a
        server without --workers, whose uvicorn workers would be spawned children too."""
        return [pid for pid in self.children() if b"spawn_main" in _read_bytes(f"/proc/{pid}/cmdline")]

    def idle_check_workers(self) -> set[int]:
        """The check workers waiting for a task: blocked in a system call on their connection to the server (a socket),
        not importing (files), not checking (running)."""
        idle = set()
        for pid in self.check_workers():
            call = _read_bytes(f"/proc/{pid}/syscall").split()  # number, arguments…, or "running"
            try:
                descriptor = os.readlink(f"/proc/{pid}/fd/{int(call[1], 16)}")
            except (IndexError, ValueError, OSError):
                continue
            if descriptor.startswith("socket:"):
                idle.add(pid)
        return idle

    def wait_for_workers(self, condition, seconds: float = WAIT) -> tuple[set[int], set[int]]:
        """Poll the check workers until ``condition(idle, busy)`` holds; returns (idle, busy), each a set of pids."""
        deadline = time.monotonic() + seconds
        while True:
            workers, idle = set(self.check_workers()), self.idle_check_workers()
            if condition(idle, workers - idle):
                return idle, workers - idle
            assert time.monotonic() < deadline, f"never reached: idle {idle}, busy {workers - idle}"

    @contextlib.contextmanager
    def workers_held(self, pids: set[int] | None = None):
        """The check workers ``pids`` (every one unless said) stopped (SIGSTOP) for the block, then let go (SIGCONT): a
        check in flight stays in flight for as long as the test needs it, on a fast machine or a busy one. A request
        that waited behind it would never be answered (the test fails on its client's timeout) rather than late."""
        pids = set(self.check_workers()) if pids is None else pids
        assert pids, f"no check worker to hold:\n{self.output()}"
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield pids
        finally:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(WAIT)
        self.client.close()

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(WAIT)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_) -> None:
        self.stop()


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

NGINX_CONF = """
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
{location}
    }}
}}
"""

#: the README's sample block, as tested: the app under /selfscore/, nginx strips the prefix
LOCATION = """
        location /selfscore/ {{
            proxy_pass http://127.0.0.1:{app_port}/;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            client_max_body_size 520m;
            proxy_read_timeout 300s;
        }}
"""


class Nginx:
    """nginx in the foreground with a temporary configuration, proxying /selfscore/ to a loopback app; PortTaken when
    ``port`` (a free one unless given) was taken before nginx could bind it."""

    def __init__(self, directory: Path, app_port: int, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"
        directory.mkdir(parents=True, exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""  # its workers would otherwise run as nobody, locked out of directory
        conf = directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, dir=directory, port=self.port,
                                          location=LOCATION.format(app_port=app_port)))
        pid_file = directory / "nginx.pid"
        pid_file.unlink(missing_ok=True)
        with open(directory / "stderr.log", "wb") as stderr:
            self.process = subprocess.Popen([NGINX, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"],
                                            stdout=subprocess.DEVNULL, stderr=stderr)
        self.directory = directory
        # nginx writes its pid file after it has bound its port: until then a connection could reach another process
        deadline = time.monotonic() + WAIT
        while True:
            if self.process.poll() is not None:
                log = (directory / "stderr.log").read_text() + _read(directory / "error.log")
                raise (PortTaken if _port_taken(log) else AssertionError)(log)
            if _read(pid_file).strip() == str(self.process.pid):
                try:
                    with socket.create_connection((HOST, self.port), timeout=5):
                        break
                except OSError:
                    pass
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(WAIT)


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
