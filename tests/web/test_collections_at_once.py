"""Collections through the web, in-process (TestClient), on SQLite and on PostgreSQL: many at once — twenty clients
submitting together, two instances on one database."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from selfscore.collect.access import Access
from selfscore.collect.models import Submission
from selfscore.web import create_app
from support.collection_web import (
    PASSWORD,
    XLSX,
    client_of,
    create,
    form_token,
    links,
    sign_in,
    unit_rows,
    upload,
    workbook,
)


def test_twenty_clients_submitting_for_ten_units_at_once_are_each_stored_once(database, tmp_path):
    Access(database).set_password(PASSWORD)
    # Room in the check queue for all twenty at once: this test is about storing each exactly once; a rush beyond the
    # queue is answered 503 (test_collections_pool.py).
    app = create_app(collections=database, queue=20)
    with client_of(app) as reviewer:
        reviewer.csrf = sign_in(reviewer)  # type: ignore[attr-defined]
        _twenty_clients_for_ten_units(reviewer, app, database, tmp_path)


def _twenty_clients_for_ten_units(reviewer, app, database, tmp_path) -> None:
    units = [f"第{n}县" for n in range(1, 11)]
    collection_id = create(reviewer, "\n".join(units))
    unit_links = links(reviewer, collection_id)
    uploads = [(unit_links[unit], workbook(tmp_path, f"{unit}-{round_}", unit=unit,
                                           scores={"funds_raising": 8} if round_ else None), f"{unit}-{round_}.xlsx")
               for round_ in range(2) for unit in units]

    def one(item):
        link, data, name = item
        with TestClient(app) as clerk:
            return upload(clerk, link, data, name).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(one, uploads)) == [200] * 20
    with database.transaction() as session:
        stored = session.execute(select(Submission.file_name, Submission.number, Submission.unit_id, Submission.status)).all()
        assert session.scalar(select(func.count()).select_from(Submission)) == 20
    assert sorted(name for name, *_rest in stored) == sorted(name for _link, _data, name in uploads)
    per_unit: dict[int, list[int]] = {}
    for _name, number, unit_id, _status in stored:
        per_unit.setdefault(unit_id, []).append(number)
    assert len(per_unit) == 10 and all(sorted(numbers) == [1, 2] for numbers in per_unit.values())
    # The page shows, for each unit, the status of its row numbered 2, whichever of its two uploads that was.
    latest_status = {name.split("-")[0]: status for name, number, _unit, status in stored if number == 2}
    rows = unit_rows(reviewer, collection_id)
    assert {unit: row["status"] for unit, row in rows.items()} == latest_status
    assert all(row["resubmissions"] == "1" for row in rows.values())
    page = reviewer.get(f"/collections/{collection_id}").text
    counts = dict(re.findall(r'data-status="(\w+)">(\d+)</span>', page))
    assert int(counts["ok"]) + int(counts["errors"]) == 10 and counts["missing"] == "0"
    assert int(counts["errors"]) == sum(1 for row in rows.values() if row["status"] == "errors")



def test_two_instances_on_one_database_serve_each_others_sessions_links_and_submissions(database_url, tmp_path):
    from selfscore.collect.database import Database

    first, second = Database(database_url), Database(database_url)
    Access(first).set_password(PASSWORD)
    app_a, app_b = create_app(collections=first, processes=1), create_app(collections=second, processes=1)
    with client_of(app_a) as reviewer_a, client_of(app_b) as reviewer_b:
        reviewer_a.csrf = sign_in(reviewer_a)  # type: ignore[attr-defined]
        collection_id = create(reviewer_a)
        reviewer_b.cookies.set("selfscore_session", reviewer_a.cookies["selfscore_session"])
        link = links(reviewer_b, collection_id)["温县"]  # signed in on A, the same session works on B
        with client_of(app_a) as clerk_a, client_of(app_b) as clerk_b:
            page = clerk_b.get(link)  # the form token made by B is accepted by A
            response = clerk_a.post(link, data={"csrf_token": form_token(page.text)},
                                    files={"file": ("温县.xlsx", workbook(tmp_path, "a", unit="温县"), XLSX)})
            assert response.status_code == 200
        assert unit_rows(reviewer_b, collection_id)["温县"]["status"] == "ok"
    first.close()
    second.close()

