"""The further rule kinds, each on its own: criterion text → definition → score under ceil / exact / floor.

Every expectation is worked out by hand from the criterion quoted beside it (or, in the properties,
recomputed from the criterion's own arithmetic), never taken from the scorer.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfscore.tables.definitions import DefinitionError
from selfscore.tables.inputs import input_definition_from
from selfscore.tables.rules import parse_part
from selfscore.tables.steps import STEP_READINGS

F = Fraction
INPUTS = {raw["id"]: input_definition_from(raw, f"inputs.{raw['id']}") for raw in [
    {"id": "spent", "label": "已支出资金", "short": "已支出", "unit": "万元", "type": "number", "min": 0},
    {"id": "received", "label": "到位资金", "unit": "万元", "type": "number", "min_exclusive": 0},
    {"id": "actual", "label": "实际筹集套数", "short": "实际筹集", "unit": "套", "type": "integer", "min": 0},
    {"id": "planned", "label": "计划筹集套数", "short": "计划筹集", "unit": "套", "type": "integer", "min": 0},
    {"id": "vacant", "label": "空置套数", "short": "空置", "unit": "套", "type": "integer", "min": 0},
    {"id": "delivered", "label": "已交付套数", "short": "已交付", "unit": "套", "type": "integer", "min": 0},
    {"id": "satisfaction", "label": "满意度", "unit": "%", "type": "percent", "min": 0, "max": 100},
    {"id": "complaints", "label": "投诉率", "unit": "%", "type": "percent", "min": 0, "max": 100},
    {"id": "funds_rules", "label": "资金管理制度", "type": "choice", "options": ["健全", "基本健全", "不健全"]},
    {"id": "project_rules", "label": "项目管理制度", "type": "choice", "options": ["健全", "基本健全", "不健全"]},
    {"id": "awards", "label": "示范表彰", "unit": "项", "type": "integer", "min": 0},
]}

# 「资金执行率≥90%的得5分，80%（含）–90%的得3分，低于80%的不得分。」
BANDS = {"kind": "bands", "label": "资金执行率", "ratio": ["spent", "received"],
         "bands": [{"at_least": 90, "points": 5}, {"at_least": 80, "points": 3}]}
# 「完成率低于60%的不得分；60%及以上未达到计划的，每低一个百分点扣0.5分，最多扣30分。」
GATE = {"kind": "gate", "label": "完成率", "ratio": ["actual", "planned"], "below": 60, "parts": [
    {"kind": "deduction", "points": 30, "terms": [
        {"kind": "below_target", "label": "完成率", "ratio": ["actual", "planned"], "target": 100, "step": 1, "per": 0.5}]}]}
# 「空置率不超过5%的得15分；超过5%的，每高一个百分点扣1分，最多扣15分。」
CEILING = {"kind": "deduction", "points": 15, "terms": [
    {"kind": "above_limit", "label": "空置率", "ratio": ["vacant", "delivered"], "limit": 5, "step": 1, "per": 1}]}
# 「投诉率不超过2%的得10分；超过的，每高0.5个百分点扣1分，最多扣10分。」
CEILING_STEPS = {"kind": "deduction", "points": 10, "terms": [
    {"kind": "above_limit", "label": "投诉率", "input": "complaints", "limit": 2, "step": 0.5, "per": 1}]}
# 「投诉率超过2%的，按比例扣分（每高1个百分点扣2分），最多扣10分。」
OWN_READING = {"kind": "deduction", "points": 10, "terms": [
    {"kind": "above_limit", "label": "投诉率", "input": "complaints", "limit": 2, "step": 1, "per": 2, "steps": "exact"}]}
# 「满意度达到80%以上的（5分）；低于80%的，按比例扣分（每低一个百分点扣1分），最多扣5分。」
OWN_READING_BELOW = {"kind": "deduction", "points": 5, "terms": [
    {"kind": "below_target", "label": "满意度", "input": "satisfaction", "target": 80, "step": 1, "per": 1, "steps": "exact"}]}
# 「资金管理制度健全的得3分，基本健全的得1分，不健全的不得分；项目管理制度健全的得2分，基本健全的得1分，不健全的不得分。」
GRADED = {"kind": "graded", "items": [
    {"input": "funds_rules", "points": {"健全": 3, "基本健全": 1, "不健全": 0}},
    {"input": "project_rules", "points": {"健全": 2, "基本健全": 1, "不健全": 0}}]}
# 「获得省级以上示范表彰的，每项加1分，最多加3分。」
PER_ITEM = {"kind": "per_item", "input": "awards", "per": 1, "points": 3}


def part(data: dict, extra: dict | None = None):
    inputs = {**INPUTS, **{key: input_definition_from(raw, f"inputs.{key}") for key, raw in (extra or {}).items()}}
    return parse_part(data, "test.parts[0]", inputs)


def values(**given: object) -> dict:
    return {key: value if isinstance(value, (bool, str)) else Decimal(str(value)) for key, value in given.items()}


CASES = [
    # rule, facts, (ceil, exact, floor)
    (BANDS, {"spent": 950, "received": 1000}, (5, 5, 5)),           # 95 %
    (BANDS, {"spent": 900, "received": 1000}, (5, 5, 5)),           # exactly 90 %: 「≥90%」
    (BANDS, {"spent": 899.99, "received": 1000}, (3, 3, 3)),        # 89.999 %: not 90
    (BANDS, {"spent": 800, "received": 1000}, (3, 3, 3)),           # 80 %（含）
    (BANDS, {"spent": 799.99, "received": 1000}, (0, 0, 0)),        # 低于80% 不得分
    (BANDS, {"spent": 0, "received": 1000}, (0, 0, 0)),
    (GATE, {"actual": 59, "planned": 100}, (0, 0, 0)),              # below the gate
    (GATE, {"actual": 60, "planned": 100}, (10, 10, 10)),           # at the gate: 40 points short × 0.5
    (GATE, {"actual": 755, "planned": 1000}, (F(35, 2), F(71, 4), 18)),  # 24.5 short: ceil 25, exact 24.5, floor 24
    (GATE, {"actual": 100, "planned": 100}, (30, 30, 30)),
    (GATE, {"actual": 120, "planned": 100}, (30, 30, 30)),
    (CEILING, {"vacant": 5, "delivered": 100}, (15, 15, 15)),       # exactly at the limit
    (CEILING, {"vacant": 75, "delivered": 1000}, (12, F(25, 2), 13)),  # 7.5 %: 2.5 points above
    (CEILING, {"vacant": 40, "delivered": 100}, (0, 0, 0)),         # 35 above, capped at 15
    (CEILING, {"vacant": 0, "delivered": 0}, (15, 15, 15)),         # nothing delivered: nothing vacant
    (CEILING_STEPS, {"complaints": 2.7}, (8, F(86, 10), 9)),        # 0.7 above = 1.4 steps of 0.5
    (CEILING_STEPS, {"complaints": 1}, (10, 10, 10)),
    (OWN_READING, {"complaints": 2.3}, (F(94, 10), F(94, 10), F(94, 10))),  # 按比例: 0.3 × 2 whatever --steps says
    (OWN_READING_BELOW, {"satisfaction": 79.5}, (F(9, 2), F(9, 2), F(9, 2))),
    (GRADED, {"funds_rules": "健全", "project_rules": "健全"}, (5, 5, 5)),
    (GRADED, {"funds_rules": "基本健全", "project_rules": "不健全"}, (1, 1, 1)),
    (GRADED, {"funds_rules": "不健全", "project_rules": "基本健全"}, (1, 1, 1)),
    (PER_ITEM, {"awards": 0}, (0, 0, 0)),
    (PER_ITEM, {"awards": 2}, (2, 2, 2)),
    (PER_ITEM, {"awards": 7}, (3, 3, 3)),                           # 最多加3分
]


@pytest.mark.parametrize(("rule", "facts", "expected"), CASES)
def test_each_kind_under_each_step_reading(rule, facts, expected):
    scored = part(rule)
    outcomes = [scored.score(values(**facts), reading) for reading in STEP_READINGS]
    assert tuple(outcome.high for outcome in outcomes) == tuple(F(value) for value in expected)
    # none of these is a judgement: the score is one figure, not a range
    assert all(outcome.low == outcome.high and not outcome.judged for outcome in outcomes)


def test_max_points_of_each_kind_is_what_its_criterion_gives():
    assert [part(rule).max_points for rule in (BANDS, GATE, CEILING, GRADED, PER_ITEM)] == [5, 30, 15, 5, 3]


def test_band_explanations_name_the_band():
    bands = part(BANDS)
    assert bands.score(values(spent=850, received=1000), "ceil").text == (
        "资金执行率：已支出 850 万元 / 到位资金 1000 万元 = 85.00%，在 80%（含）～90% 之间，得 3 分")
    assert bands.score(values(spent=950, received=1000), "ceil").text.endswith("= 95.00%，≥90%，得满分 5")
    assert bands.score(values(spent=700, received=1000), "ceil").text.endswith("= 70.00%，低于 80%，不得分")


def test_a_rate_just_below_a_threshold_is_never_shown_as_the_threshold():
    # 899.999 / 1000 = 89.9999 %: two decimals would print 90.00% next to 「在 80%（含）～90% 之间」
    text = part(BANDS).score(values(spent="899.999", received=1000), "ceil").text
    assert "= 89.9999%，在 80%（含）～90% 之间，得 3 分" in text


def test_a_rate_over_a_plan_of_zero_reaches_every_band_and_gate():
    # 「实际…大于或等于计划的」 holds for 0 ≥ 0: nothing was planned, so nothing falls short
    bands = part({**BANDS, "ratio": ["actual", "planned"]})
    outcome = bands.score(values(actual=0, planned=0), "ceil")
    assert (outcome.low, outcome.high) == (5, 5)
    assert outcome.text == "资金执行率：实际筹集 0 套 / 计划筹集 0 套，计划筹集为 0，视为达到最高档，得满分 5"
    gate = part({**GATE, "parts": [{"kind": "checklist", "items": [{"input": "local", "points": 30}]}]},
                extra={"local": {"id": "local", "label": "是否安排资金", "type": "yes_no"}})
    assert gate.score(values(actual=0, planned=0, local=True), "floor").high == 30


def test_gate_explanations():
    gate = part(GATE)
    assert gate.score(values(actual=59, planned=100), "ceil").text == (
        "完成率：实际筹集 59 套 / 计划筹集 100 套 = 59.00%，低于 60%，本项 30 分不得分")
    passed = gate.score(values(actual=75, planned=100), "ceil").text
    assert passed.startswith("完成率不低于 60%；") and passed.endswith("扣 12.5 分，得 17.5 分")


def test_ceiling_explanation_spells_out_the_excess():
    text = part(CEILING).score(values(vacant=75, delivered=1000), "ceil").text
    assert text == ("空置率：空置 75 套 / 已交付 1000 套 = 7.50%，比 5% 高 2.5 个百分点，"
                    "每高 1 个百分点扣 1 分（不足 1 个百分点按 1 个计），扣 3 分，得 12 分")
    assert part(CEILING).score(values(vacant=5, delivered=100), "ceil").text.endswith("未超过 5%，不扣分，得满分 15")


def test_a_ceiling_names_its_reading_in_its_explanation():
    said = {reading: part(CEILING).score(values(vacant=75, delivered=1000), reading).text for reading in STEP_READINGS}
    assert said["exact"].endswith("每高 1 个百分点扣 1 分（按比例计），扣 2.5 分，得 12.5 分")
    assert said["floor"].endswith("每高 1 个百分点扣 1 分（不足 1 个百分点不计），扣 2 分，得 13 分")


@pytest.mark.parametrize(("complaints", "shown"), [
    ("2.001", "投诉率 2.001%，比 2% 高 0.001 个百分点"),
    ("2.0004", "投诉率 2.0004%，比 2% 高 0.0004 个百分点"),   # never 「高 0 个百分点」 beside a deduction
    ("2.5", "投诉率 2.50%，比 2% 高 0.5 个百分点"),
    ("5", "投诉率 5.00%，比 2% 高 3 个百分点"),               # 3 steps of 0.5 … 6 steps, 6 off
])
def test_an_excess_is_shown_with_the_digits_that_make_it_visible(complaints, shown):
    text = part(CEILING_STEPS).score(values(complaints=complaints), "ceil").text
    assert text.startswith(shown + "，")
    assert text.endswith("扣 6 分，得 4 分" if complaints == "5" else "扣 1 分，得 9 分")


def test_a_rate_a_hair_from_a_limit_or_gate_is_not_shown_as_the_limit():
    # 5001 / 100000 = 5.001 %: two places would print 5.00% beside 「比 5% 高」; 59999 / 100000 would print 60.00% beside 「低于 60%」
    assert "= 5.001%，比 5% 高 0.001 个百分点" in part(CEILING).score(values(vacant=5001, delivered=100000), "ceil").text
    assert part(GATE).score(values(actual=59999, planned=100000), "ceil").text == (
        "完成率：实际筹集 59999 套 / 计划筹集 100000 套 = 59.999%，低于 60%，本项 30 分不得分")


def test_a_rate_short_of_a_gate_in_its_twelfth_place_is_not_shown_as_the_gate():
    # 59999999999999 / 100000000000000 = 59.999999999999 %: shown as 60% it would contradict 「低于 60%」
    assert part(GATE).score(values(actual=59999999999999, planned=100000000000000), "ceil").text == (
        "完成率：实际筹集 59999999999999 套 / 计划筹集 100000000000000 套 = 59.999999999999%，低于 60%，本项 30 分不得分")


def test_a_gate_over_a_plan_of_zero_says_it_let_the_parts_through():
    assert part(GATE).score(values(actual=0, planned=0), "ceil").text == (
        "完成率：实际筹集 0 套 / 计划筹集 0 套，计划筹集为 0，视为不低于 60%；完成率：计划为 0，实际 0 套，不低于计划，得满分 30")


def test_below_the_lowest_of_three_bands_names_the_lowest():
    # 「满意度≥90%的得10分，80%（含）–90%的得6分，70%（含）–80%的得3分，低于70%的不得分。」
    rule = {"kind": "bands", "label": "满意度", "input": "satisfaction",
            "bands": [{"at_least": 90, "points": 10}, {"at_least": 80, "points": 6}, {"at_least": 70, "points": 3}]}
    assert part(rule).score(values(satisfaction=65), "ceil").text == "满意度 65.00%，低于 70%，不得分"


def test_a_rule_with_its_own_reading_says_so_and_offers_no_other_reading():
    rule = part(OWN_READING)
    text = rule.score(values(complaints=2.3), "ceil").text
    assert text == ("投诉率 2.30%，比 2% 高 0.3 个百分点，每高 1 个百分点扣 2 分（按比例计），"
                    "扣 0.6 分（评分标准规定按比例计，不随所选口径变化），得 9.4 分")
    assert rule.depends_on_reading() is False
    assert part(CEILING).depends_on_reading() is True


def test_graded_explanation_lists_each_word_and_its_points():
    text = part(GRADED).score(values(funds_rules="基本健全", project_rules="健全"), "ceil").text
    assert text == "资金管理制度：基本健全（1/3）；项目管理制度：健全（2/2），小计 3 分"


def test_only_a_kind_that_counts_steps_offers_other_readings():
    # a band, a grade or a count scores the same under every reading, so no rounding_reading is ever offered for it;
    # a gate offers them exactly when the parts it lets through count steps
    assert [part(rule).depends_on_reading() for rule in (BANDS, GRADED, PER_ITEM, GATE, CEILING)] == [False, False, False, True, True]
    checklist_gate = {**GATE, "parts": [{"kind": "checklist", "items": [{"input": "local", "points": 30}]}]}
    assert part(checklist_gate, extra={"local": {"id": "local", "label": "是否安排资金", "type": "yes_no"}}).depends_on_reading() is False


def test_per_item_explanations_show_the_count_the_product_and_the_cap():
    # 「获得省级以上示范表彰的，每项加1分，最多加3分」
    said = {count: part(PER_ITEM).score(values(awards=count), "ceil") for count in (0, 2, 3, 5)}
    assert [(outcome.low, outcome.high) for outcome in said.values()] == [(0, 0), (2, 2), (3, 3), (3, 3)]
    assert said[0].text == "示范表彰 0 项，计 0 分"
    assert said[2].text == "示范表彰 2 项 × 1 = 2 分，计 2 分"
    assert said[3].text == "示范表彰 3 项 × 1 = 3 分，计 3 分"            # reaching the cap is not going over it
    assert said[5].text == "示范表彰 5 项 × 1 = 5 分，最多 3 分，计 3 分"


BAND = {"at_least": 90, "points": 5}
ORDER = "分档须从高到低排列，每档的门槛和分值都低于上一档"
GRADES = {"健全": 3, "基本健全": 1, "不健全": 0}


@pytest.mark.parametrize(("rule", "expected"), [
    ({**BANDS, "bands": [{"at_least": 80, "points": 3}, BAND]},
     "test.parts[0].bands[1]："
     f"{ORDER}（这里 80% → 3 分之后是 90% → 5 分）"),
    ({**BANDS, "bands": [BAND, {"at_least": 80, "points": 3}, {"at_least": 85, "points": 1}]},
     "test.parts[0].bands[2]："
     f"{ORDER}（这里 80% → 3 分之后是 85% → 1 分）"),
    ({**BANDS, "bands": [BAND, {"at_least": 90, "points": 3}]}, "test.parts[0].bands[1]："
     f"{ORDER}（这里 90% → 5 分之后是 90% → 3 分）"),
    ({**BANDS, "bands": [BAND, {"at_least": 80, "points": 5}]}, "test.parts[0].bands[1]："
     f"{ORDER}（这里 90% → 5 分之后是 80% → 5 分）"),
    ({**BANDS, "bands": [BAND, {"at_least": 80, "points": 6}]}, "test.parts[0].bands[1]："
     f"{ORDER}（这里 90% → 5 分之后是 80% → 6 分）"),
    ({**BANDS, "bands": [{"at_least": -1, "points": 5}]}, "test.parts[0].bands[0].at_least：不能为负数"),
    ({**BANDS, "ratio": ["spent", "received", "actual"]}, "test.parts[0].ratio：应为 [分子, 分母] 两项数据的 id"),
    ({**BANDS, "ratio": ["spent", "nothing"]}, "test.parts[0].ratio.denominator："),
    ({**GATE, "parts": [{"kind": "checklist", "items": []}]}, "test.parts[0].parts[0]"),
    ({**GRADED, "items": [{"input": "funds_rules", "points": {"健全": 3}}]},
     "test.parts[0].items[0].points：须给出 'funds_rules' 每个选项的分值；缺少 基本健全, 不健全"),
    ({**GRADED, "items": [{"input": "funds_rules", "points": dict.fromkeys(GRADES, 0)}]},
     "test.parts[0].items[0].points：至少要有一个选项的分值大于 0"),
    ({**GRADED, "items": []}, "test.parts[0].items：分等评分（graded）至少要有一项"),
])
def test_a_mistake_in_a_new_kind_is_named_in_full(rule, expected):
    with pytest.raises(DefinitionError) as error:
        part(rule)
    assert str(error.value).startswith(expected)


def test_a_grade_worth_a_single_point_is_enough():
    rule = {**GRADED, "items": [{"input": "funds_rules", "points": {"健全": 1, "基本健全": 0, "不健全": 0}}]}
    assert part(rule).max_points == 1


@pytest.mark.parametrize(("rule", "expected"), [
    ({**BANDS, "bands": [{"at_least": 80, "points": 3}, {"at_least": 90, "points": 5}]}, "分档须从高到低排列"),
    ({**BANDS, "bands": []}, "至少列出一档"),
    ({**BANDS, "input": "satisfaction"}, "请写 input（一项百分数数据）或 ratio"),
    ({**GATE, "parts": []}, "门槛（gate）须写明达到门槛后怎样评分的 parts"),
    ({**GRADED, "items": [{"input": "funds_rules", "points": {"健全": 3, "不健全": 0}}]}, "缺少 基本健全"),
    ({**GRADED, "items": [{"input": "awards", "points": {"健全": 3}}]}, "数据 'awards' 的类型是 integer，此处应为 choice"),
    ({**OWN_READING, "terms": [{**OWN_READING["terms"][0], "steps": "round"}]}, "steps：未知的值 'round'"),
    ({**PER_ITEM, "per": 0}, "per：须大于 0"),
])
def test_a_mistake_in_a_new_kind_names_its_key(rule, expected):
    with pytest.raises(DefinitionError) as error:
        part(rule)
    assert expected in str(error.value) and str(error.value).startswith("test.parts[0]")


# ------------------------------------------------------------------------------ properties
# Rates drawn at and next to the thresholds of the criteria above, as well as anywhere.


def near(*thresholds: int) -> st.SearchStrategy[Fraction]:
    # thousandths, as a clerk types them: the reader hands the scorer exact decimals
    offsets = st.sampled_from([F(0), F(1, 1000), F(-1, 1000), F(333, 1000), F(-333, 1000), F(1, 2), F(-1, 2), F(1), F(-1), F(-5, 2)])
    close = st.builds(lambda threshold, offset: F(threshold) + offset, st.sampled_from(thresholds), offsets)
    anywhere = st.integers(0, 100_000).map(lambda thousandths: F(thousandths, 1000))
    return st.one_of(close, anywhere).filter(lambda rate: 0 <= rate <= 100)


def as_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def counted(steps: Fraction, reading: str) -> Fraction:
    return F({"ceil": math.ceil(steps), "floor": math.floor(steps)}.get(reading, steps))


@settings(max_examples=150, deadline=None)
@given(rate=near(80, 90))
def test_bands_property(rate):
    expected = 5 if rate >= 90 else 3 if rate >= 80 else 0   # 「≥90% 得5分，80%（含）–90% 得3分，低于80% 不得分」
    rule = part(BANDS)
    spent = as_decimal(rate * 10)  # of 1000 万元
    got = [rule.score(values(spent=spent, received=1000), reading).high for reading in STEP_READINGS]
    assert got == [expected] * 3
    higher = rule.score(values(spent=min(as_decimal(rate * 10) + 1, Decimal(1000)), received=1000), "ceil").high
    assert 0 <= got[0] <= 5 and higher >= got[0]


@settings(max_examples=150, deadline=None)
@given(actual=st.one_of(st.integers(0, 1200), st.sampled_from([599, 600, 601, 995, 999, 1000, 1001])))
def test_gate_property(actual):
    rate = F(actual, 1000) * 100
    scores = {}
    for reading in STEP_READINGS:
        if rate < 60:
            expected = F(0)            # 「完成率低于60%的不得分」
        else:
            expected = 30 - min(F(30), counted(max(F(0), 100 - rate), reading) * F(1, 2))
        scores[reading] = part(GATE).score(values(actual=actual, planned=1000), reading).high
        assert scores[reading] == expected
        assert 0 <= scores[reading] <= 30
    assert scores["floor"] >= scores["exact"] >= scores["ceil"]
    assert part(GATE).score(values(actual=actual + 1, planned=1000), "ceil").high >= scores["ceil"]


@settings(max_examples=150, deadline=None)
@given(rate=near(2, F(5, 2), 3, 12))
def test_ceiling_property(rate):
    scores = {}
    for reading in STEP_READINGS:
        excess = max(F(0), rate - 2)   # 「超过2%的，每高0.5个百分点扣1分，最多扣10分」
        expected = 10 - min(F(10), counted(excess / F(1, 2), reading))
        scores[reading] = part(CEILING_STEPS).score(values(complaints=as_decimal(rate)), reading).high
        assert scores[reading] == expected and 0 <= expected <= 10
    assert scores["floor"] >= scores["exact"] >= scores["ceil"]
    worse = part(CEILING_STEPS).score(values(complaints=as_decimal(min(rate + F(1, 10), F(100)))), "ceil").high
    assert worse <= scores["ceil"]   # a higher complaint rate never scores more


@settings(max_examples=100, deadline=None)
@given(rate=near(2))
def test_own_reading_property(rate):
    expected = 10 - min(F(10), max(F(0), rate - 2) * 2)   # 「按比例扣分」: exact, whatever --steps says
    got = {reading: part(OWN_READING).score(values(complaints=as_decimal(rate)), reading).high for reading in STEP_READINGS}
    assert set(got.values()) == {expected}


WORDS = ["不健全", "基本健全", "健全"]


@settings(max_examples=60, deadline=None)
@given(funds=st.sampled_from(WORDS), project=st.sampled_from(WORDS))
def test_graded_property(funds, project):
    expected = {"健全": 3, "基本健全": 1, "不健全": 0}[funds] + {"健全": 2, "基本健全": 1, "不健全": 0}[project]
    rule = part(GRADED)
    got = rule.score(values(funds_rules=funds, project_rules=project), "ceil").high
    assert got == expected and 0 <= got <= 5
    better = WORDS[min(WORDS.index(funds) + 1, 2)]
    assert rule.score(values(funds_rules=better, project_rules=project), "ceil").high >= got


@settings(max_examples=60, deadline=None)
@given(count=st.integers(0, 50))
def test_per_item_property(count):
    got = part(PER_ITEM).score(values(awards=count), "floor").high
    assert got == min(count, 3) and part(PER_ITEM).score(values(awards=count + 1), "ceil").high >= got
