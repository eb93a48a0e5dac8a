"""Data at rest, on a real `selfscore serve`: the data directory and every file in it private whatever the umask, and
`selfscore admin backup` of a running server under submissions restored with every submission's SHA-256 intact (SQLite);
PostgreSQL's own pg_dump/pg_restore, as the docs give them."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import threading
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from selfscore.cli import main
from support.collection_web import (
    PASSWORD,
    client,
    new_collection,
    plain_workbook,
    serve,
    sign_in,
    unit_rows,
    upload,
    workbook,
)
from support.live_server import XLSX, Server


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _submissions(path: Path) -> dict[int, tuple[str, bytes]]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        return {row_id: (recorded, original) for row_id, recorded, original in
                connection.execute("SELECT id, original_sha256, original FROM submissions")}


def test_the_data_directory_and_every_file_in_it_are_private_whatever_the_umask(tmp_path):
    data, store = tmp_path / "data" / "selfscore", tmp_path / "store"
    with Server(tmp_path, "--data", str(data), "--store", str(store), "--processes", "1", umask=0o022) as server:
        assert _mode(data) == 0o700
        # what the server made, before this process opens the database too
        assert {path.name: _mode(path) for path in data.iterdir()} == {path.name: 0o600 for path in data.iterdir()}
        assert (data / "selfscore.sqlite3").exists()
        saved = os.umask(0o022)
        try:
            result = CliRunner().invoke(main, ["admin", "set-password", "--data", str(data), "--password-stdin"],
                                        input=PASSWORD + "\n")
        finally:
            os.umask(saved)
        assert result.exit_code == 0, result.output
        reviewer, _collection_id, unit_links = new_collection(server)
        with client(server) as clerk:
            assert upload(clerk, unit_links["温县"], workbook(tmp_path, "温县", unit="温县"), "温县.xlsx").status_code == 200
        checked = server.client.post("/check", files=[("files", ("温县.xlsx", workbook(tmp_path, "温县"), XLSX))])
        assert checked.status_code == 200
        reviewer.close()
        # while the server runs: the database, its -wal and -shm, and the kept marked-up copies
        files = sorted(path.name for path in data.iterdir())
        assert {"selfscore.sqlite3", "selfscore.sqlite3-wal", "selfscore.sqlite3-shm"} <= set(files), files
        assert {name: _mode(data / name) for name in files} == dict.fromkeys(files, 0o600)
        assert _mode(store) == 0o700 and list(store.iterdir())
        assert {path.name: _mode(path) for path in store.iterdir()} == {path.name: 0o600 for path in store.iterdir()}
    # a database left readable by an earlier version is made private at the next start
    (data / "selfscore.sqlite3").chmod(0o644)
    with Server(tmp_path, "--data", str(data), "--processes", "1", umask=0o022):
        assert _mode(data / "selfscore.sqlite3") == 0o600


def test_a_backup_of_a_running_server_under_submissions_restores_with_every_sha256_intact(tmp_path):
    data = tmp_path / "data"
    with serve(tmp_path, ["--data", str(data)], "--processes", "1", "--queue", "40") as server:
        reviewer, collection_id, unit_links = new_collection(server)
        sent: list[bytes] = []
        stored = threading.Event()

        def submit() -> None:
            with client(server) as clerk:
                for number in range(12):
                    unit = list(unit_links)[number % 3]
                    payload = plain_workbook(f"{unit} 第 {number} 份") if number % 2 else \
                        workbook(tmp_path, f"{unit}{number}", unit=unit)
                    assert upload(clerk, unit_links[unit], payload, f"{unit}.xlsx").status_code == 200
                    sent.append(payload)
                    if number == 3:
                        stored.set()

        submitting = threading.Thread(target=submit)
        submitting.start()
        assert stored.wait(120)
        backed_up = CliRunner().invoke(main, ["admin", "backup", "--data", str(data), str(tmp_path / "backups" / "b.sqlite3")])
        submitting.join(180)
        assert backed_up.exit_code == 0, backed_up.output
        assert not submitting.is_alive() and len(sent) == 12
        assert "已备份到" in backed_up.output
        live = _submissions(data / "selfscore.sqlite3")
        reviewer.close()

    backup_file = tmp_path / "backups" / "b.sqlite3"
    assert _mode(backup_file) == 0o600 and not list(backup_file.parent.glob("*.partial"))
    in_backup = _submissions(backup_file)
    assert 4 <= len(in_backup) <= 12  # taken while the submissions went on: at least those before it, one moment's worth
    assert all(live[row_id] == row for row_id, row in in_backup.items())
    # a backup never replaces a file, and a restore only writes into a new directory
    again = CliRunner().invoke(main, ["admin", "backup", "--data", str(data), str(backup_file)])
    assert again.exit_code == 1 and "已存在" in again.output
    refused = CliRunner().invoke(main, ["admin", "restore", str(backup_file), "--data", str(data)])
    assert refused.exit_code == 1 and "不是空目录" in refused.output

    restored_dir = tmp_path / "restored"
    restored = CliRunner().invoke(main, ["admin", "restore", str(backup_file), "--data", str(restored_dir)])
    assert restored.exit_code == 0, restored.output
    assert f"{len(in_backup)} 份提交" in restored.output and "SHA-256 均已核对" in restored.output
    rows = _submissions(restored_dir / "selfscore.sqlite3")
    assert rows == in_backup
    assert all(hashlib.sha256(original).hexdigest() == recorded for recorded, original in rows.values())
    assert {original for _recorded, original in rows.values()} <= set(sent)
    assert _mode(restored_dir) == 0o700 and _mode(restored_dir / "selfscore.sqlite3") == 0o600
    # the restored directory serves: the reviewer signs in with the same password and sees the same units
    with Server(tmp_path, "--data", str(restored_dir), "--processes", "1") as server:
        reviewer = client(server)
        reviewer.csrf = sign_in(reviewer)  # type: ignore[attr-defined]
        assert set(unit_rows(reviewer, collection_id)) == {"温县", "孟州市", "修武县"}
        reviewer.close()


def test_a_damaged_backup_is_not_restored(tmp_path):
    data = tmp_path / "data"
    with serve(tmp_path, ["--data", str(data)], "--processes", "1") as server:
        reviewer, _collection_id, unit_links = new_collection(server)
        with client(server) as clerk:
            assert upload(clerk, unit_links["温县"], workbook(tmp_path, "温县", unit="温县"), "温县.xlsx").status_code == 200
        reviewer.close()
    backup_file = tmp_path / "b.sqlite3"
    assert CliRunner().invoke(main, ["admin", "backup", "--data", str(data), str(backup_file)]).exit_code == 0
    with sqlite3.connect(backup_file) as connection:  # one stored workbook's bytes changed after it arrived
        connection.execute("UPDATE submissions SET original = ? WHERE id = (SELECT min(id) FROM submissions)", (b"changed",))
    refused = CliRunner().invoke(main, ["admin", "restore", str(backup_file), "--data", str(tmp_path / "restored")])
    assert refused.exit_code == 1 and "SHA-256 不符" in refused.output and "Traceback" not in refused.output
    assert not (tmp_path / "restored" / "selfscore.sqlite3").exists()


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_backup_and_restore_pointed_at_postgresql_name_its_own_tools(tmp_path, command):
    url = "postgresql+psycopg://selfscore:secret@db.example/selfscore"
    result = CliRunner().invoke(main, ["admin", command, "--database-url", url, str(tmp_path / "b")])
    assert result.exit_code == 1 and "这是 PostgreSQL 数据库" in result.output
    assert ("pg_dump --format=custom" if command == "backup" else "pg_restore --no-owner") in result.output
    assert "secret" not in result.output and "+psycopg" not in result.output


def test_pg_dump_and_pg_restore_as_the_docs_give_them_keep_every_submission(tmp_path, postgres_cluster):
    url = postgres_cluster.new_database()
    with serve(tmp_path, ["--database-url", url], "--processes", "1") as server:
        reviewer, _collection_id, unit_links = new_collection(server)
        with client(server) as clerk:
            for unit in unit_links:
                assert upload(clerk, unit_links[unit], workbook(tmp_path, unit, unit=unit), f"{unit}.xlsx").status_code == 200
        reviewer.close()
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        dump = tmp_path / "selfscore.dump"
        # while the server runs, as docs/deployment.md gives it
        subprocess.run([str(postgres_cluster.bin / "pg_dump"), "--format=custom", f"--file={dump}", plain], check=True,
                       timeout=120)
    restored_url = postgres_cluster.new_database()
    subprocess.run([str(postgres_cluster.bin / "pg_restore"), "--no-owner",
                    f"--dbname={restored_url.replace('postgresql+psycopg://', 'postgresql://')}", str(dump)], check=True,
                   timeout=120)
    with psycopg.connect(restored_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        rows = connection.execute("SELECT original_sha256, original FROM submissions").fetchall()
    assert len(rows) == 3 and all(hashlib.sha256(original).hexdigest() == recorded for recorded, original in rows)
