"""The phrasings the first vocabulary could not write (issue 23, point 1): a bonus group capped below its items'
sum, a gate on a 是/否 or choice fact, and a bonus table that must state its total's cap."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from selfscore.tables.definitions import DefinitionError, load_definition
from selfscore.tables.inputs import input_definition_from
from selfscore.tables.rules import parse_part

FIXTURES = Path(__file__).resolve().parent.parent / "orchestration" / "fixtures"
GRADES = ["健全", "基本健全", "不健全"]
INPUTS = {raw["id"]: input_definition_from(raw, f"inputs.{raw['id']}") for raw in [
    {"id": "evaluation_system", "label": "是否建立绩效评价制度", "short": "绩效评价制度", "type": "yes_no"},
    {"id": "evaluation_done", "label": "是否开展绩效评价", "type": "yes_no"},
    {"id": "funds_rules", "label": "资金管理制度", "type": "choice", "options": GRADES},
    {"id": "violations", "label": "违规问题", "unit": "项", "type": "integer", "min": 0},
]}
# 「未建立绩效评价制度的，本项不得分；已建立的，开展绩效评价的得2分。」
ON_YES_NO = {"kind": "gate", "requires": "evaluation_system", "parts": [
    {"kind": "checklist", "items": [{"input": "evaluation_done", "points": 2}]}]}
# 「资金管理制度不健全的，本项不得分；其余每发现1项违规扣1分，最多扣3分。」
ON_CHOICE = {"kind": "gate", "requires": "funds_rules", "passing": ["健全", "基本健全"], "parts": [
    {"kind": "deduction", "points": 3, "terms": [{"kind": "per_count", "input": "violations", "per": 1}]}]}


def part(data: dict):
    return parse_part(data, "test.parts[0]", INPUTS)


@pytest.mark.parametrize(("rule", "facts", "points", "text"), [
    (ON_YES_NO, {"evaluation_system": False, "evaluation_done": True}, 0, "绩效评价制度：否，本项 2 分不得分"),
    (ON_YES_NO, {"evaluation_system": True, "evaluation_done": True}, 2, "绩效评价制度：是；"),
    (ON_YES_NO, {"evaluation_system": True, "evaluation_done": False}, 0, "绩效评价制度：是；"),
    (ON_CHOICE, {"funds_rules": "不健全", "violations": Decimal(0)}, 0, "资金管理制度：不健全，本项 3 分不得分"),
    (ON_CHOICE, {"funds_rules": "基本健全", "violations": Decimal(1)}, 2, "资金管理制度：基本健全；"),
    (ON_CHOICE, {"funds_rules": "健全", "violations": Decimal(0)}, 3, "资金管理制度：健全；"),
])
def test_a_gate_on_a_fact_scores_nothing_without_it_and_as_its_parts_say_with_it(rule, facts, points, text):
    gate = part(rule)
    assert gate.max_points == (2 if rule is ON_YES_NO else 3)
    outcome = gate.score(facts, "ceil")
    assert outcome.high == outcome.low == points
    assert outcome.text.startswith(text)


@pytest.mark.parametrize(("rule", "expected"), [
    ({**ON_CHOICE, "passing": []}, "test.parts[0].passing：须列出 'funds_rules' 中达到要求的选项（健全、基本健全、不健全 中的一部分）"),
    ({**ON_CHOICE, "passing": ["健全", "良好"]}, "没有这些选项：良好"),
    ({**ON_CHOICE, "passing": GRADES}, "test.parts[0].passing：须列出"),
    ({**ON_YES_NO, "passing": ["是"]}, "test.parts[0].passing：是/否数据的门槛是「是」，不用写 passing；请删去"),
    ({**ON_YES_NO, "requires": "violations"}, "test.parts[0].requires：数据 'violations' 的类型是 integer，此处应为 yes_no 或 choice"),
])
def test_a_gate_on_a_fact_that_cannot_work_is_named(rule, expected):
    with pytest.raises(DefinitionError) as error:
        part(rule)
    assert expected in str(error.value)


def _third_table(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = (FIXTURES / "affordable_rental.toml").read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    (tmp_path / "affordable_rental.toml").write_text(text, encoding="utf-8")
    return tmp_path / "affordable_rental.toml"


BONUS_GROUP = 'kind = "bonus"\npoints = 5'


def test_a_bonus_group_capped_below_its_items_sum(tmp_path):
    # 「加分项合计最多加3分」 over items worth 3 + 2
    table = load_definition(_third_table(tmp_path, (BONUS_GROUP, BONUS_GROUP + "\ncap = 3")))
    bonus = next(group for group in table.groups if group.kind == "bonus")
    assert (bonus.points, bonus.cap) == (5, 3)
    scores = {indicator.id: Fraction(0) for indicator in table.indicators}
    scores.update(funds_raising=Fraction(80), awards=Fraction(3), innovation=Fraction(2))
    assert table.total(scores) == (83, "加分项合计 5 分，最多加 3 分；得分项 80 + 加分 3 − 扣分 0 = 83")
    scores.update(awards=Fraction(1))
    assert table.total(scores) == (83, "得分项 80 + 加分 3 − 扣分 0 = 83")   # at the cap: nothing to say


@pytest.mark.parametrize(("changes", "expected"), [
    (((BONUS_GROUP, 'kind = "bonus"\npoints = 3'),),
     "groups[3]：各指标合计 5 分，但这一组的分值（points）是 3 分；请让这一组的 points 等于其指标之和；"
     "评分标准规定这一组合计最多加几分时，points 仍写各指标之和，另写 cap = 几分"),
    (((BONUS_GROUP, BONUS_GROUP + "\ncap = 5"),), "groups[3].cap：5 应大于 0、小于这一组各指标之和 5（「加分项合计最多加3分」即 cap = 3）"),
    (((BONUS_GROUP, BONUS_GROUP + "\ncap = 0"),), "groups[3].cap：0 应大于 0"),
    ((('name = "资金管理"', 'name = "资金管理"\ncap = 5'),), "groups[0].cap：只有加分组"),
    # a bonus table must say what its total may reach
    ((("total_cap = 100\n", ""),),
     "groups[3]：有加分组的表格须在文件顶部写明加分后总分的上限 total_cap：「加分后总分不超过100分」即 total_cap = 100"),
])
def test_a_cap_that_cannot_be_meant_is_refused_with_the_fix(tmp_path, changes, expected):
    with pytest.raises(DefinitionError) as error:
        load_definition(_third_table(tmp_path, *changes))
    assert str(error.value).startswith("affordable_rental.toml 第 ") and expected in str(error.value)


def test_a_penalty_table_without_bonuses_needs_no_total_cap(tmp_path):
    table = load_definition(_third_table(tmp_path, ("total_cap = 100\n", ""), ('kind = "bonus"', 'kind = "penalty"')))
    assert table.total_cap is None and table.cap == table.max_points
