"""A table whose cap on the total (「加分后总分不超过103分」) is not its full marks (100).

Every table shipped so far caps its total at its full marks, so a total checked against the one where the
other belongs passes them all. Here the two differ: the recomputed total, the check of the self-scored 合计,
the reading of the 合计 cell and the template's own validation must each take the cap, and the report's
full marks stay 100.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from selfscore.checking import check_workbook
from selfscore.tables.definitions import get_table
from selfscore.write.filling import cell_of, fill_template, save
from selfscore.write.template import build_template
from support.third_table import FIXTURES, TABLE

THIRD_TABLE = FIXTURES / f"{TABLE}.toml"
#: every fact at its best: each scored indicator at full marks (100 in all), both bonus items (3 + 2), no penalty
BEST = {"local_funds_arranged": "是", "funds_rules": "健全", "project_rules": "健全", "funds_received": 1000, "funds_spent": 950,
        "units_planned": 2000, "units_actual": 2000, "units_delivered": 1200, "vacant_units": 0, "rent_ratio_pct": 80,
        "complaint_pct": 1.5, "satisfaction_pct": 95, "awards_count": 3, "innovation_adopted": "是", "incidents": 0,
        "major_accident": "否"}
FULL = {"funds_raising": 10, "management_rules": 5, "funds_execution": 5, "units_completion": 30, "vacancy": 15, "rent_level": 15,
        "complaints": 10, "satisfaction": 10, "awards": 3, "innovation": 2, "safety_incidents": 0}


@pytest.fixture(autouse=True)
def capped_at_103(tmp_path, monkeypatch):
    text = THIRD_TABLE.read_text(encoding="utf-8")
    assert text.count("\ntotal_cap = 100\n") == 1
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / f"{TABLE}.toml").write_text(text.replace("\ntotal_cap = 100\n", "\ntotal_cap = 103\n"), encoding="utf-8")
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(schemas))


def checked(tmp_path: Path, total: object):
    workbook = fill_template(get_table(TABLE), BEST, FULL, total=total, unit="测试市", year=2022)
    return check_workbook(save(workbook, tmp_path / f"total_{total}.xlsx"))


def test_the_definition_keeps_full_marks_and_cap_apart():
    table = get_table(TABLE)
    assert (table.max_points, table.cap) == (100, 103)


def test_a_total_up_to_the_cap_is_accepted_and_recomputed_there(tmp_path):
    report = checked(tmp_path, 103)
    assert report.as_tuples("code") == []
    assert (report.recomputed_total, report.self_total, report.max_total) == (103, 103, 100)
    assert report.total_explanation == "得分项 100 + 加分 5 − 扣分 0 = 105，加分后总分不超过 103 分，计 103 分"


def test_a_total_under_the_cap_but_not_the_sum_is_a_mismatch_not_over_the_maximum(tmp_path):
    report = checked(tmp_path, 101)
    assert report.as_tuples("code") == [("total_mismatch",)]
    assert "加分后总分不超过 103 分，计 103 分" in report.findings[0].message


def test_a_total_over_the_cap_is_one_finding_on_the_cell_that_names_the_cap(tmp_path):
    report = checked(tmp_path, 104)
    assert report.as_tuples("code", "cell") == [("total_mismatch", "F16")]
    assert "合计 104 不等于各指标自评得分之和 103（得分项 100 + 加分 5 − 扣分 0 = 105，加分后总分不超过 103 分，计 103 分）" \
        in report.findings[0].message


def test_the_templates_total_cell_allows_up_to_the_cap(tmp_path):
    workbook = load_workbook(save(build_template(get_table(TABLE)), tmp_path / "t.xlsx"))
    total = cell_of(workbook, "score_total")
    rules = [v for v in total.parent.data_validations.dataValidation if total.coordinate in v.sqref]
    assert len(rules) == 1 and (rules[0].formula1, rules[0].formula2) == ("0", "103")
    assert "加分后总分不超过 103 分" in rules[0].error
