"""A third table, one definition file in a fixture, through the whole pipeline with no code change.

Its template is generated, filled, checked (CLI JSON and the marked-up copy), read back by its labels
once its defined names are stripped, and summarised. The scores expected here are worked out by hand
from the criteria in tests/orchestration/fixtures/affordable_rental.toml, quoted beside each.
"""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from selfscore.checking import check_and_mark_up, check_workbook
from selfscore.cli import main
from selfscore.write.filling import cell_of
from selfscore.write.summary import DETAIL_SHEET, SUMMARY_SHEET
from support.third_table import FACTS, FIXTURES, SCORES, TABLE, TOTAL, filled


@pytest.fixture(autouse=True)
def third_table(monkeypatch):
    """Every stage loads its tables from the fixture directory, as an office with its own definitions would."""
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(FIXTURES))


def test_cli_writes_its_template_with_a_dropdown_for_graded_items(tmp_path):
    result = CliRunner().invoke(main, ["template", TABLE, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(tmp_path / "保障性租赁住房绩效自评表.xlsx")
    rule_cell = cell_of(workbook, "in_funds_rules")
    facts = workbook["基础数据"]
    lists = {str(v.sqref): v.formula1 for v in facts.data_validations.dataValidation if v.type == "list"}
    assert lists[rule_cell.coordinate] == '"健全,基本健全,不健全"'
    notes = [cell.value for row in workbook["自评表"].iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "一票否决：发生重大安全责任事故或重大舆情事件的，总分为0（一票否决）（在「基础数据」中填报；为「是」时合计应为 0）" in notes
    assert any(note.startswith("说明：合计等于得分项之和加上加分项减去扣分项（加分后总分不超过 100 分）") for note in notes)


def test_checked_by_the_cli_with_json_copy_and_summary(tmp_path):
    source = filled(tmp_path / "in" / "测试市.xlsx")
    filled(tmp_path / "in" / "乙县.xlsx")
    out = tmp_path / "out"
    # two worker processes: they load the tables from SELFSCORE_SCHEMAS too
    result = CliRunner().invoke(main, ["check", str(source.parent), "-o", str(out), "--json", "-", "--summary", str(out / "汇总.xlsx"),
                                       "--steps", "floor", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)["reports"]
    assert len(reports) == 2
    report = next(report for report in reports if report["file"].endswith("测试市.xlsx"))
    assert (report["table"], report["status"]) == (TABLE, "review")   # two rounding_reading warnings to confirm
    by_id = {indicator["id"]: indicator for indicator in report["indicators"]}
    # under floor, a started step does not count: vacancy 2.5 above → 2 off; complaints 1.4 steps → 1 off;
    # units 75 % is a whole 25 points short, the same under every reading
    assert {key: by_id[key]["recomputed"] for key in ("units_completion", "vacancy", "complaints")} == \
        {"units_completion": 17.5, "vacancy": 13, "complaints": 9}
    assert {key: by_id[key]["status"] for key in ("units_completion", "vacancy", "complaints")} == \
        {"units_completion": "match", "vacancy": "rounding_reading", "complaints": "rounding_reading"}
    # 「按比例扣分」: the rent rule reads exactly whatever --steps says, so 11.25 matches under floor too
    assert (by_id["rent_level"]["recomputed"], by_id["rent_level"]["status"]) == (11.25, "match")
    assert "评分标准规定按比例计，不随所选口径变化" in by_id["rent_level"]["explanation"]
    assert report["totals"]["recomputed"] == 10 + 4 + 3 + 17.5 + 13 + 11.25 + 9 + 6 + 4 - 5
    assert report["totals"]["explanation"] == "得分项 73.75 + 加分 4 − 扣分 5 = 72.75"

    copy = load_workbook(out / "测试市.checked.xlsx")
    results = copy["校验结果"]
    texts = [cell.value for row in results.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "得分项 73.75 + 加分 4 − 扣分 5 = 72.75" in texts
    assert any(text.startswith("资金管理制度建设情况：健全（3/3）；项目管理制度建设情况：基本健全（1/2）") for text in texts)

    summary = load_workbook(out / "汇总.xlsx")
    header = [cell.value for cell in summary[SUMMARY_SHEET][4]]
    row = dict(zip(header, next(summary[SUMMARY_SHEET].iter_rows(min_row=5, values_only=True)), strict=False))
    assert (row["表格"], row["自评合计"], row["重新计算"]) == ("保障性租赁住房", TOTAL, 72.75)
    detail = [cell.value for row in summary[DETAIL_SHEET].iter_rows() for cell in row]
    assert "安全事故（10）" in detail and "合计（100）" in detail


def test_default_reading_matches_every_self_score(tmp_path):
    report = check_workbook(filled(tmp_path / "t.xlsx"))
    assert report.status == "ok" and report.as_tuples("code") == []
    assert [result.status for result in report.indicators] == ["match"] * len(SCORES)
    assert report.recomputed_total == report.self_total == pytest.approx(TOTAL)


def test_a_capped_total_is_not_a_total_mismatch(tmp_path):
    # everything at full marks plus 5 bonus: 「加分后总分不超过100分」 → 100, not 105
    best = {"funds_spent": 950, "units_actual": 2000, "vacant_units": 0, "rent_ratio_pct": 80, "complaint_pct": 1.5,
            "satisfaction_pct": 95, "awards_count": 3, "incidents": 0, "funds_rules": "健全", "project_rules": "健全"}
    full = {"management_rules": 5, "funds_execution": 5, "units_completion": 30, "vacancy": 15, "rent_level": 15,
            "complaints": 10, "satisfaction": 10, "awards": 3, "innovation": 2, "safety_incidents": 0}
    capped = check_workbook(filled(tmp_path / "capped.xlsx", best, full, total=100))
    assert capped.as_tuples("code") == [] and capped.recomputed_total == 100
    assert capped.total_explanation == "得分项 100 + 加分 5 − 扣分 0 = 105，加分后总分不超过 100 分，计 100 分"
    uncapped = check_workbook(filled(tmp_path / "uncapped.xlsx", best, full, total=105))
    assert uncapped.as_tuples("code", "cell") == [("total_mismatch", "F16")]   # one finding on the cell, saying the cap
    assert "合计 105 不等于各指标自评得分之和 100（得分项 100 + 加分 5 − 扣分 0 = 105，加分后总分不超过 100 分，计 100 分）" \
        in uncapped.findings[0].message
    wrong = check_workbook(filled(tmp_path / "wrong.xlsx", best, full, total=95))   # neither the sum (105) nor the cap (100)
    finding = next(f for f in wrong.findings if f.code == "total_mismatch")
    assert "合计 95 不等于各指标自评得分之和 100（得分项 100 + 加分 5 − 扣分 0 = 105，加分后总分不超过 100 分，计 100 分）" \
        in finding.message


def test_a_veto_makes_the_total_zero(tmp_path):
    vetoed = check_workbook(filled(tmp_path / "v.xlsx", {"major_accident": "是"}))
    assert vetoed.recomputed_total == 0
    assert vetoed.total_explanation.startswith("一票否决：是否发生重大安全责任事故或重大舆情事件：是")
    assert vetoed.as_tuples("code", "cell", "severity") == [("total_vetoed", "F16", "error")]
    assert "合计应为 0，自评合计为 70.75" in vetoed.findings[0].message
    zero = check_workbook(filled(tmp_path / "z.xlsx", {"major_accident": "是"}, total=0))
    assert zero.as_tuples("code") == [] and zero.status == "ok"
    # the veto decides the total even when an indicator cannot be recomputed
    unknown = check_workbook(filled(tmp_path / "u.xlsx", {"major_accident": "是", "units_planned": None}, total=0))
    assert unknown.indicator("units_completion").status == "unknown" and unknown.recomputed_total == 0


def test_graded_words_are_read_back_and_a_wrong_one_is_named(tmp_path):
    report = check_workbook(filled(tmp_path / "w.xlsx", {"funds_rules": "基本 健全", "project_rules": "较健全"}))
    codes = report.as_tuples("code", "input")
    assert ("value_normalised", "funds_rules") in codes and ("value_not_choice", "project_rules") in codes
    wrong = next(f for f in report.findings if f.code == "value_not_choice")
    assert "填写的「较健全」不是可选的一项；应从下拉列表选择「健全」、「基本健全」或「不健全」" in wrong.message
    assert report.indicator("management_rules").status == "unknown"


def test_read_back_by_labels_after_its_defined_names_are_stripped(tmp_path):
    path = filled(tmp_path / "t.xlsx")
    by_names = check_workbook(path)
    workbook = load_workbook(path)
    for name in list(workbook.defined_names):
        del workbook.defined_names[name]
    stripped = tmp_path / "stripped.xlsx"
    workbook.save(stripped)
    report, marked = check_and_mark_up(stripped)
    assert marked is not None
    recognised = {cell.name: cell.recognised_from for cell in report.recognised}
    assert set(recognised.values()) == {"label"} and len(recognised) == 2 + len(FACTS) + len(SCORES) + 1
    assert [(r.id, r.recomputed, r.status) for r in report.indicators] == [(r.id, r.recomputed, r.status) for r in by_names.indicators]
    assert report.recomputed_total == by_names.recomputed_total and report.errors == 0
    assert load_workbook(io.BytesIO(marked)).sheetnames[0] == "校验结果"


def test_the_web_page_offers_its_template_and_shows_how_the_total_was_made(tmp_path):
    from fastapi.testclient import TestClient

    from selfscore.web import create_app

    with TestClient(create_app(processes=1)) as client:
        home = client.get("/")
        assert "保障性租赁住房" in home.text
        data = filled(tmp_path / "v.xlsx").read_bytes()
        page = client.post("/check", files=[("files", ("测试市.xlsx", data, "application/octet-stream"))], data={"steps": "ceil"})
    assert page.status_code == 200
    assert "得分项 71.75 + 加分 4 − 扣分 5 = 70.75" in page.text


def test_a_blank_veto_leaves_the_total_unknown(tmp_path):
    report = check_workbook(filled(tmp_path / "b.xlsx", {"major_accident": None}))
    assert ("value_missing", "major_accident") in report.as_tuples("code", "input")
    assert report.recomputed_total is None
    assert all(result.status == "match" for result in report.indicators)


def test_pasted_into_another_workbook_it_is_told_apart_from_the_shipped_tables(tmp_path, repo, monkeypatch):
    """With the shipped tables beside it, a copy that lost its names and its hidden sheet is still recognised."""
    import shutil

    from openpyxl import Workbook

    directory = tmp_path / "schemas"
    directory.mkdir()
    for path in [*(repo / "schemas").glob("*.toml"), FIXTURES / "affordable_rental.toml"]:
        shutil.copy(path, directory)
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(directory))
    source = load_workbook(filled(tmp_path / "t.xlsx"))
    pasted = Workbook()
    pasted.remove(pasted.active)
    for sheet in source.worksheets:
        if sheet.sheet_state == "visible":
            copy = pasted.create_sheet(f"复制-{sheet.title}")
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is not None and type(cell).__name__ != "MergedCell":
                        copy[cell.coordinate] = cell.value
    pasted.save(tmp_path / "pasted.xlsx")
    report = check_workbook(tmp_path / "pasted.xlsx")
    assert (report.table, report.errors) == (TABLE, 0)
    assert report.recomputed_total == pytest.approx(TOTAL)
