"""The database: an engine for SQLite (the default, in the data directory) or PostgreSQL, migrated at start-up."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_FILE = "selfscore.sqlite3"
#: any fixed number: PostgreSQL's advisory lock that lets one process at a time run the migrations
_MIGRATION_LOCK = 7_112_012


class DatabaseError(Exception):
    """The database cannot be used (bad URL, unreachable server); the message is for the person starting the server."""


#: what SQLite keeps beside a database file in WAL mode; it creates them with the database file's own permissions
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_directory(path: Path) -> Path:
    """``path`` as a directory, created readable by this user only (0700, whatever the umask): it holds every unit's
    upload link and workbooks. An existing directory is left as it is (it may be shared on purpose); the files in it
    are private anyway (:func:`private_file`)."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode passes through the umask
    return path


def private_file(path: Path) -> None:
    """Create ``path`` if it is missing, and make it readable and writable by this user only (0600, whatever the umask)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database, or SQLite in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _private_sqlite(url: str) -> None:
    """A SQLite database file, and what SQLite keeps beside it, 0600 before SQLite opens it: SQLite would create it
    0644 under the usual umask, and its companions take the database file's permissions."""
    path = sqlite_file(url)
    if path is None:
        return
    private_file(path)
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(companion, 0o600)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(Path(data_dir) / SQLITE_FILE).resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for the URL, with SQLite set up for several writers (WAL, waiting on locks, BEGIN IMMEDIATE)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
            # Transactions are begun below, by us: pysqlite's own deferred BEGIN lets two writers deadlock.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:  # noqa: ANN001
            # Take the write lock at the start, so a transaction that reads then writes waits instead of failing.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith(("postgresql", "postgres")):
        if url.startswith("postgres://") or url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return create_engine(url, pool_pre_ping=True)
    raise DatabaseError(f"不支持的数据库地址：{url.split(':', 1)[0]}；请用 sqlite:///路径 或 postgresql+psycopg://用户@主机/库名。")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration shipped in the package (a no-op when it is there already)."""
    config = Config()
    config.set_main_option("script_location", "selfscore.collect:migrations")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one, which a table other rows point to refuses
            # while foreign keys are enforced; they are off for the migration (the pragma only takes effect outside a
            # transaction) and every reference is checked again before it is on again.
            # on the driver's own connection: through SQLAlchemy the pragma would begin a transaction first
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    # Several workers starting at once: one migrates, the others wait and then find nothing to do.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
                config.attributes["connection"] = connection
                before = MigrationContext.configure(connection).get_current_revision()
                command.upgrade(config, "head")
                # only after a migration ran: a check of every reference on each start of an up-to-date database
                # would read every table, stored workbooks included
                if sqlite and MigrationContext.configure(connection).get_current_revision() != before:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise DatabaseError(f"数据库升级后有 {len(broken)} 条记录引用了不存在的记录（如表 {broken[0][0]}），"
                                            "升级已撤销；请把数据库文件发给维护人员。")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


class Database:
    """An engine plus its session factory; every write goes through ``transaction()``."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            try:
                _private_sqlite(url)
            except OSError as error:
                raise DatabaseError(f"无法打开数据库文件（{error.strerror}：{error.filename}）。") from error
        self.engine = make_engine(url)
        try:
            migrate(self.engine)
        except DatabaseError:
            raise
        except Exception as error:
            self.engine.dispose()
            raise DatabaseError(f"无法打开数据库（{type(error).__name__}：{error}）。") from error
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def in_directory(cls, data_dir: Path) -> Database:
        private_directory(data_dir)
        return cls(sqlite_url(data_dir))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back on an exception."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
