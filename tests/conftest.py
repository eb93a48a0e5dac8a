"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def postgres_cluster():
    from databases import PostgresCluster

    cluster = PostgresCluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """The same collection tests against SQLite and against a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'selfscore.sqlite3'}"
    return request.getfixturevalue("postgres_cluster").new_database()


@pytest.fixture
def database(database_url):
    from selfscore.collect.database import Database

    opened = Database(database_url)
    yield opened
    opened.close()
