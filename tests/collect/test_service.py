"""The collections library against SQLite and a real PostgreSQL: storing, numbering, latest, comparison, summary, access."""

from __future__ import annotations

import hashlib
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, inspect, select

from selfscore.collect.access import Access, PasswordTooWeak, SignInRefused, hash_password, password_matches
from selfscore.collect.database import Database
from selfscore.collect.linksheet import links_bytes
from selfscore.collect.models import Submission
from selfscore.collect.service import Collections, NotStored, Refused, notices
from selfscore.collect.units import UnitListError, units_from_text, units_from_workbook
from selfscore.write.filling import cell_of
from support.collection_web import UNITS, plain_workbook
from support.helpers import TABLE_IDS, make_workbook


def workbook(tmp_path, name="a", **changes) -> bytes:
    return make_workbook(tmp_path / f"{name}.xlsx", TABLE_IDS[0], **changes).read_bytes()


def test_migrations_create_every_table_and_running_them_again_changes_nothing(database_url):
    first = Database(database_url)
    tables = set(inspect(first.engine).get_table_names())
    first.close()
    again = Database(database_url)  # a restart: the migration is already there
    assert {"collections", "units", "submissions", "settings", "api_tokens", "login_sessions", "alembic_version"} <= tables
    assert set(inspect(again.engine).get_table_names()) == tables
    again.close()


def test_each_unit_gets_its_own_unguessable_link(collections, collection):
    rows = collections.rows(collection.id)
    assert [row.name for row in rows] == UNITS
    tokens = [row.token for row in rows]
    assert len(set(tokens)) == 3 and all(len(token) >= 40 for token in tokens)
    assert all(row.latest is None and row.verdict == "未提交" for row in rows)


def test_a_submission_keeps_its_bytes_checksum_report_and_marked_up_copy(collections, collection, tmp_path):
    token = collections.rows(collection.id)[0].token
    data = workbook(tmp_path, scores={"funds_raising": 8}, total=98, unit="修武县")
    stored = collections.submit(token, data, "修武县.xlsx")
    assert stored.info.status == "errors" and stored.info.errors == 1
    info, original = collections.file(stored.info.id, "original")
    assert original == data and info.original_sha256 == hashlib.sha256(data).hexdigest()
    _, marked = collections.file(stored.info.id, "marked_up")
    assert load_workbook(io.BytesIO(marked)).sheetnames[0] == "校验结果"
    again = collections.submission(stored.info.id)
    assert again.report_json["counts"]["error"] == 1
    assert again.report.as_tuples("code") == stored.report.as_tuples("code")


def test_a_resubmission_is_a_new_row_and_the_first_is_untouched(collections, collection, tmp_path, database):
    token = collections.rows(collection.id)[1].token
    wrong = workbook(tmp_path, "wrong", scores={"funds_raising": 8}, total=98, unit="温县")
    right = workbook(tmp_path, "right", unit="温县")
    first = collections.submit(token, wrong, "温县.xlsx")
    second = collections.submit(token, right, "温县.xlsx")
    assert (first.info.number, second.info.number) == (1, 2)
    assert collections.file(first.info.id, "original")[1] == wrong
    with database.transaction() as session:
        assert session.scalar(select(Submission.status).where(Submission.id == first.info.id)) == "errors"
    row = collections.rows(collection.id)[1]
    assert row.latest.id == second.info.id and row.submissions == 2 and row.latest.resubmissions == 1
    assert row.verdict == "通过"


