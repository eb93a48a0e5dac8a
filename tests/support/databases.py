"""Databases for the collection tests: SQLite in a temp dir, and a throwaway PostgreSQL cluster started from apt's binaries."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from support.live_server import WAIT, PortTaken, on_free_port


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """initdb + pg_ctl in a temp dir on a free loopback port; as root, run as the postgres (or nobody) user,
    since initdb refuses to run as root."""

    def __init__(self) -> None:
        bin_dir = _postgres_bin()
        if bin_dir is None:
            if os.environ.get("CI"):
                pytest.fail("PostgreSQL is missing: .ci/run installs the postgresql package")
            pytest.skip("PostgreSQL (apt package postgresql) is not installed")
        self.bin = bin_dir
        self.directory = Path(tempfile.mkdtemp(prefix="selfscore-pg-"))
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres" if _has_user("postgres") else "nobody"
            record = pwd.getpwnam(self.user)
            os.chown(self.directory, record.pw_uid, record.pw_gid)
        self._run("initdb", "-D", str(self.directory / "data"), "-A", "trust", "-U", "selfscore", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        on_free_port(self._start)
        self.url = f"postgresql+psycopg://selfscore@127.0.0.1:{self.port}"
        self._count = 0

    def _start(self, port: int) -> None:
        """The cluster on ``port``; PortTaken when another process bound it first (on_free_port tries another)."""
        self.port = port
        log = self.directory / "log"
        log.unlink(missing_ok=True)
        try:
            self._run("pg_ctl", "-D", str(self.directory / "data"), "-l", str(log), "-w", "-t", str(WAIT),
                      "-o", f"-p {port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        except RuntimeError as error:
            if log.exists() and "address already in use" in log.read_text(errors="replace").lower():
                raise PortTaken(str(error)) from error
            raise

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=WAIT + 60)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stdout}\n{result.stderr}")

    def new_database(self) -> str:
        """A fresh, empty database in the cluster, so that every test starts from nothing."""
        import psycopg

        self._count += 1
        name = f"test_{os.getpid()}_{self._count}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=selfscore dbname=postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"{self.url}/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
