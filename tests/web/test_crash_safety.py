"""Crashes lose nothing, on a real `selfscore serve` (SQLite and PostgreSQL): a kill -9 in the middle of submissions
leaves each one whole or absent and the next start clean; 50 submissions at once through two server processes all
stored, none meeting "database is locked"."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import select, text
from sqlalchemy.orm import undefer

from selfscore.collect.database import Database, sqlite_url
from selfscore.collect.models import Action, Submission
from support.collection_web import client, new_collection, plain_workbook, serve, sign_in, unit_rows, upload, workbook
from support.live_server import WAIT, XLSX


def _url(database_url: str, database_args: list[str]) -> str:
    return sqlite_url(Path(database_args[1])) if database_url.startswith("sqlite") else database_url


def _stored(url: str) -> dict[int, Submission]:
    """Every stored submission, each checked whole: its bytes match the checksum and size taken when it arrived, its
    report and its marked-up copy are there, and the log of actions records it."""
    database = Database(url)
    try:
        with database.transaction() as session:
            rows = {row.id: row for row in session.scalars(select(Submission).options(
                undefer(Submission.original), undefer(Submission.marked_up), undefer(Submission.report)))}
            logged = set(session.scalars(select(Action.submission_id).where(Action.action == "submit")))
            if url.startswith("sqlite"):
                assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        database.close()
    for row in rows.values():
        assert hashlib.sha256(row.original).hexdigest() == row.original_sha256 and len(row.original) == row.original_size
        assert row.report and row.report.get("status") == row.status
        assert row.marked_up is None or hashlib.sha256(row.marked_up).hexdigest() == row.marked_up_sha256
    assert set(rows) == logged  # no row without its log entry, no log entry without its row
    return rows


def test_a_kill_9_in_the_middle_of_submissions_leaves_each_whole_or_absent(tmp_path, database_url, database_args,
                                                                          slow_bytes):
    url = _url(database_url, database_args)
    done: list[bytes] = []
    with serve(tmp_path, database_args, "--processes", "2", "--queue", "40") as server:
        reviewer, collection_id, unit_links = new_collection(server)
        reviewer.close()
        stop = threading.Event()

        def slow() -> None:  # surely in the middle of its check when the server is killed
            with client(server) as clerk, contextlib.suppress(httpx.HTTPError):
                upload(clerk, unit_links["修武县"], slow_bytes, "修武县.xlsx")

        def keep_submitting(unit: str) -> None:
            number = 0
            with client(server) as clerk:
                while not stop.is_set():
                    number += 1
                    payload = plain_workbook(f"{unit} 第 {number} 份")
                    try:
                        response = upload(clerk, unit_links[unit], payload, f"{unit}.xlsx")
                    except (httpx.HTTPError, AssertionError):
                        return  # the server is gone
                    if response.status_code == 200 and "/submissions/" in response.url.path:
                        done.append(payload)

        threads = [threading.Thread(target=slow)] + [threading.Thread(target=keep_submitting, args=(unit,))
                                                     for unit in ("温县", "孟州市")]
        # both workers started and past their imports, each waiting for a task: the one that takes the slow submission
        # is then the one that stops waiting
        warm_up = server.client.post("/api/check", files=[("files", ("温县.xlsx", workbook(tmp_path, "温县"), XLSX))])
        assert warm_up.status_code == 200, warm_up.text[:300]
        server.wait_for_workers(lambda idle, busy: len(idle) == 2 and not busy)
        threads[0].start()
        _, slow_worker = server.wait_for_workers(lambda idle, busy: len(busy) == 1)
        # held in the middle of its check until the kill, however long the others take (about 1 s of checking: a busy
        # machine could let it finish before they did)
        with server.workers_held(slow_worker):
            for thread in threads[1:]:  # the others through the second worker meanwhile
                thread.start()
            deadline = time.monotonic() + WAIT
            while len(done) < 2:
                assert time.monotonic() < deadline, server.output()
                time.sleep(0.02)
            assert threads[0].is_alive(), "the slow submission ended before the kill"
            server.kill9()
        stop.set()
        for thread in threads:
            thread.join(60)

    rows = _stored(url)
    originals = {row.original for row in rows.values()}
    assert set(done) <= originals  # every submission the clerk saw stored is there, whole
    assert slow_bytes not in originals  # the one being checked at the kill left nothing behind
    # the next start is clean: it serves what was stored and takes the next submission
    with serve(tmp_path, database_args, "--processes", "1") as server:
        reviewer = client(server)
        reviewer.csrf = sign_in(reviewer)  # type: ignore[attr-defined]
        with client(server) as clerk:
            again = upload(clerk, unit_links["修武县"], workbook(tmp_path, "修武县", unit="修武县"), "修武县.xlsx")
        assert again.status_code == 200 and "通过" in again.text
        assert unit_rows(reviewer, collection_id)["修武县"]["status"] == "ok"
        reviewer.close()
    assert len(_stored(url)) == len(rows) + 1


def test_fifty_submissions_at_once_through_two_server_processes_are_all_stored(tmp_path, database_url, database_args):
    url = _url(database_url, database_args)
    units = [f"单位{number}" for number in range(1, 6)]
    with serve(tmp_path, database_args, "--workers", "2", "--processes", "1", "--queue", "60") as server:
        reviewer, collection_id, unit_links = new_collection(server, "\n".join(units))
        payloads = [(units[number % 5], plain_workbook(f"{units[number % 5]} 第 {number} 份")) for number in range(50)]

        def one(item: tuple[str, bytes]) -> int:
            unit, payload = item
            with client(server) as clerk:
                response = upload(clerk, unit_links[unit], payload, f"{unit}.xlsx")
                return response.status_code if "/submissions/" in response.url.path else -response.status_code

        with ThreadPoolExecutor(max_workers=50) as pool:
            assert list(pool.map(one, payloads)) == [200] * 50, server.output()
        rows = unit_rows(reviewer, collection_id)
        assert {unit: row["resubmissions"] for unit, row in rows.items()} == dict.fromkeys(units, "9")
        reviewer.close()
        log = server.output()
    assert "database is locked" not in log and "Traceback" not in log
    stored = _stored(url)
    assert sorted(row.original for row in stored.values()) == sorted(payload for _unit, payload in payloads)
    numbers: dict[int, list[int]] = {}
    for row in stored.values():
        numbers.setdefault(row.unit_id, []).append(row.number)
    assert all(sorted(found) == list(range(1, 11)) for found in numbers.values()) and len(numbers) == 5
    if url.startswith("sqlite"):
        # the mode that lets readers and a writer work at once is kept in the file; every connection waits on a lock
        with sqlite3.connect(Path(database_args[1]) / "selfscore.sqlite3") as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        database = Database(url)
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
        database.close()
