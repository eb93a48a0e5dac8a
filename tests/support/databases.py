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

from support.live_server import free_port


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
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres" if _has_user("postgres") else "nobody"
            record = pwd.getpwnam(self.user)
            os.chown(self.directory, record.pw_uid, record.pw_gid)
        self._run("initdb", "-D", str(self.directory / "data"), "-A", "trust", "-U", "selfscore", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-l", str(self.directory / "log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        self.url = f"postgresql+psycopg://selfscore@127.0.0.1:{self.port}"
        self._count = 0

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
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