def test_a_resubmission_says_which_findings_are_fixed_remain_and_new(collections, collection, tmp_path):
    token = collections.rows(collection.id)[0].token
    two_wrong = workbook(tmp_path, "two", scores={"funds_raising": 8, "funds_allocation": 1}, unit="修武县")
    first = collections.submit(token, two_wrong, "修武县.xlsx")
    codes_cells = {(code, cell) for code, cell in first.report.as_tuples("code", "cell")}
    # fix funds_raising, keep funds_allocation wrong, break the unit's year
    one_wrong = workbook(tmp_path, "one", scores={"funds_allocation": 1}, unit="修武县", year="二〇二〇")
    second = collections.submit(token, one_wrong, "修武县.xlsx")
    comparison = second.report.comparison()
    fixed = {(code, cell) for code, _sheet, cell, _message in comparison["fixed"]}
    remaining = {(code, cell) for code, _sheet, cell, _message in comparison["remaining"]}
    new = {(code, cell) for code, _sheet, cell, _message in comparison["new"]}
    assert remaining and fixed and new
    assert fixed | remaining == codes_cells
    assert all(item in {(code, cell) for code, cell in second.report.as_tuples("code", "cell")} for item in remaining | new)
    assert second.report_json["previous_check"]["fixed"]
    # and the stored submission says the same when read back
    assert collections.submission(second.info.id).report.comparison() == comparison


def test_a_closed_collection_refuses_submissions_and_a_reopened_one_takes_them(collections, collection, tmp_path):
    token = collections.rows(collection.id)[2].token
    collections.set_open(collection.id, False)
    with pytest.raises(Refused) as refused:
        collections.submit(token, workbook(tmp_path), "孟州市.xlsx")
    assert refused.value.kind == "closed" and "截止" in refused.value.message
    assert collections.rows(collection.id)[2].latest is None
    collections.set_open(collection.id, True)
    assert collections.submit(token, workbook(tmp_path), "孟州市.xlsx").info.number == 1


def test_a_revoked_link_stops_working_and_a_reissued_one_works(collections, collection, tmp_path):
    row = collections.rows(collection.id)[0]
    collections.revoke(collection.id, row.id)
    with pytest.raises(Refused) as refused:
        collections.submit(row.token, workbook(tmp_path), "a.xlsx")
    assert refused.value.kind == "not_found"
    new = collections.reissue(collection.id, row.id)
    assert new != row.token
    assert collections.submit(new, workbook(tmp_path), "a.xlsx").info.unit_id == row.id


def test_a_unit_reaches_only_its_own_submissions(collections, collection, tmp_path):
    first, second = collections.rows(collection.id)[:2]
    theirs = collections.submit(second.token, workbook(tmp_path), "温县.xlsx")
    with pytest.raises(Refused) as refused:
        collections.submission(theirs.info.id, unit_id=first.id)
    assert refused.value.kind == "not_found"
    with pytest.raises(Refused):
        collections.file(theirs.info.id, "original", unit_id=first.id)
    other = collections.create("另一次收集", 2021, [TABLE_IDS[0]], ["修武县"])
    with pytest.raises(Refused):
        collections.submission(theirs.info.id, collection_id=other.id)


def test_an_unreadable_workbook_is_stored_too_and_what_is_no_workbook_is_not(collections, collection, database):
    token = collections.rows(collection.id)[0].token
    plain = plain_workbook()
    stored = collections.submit(token, plain, "修武县.xlsx")
    assert stored.info.status == "unreadable" and stored.info.verdict == "无法读取"
    assert collections.file(stored.info.id, "original")[1] == plain
    with pytest.raises(Refused):
        collections.file(stored.info.id, "marked_up")
    # the library refuses what the web refuses at the door: bytes that are no workbook the checker reads
    with pytest.raises(NotStored) as refused:
        collections.submit(token, b"<html><body>not a workbook</body></html>", "修武县.xls")
    assert refused.value.kind == "not_a_workbook" and "网页（HTML）文件" in refused.value.message
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_summary_lists_the_latest_submission_of_each_unit_with_links(collections, collection, tmp_path):
    rows = collections.rows(collection.id)
    collections.submit(rows[0].token, workbook(tmp_path, "a", scores={"funds_raising": 8}, unit="修武县"), "修武县.xlsx")
    collections.submit(rows[0].token, workbook(tmp_path, "b", unit="修武县"), "修武县.xlsx")
    collections.submit(rows[1].token, workbook(tmp_path, "c", scores={"funds_raising": 8}, unit="温县"), "温县.xlsx")
    data = collections.summary(collection.id, lambda info: f"http://host/s/{info.id}")
    sheet = load_workbook(io.BytesIO(data))["汇总"]
    units = [sheet.cell(row, 3).value for row in range(5, sheet.max_row + 1)]
    assert sorted(units) == sorted(["温县", "修武县"])
    links = {cell.hyperlink.target for row in sheet.iter_rows(min_row=5) for cell in row if cell.hyperlink}
    latest_ids = {row.latest.id for row in collections.rows(collection.id) if row.latest}
    assert links == {f"http://host/s/{number}" for number in latest_ids}


