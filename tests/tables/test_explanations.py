"""The explanation of every rule kind, word for word: what a clerk reads beside a recomputed score."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from selfscore.tables.definitions import get_table, load_definition


def values(table_id: str, **changes) -> dict:
    """All facts at their clean values, with some changed (numbers as Decimal, answers as bool)."""
    table = get_table(table_id)
    clean = {d.id: (True if d.type == "yes_no" else Decimal(0)) for d in table.inputs}
    clean["severe_violation"] = False
    clean.update({"starts_planned": Decimal(282), "starts_actual": Decimal(282), "subsidy_planned": Decimal(404),
                  "subsidy_actual": Decimal(404), "satisfaction_pct": Decimal(85)} if table_id == "shantytown" else {})
    clean.update({k: (v if isinstance(v, bool) else Decimal(str(v))) for k, v in changes.items()})
    return clean


def explain(table_id: str, indicator_id: str, reading: str = "ceil", **changes) -> str:
    return get_table(table_id).indicators_by_id[indicator_id].score(values(table_id, **changes), reading).text


def test_a_checklist_names_each_answer_and_its_points():
    assert explain("shantytown", "funds_allocation", alloc_on_time=False) == (
        "资金管理办法是否健全规范：是，得 2 分；资金是否按规定时间分配下达到县（市、区）财政部门或项目单位：否，不得分（本项 2 分）；"
        "资金分配是否结合本地区特点、有针对性地改善居住条件：是，得 1 分，小计 3 分")
    assert explain("shantytown", "funds_raising", local_funds_arranged=False) == "市县财政是否安排补助资金：否，得 0 分"
    assert explain("shantytown", "funds_raising") == "市县财政是否安排补助资金：是，得 10 分"


def test_a_count_shows_count_times_rate():
    assert explain("shantytown", "policy_disclosure", undisclosed_items=3) == (
        "应公开未公开的政策、计划信息 3 项 × 0.5 = 扣 1.5 分，得 3.5 分")
    assert explain("shantytown", "policy_disclosure") == "应公开未公开的政策、计划信息 0 项，不扣分，得满分 5"
    assert explain("shantytown", "policy_disclosure", undisclosed_items=11) == (
        "应公开未公开的政策、计划信息 11 项 × 0.5 = 扣 5.5 分，扣分合计 5.5，最多扣 5，得 0 分")


@pytest.mark.parametrize(("reading", "how", "off", "result"), [
    ("ceil", "不足 1 个百分点按 1 个计", "1", "得 34 分"),
    ("exact", "按比例计", "0.5", "得 34.5 分"),
    ("floor", "不足 1 个百分点不计", "0", "得满分 35"),
])
def test_a_rate_shows_its_shortfall_and_how_a_started_point_counts(reading, how, off, result):
    assert explain("shantytown", "starts_completion", reading, starts_planned=1000, starts_actual=995) == (
        f"开工计划完成率：实际新开工 995 套 / 计划新开工 1000 套 = 99.50%，比 100% 低 0.5 个百分点，"
        f"每低 1 个百分点扣 1 分（{how}），扣 {off} 分，{result}")


@pytest.mark.parametrize(("reading", "name", "off", "left"), [
    ("ceil", "不足一档按一档计", "5", "得 0 分"), ("exact", "按比例计", "4.88", "得 0.12 分"), ("floor", "满一档才计", "4", "得 1 分"),
])
def test_steps_of_several_points_are_counted_and_named(reading, name, off, left):
    text = explain("old_communities", "funds_raising", reading, social_funds=463.58, project_funds_total=95100)
    assert text == (f"市县财政是否安排补助资金：是，得 5 分；社会筹资占比：社会筹资 463.58 万元 / 项目资金总额 95100 万元 = 0.49%，"
                    f"比 20% 低 19.51 个百分点，合 4.88 档（每 4 个百分点为一档、每档扣 1 分，{name}），扣 {off} 分，{left}；"
                    f"合计 {5 + float(left.split()[1]):g} 分")


def test_two_terms_are_added_then_capped():
    assert explain("shantytown", "satisfaction", satisfaction_pct=78, untimely_petitions=1) == (
        "满意度 78%，比 80% 低 2 个百分点，每低 1 个百分点扣 1 分（不足 1 个百分点按 1 个计），扣 2 分；"
        "未及时处置的群众信访 1 次 × 1 = 扣 1 分，共扣 3 分，得 2 分")


def test_an_incomplete_late_report_says_what_the_lateness_leaves_to_judge():
    assert explain("shantytown", "report_submission", report_complete=False, report_days_late=1) == (
        "绩效自评表、评价报告逾期报送天数 1 天 × 1 = 扣 1 分，扣分后至多 4 分；报送内容是否完整：否——"
        "评分标准未规定此情形如何扣分，需人工判定，得分应在 0～4 分之间")
    assert explain("shantytown", "report_submission", report_complete=False) == (
        "绩效自评表、评价报告逾期报送天数 0 天，不扣分；报送内容是否完整：否——评分标准未规定此情形如何扣分，需人工判定，"
        "得分应在 0～5 分之间，且不能得满分 5 分（满分要求此项为「是」）")
    assert explain("shantytown", "report_submission", report_complete=False, report_days_late=7) == (
        "绩效自评表、评价报告逾期报送天数 7 天 × 1 = 扣 7 分，扣分合计 7，最多扣 5，得 0 分；"
        "报送内容是否完整：否，但扣分后已为 0 分，无需人工判定")


def test_a_severe_violation_takes_the_part_at_once():
    assert explain("shantytown", "funds_use", violations=1, severe_violation=True) == (
        "是否建立预算执行、绩效监控机制：是，得 2 分；是否编制绩效目标、及时开展绩效评价工作：是，得 3 分，小计 5 分；"
        "是否存在性质恶劣、有重大不良影响的违规违纪项目：是，一次性扣除 5 分，得 0 分；合计 5 分")


def test_a_rate_rule_with_two_points_a_step_takes_two(repo, tmp_path):
    # a province's sibling table: 「每低一个百分点扣2分」
    target = tmp_path / "shantytown.toml"
    shutil.copy(repo / "schemas" / "shantytown.toml", target)
    text = target.read_text(encoding="utf-8")
    rule = 'input = "satisfaction_pct", target = 80, step = 1, per = 1'
    assert rule in text
    target.write_text(text.replace(rule, rule.replace("per = 1", "per = 2")), encoding="utf-8")
    indicator = load_definition(target).indicators_by_id["satisfaction"]
    outcome = indicator.score(values("shantytown", satisfaction_pct=78.5), "ceil")
    assert outcome.high == 1   # 1.5 points under: two started points, 2 each
    assert "每低 1 个百分点扣 2 分（不足 1 个百分点按 1 个计），扣 4 分" in outcome.text


def edited(repo, tmp_path, old: str, new: str):
    target = tmp_path / "shantytown.toml"
    shutil.copy(repo / "schemas" / "shantytown.toml", target)
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_definition(target)


def test_less_than_a_point_left_by_lateness_is_still_for_a_person_to_judge(repo, tmp_path):
    # 「报送逾期每1天扣4.5分」 (a sibling table): one day late leaves 0.5, and 内容不完整 makes it a range [0, 0.5]
    table = edited(repo, tmp_path, 'input = "report_days_late", per = 1', 'input = "report_days_late", per = 4.5')
    outcome = table.indicators_by_id["report_submission"].score(values("shantytown", report_complete=False, report_days_late=1), "ceil")
    assert (outcome.judged, outcome.low, outcome.high, outcome.high_excluded) == (True, 0, Decimal("0.5"), False)


def test_a_judged_part_makes_the_indicator_a_range_of_its_sum(repo, tmp_path):
    table = edited(repo, tmp_path, 'zero_if = "severe_violation"', 'zero_if = "severe_violation", judgement_unless = "report_complete"')
    outcome = table.indicators_by_id["funds_use"].score(values("shantytown", report_complete=False), "ceil")
    assert (outcome.judged, outcome.low, outcome.high, outcome.high_excluded) == (True, 5, 10, True)
    assert outcome.text.endswith("；合计 5～10 分")
