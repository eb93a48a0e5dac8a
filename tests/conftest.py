"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent

#: Hypothesis never fails a test for time: no deadline on an example, and no "too slow" health check on drawing them
#: (both fire on a busy machine, not on a bug). Loaded here, before any test module is imported, so that every
#: @settings(...) in the tests inherits it; a test's own settings only add to it.
settings.register_profile("selfscore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("selfscore")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """In CI (CI set, as .ci/run does) nothing may be skipped: a test that would skip fails, saying why it would have
    skipped, so a missing program or a new skip is seen instead of quietly counted. On a developer's machine a skip
    stays a skip (and -ra lists it)."""
    report = yield
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, and CI must run every test: {reason}"
    return report


#: The modules that take longest, longest first. `make test` hands whole modules to the workers (--dist loadfile) in
#: the order collected (--no-loadscope-reorder, in pyproject.toml); by default xdist would hand out the modules with
#: the most tests first, which leaves these few-test, long modules to the end, where one worker runs the last of
#: them while the other idles. The order is the modules' times in a whole run (docs/testing-durations.md); a module
#: not listed keeps its place after these.
SLOW_MODULES_FIRST = (
    "web/test_server.py",
    "web/test_crash_safety.py",
    "web/test_collections.py",
    "web/test_web_hostile.py",
    "web/test_sign_in_server.py",
    "web/test_accounts_pages.py",
    "web/test_web.py",
    "web/test_collections_server.py",
    "write/test_inplace.py",
    "web/test_collections_pool.py",
    "web/test_data_at_rest.py",
    "write/test_copy_read_lean.py",
    "web/test_review_scenario.py",
    "read/test_hostile.py",
    "score/test_fuzz.py",
    "score/test_properties.py",
    "web/test_collections_browser.py",
    "web/test_load_script.py",
    "orchestration/test_report_only.py",
    "web/test_collections_at_once.py",
    "web/test_collections_security.py",
    "web/test_review_browser.py",
    "read/test_saved_files.py",
    "collect/test_sign_in.py",
    "collect/test_service.py",
    "web/test_browser.py",
    "orchestration/test_table_new.py",
    "web/test_link_storage.py",
    "web/test_review_web.py",
    "orchestration/test_batch.py",
    "orchestration/test_corrections_kept.py",
    "web/test_proxy.py",
    "web/test_input_rules.py",
    "packaging/test_wheel.py",
    "collect/test_unit_review.py",
    "write/test_templates.py",
    "write/test_rendering.py",
    "read/test_lean.py",
    "read/test_by_names.py",
    "write/test_recheck.py",
    "read/test_layouts.py",
    "read/test_reading.py",
    "web/test_collections_api.py",
    "orchestration/test_broken_definition.py",
    "score/test_edges.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow modules first, in SLOW_MODULES_FIRST's order (a stable sort: every module's tests stay together and in
    their order)."""
    rank = {module: number for number, module in enumerate(SLOW_MODULES_FIRST)}
    tests = REPO / "tests"

    def place(item: pytest.Item) -> int:
        try:
            return rank.get(item.path.relative_to(tests).as_posix(), len(rank))
        except ValueError:
            return len(rank)

    items.sort(key=place)


@pytest.fixture(scope="session", autouse=True)
def private_user_directories(tmp_path_factory):
    """No test (nor any server it starts) writes the user's real data or cache directory: collections and
    marked-up copies made without --data or --store go to a temporary home of their own."""
    saved = {key: os.environ.get(key) for key in ("XDG_DATA_HOME", "XDG_CACHE_HOME")}
    home = tmp_path_factory.mktemp("home")
    os.environ["XDG_DATA_HOME"], os.environ["XDG_CACHE_HOME"] = str(home / "data"), str(home / "cache")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def fresh_caches_under_mutmut():
    """Under mutmut, every test starts with the table and schema caches empty. mutmut runs only the tests it saw
    call a function; with warm caches only the first test to load a table or build its schema is seen calling
    the loading and schema code, and a mutant there is never run against the tests that would catch it.
    Outside mutmut, nothing changes."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        from selfscore.score.validation import build_schema
        from selfscore.tables import definitions

        definitions._load_all.cache_clear()  # noqa: SLF001
        build_schema.cache_clear()


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def postgres_cluster():
    from support.databases import PostgresCluster

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
