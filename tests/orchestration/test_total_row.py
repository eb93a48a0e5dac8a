"""In 「校验结果」 the 合计 row is as tall as its explanation: a long veto or bonus and penalty total does not print over
the row above it (issue 23, point 1)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from selfscore.checking import check_and_mark_up
from selfscore.tables.names import RESULTS_SHEET
from selfscore.write.template import text_height
from support.third_table import FIXTURES, filled


@pytest.fixture(autouse=True)
def third_table(monkeypatch):
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(FIXTURES))


def _total_row(marked: bytes):
    sheet = load_workbook(io.BytesIO(marked))[RESULTS_SHEET]
    row = next(cell.row for cell in sheet["A"] if cell.value == "合计")
    return sheet, row


@pytest.mark.parametrize(("facts", "words"), [
    ({}, "得分项 71.75 + 加分 4 − 扣分 5 = 70.75"),
    ({"major_accident": "是"}, "一票否决"),
])
def test_the_total_row_is_as_tall_as_its_explanation(tmp_path, facts, words):
    report, marked = check_and_mark_up(filled(tmp_path / "a.xlsx", facts=facts, total=0 if facts else 70.75))
    sheet, row = _total_row(marked)
    explanation = sheet[f"G{row}"].value
    assert words in explanation and explanation == report.total_explanation
    height = sheet.row_dimensions[row].height
    assert height is not None and height == text_height(explanation, sheet.column_dimensions["G"].width)


def test_a_long_total_explanation_gets_more_than_one_line(tmp_path):
    # full marks and every bonus: 「加分后总分不超过100分」 is said too
    best = {"funds_spent": 950, "units_actual": 2000, "vacant_units": 0, "rent_ratio_pct": 80,
            "complaint_pct": 1.5, "project_rules": "健全",
            "satisfaction_pct": 95, "awards_count": 3, "incidents": 0}
    report, marked = check_and_mark_up(filled(tmp_path / "a.xlsx", facts=best, total=100))
    sheet, row = _total_row(marked)
    explanation = sheet[f"G{row}"].value
    width = sheet.column_dimensions["G"].width
    assert explanation.endswith("加分后总分不超过 100 分，计 100 分")
    assert len(explanation) > (width - 1) / 1.85             # more than one printed line at this width
    assert sheet.row_dimensions[row].height >= 2 * 14.5 + 8