def test_export_counts_equal_the_rows(collections, collection, tmp_path):
    rows = collections.rows(collection.id)
    collections.submit(rows[0].token, workbook(tmp_path, unit="修武县"), "修武县.xlsx")
    exported = collections.export(collection.id, lambda token: f"http://host/u/{token}")
    assert exported["counts"]["ok"] == 1 and exported["counts"]["missing"] == 2
    assert [unit["status"] for unit in exported["units"]] == ["ok", "missing", "missing"]
    assert exported["units"][0]["link"] == f"http://host/u/{rows[0].token}"


def test_notices_name_a_workbook_sent_through_the_wrong_link(collections, collection, tmp_path):
    rows = collections.rows(collection.id)
    stored = collections.submit(rows[0].token, workbook(tmp_path, unit="温县", year=2019), "x.xlsx")
    said = notices(collection, rows[0].name, stored.info)
    assert any("2019" in notice for notice in said) and any("温县" in notice for notice in said)


@pytest.mark.parametrize("bad", ["", "   ", "   \n\n"])
def test_create_refuses_an_empty_name_or_unit_list(collections, bad):
    with pytest.raises(Refused):
        collections.create(bad, 2020, [TABLE_IDS[0]], ["a"])
    with pytest.raises(UnitListError):
        units_from_text(bad)


def test_create_refuses_unknown_tables_and_years(collections):
    with pytest.raises(Refused, match="没有表格"):
        collections.create("x", 2020, ["no_such_table"], ["a"])
    with pytest.raises(Refused, match="评价年度"):
        collections.create("x", 1899, [TABLE_IDS[0]], ["a"])


def test_units_pasted_one_per_line_or_from_a_workbook(tmp_path):
    assert units_from_text(" 修武县 \n\n温县\r\n孟州市\n") == UNITS
    with pytest.raises(UnitListError, match="第 3 行的单位「温县」与第 1 行重复"):
        units_from_text("温县\n修武县\n温县")
    book = Workbook()
    for value in ("单位", *UNITS):
        book.active.append([value])
    buffer = io.BytesIO()
    book.save(buffer)
    assert units_from_workbook(buffer.getvalue()) == UNITS
    with pytest.raises(UnitListError, match="无法读取"):
        units_from_workbook(b"plain text")


def test_the_links_workbook_reads_back_as_the_unit_list(collections, collection):
    rows = collections.rows(collection.id)
    data = links_bytes(collection, rows, lambda token: f"http://host/u/{token}")
    sheet = load_workbook(io.BytesIO(data)).active
    assert [sheet.cell(row, 2).hyperlink.target for row in range(5, 8)] == [f"http://host/u/{row.token}" for row in rows]
    assert units_from_workbook(data) == UNITS  # next year's collection can start from this year's links workbook


def test_the_admin_password_is_stored_as_a_salted_scrypt_hash(database):
    access = Access(database)
    assert not access.has_password()
    access.set_password("correct horse battery")
    stored = access.stored_password_hash()
    assert "correct horse battery" not in stored and stored.startswith("scrypt$")
    assert password_matches("correct horse battery", stored) and not password_matches("correct horse batterY", stored)
    assert hash_password("correct horse battery") != stored  # salted
    with pytest.raises(PasswordTooWeak):
        access.set_password("short")


