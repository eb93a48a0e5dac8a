"""Reading by defined names: the template's own 合计 formula, Excel's sum of the self-scores, and what each bad cell is told."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from helpers import make_workbook
from selfscore.checking import check_workbook
from selfscore.read.by_names import Unreadable
from selfscore.results.findings import make_finding
from selfscore.tables.names import SCORE_TOTAL, score_name
from selfscore.write.filling import cell_of

# shantytown's nine self-scores are F5:F13 on 自评表 and its 合计 is F14
OWN_TOTAL = "=SUM(F5:F13)"


def with_total(tmp_path: Path, formula: str, move: dict[str, str] | None = None, **changes) -> Path:
    """The Jiaozuo workbook with ``formula`` in 合计 (no saved result, as a program writes it), and some self-score
    names moved to other cells (their values moved with them)."""
    path = make_workbook(tmp_path / "a.xlsx", **changes)
    workbook = load_workbook(path)
    for indicator_id, target in (move or {}).items():
        name = score_name(indicator_id)
        old = cell_of(workbook, name)
        sheet_title, cell = target.split("!")
        workbook[sheet_title][cell].value, old.value = old.value, None
        workbook.defined_names[name].attr_text = f"'{sheet_title}'!${cell[0]}${cell[1:]}"
    cell_of(workbook, SCORE_TOTAL).value = formula
    workbook.save(path)
    return path


def codes_on_total(path: Path) -> list[str]:
    return [finding.code for finding in check_workbook(path).findings if finding.cell == "F14"]


@pytest.mark.parametrize("formula", [OWN_TOTAL, "=sum(f5:f13)", "= SUM( $F$5 : $F$13 )", "=SUM(F$5:$F13)"])
def test_the_templates_own_total_is_recognised_however_it_is_spaced_or_anchored(tmp_path, formula):
    report = check_workbook(with_total(tmp_path, formula))
    assert report.self_total == report.recomputed_total == 100 and report.status == "ok"


@pytest.mark.parametrize(("formula", "move"), [
    ("=SUM(F5:F12)", {}),                                        # one score short
    (OWN_TOTAL, {"satisfaction": "基础数据!F13"}),                # a score on another sheet
    ("=SUM(F5:F15)", {"satisfaction": "自评表!F15"}),              # a gap in the column, the formula spanning it
    ("=SUM(F5:F13)", {"satisfaction": "自评表!G13"}),              # two columns ...
    ("=SUM(G5:G13)", {"satisfaction": "自评表!G13"}),              # ... whichever the formula names
])
def test_any_other_formula_is_not_the_templates_total_and_needs_its_saved_result(tmp_path, formula, move):
    assert codes_on_total(with_total(tmp_path, formula, move)) == ["formula_no_value"]


def test_the_own_total_is_what_excel_shows_a_decimal_typed_score_as(tmp_path):
    # 9.1 is stored as the float nearest it; Excel shows and sums 9.1, not 9.0999999999999996447…
    report = check_workbook(with_total(tmp_path, OWN_TOTAL, scores={"funds_raising": 9.1}))
    assert report.self_total == Decimal("99.1")


@pytest.mark.parametrize(("changes", "expected"), [
    ({"unit": None}, ["「自评表」B2（填报单位）：未填写；应填写填报单位名称。"]),
    ({"year": "二〇二〇"}, ["「自评表」F2（评价年度）：填写的「二〇二〇」不是有效的评价年度；应填写四位数年份，如 2020。"]),
    ({"scores": {"funds_raising": "十分"}, "total": 90},
     ["「自评表」F5（资金筹集·自评得分）：填写的「十分」不是数字；应填写 0～10 之间的分数。"]),
    ({"total": "九十"}, ["「自评表」F14（合计）：填写的「九十」不是数字；应填写 0～100 之间的分数。"]),
    ({"total": "=SUM(F5:F13)", "total_as_text": True},   # the formula typed as text is not the template's total
     ["「自评表」F14（合计）：填写的「=SUM(F5:F13)」不是数字；应填写 0～100 之间的分数。"]),
    ({"scores": {"funds_raising": 12}, "total": 100},
     ["「自评表」F5（资金筹集·自评得分）：自评得分 12 超出本项分值范围；应在 0～10 之间。"]),
    ({"facts": {"quality_issues": "两项"}},
     ["「基础数据」D15（经查实的工程质量问题）：填写的「两项」不是数字；应填写不小于 0 的整数（本格单位为项，只填数字）。"]),
    ({"facts": {"satisfaction_pct": "很高"}},                    # a percent cell: no unit to point out
     ["「基础数据」D16（服务对象满意度）：填写的「很高」不是数字；应填写百分数（0～100）。"]),
])
def test_a_bad_cell_is_told_what_it_should_hold_in_full(tmp_path, changes, expected):
    changes = dict(changes)
    as_text = changes.pop("total_as_text", False)
    path = make_workbook(tmp_path / "a.xlsx", **changes)
    if as_text:
        workbook = load_workbook(path)
        cell_of(workbook, SCORE_TOTAL).data_type = "s"
        workbook.save(path)
    report = check_workbook(path)
    assert [f.message for f in report.findings if f.severity == "error" and f.code != "score_mismatch"][:1] == expected


def test_an_unreadable_file_carries_the_clerks_message():
    finding = make_finding("not_a_workbook", reason="文件已损坏")
    assert str(Unreadable(finding)) == finding.message and Unreadable(finding).finding is finding
