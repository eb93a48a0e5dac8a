"""Live servers on loopback: `selfscore serve` in a subprocess (and nginx in front of one), or an app in a thread."""

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
from pathlib import Path

import httpx

HOST = "127.0.0.1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_server(app):
    """A live uvicorn server for ``app`` in this process, on a free loopback port, in a thread; yields its URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


class Server:
    """`selfscore serve ARGS` on a free loopback port; ``stop()`` ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, log_dir: Path, *args: str, port: int | None = None, umask: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log = log_dir / f"server-{self.port}.log"
        with open(self.log, "wb") as output:  # a file, not a pipe nobody reads
            self.process = subprocess.Popen(
                [sys.executable, "-m", "selfscore", "serve", "--host", HOST, "--port", str(self.port), *args],
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True, umask=-1 if umask is None else umask)
        self.client = httpx.Client(base_url=self.base, trust_env=False, timeout=60)
        self._wait_healthy(60)

    def _wait_healthy(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"selfscore serve exited:\n{self.output()}"
            try:
                if self.client.get("/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"selfscore serve did not answer within {seconds} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def health(self) -> dict:
        return self.client.get("/healthz").json()

    def wait_for(self, condition, seconds: float = 30) -> dict:
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

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.client.close()

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

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
    """nginx in the foreground with a temporary configuration, proxying /selfscore/ to a loopback app."""

    def __init__(self, directory: Path, app_port: int, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"
        directory.mkdir(parents=True, exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""  # its workers would otherwise run as nobody, locked out of directory
        conf = directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, dir=directory, port=self.port,
                                          location=LOCATION.format(app_port=app_port)))
        self.process = subprocess.Popen([NGINX, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=open(directory / "stderr.log", "wb"))
        self.directory = directory
        deadline = time.monotonic() + 20
        while True:
            assert self.process.poll() is None, (directory / "stderr.log").read_text() + (directory / "error.log").read_text()
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
