"""Web tests: the store of marked-up copies in their own temporary cache directory (never the user's), a slow workbook,
Chromium."""

from __future__ import annotations

import pytest

from support.browser import launch, require_chromium
from support.collection_web import PASSWORD, client_of, sign_in
from support.slow import slow_workbook


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.mktemp("cache")
    # platformdirs' user cache directory on Linux; also what `selfscore serve` children inherit
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture(scope="session")
def slow_bytes(tmp_path_factory) -> bytes:
    # about 3 s to check: long enough to be surely in flight while a test probes the server
    return slow_workbook(tmp_path_factory.mktemp("slow") / "慢.xlsx", sheets=2).read_bytes()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for a module's browser tests; each test opens its own context. Module-scoped, not
    session-scoped: a sync Playwright left running marks the thread's event loop as running, and the next module to
    start one of its own (test_proxy.py's, which resolves no name) would be refused."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def database_args(database_url, tmp_path) -> list[str]:
    """How `selfscore serve` and `selfscore admin` name the `database_url` fixture's database: SQLite through --data
    (the default a clerk's office gets), PostgreSQL through --database-url."""
    return ["--data", str(tmp_path / "data")] if database_url.startswith("sqlite") else ["--database-url", database_url]


# --- a collections app on the `database` fixture (SQLite and PostgreSQL), and who uses it ---


@pytest.fixture
def app(database):
    from selfscore.collect.access import Access
    from selfscore.web import create_app

    Access(database).set_password(PASSWORD)
    # Checks in this process's threads (processes=0, the pool's mode for tests that embed the app): every start of the
    # app (each `with TestClient`) would otherwise start its worker processes afresh, each a new Python importing the
    # checker (about 1.6 s of CPU), in nearly every test. Checks in worker processes are what test_web.py's app,
    # test_collections.py's own apps (a total with bonus and penalty, an oversized upload),
    # test_collections_pool.py and test_collections_server.py (a real `selfscore serve`) go through.
    return create_app(collections=database, processes=0)


@pytest.fixture
def anonymous(app):
    with client_of(app) as test_client:
        yield test_client


@pytest.fixture
def reviewer(app):
    """A signed-in reviewer; ``reviewer.csrf`` is the session's form token."""
    with client_of(app) as test_client:
        test_client.csrf = sign_in(test_client)  # type: ignore[attr-defined]
        yield test_client


@pytest.fixture
def api(app, database):
    """A JSON API client holding a bearer token."""
    from selfscore.collect.access import Access

    token = Access(database).create_api_token("测试")
    with client_of(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


@pytest.fixture
def collections_url(tmp_path):
    """A live server with collections on SQLite, for the browser tests; the reviewer's password is PASSWORD."""
    from selfscore.collect.access import Access
    from selfscore.collect.database import Database
    from selfscore.web import create_app
    from support.live_server import running_server

    database = Database.in_directory(tmp_path / "data")
    Access(database).set_password(PASSWORD)
    with running_server(create_app(collections=database)) as url:
        yield url
    database.close()
