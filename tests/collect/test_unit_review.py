"""The review (复核) in the library, on SQLite and PostgreSQL: states, 复核得分 and 复核合计, return, sign-off, reopening,
and a workbook judged against the collection it came through."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from selfscore.collect.access import UserInfo
from selfscore.collect.review import reviewer_name
from selfscore.collect.service import Collections, Refused
from support.collection_web import UNITS
from support.helpers import TABLE_IDS, make_workbook

#: a report submitted a day late: 「report_submission」 is left to judgement within 0～4 (needs review)
LATE = {"report_complete": "否", "report_days_late": 1}
BY = reviewer_name(UserInfo(1, "张审核", "reviewer"))



def workbook(tmp_path, name="a", table=TABLE_IDS[0], **changes) -> bytes:
    return make_workbook(tmp_path / f"{name}.xlsx", table, **changes).read_bytes()


def states(collections, collection) -> list[str]:
    return [row.state for row in collections.rows(collection.id)]


def test_a_unit_moves_from_missing_to_pending_returned_pending_and_signed_off(collections, collection, tmp_path):
    rows = collections.rows(collection.id)
    assert states(collections, collection) == ["missing"] * 3 and rows[0].state_name == "未提交"
    wrong = collections.submit(rows[0].token, workbook(tmp_path, "w", scores={"funds_raising": 8}, total=98, unit="修武县"), "a.xlsx")
    assert states(collections, collection)[0] == "pending"
    assert collections.return_unit(collection.id, rows[0].id, "资金筹集得分不对，请按实际到位资金重新计算。", BY) == "returned"
    assert collections.returned_note(rows[0].id).note.startswith("资金筹集得分不对")
    fixed = collections.submit(rows[0].token, workbook(tmp_path, "r", unit="修武县"), "a.xlsx")
    assert states(collections, collection)[0] == "pending" and collections.returned_note(rows[0].id) is None
    # the resubmission compares with the returned one: fixed / remaining / new
    comparison = collections.submission(fixed.info.id).report.comparison()
    assert len(comparison["fixed"]) == wrong.info.errors and not comparison["new"]
    assert collections.sign_off(collection.id, rows[0].id, "", BY) == "signed_off"
    assert collections.rows(collection.id)[0].state_name == "已审核"
    actions = collections.actions(collection.id, rows[0].id)
    assert [action.kind for action in actions] == ["sign_off", "return"]
    assert all(action.decided_by == BY and action.decided_at for action in actions)


def test_a_signed_off_unit_refuses_uploads_until_reopened(collections, collection, tmp_path):
    row = collections.rows(collection.id)[1]
    collections.submit(row.token, workbook(tmp_path, unit="温县"), "b.xlsx")
    collections.sign_off(collection.id, row.id, "", BY)
    with pytest.raises(Refused, match="已审核通过，不再接收提交") as refused:
        collections.submit(row.token, workbook(tmp_path, "again", unit="温县"), "b.xlsx")
    assert refused.value.kind == "closed"
    assert collections.reopen(collection.id, row.id, "补充材料", BY) == "pending"
    assert collections.submit(row.token, workbook(tmp_path, "third", unit="温县"), "b.xlsx").info.number == 2
    with pytest.raises(Refused, match="当前是「待复核」，不能重新开放"):
        collections.reopen(collection.id, row.id, "", BY)


def test_a_workbook_of_another_table_is_an_error_never_a_pass(collections, collection, tmp_path):
    row = collections.rows(collection.id)[0]
    stored = collections.submit(row.token, workbook(tmp_path, table=TABLE_IDS[1], unit="修武县"), "other.xlsx")
    assert stored.info.status == "errors" and stored.info.errors >= 1
    message = stored.report.findings[0].message
    assert "本次收集的是「" in message and message.endswith("请下载本链接页上的模板重新填写。")
    assert collections.submission(stored.info.id).report_json["status"] == "errors"


def test_a_workbook_naming_another_unit_or_year_needs_the_reviewer(collections, collection, tmp_path):
    row = collections.rows(collection.id)[1]
    stored = collections.submit(row.token, workbook(tmp_path, unit="焦作市", year=2019), "jz.xlsx")
    assert stored.info.status == "review" and stored.info.errors == 0
    with pytest.raises(Refused, match="单位或年度与本次收集不同"):
        collections.sign_off(collection.id, row.id, "", BY)
    review = collections.accept_identity(collection.id, stored.info.id, "市局代县里填报，已电话确认", BY)
    assert review.identity_accepted and review.blockers == []
    assert collections.sign_off(collection.id, row.id, "", BY) == "signed_off"


def test_a_review_score_within_the_allowed_range_and_a_reason_for_any_other_change(collections, collection, tmp_path):
    row = collections.rows(collection.id)[2]
    stored = collections.submit(row.token, workbook(tmp_path, facts=LATE, scores={"report_submission": 2}, unit="孟州市"), "c.xlsx")
    assert stored.info.status == "review"
    _, review, _ = collections.review(collection.id, stored.info.id)
    assert review.total is None and "report_submission" in [item.item.id for item in review.items if item.to_decide]
    with pytest.raises(Refused, match="超出允许的范围：应在 0～4 分之间"):
        collections.set_score(collection.id, stored.info.id, "report_submission", "5", "", BY)
    with pytest.raises(Refused, match="不是数字"):
        collections.set_score(collection.id, stored.info.id, "report_submission", "三", "", BY)
    with pytest.raises(Refused, match="尚未填写复核得分"):
        collections.sign_off(collection.id, row.id, "", BY)
    review = collections.set_score(collection.id, stored.info.id, "report_submission", "3", "", BY)
    assert review.total == 98  # the others' 95 (the recomputed range is 95～99) + 3
    with pytest.raises(Refused, match="请填写调整理由"):
        collections.set_score(collection.id, stored.info.id, "funds_raising", "9", "", BY)
    review = collections.set_score(collection.id, stored.info.id, "funds_raising", "9", "到位资金证明不全，扣 1 分", BY)
    item = next(item for item in review.items if item.item.id == "funds_raising")
    assert (item.review_score, item.reason, item.decision.decided_by) == (9, "到位资金证明不全，扣 1 分", BY)
    assert review.total == Fraction(97)
    review = collections.set_score(collection.id, stored.info.id, "funds_raising", "", "", BY)  # taken back
    assert review.total == 98
    assert collections.sign_off(collection.id, row.id, "", BY) == "signed_off"
    with pytest.raises(Refused, match="请先「重新开放」"):
        collections.set_score(collection.id, stored.info.id, "funds_raising", "9", "x", BY)


def test_sign_off_with_errors_needs_an_override_reason(collections, collection, tmp_path):
    row = collections.rows(collection.id)[0]
    collections.submit(row.token, workbook(tmp_path, scores={"funds_raising": 8}, total=98, unit="修武县"), "a.xlsx")
    with pytest.raises(Refused, match="不能审核通过：最新提交有 1 个错误"):
        collections.sign_off(collection.id, row.id, "", BY)
    assert collections.sign_off(collection.id, row.id, "省厅已核实，按复核得分计", BY) == "signed_off"
    assert collections.actions(collection.id, row.id)[0].note == "省厅已核实，按复核得分计"
    with pytest.raises(Refused, match="请填写退回说明"):
        collections.return_unit(collection.id, collections.rows(collection.id)[1].id, " ", BY)


def test_the_unit_review_as_json(collections, collection, tmp_path):
    row = collections.rows(collection.id)[0]
    stored = collections.submit(row.token, workbook(tmp_path, unit="修武县"), "a.xlsx")
    collections.set_score(collection.id, stored.info.id, "funds_raising", "9", "证明不全", BY)
    data = collections.unit_review(collection.id, row.id)
    assert data["state"] == "pending" and data["latest_submission"] == stored.info.id
    funds = next(item for item in data["review"]["indicators"] if item["indicator"] == "funds_raising")
    assert funds["review"] == 9 and funds["decision"]["reason"] == "证明不全" and funds["decision"]["decided_by"] == BY
    assert collections.export(collection.id)["units"][0]["review_state"] == "pending"


def test_the_review_results_list_every_unit_its_three_figures_reasons_and_rank(collections, collection, tmp_path):
    import io

    from openpyxl import load_workbook

    rows = collections.rows(collection.id)
    first = collections.submit(rows[0].token, workbook(tmp_path, "a", unit="修武县"), "a.xlsx")
    collections.set_score(collection.id, first.info.id, "funds_raising", "9", "到位资金证明不全，扣 1 分", BY)
    collections.sign_off(collection.id, rows[0].id, "", BY)
    collections.submit(rows[1].token, workbook(tmp_path, "b", unit="焦作市"), "b.xlsx")
    results = collections.review_results(collection.id)
    table = results["tables"][0]
    assert [unit["unit"] for unit in table["units"]] == ["修武县", "温县"]
    xiuwu, wen = table["units"]
    assert (xiuwu["self_total"], xiuwu["review_total"], xiuwu["rank"], xiuwu["state_name"]) == (100, 99, 1, "已审核")
    assert (wen["review_total"], wen["rank"], wen["unit_in_workbook"]) == (100, None, "焦作市")  # not signed off: no rank
    funds = next(item for item in xiuwu["indicators"] if item["id"] == "funds_raising")
    assert (funds["max"], funds["self"], funds["review"], funds["reason"]) == (10, 10, 9, "到位资金证明不全，扣 1 分")
    assert [(unit["unit"], unit["state_name"]) for unit in results["not_done"]] == [("温县", "待复核"), ("孟州市", "未提交")]
    assert collections.export(collection.id)["review_results"]["tables"][0]["units"][0]["review_total"] == 99

    book = load_workbook(io.BytesIO(collections.review_results_workbook(collection.id)))
    assert book.sheetnames == [table["sheet"], "未审核单位"]
    sheet = book[table["sheet"]]
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
    assert collection.name in sheet["A1"].value
    cells = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    assert ["修武县" in str(row[1]) for row in cells if row[2] == funds["name"]][0]
    assert any(row[5] == 9 and row[6] == "到位资金证明不全，扣 1 分" for row in cells)
    assert any(row[2] == "复核合计（已审核）　排名 1" and row[5] == 99 for row in cells)
    assert any(row[2] == "复核合计（待复核）" and row[5] == 100 for row in cells)
    missing = [[cell.value for cell in row] for row in book["未审核单位"].iter_rows(min_row=4)]
    assert [row[1:3] for row in missing] == [["温县", "待复核"], ["孟州市", "未提交"]]


def test_only_signed_off_units_are_ranked_and_the_rest_are_listed_as_not_done(collections, collection, tmp_path):
    import io

    from openpyxl import load_workbook

    rows = collections.rows(collection.id)
    for row, score in zip(rows, ("8", "9", None), strict=True):
        stored = collections.submit(row.token, workbook(tmp_path, row.name, unit=row.name), "a.xlsx")
        if score:
            collections.set_score(collection.id, stored.info.id, "funds_raising", score, "到位资金证明不全", BY)
    collections.sign_off(collection.id, rows[0].id, "", BY)  # 修武县 98
    collections.sign_off(collection.id, rows[1].id, "", BY)  # 温县 99
    # 孟州市 (100, the highest 复核合计) is not signed off: it gets no rank and is listed as not done
    results = collections.review_results(collection.id)
    ranks = {unit["unit"]: (unit["review_total"], unit["rank"]) for unit in results["tables"][0]["units"]}
    assert ranks == {"修武县": (98, 2), "温县": (99, 1), "孟州市": (100, None)}
    assert [(unit["unit"], unit["state_name"]) for unit in results["not_done"]] == [("孟州市", "待复核")]
    exported = collections.export(collection.id)["review_results"]["tables"][0]["units"]
    assert [unit["rank"] for unit in exported] == [2, 1, None]
    sheet = load_workbook(io.BytesIO(collections.review_results_workbook(collection.id))).worksheets[0]
    totals = [row[2].value for row in sheet.iter_rows(min_row=4) if str(row[2].value).startswith("复核合计")]
    assert totals == ["复核合计（已审核）　排名 2", "复核合计（已审核）　排名 1", "复核合计（待复核）"]
    # a reopened unit loses its rank until it is signed off again
    collections.reopen(collection.id, rows[1].id, "再核一次", BY)
    ranks = {unit["unit"]: unit["rank"] for unit in collections.review_results(collection.id)["tables"][0]["units"]}
    assert ranks == {"修武县": 1, "温县": None, "孟州市": None}


def test_a_page_says_another_unit_or_year_once_from_the_finding_or_for_an_older_report_from_the_notice(
        collections, collection, tmp_path):
    from selfscore.collect.review import OTHER_UNIT, OTHER_YEAR
    from selfscore.collect.service import page_notices

    row = collections.rows(collection.id)[1]
    stored = collections.submit(row.token, workbook(tmp_path, unit="焦作市", year=2019), "a.xlsx")
    report = collections.submission(stored.info.id).report
    shown = page_notices(collection, row.name, stored.info, report)
    assert [(notice.severity, notice.message) for notice in shown] == [
        ("warning", "工作簿中填写的单位是「焦作市」，与链接所属的单位「温县」不同：需复核人员确认是否接受。"),
        ("warning", "工作簿中的评价年度是 2019，本次收集的年度是 2020：需复核人员确认是否接受。")]
    assert page_notices(collection, row.name, stored.info, report, (OTHER_UNIT, OTHER_YEAR)) == []
    # a report stored before the collection added its findings: the notice, worked out from the submission, once
    report.findings = [finding for finding in report.findings if finding.code not in (OTHER_UNIT, OTHER_YEAR)]
    assert [notice.message for notice in page_notices(collection, row.name, stored.info, report)] == [
        "工作簿中填写的单位是「焦作市」，与链接所属的单位「温县」不同。", "工作簿中的评价年度是 2019，本次收集的年度是 2020。"]


def test_the_summary_lists_every_unit_of_the_collection_in_its_order_with_its_review(collections, collection, tmp_path):
    import io

    from openpyxl import load_workbook

    rows = collections.rows(collection.id)
    second = collections.submit(rows[1].token, workbook(tmp_path, "b", unit="焦作市"), "b.xlsx")
    collections.set_score(collection.id, second.info.id, "funds_raising", "9", "证明不全", BY)
    collections.submit(rows[0].token, workbook(tmp_path, "a", scores={"funds_raising": 8}, total=98, unit="修武县"), "a.xlsx")
    book = load_workbook(io.BytesIO(collections.summary(collection.id, lambda info: f"http://host/s/{info.id}")))
    assert book.sheetnames[0] == "各单位" and "汇总" in book.sheetnames and book.active.title == "各单位"
    sheet = book["各单位"]
    assert collection.name in sheet["A1"].value and "生成日期" in sheet["A2"].value
    units = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    assert [row[1] for row in units] == UNITS  # the collection's names and order, 未提交 included
    assert units[1][2:8] == ["焦作市", "待复核", "需人工确认", 100, 100, 99]
    assert "工作簿中填写的单位是「焦作市」" in units[1][8]
    assert units[0][3:8] == ["待复核", "有错误", 98, 100, 100] and units[2][3:5] == ["未提交", "未提交"]
    figures = book[f"复核-{load_tables_short()}"]
    values = [[cell.value for cell in row] for row in figures.iter_rows(min_row=4)]
    assert [row[0] for row in values] == ["修武县", "温县"]
    assert values[1][1] == "10\n10\n9" and values[1][-1] == "100\n100\n99"


def load_tables_short() -> str:
    from selfscore.tables.definitions import load_tables

    return load_tables()[TABLE_IDS[0]].short_title


def test_a_database_of_the_first_tables_upgrades_and_its_units_are_pending_or_missing(database_url, tmp_path):
    """A database written before the review existed (revision 0001, a unit's submission in it) gains the review's
    tables; the submitted unit is 待复核, the other 未提交, and the review works on what was stored before."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect, text

    from selfscore.collect.database import Database

    engine = create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", "selfscore.collect:migrations")
    report = make_report(tmp_path)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("INSERT INTO collections (id, name, year, tables, created_at) "
                                "VALUES (1, '升级前的收集', 2020, :table, '2021-03-01 08:00:00')"), {"table": TABLE_IDS[0]})
        connection.execute(text("INSERT INTO units (id, collection_id, position, name, token) VALUES "
                                "(1, 1, 1, '修武县', 'a-token-of-the-old-release-0001'), (2, 1, 2, '温县', NULL)"))
        connection.execute(text(
            "INSERT INTO submissions (id, unit_id, number, received_at, file_name, original_sha256, original_size, original, "
            "report, status, errors, warnings) VALUES (1, 1, 1, '2021-03-02 09:00:00', 'a.xlsx', :sha, 1, :data, :report, "
            "'ok', 0, 0)"), {"sha": "0" * 64, "data": b"x", "report": json.dumps(report)})
    assert "review_actions" not in inspect(engine).get_table_names()
    engine.dispose()
    opened = Database(database_url)  # what a restart on the new release runs: the upgrade
    assert {"review_actions", "score_decisions"} <= set(inspect(opened.engine).get_table_names())
    collections = Collections(opened)
    assert [row.state for row in collections.rows(1)] == ["pending", "missing"]
    assert collections.set_score(1, 1, "funds_raising", "9", "证明不全", BY).total == 99
    assert collections.sign_off(1, 1, "", BY) == "signed_off"
    opened.close()


def make_report(tmp_path) -> dict:
    from selfscore.checking import check_file

    report, _ = check_file(workbook(tmp_path, "old", unit="修武县"), "a.xlsx")
    return report.to_dict()
