"""A stored report's JSON read back into a Report gives the same JSON: nothing a page or the summary shows is lost."""

from __future__ import annotations

import pytest

from selfscore.checking import check_workbook
from selfscore.collect.reports import report_from_dict
from support.helpers import TABLE_IDS, make_workbook
from support.third_table import FIXTURES, TABLE, filled


def _same_after_storing(path) -> dict:
    stored = check_workbook(path).to_dict()
    assert report_from_dict(stored).to_dict() == stored
    return stored


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_a_shipped_tables_report_with_findings_survives_storing(tmp_path, table_id):
    stored = _same_after_storing(make_workbook(tmp_path / "a.xlsx", table_id, total=1))
    assert stored["findings"]


def test_a_total_with_bonus_and_penalty_keeps_its_computation_when_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(FIXTURES))
    stored = _same_after_storing(filled(tmp_path / f"{TABLE}.xlsx"))
    assert stored["totals"]["explanation"] == "得分项 71.75 + 加分 4 − 扣分 5 = 70.75"  # 71.75 + 4 − 5, by hand in test_third_table
