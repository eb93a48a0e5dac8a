"""Every rule kind, as data: (table, indicator, changed facts) → score under ceil / exact / floor."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from selfscore.tables.definitions import get_table
from support.helpers import JIAOZUO


def facts_as_values(table_id: str, changes: dict) -> dict:
    """Jiaozuo facts with changes, typed as the reader delivers them (Decimal numbers, bool answers)."""
    facts = {**JIAOZUO[table_id][0], **changes}
    return {key: (value == "是") if isinstance(value, str) else Decimal(str(value)) for key, value in facts.items()}


F = Fraction
CASES = [
    # table, indicator, changed facts, (ceil, exact, floor)
    ("shantytown", "starts_completion", {}, (35, 35, 35)),
    ("shantytown", "starts_completion", {"starts_actual": 300}, (35, 35, 35)),
    ("shantytown", "starts_completion", {"starts_planned": 1000, "starts_actual": 995}, (34, F(69, 2), 35)),   # 99.5 %
    ("shantytown", "starts_completion", {"starts_planned": 100, "starts_actual": 66}, (1, 1, 1)),
    ("shantytown", "starts_completion", {"starts_planned": 3, "starts_actual": 2}, (1, F(5, 3), 2)),   # 66.67 %: 33.33 short
    ("shantytown", "starts_completion", {"starts_actual": 0}, (0, 0, 0)),                                  # 0 %, capped at 35
    ("shantytown", "subsidy_completion", {"subsidy_planned": 404, "subsidy_actual": 400}, (14, 15 - (100 - F(40000, 404)), 15)),
    ("shantytown", "funds_raising", {"local_funds_arranged": "否"}, (0, 0, 0)),
    ("shantytown", "funds_allocation", {"alloc_on_time": "否"}, (3, 3, 3)),
    ("shantytown", "funds_use", {"violations": 3}, (F(17, 2), F(17, 2), F(17, 2))),
    ("shantytown", "funds_use", {"violations": 11}, (5, 5, 5)),                                             # capped at 5
    ("shantytown", "funds_use", {"violations": 1, "severe_violation": "是"}, (5, 5, 5)),                     # severe → 0 of 5
    ("shantytown", "funds_use", {"monitoring_mechanism": "否", "performance_targets": "否"}, (5, 5, 5)),
    ("shantytown", "policy_disclosure", {"undisclosed_items": 10}, (0, 0, 0)),
    ("shantytown", "report_submission", {"report_days_late": 2}, (3, 3, 3)),
    ("shantytown", "report_submission", {"report_days_late": 9}, (0, 0, 0)),
    ("shantytown", "project_quality", {"quality_issues": 4}, (6, 6, 6)),
    ("shantytown", "satisfaction", {"satisfaction_pct": 79.5}, (4, F(9, 2), 5)),
    ("shantytown", "satisfaction", {"satisfaction_pct": 80}, (5, 5, 5)),
    ("shantytown", "satisfaction", {"satisfaction_pct": 100, "untimely_petitions": 2}, (3, 3, 3)),
    ("shantytown", "satisfaction", {"satisfaction_pct": 75, "untimely_petitions": 1}, (0, 0, 0)),          # 5 + 1, capped
    ("shantytown", "satisfaction", {"satisfaction_pct": 0}, (0, 0, 0)),
    # 463.58 / 95100 = 0.487 %: 19.51 points under 20 % = 4.88 steps of 4 points
    ("old_communities", "funds_raising", {}, (5, 10 - F(20 - F(46358, 9510000) * 100, 4), 6)),
    ("old_communities", "funds_raising", {"social_funds": 19020}, (10, 10, 10)),                            # exactly 20 %
    ("old_communities", "funds_raising", {"social_funds": 15216}, (9, 9, 9)),                               # 16 %: one step
    ("old_communities", "funds_raising", {"social_funds": 15121.0}, (8, 10 - F(20 - F(1512100, 95100), 4), 9)),  # 15.9 %
    ("old_communities", "funds_raising", {"social_funds": 0, "local_funds_arranged": "否"}, (0, 0, 0)),
    ("old_communities", "households_completion", {}, (20, 20, 20)),                                         # 122.36 %
    ("old_communities", "area_completion", {"area_actual": 200}, (0, F(20) - (100 - F(200 * 100 * 10, 2475)), 1)),
    ("old_communities", "buildings_completion", {"buildings_actual": 686}, (4, 5 - (100 - F(68600, 689)), 5)),
]


@pytest.mark.parametrize(("table_id", "indicator_id", "changes", "expected"), CASES)
def test_rule_scores_under_each_step_reading(table_id, indicator_id, changes, expected):
    indicator = get_table(table_id).indicators_by_id[indicator_id]
    values = facts_as_values(table_id, changes)
    got = tuple(indicator.score(values, reading).high for reading in ("ceil", "exact", "floor"))
    assert got == tuple(Fraction(value) for value in expected)


def test_exact_arithmetic_makes_282_of_282_exactly_100_percent():
    indicator = get_table("shantytown").indicators_by_id["starts_completion"]
    outcome = indicator.score(facts_as_values("shantytown", {}), "ceil")
    assert outcome.high == 35
    assert "实际新开工 282 套 / 计划新开工 282 套 = 100.00%，≥100%，得满分 35" in outcome.text


def test_explanation_spells_out_the_jiaozuo_social_funding_steps():
    indicator = get_table("old_communities").indicators_by_id["funds_raising"]
    text = indicator.score(facts_as_values("old_communities", {}), "ceil").text
    assert "社会筹资 463.58 万元 / 项目资金总额 95100 万元 = 0.49%" in text
    assert "比 20% 低 19.51 个百分点，合 4.88 档" in text
    assert text.endswith("扣 5 分，得 0 分；合计 5 分")


def test_households_explanation_reads_like_the_spec():
    indicator = get_table("old_communities").indicators_by_id["households_completion"]
    text = indicator.score(facts_as_values("old_communities", {}), "ceil").text
    assert text == "改造户数计划完成率：实际改造户数 28561 户 / 计划改造户数 23341 户 = 122.36%，≥100%，得满分 20"


def test_incomplete_report_is_a_range_for_a_person_to_judge():
    indicator = get_table("shantytown").indicators_by_id["report_submission"]
    outcome = indicator.score(facts_as_values("shantytown", {"report_complete": "否", "report_days_late": 1}), "ceil")
    assert (outcome.judged, outcome.low, outcome.high) == (True, 0, 4)
    assert "需人工判定，得分应在 0～4 分之间" in outcome.text


def test_a_checklist_explains_each_item_in_points():
    indicator = get_table("shantytown").indicators_by_id["funds_allocation"]
    text = indicator.score(facts_as_values("shantytown", {"alloc_on_time": "否"}), "ceil").text
    assert text.startswith("资金管理办法是否健全规范：是，得 2 分；"
                           "资金是否按规定时间分配下达到县（市、区）财政部门或项目单位：否，不得分（本项 2 分）")
    assert "/" not in text and text.endswith("小计 3 分")
