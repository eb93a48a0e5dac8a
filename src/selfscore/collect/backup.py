"""Backups of a SQLite collections database, taken while the server runs, and restoring one into a fresh directory.

A backup is SQLite's online backup API: a consistent copy of the whole database as of one moment, taken while the
server goes on reading and writing (WAL mode: writers do not wait for it). PostgreSQL has its own tools
(``pg_dump``/``pg_restore``, see :func:`postgres_advice`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from selfscore.collect.database import SQLITE_FILE, Database, private_directory, private_file, sqlite_url


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the person running the command."""


@dataclass(frozen=True)
class Contents:
    """What a database holds, as the commands report it."""

    collections: int
    submissions: int
    original_bytes: int

    def text(self) -> str:
        return f"{self.collections} 次收集、{self.submissions} 份提交（原文件共 {self.original_bytes / 1024 / 1024:.1f} MB）"


def postgres_advice(url: str, restoring: bool) -> str:
    """What to run instead for a PostgreSQL database: its own pg_dump / pg_restore, the URL without its password."""
    # the address as libpq's tools take it, without the password (they ask for it, or read ~/.pgpass)
    parsed = make_url(url)._replace(drivername="postgresql", password=None)
    shown = parsed.render_as_string(hide_password=False)
    if restoring:
        new = parsed._replace(database="selfscore_restored").render_as_string(hide_password=False)
        return ("这是 PostgreSQL 数据库，请用 PostgreSQL 自己的工具恢复到一个新建的空库，例如：\n"
                f"  createdb selfscore_restored\n  pg_restore --no-owner --dbname=\"{new}\" 备份文件\n"
                "然后用 --database-url 指向这个新库启动服务（说明见部署文档「备份与恢复」）。")
    return ("这是 PostgreSQL 数据库，请用 PostgreSQL 自己的工具备份（服务运行时也可以），例如：\n"
            f"  pg_dump --format=custom --file=备份文件 \"{shown}\"\n"
            "（说明见部署文档「备份与恢复」）。")


def backup(database: Path, output: Path) -> Contents:
    """Copy the SQLite ``database`` into a new file ``output`` (0600), consistent as of one moment, while it is in use.

    The copy is written beside ``output`` first and linked into place only when it is complete and checked, so a
    crash leaves no half backup under that name; an existing ``output`` is never replaced."""
    if not database.is_file():
        raise BackupError(f"找不到收集数据库：{database} 不存在（--data 应指向服务所用的数据目录）。")
    if output.exists():
        raise BackupError(f"{output} 已存在：备份不覆盖已有的文件，请换一个文件名。")
    private_directory(output.parent)
    partial = output.with_name(output.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()  # left by a backup that was stopped half-way
    private_file(partial)
    try:
        source = sqlite3.connect(database, timeout=30)
        try:
            _contents(source, database)  # a selfscore database, not any file
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)  # every page in one step: a copy as of one moment, however busy the server is
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, without -wal beside it
                _check(copy, partial)
                contents = _contents(copy, partial)
            finally:
                copy.close()
        finally:
            source.close()
        _fsync(partial)
        os.link(partial, output)  # fails rather than replace a file that appeared meanwhile
        _fsync(output.parent)
    except sqlite3.Error as error:
        raise BackupError(f"备份未完成（{error}）；{database} 没有被改动。") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return contents


def restore(backup_file: Path, data_dir: Path) -> Contents:
    """Restore a backup into ``data_dir``, which must be new or empty: every submission's bytes are checked against the
    SHA-256 recorded when they arrived first, and the database is brought to this version's schema."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} 不是空目录：恢复只写入新的（或空的）目录，以免覆盖现有数据。请指定一个新目录。")
    if not backup_file.is_file():
        raise BackupError(f"找不到备份文件 {backup_file}。")
    try:
        source = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{backup_file} 无法打开（{error}）。") from None
    target = data_dir / SQLITE_FILE
    try:
        _check(source, backup_file)
        contents = _contents(source, backup_file)
        damaged = [str(row_id) for row_id, recorded, original in source.execute(
            "SELECT id, original_sha256, original FROM submissions ORDER BY id")
            if hashlib.sha256(original).hexdigest() != recorded]
        if damaged:
            raise BackupError(f"备份中有 {len(damaged)} 份提交的原文件与收到时记录的 SHA-256 不符（提交编号 "
                              f"{'、'.join(damaged[:20])}），没有恢复；请换一份备份。")
        private_directory(data_dir)
        partial = target.with_name(target.name + ".partial")
        private_file(partial)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"{backup_file} 不是可用的备份（{error}）。") from None
    finally:
        source.close()
    Database(sqlite_url(data_dir)).close()  # a backup of an older version: its schema brought up to date now
    return contents


def _check(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} 已损坏（SQLite 完整性检查：{result}）。")


def _contents(connection: sqlite3.Connection, path: Path) -> Contents:
    try:
        collections = connection.execute("SELECT count(*) FROM collections").fetchone()[0]
        submissions, size = connection.execute("SELECT count(*), coalesce(sum(original_size), 0) FROM submissions").fetchone()
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} 不是 selfscore 的收集数据库。") from None
    return Contents(collections, submissions, size)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