def test_sign_in_sessions_and_throttling(database):
    access = Access(database)
    access.set_password("correct horse battery")
    signed = access.log_in("admin", "correct horse battery", "10.0.0.1")
    assert signed is not None and access.session(signed[0]).csrf_token == signed[1].csrf_token
    for _ in range(5):
        assert access.log_in("admin", "wrong password!", "10.0.0.2") is None
    with pytest.raises(SignInRefused):
        access.log_in("admin", "correct horse battery", "10.0.0.2")
    assert access.log_in("admin", "correct horse battery", "10.0.0.1") is not None
    access.log_out(signed[0])
    assert access.session(signed[0]) is None


def test_api_tokens_are_kept_as_hashes_and_can_be_revoked(database):
    access = Access(database)
    access.set_password("correct horse battery")
    token = access.create_api_token("省厅")
    assert access.api_token_valid(token) and not access.api_token_valid(token + "x")
    assert all(token not in (row.token_sha256, row.name) for row in access.api_tokens())
    assert access.revoke_api_token(access.api_tokens()[0].id)
    assert not access.api_token_valid(token)


def test_the_marked_up_copy_of_a_resubmission_is_checked_like_a_fresh_workbook(collections, collection, tmp_path):
    """A clerk who corrects the marked-up copy and submits it gets the same verdict as for a clean workbook."""
    token = collections.rows(collection.id)[0].token
    first = collections.submit(token, workbook(tmp_path, scores={"funds_raising": 8}, unit="修武县"), "修武县.xlsx")
    _, marked = collections.file(first.info.id, "marked_up")
    corrected = load_workbook(io.BytesIO(marked))
    from samples import SHANTYTOWN_SCORES
    from selfscore.tables.names import SCORE_TOTAL, score_name

    cell_of(corrected, score_name("funds_raising")).value = SHANTYTOWN_SCORES["funds_raising"]
    cell_of(corrected, SCORE_TOTAL).value = sum(SHANTYTOWN_SCORES.values())
    buffer = io.BytesIO()
    corrected.save(buffer)
    second = collections.submit(token, buffer.getvalue(), "修武县.checked.xlsx")
    assert second.info.status == "ok"
    assert len(second.report.comparison()["fixed"]) == 1 and not second.report.comparison()["new"]


def test_the_migrations_build_exactly_the_schema_the_models_describe(database):
    """A model changed without a new migration would show here (alembic's own autogenerate comparison)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from selfscore.collect.models import Base

    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_review_verdict_is_named_and_counted_like_the_others(collections, collection, database):
    """Issue 10's 需人工确认 (`review`) reports: stored as any other, named and counted on the collection page."""
    from selfscore.collect.service import counts
    from selfscore.collect.times import utcnow

    unit = collections.rows(collection.id)[0]
    with database.transaction() as session:
        session.add(Submission(unit_id=unit.id, number=1, received_at=utcnow(), file_name="a.xlsx", original=b"x",
                               original_sha256=hashlib.sha256(b"x").hexdigest(), original_size=1, report={}, status="review",
                               errors=0, warnings=1))
    rows = collections.rows(collection.id)
    assert rows[0].verdict == "需人工确认"
    assert counts(rows) == {None: 2, "ok": 0, "review": 1, "errors": 0, "unreadable": 0}


def test_uploads_of_one_unit_at_the_same_moment_cannot_pass_its_quota_together(database, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from selfscore.checking import check_file
    from selfscore.collect.service import Quota

    limited = Collections(database, Quota(submissions_per_hour=3, bytes_per_collection=0))
    collection = limited.create("限额", 2020, [TABLE_IDS[0]], ["温县"])
    token = limited.rows(collection.id)[0].token
    data = plain_workbook()
    report, marked_up = check_file(data, "温县.xlsx")

    def store(_number: int) -> str:
        try:
            limited.store(token, data, "温县.xlsx", report, marked_up)
        except NotStored as refused:
            assert refused.retry_after is not None and 3000 < refused.retry_after <= 3600
            return refused.kind
        return "stored"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(store, range(10)))
    assert outcomes.count("stored") == 3 and outcomes.count("too_often") == 7
    assert [row.submissions for row in limited.rows(collection.id)] == [3]
