"""Checking a marked-up copy again: what was fixed, what remains and what is new — by code and cell, row by row."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from selfscore.checking import check_and_mark_up
from selfscore.results.findings import make_finding
from selfscore.results.report import PreviousCheck, Report
from selfscore.tables.names import FINDINGS_SHEET
from support.helpers import make_workbook

FACTS = "基础数据"


def two_of_a_kind(tmp_path):
    """「两项」 in 应公开未公开 (D12) and 「三项」 in 工程质量问题 (D15): the same code on two cells."""
    return make_workbook(tmp_path / "t.xlsx", facts={"undisclosed_items": "两项", "quality_issues": "三项"})


def recheck(tmp_path, marked: bytes, changes: dict[str, object]):
    workbook = load_workbook(io.BytesIO(marked))
    for cell, value in changes.items():
        workbook[FACTS][cell].value = value
    path = tmp_path / "t.checked.xlsx"
    workbook.save(path)
    return check_and_mark_up(path)


def keyed(rows) -> set[tuple[str, str]]:
    return {(code, cell) for code, _, cell, _ in rows}


def test_a_finding_fixed_on_one_cell_is_fixed_though_its_code_remains_on_another(tmp_path):
    first, marked = check_and_mark_up(two_of_a_kind(tmp_path))
    assert {("value_not_number", "D12"), ("value_not_number", "D15")} <= set(first.as_tuples("code", "cell"))
    report, _ = recheck(tmp_path, marked, {"D12": 0})
    comparison = report.comparison()
    assert {cell for _, cell in keyed(comparison["fixed"])} == {"D12"}
    assert ("value_not_number", "D12") in keyed(comparison["fixed"])
    assert ("value_not_number", "D15") in keyed(comparison["remaining"])
    assert not keyed(comparison["remaining"]) & keyed(comparison["fixed"])
    assert comparison["new"] == []


def test_a_finding_that_moved_to_another_cell_is_fixed_there_and_new_here(tmp_path):
    _, marked = check_and_mark_up(make_workbook(tmp_path / "t.xlsx", facts={"undisclosed_items": "两项"}))
    report, _ = recheck(tmp_path, marked, {"D12": 0, "D15": "三项"})
    comparison = report.comparison()
    assert ("value_not_number", "D12") in keyed(comparison["fixed"])
    assert ("value_not_number", "D15") in keyed(comparison["new"])
    assert ("value_not_number", "D15") not in keyed(comparison["remaining"])


def test_the_comparison_keys_on_code_sheet_and_cell():
    before = PreviousCheck((("value_not_number", FACTS, "D12", "旧"), ("value_not_number", FACTS, "D15", "旧"),
                            ("score_mismatch", "自评表", "F5", "旧")))
    now = [make_finding("value_not_number", sheet=FACTS, cell="D15", value="三项", expected="整数"),
           make_finding("value_not_number", sheet="其他", cell="D12", value="x", expected="整数")]
    comparison = Report(file="t.xlsx", status="errors", findings=now, previous=before).comparison()
    assert keyed(comparison["fixed"]) == {("value_not_number", "D12"), ("score_mismatch", "F5")}
    assert [(code, sheet, cell) for code, sheet, cell, _ in comparison["remaining"]] == [("value_not_number", FACTS, "D15")]
    assert [(code, sheet, cell) for code, sheet, cell, _ in comparison["new"]] == [("value_not_number", "其他", "D12")]


def test_the_results_sheet_labels_each_row_fixed_remaining_or_new(tmp_path):
    _, marked = check_and_mark_up(two_of_a_kind(tmp_path))
    report, remarked = recheck(tmp_path, marked, {"D12": 0, "D8": "五项"})   # D8 (是否建立…绩效监控机制): newly broken
    comparison = report.comparison()
    sheet = load_workbook(io.BytesIO(remarked))[FINDINGS_SHEET]
    heading = next(row for row in range(1, sheet.max_row + 1)
                   if str(sheet.cell(row, 1).value or "").startswith("与上次校验相比"))
    rows = {}
    for row in range(heading + 1, sheet.max_row + 1):
        label = sheet.cell(row, 1).value
        if label not in ("已改正", "仍存在", "新发现"):
            break
        rows.setdefault(label, []).append((sheet.cell(row, 2).value, sheet.cell(row, 3).value))
    expected = {label: [(f"「{s}」{cell}", message) for _, s, cell, message in comparison[key]]
                for label, key in (("已改正", "fixed"), ("仍存在", "remaining"), ("新发现", "new"))}
    assert rows == expected
    assert ("「基础数据」D12", ) == tuple({place for place, _ in rows["已改正"]})
    assert "「基础数据」D15" in {place for place, _ in rows["仍存在"]}
    assert "「基础数据」D8" in {place for place, _ in rows["新发现"]}
    assert sheet.cell(heading, 1).value.startswith(
        f"与上次校验相比：已改正 {len(rows['已改正'])} 项，仍存在 {len(rows['仍存在'])} 项，新发现 {len(rows['新发现'])} 项")


def test_a_finding_without_a_sheet_or_cell_that_stays_is_remaining():
    # a workbook-wide finding (no cell) and one on a sheet but no cell are kept by the marked-up copy as ""
    before = PreviousCheck((("facts_absent", "", "", "旧"), ("layout_recognised", "自评表", "", "旧")))
    recognised = make_finding("layout_recognised", sheet="自评表", title="表", first=4, last=15, found="9/9", facts="")
    now = [make_finding("facts_absent"), recognised]
    comparison = Report(file="t.xlsx", status="review", findings=now, previous=before).comparison()
    assert [(code, sheet, cell) for code, sheet, cell, _ in comparison["remaining"]] == [
        ("facts_absent", "", ""), ("layout_recognised", "自评表", "")]
    assert comparison["fixed"] == comparison["new"] == []
