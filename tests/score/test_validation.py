"""Validation (pandera) findings, word for word: the cell, what it holds, what was expected, and the other cell it
is checked against. Expectations come from the definitions' bounds and labels, not from the validator."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook

from selfscore.checking import check_workbook
from support.helpers import make_workbook


def destination(path, name: str) -> tuple[str, str]:
    ((sheet, coordinate),) = load_workbook(path).defined_names[name].destinations
    return sheet, coordinate.replace("$", "")


def where(path, name: str) -> str:
    return "「{}」{}".format(*destination(path, name))


def errors(path) -> list[tuple[str, str]]:
    return [(f"「{f.sheet}」{f.cell}", f.message) for f in check_workbook(path).findings if f.severity == "error"]


@pytest.mark.parametrize("social", [100000, Decimal("95100.5")])
def test_a_fact_above_the_fact_that_bounds_it_names_both_cells(tmp_path, social):
    # 社会筹资 is part of 改造项目资金总额 (95100 万元 in Jiaozuo), so it can never exceed it
    path = make_workbook(tmp_path / "t.xlsx", "old_communities", facts={"social_funds": social})
    place, (_, other) = where(path, "in_social_funds"), destination(path, "in_project_funds_total")
    assert errors(path) == [(place, f"{place}（企业、居民等社会筹资）：填写的 {social} 大于「改造项目资金总额」（{other}）的 95100；"
                                    "本项不能超过「改造项目资金总额」。")]


def test_a_yes_that_needs_a_count_names_the_count(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", facts={"severe_violation": "是", "violations": 0})
    place, (_, other) = where(path, "in_severe_violation"), destination(path, "in_violations")
    assert errors(path) == [(place, f"{place}（是否存在性质恶劣、有重大不良影响的违规违纪项目）：填写了「是」，但「经查实的违规违纪问题」"
                                    f"（{other}）为 0；填「是」时「经查实的违规违纪问题」至少应为 1。")]
    (finding,) = [f for f in check_workbook(path).findings if f.code == "yes_requires_count"]
    assert finding.value == "是"


def test_a_count_typed_with_decimals_keeps_them_in_the_message(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", facts={"starts_actual": "282.50"})
    place = where(path, "in_starts_actual")
    assert errors(path) == [(place, f"{place}（实际新开工套数）：填写的「282.50」不是整数；应填写不小于 0 的整数。")]


def test_a_self_score_outside_its_points_and_a_total_over_the_maximum(tmp_path):
    # 资金筹集 is worth 10; 12 is out of range (and does not follow from the facts); the total 102 exceeds 100
    path = make_workbook(tmp_path / "t.xlsx", scores={"funds_raising": 12})
    score, total = where(path, "score_funds_raising"), where(path, "score_total")
    found = errors(path)
    assert (score, f"{score}（资金筹集·自评得分）：自评得分 12 超出本项分值范围；应在 0～10 之间。") in found
    assert (total, f"{total}（合计）：合计 102 超过满分 100。") in found
    below = errors(make_workbook(tmp_path / "n.xlsx", scores={"funds_raising": -1}, total=89))
    assert (score, f"{score}（资金筹集·自评得分）：自评得分 -1 超出本项分值范围；应在 0～10 之间。") in below


def test_one_finding_per_cell_the_total_that_is_neither_the_sum_nor_within_the_maximum(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", total=101)
    total = where(path, "score_total")
    assert errors(path) == [(total, f"{total}（合计）：合计 101 不等于各指标自评得分之和 100。")]


def test_blank_cells_say_what_belongs_there(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", scores={"funds_raising": None}, drop=("starts_planned",))
    score, fact = where(path, "score_funds_raising"), where(path, "in_starts_planned")
    found = errors(path)
    assert (score, f"{score}（资金筹集·自评得分）：未填写自评得分；应填写 0～10 之间的分数。") in found
    assert (fact, f"{fact}（年度计划新开工套数）：未填写；应填写不小于 0 的整数。") in found


def test_a_total_that_must_be_above_zero_rejects_zero(tmp_path):
    # 「改造项目资金总额」 is a divisor (社会筹资占比): min_exclusive = 0, so 0 itself is out
    path = make_workbook(tmp_path / "t.xlsx", "old_communities", facts={"project_funds_total": 0, "social_funds": 0})
    place = where(path, "in_project_funds_total")
    assert (place, f"{place}（改造项目资金总额）：填写的 0 过小，超出允许范围；应填写大于 0 的数字。") in errors(path)


def test_a_tiny_fraction_is_shown_as_typed_not_in_exponent_form(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", facts={"starts_actual": "0.0000001"})
    place = where(path, "in_starts_actual")
    assert errors(path) == [(place, f"{place}（实际新开工套数）：填写的「0.0000001」不是整数；应填写不小于 0 的整数。")]


def test_a_batch_of_mixed_tables_validates_each_workbook_as_if_alone(tmp_path):
    from selfscore.read.by_names import identify, open_workbook, read_values
    from selfscore.score.validation import validate, validate_many

    def read(path):
        data = path.read_bytes()
        workbook = open_workbook(data)
        table, version, _ = identify(workbook)
        return read_values(workbook, table, version, data)

    reads = [read(make_workbook(tmp_path / "a.xlsx", facts={"starts_actual": "282.5"})),
             read(make_workbook(tmp_path / "b.xlsx", "old_communities", facts={"social_funds": 100000})),
             read(make_workbook(tmp_path / "c.xlsx", scores={"funds_raising": 12}))]
    alone = [validate(one) for one in reads]
    assert [[f.code for f in findings] for findings, _ in alone] == [["value_not_integer"], ["value_exceeds_input"],
                                                                    ["score_out_of_range", "total_over_max"]]
    assert validate_many(reads) == alone
