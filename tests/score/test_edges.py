"""Scores at the edges a reviewer tries first; each expectation comes from the criterion it quotes, by hand arithmetic."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from selfscore.checking import check_workbook
from selfscore.read.parsing import excel_decimal
from selfscore.results.findings import CATALOGUE
from selfscore.tables.definitions import get_table
from selfscore.tables.numbers import MATCH_TOLERANCE, matches
from selfscore.tables.steps import STEP_READINGS
from support.helpers import PROPERTY_EXAMPLES, make_workbook, set_cached_value

FACTS = "基础数据"
#: the completion criterion of every 计划完成率 indicator
COMPLETION = "项目实际开工量大于或等于年度计划的（35分）；未达到计划的，每低一个百分点扣1分，最多扣35分。"
SATISFACTION = "满意度指标达到80%以上的（5分）；低于80%的，每低一个百分点扣1分"
REPORT = "按时报送绩效自评表、绩效评价报告且内容完整的（5分）；报送逾期每1天扣1分，最多扣5分。"


def criterion(table_id: str, indicator_id: str) -> str:
    return get_table(table_id).indicators_by_id[indicator_id].criterion


def score_findings(report, indicator_id: str) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in report.findings if f.indicator == indicator_id]


def input_cell(path, input_id: str) -> str:
    (_, ref), = load_workbook(path).defined_names[f"in_{input_id}"].destinations
    return ref.replace("$", "")


def test_the_criteria_quoted_here_are_the_shipped_ones():
    assert criterion("shantytown", "starts_completion") == COMPLETION
    assert criterion("shantytown", "satisfaction").startswith(SATISFACTION)
    assert criterion("shantytown", "report_submission") == REPORT


# ------------------------------------------------------------------------------ float noise


def test_a_sum_excel_shows_as_247_5_meets_a_plan_of_247_5(tmp_path):
    # 「项目实际开工量大于或等于年度计划的(20分)」: Excel's =SUM(...) stores 247.49999999999997 and shows 247.5,
    # and 247.5 ≥ 247.5 — full 20 points, not 「比 100% 低 0 个百分点…扣 1 分」.
    assert "大于或等于年度计划的(20分)" in criterion("old_communities", "area_completion")
    path = make_workbook(tmp_path / "t.xlsx", "old_communities", facts={"area_actual": 247.49999999999997})
    report = check_workbook(path)
    result = report.indicator("area_completion")
    assert (result.status, result.recomputed) == ("match", 20)
    assert "实际改造面积 247.5 万平方米 / 计划改造面积 247.5 万平方米 = 100.00%，≥100%，得满分 20" in result.explanation
    assert report.status == "ok"


def test_a_formulas_cached_float_is_read_as_excel_shows_it(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", "old_communities", facts={"area_actual": "=100.1+147.4"})
    set_cached_value(path, FACTS, input_cell(path, "area_actual"), "247.49999999999997")
    report = check_workbook(path)
    assert report.indicator("area_completion").status == "match"
    assert [f.code for f in report.findings] == ["formula_in_input"]


def test_a_satisfaction_of_0_7999999999999999_in_a_percent_cell_is_80_percent(tmp_path):
    # 「满意度指标达到80%以上的（5分）」: Excel shows 80%; no point off.
    path = make_workbook(tmp_path / "t.xlsx", facts={"satisfaction_pct": 0.7999999999999999})
    workbook = load_workbook(path)
    (sheet, ref), = workbook.defined_names["in_satisfaction_pct"].destinations
    workbook[sheet][ref.replace("$", "")].number_format = "0%"
    workbook.save(path)
    report = check_workbook(path)
    result = report.indicator("satisfaction")
    assert (result.status, result.recomputed) == ("match", 5)
    assert result.explanation.startswith("满意度 80%，≥80%")


def test_a_value_typed_as_text_keeps_every_digit(tmp_path):
    # typed, 247.49999999999997 is a real shortfall of 0.00000000000001 %: one started point under ceil
    path = make_workbook(tmp_path / "t.xlsx", "old_communities", facts={"area_actual": "247.49999999999997"},
                         scores={"area_completion": 19})
    result = check_workbook(path).indicator("area_completion")
    assert (result.status, result.recomputed) == ("match", 19)
    assert "= 99.99999999999999%，比 100% 低 0.00000000000001 个百分点" in result.explanation


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=12))
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
def test_a_float_sum_of_cents_reads_as_the_exact_sum(cents):
    # what =SUM over typed two-decimal amounts stores: binary noise below the 15th digit
    noisy = sum(c / 100 for c in cents)
    assert excel_decimal(noisy) == sum(Decimal(c) / 100 for c in cents)


@pytest.mark.parametrize(("noisy", "shown"), [
    (247.49999999999997, "247.5"), (0.7999999999999999, "0.8"), (0.1 + 0.2, "0.3"), (463.58, "463.58"),
    (99.99999999999999, "100"), (123456789012345.0, "123456789012345"), (1 / 3, "0.333333333333333"),
])
def test_fifteen_significant_digits(noisy, shown):
    assert excel_decimal(noisy) == Decimal(shown)


# ------------------------------------------------------------------------------ explanations


def completion(planned: int, actual: int, reading: str = "ceil"):
    values = {"starts_planned": Decimal(planned), "starts_actual": Decimal(actual)}
    return get_table("shantytown").indicators_by_id["starts_completion"].score(values, reading)


def test_a_shortfall_of_a_thousandth_of_a_point_is_shown_not_rounded_away():
    # 99999 / 100000 = 99.999 %: 0.001 points under 100 %, a started point: 1 off under ceil
    outcome = completion(100000, 99999)
    assert outcome.high == 34
    assert "= 99.999%，比 100% 低 0.001 个百分点，每低 1 个百分点扣 1 分（不足 1 个百分点按 1 个计），扣 1 分" in outcome.text
    # proportionally, 0.001 points off: 34.999, which a clerk writes 35.00
    exact = completion(100000, 99999, "exact")
    assert exact.high == Fraction(34999, 1000) and "扣 0.001 分" in exact.text


def test_a_step_of_four_points_barely_started_is_not_zero_steps():
    # 「每低四个百分点扣1分」: 19.999 % of 20 % is 0.001 points under: 0.00025 of a step, counted as one under ceil
    table = get_table("old_communities")
    values = {"local_funds_arranged": True, "social_funds": Decimal("19.999"), "project_funds_total": Decimal(100)}
    outcome = table.indicators_by_id["funds_raising"].score(values, "ceil")
    assert outcome.high == 9
    assert "低 0.001 个百分点，合 0.0003 档" in outcome.text and "合 0 档" not in outcome.text


_SHOWN_RATE = re.compile(r"= ([\d.]+)%，比 100% 低 ([\d.]+) 个百分点")


@given(st.integers(1, 10**7), st.integers(1, 1000), st.sampled_from(STEP_READINGS))
@example(planned=200000, short=1, reading="ceil")   # 99.9995 %: the shortfall needs the rate's four places
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
def test_an_explanation_never_shows_a_shortfall_its_figures_deny(planned, short, reading):
    actual = max(0, planned - short) if short < 50 else planned * short // 1001
    outcome = completion(planned, actual, reading)
    shown_rate, shown_below = _SHOWN_RATE.search(outcome.text).groups()
    rate, below = Decimal(shown_rate), Decimal(shown_below)
    assert rate < 100 and below > 0
    # both rounded half up to the same places: they add up to 100 within one unit of the last place
    assert abs(rate + below - 100) <= Decimal(1).scaleb(-len(shown_rate.split(".")[1]))


# ------------------------------------------------------------------------------ a plan of zero


@pytest.mark.parametrize("actual", [0, 5])
def test_a_plan_of_zero_is_met_by_any_actual_figure(tmp_path, actual):
    # 「项目实际开工量大于或等于年度计划的（35分）」 holds for 0 ≥ 0: a county with no plan submits a clean workbook
    path = make_workbook(tmp_path / "t.xlsx", facts={"starts_planned": 0, "starts_actual": actual})
    report = check_workbook(path)
    assert report.status == "ok" and report.findings == []
    result = report.indicator("starts_completion")
    assert (result.status, result.recomputed) == ("match", 35)
    assert result.explanation == f"开工计划完成率：计划为 0，实际 {actual} 套，不低于计划，得满分 35"


def test_a_plan_of_zero_in_every_completion_indicator_of_old_communities(tmp_path):
    zero = {"households_planned": 0, "area_planned": 0, "buildings_planned": 0, "communities_planned": 0}
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", "old_communities", facts=zero))
    assert report.status == "ok"
    assert {report.indicator(i).status for i in ("households_completion", "area_completion",
                                                 "buildings_completion", "communities_completion")} == {"match"}


def test_a_negative_plan_stays_an_error(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", facts={"subsidy_planned": -1})
    report = check_workbook(path)
    assert ("value_below_min", input_cell(path, "subsidy_planned")) in report.as_tuples("code", "cell")
    assert report.indicator("subsidy_completion").status == "unknown"


# ------------------------------------------------------------------------------ completeness


def incomplete(tmp_path, days_late: int, self_score):
    path = make_workbook(tmp_path / "t.xlsx", facts={"report_complete": "否", "report_days_late": days_late},
                         scores={"report_submission": self_score})
    report = check_workbook(path)
    return report, report.indicator("report_submission")


def test_full_marks_for_an_incomplete_report_is_an_error_that_says_why(tmp_path):
    # 「按时报送…且内容完整的（5分）」: 内容不完整 rules out the 5 points, whatever is left undecided
    report, result = incomplete(tmp_path, 0, 5)
    assert result.status == "mismatch" and result.range == (0, 5)
    (finding,) = [f for f in report.findings if f.indicator == "report_submission"]
    assert (finding.code, finding.severity, finding.value, finding.cell) == ("score_mismatch", "error", "5", result.cell)
    assert "0～5（不含 5）" in finding.message
    assert "不能得满分 5 分（满分要求此项为「是」）" in finding.message


@pytest.mark.parametrize("self_score", [0, 2.5, 4.99])
def test_a_lower_score_for_an_incomplete_report_is_for_a_person_to_confirm(tmp_path, self_score):
    report, result = incomplete(tmp_path, 0, self_score)
    assert result.status == "review"
    assert score_findings(report, "report_submission") == [("score_review", "warning")]


@pytest.mark.parametrize(("days", "self_score", "status"), [
    (1, 0, "review"),       # the bottom of [0, 4]
    (1, 4, "review"),       # its top: 5 − 1 day late; full marks (5) are already out
    (1, 4.005, "review"),   # within the tolerance of the top
    (1, 4.01, "mismatch"),
    (1, 5, "mismatch"),
    (1, -0.01, "mismatch"),
])
def test_the_review_range_includes_zero_and_its_top(tmp_path, days, self_score, status):
    report, result = incomplete(tmp_path, days, self_score)
    assert (result.status, result.range) == (status, (0, 4))
    (finding,) = [f for f in report.findings if f.indicator == "report_submission" and f.code in ("score_review", "score_mismatch")]
    assert (finding.code, finding.value, finding.cell) == ({"review": "score_review", "mismatch": "score_mismatch"}[status],
                                                           f"{self_score:g}", result.cell)
    if status == "review":
        assert f"得分应在 0～4 分之间；自评得分 {self_score:g} 在此范围内，需人工确认" in finding.message
    else:
        expected = f"自评得分 {self_score:g} 与按填报数据重新计算的 0～4 分不符。计算过程：绩效自评表、评价报告逾期报送天数 1 天"
        assert expected in finding.message


def test_lateness_that_takes_every_point_leaves_nothing_to_judge(tmp_path):
    # 「报送逾期每1天扣1分，最多扣5分」: 6 days late is 0 points, complete or not
    report, result = incomplete(tmp_path, 6, 0)
    assert (result.status, result.recomputed, result.range) == ("match", 0, None)
    assert score_findings(report, "report_submission") == []
    assert "无需人工判定" in result.explanation
    _, wrong = incomplete(tmp_path, 6, 1)
    assert wrong.status == "mismatch"


# ------------------------------------------------------------------------------ ambiguous percentages


def test_a_fraction_that_scores_differently_as_a_small_percentage_is_a_warning(tmp_path):
    # 0.85 as a fraction is 85 % (≥ 80 %: 5 points); as 0.85 % it is 79.15 points under (0 points)
    path = make_workbook(tmp_path / "t.xlsx", facts={"satisfaction_pct": 0.85})
    report = check_workbook(path)
    (finding,) = report.findings
    assert (finding.code, finding.severity, finding.sheet, finding.cell, finding.value) == (
        "percent_ambiguous", "warning", FACTS, input_cell(path, "satisfaction_pct"), "0.85")
    assert finding.message.startswith(f"「基础数据」{finding.cell}（服务对象满意度）：填写的 0.85 不带 %")
    assert "可理解为 85%（小数形式，本工具按此计算）或 0.85%" in finding.message
    assert "按 85% 得 5 分、按 0.85% 得 0 分" in finding.message
    assert report.indicator("satisfaction").recomputed == 5 and report.status == "ok"


def test_exactly_1_in_a_plain_cell_is_read_as_100_percent_and_the_other_reading_named(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", facts={"satisfaction_pct": 1}))
    assert report.indicator("satisfaction").recomputed == 5   # 100 % ≥ 80 %
    (finding,) = report.findings
    assert finding.code == "percent_ambiguous"
    assert "按 100% 得 5 分、按 1% 得 0 分" in finding.message


def test_a_fraction_whose_readings_agree_keeps_the_note(tmp_path):
    # 0.5 → 50 %: 30 points under 80 %, 0 points; 0.5 % gives 0 points too — nothing to warn about
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", facts={"satisfaction_pct": 0.5}, scores={"satisfaction": 0}))
    assert report.as_tuples("code", "severity") == [("percent_assumed", "info")]


def test_the_new_codes_are_in_the_catalogue_and_the_docs():
    readme = (Path(__file__).parents[2] / "docs" / "filling.md").read_text(encoding="utf-8")
    assert CATALOGUE["percent_ambiguous"].severity == "warning"
    assert "`percent_ambiguous`" in readme


# ------------------------------------------------------------------------------ the match tolerance


@pytest.mark.parametrize(("self_score", "status"), [(35, "match"), (34.995, "match"), (34.994, "mismatch"),
                                                    (34.99, "mismatch"), (34.95, "mismatch"), (35.005, "match"),
                                                    (35.006, "score_out_of_range")])
def test_a_self_score_matches_within_half_a_cent_and_no_further(tmp_path, self_score, status):
    # 「Scores are reported with at most two decimals. A self-score matches when it is within 0.005」 (SPEC)
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", scores={"starts_completion": self_score}))
    result = report.indicator("starts_completion")
    if status == "score_out_of_range":
        assert "score_out_of_range" in [f.code for f in report.findings]
    else:
        assert result.status == status


def test_the_tolerance_is_exactly_half_a_cent():
    assert MATCH_TOLERANCE == Fraction(1, 200)
    assert matches(Decimal("34.995"), 35) and not matches(Decimal("34.9949"), 35)
    assert matches(Decimal("35.005"), 35) and not matches(Decimal("35.0051"), 35)


def test_an_incomplete_report_without_a_self_score_shows_its_range_and_is_not_judged(tmp_path):
    report, result = incomplete(tmp_path, 1, None)
    assert (result.status, result.range, result.recomputed) == ("unknown", (0, 4), None)
    assert ("score_missing", "error") in score_findings(report, "report_submission")


def test_json_numbers_are_integers_when_whole_and_two_decimals_otherwise(tmp_path):
    # 「Scores are reported with at most two decimals」: 35, not 35.0; 34.5 as it is
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", scores={"starts_completion": 34.5}))
    text = json.dumps(report.to_dict()["indicators"][5], ensure_ascii=False)
    assert '"max": 35, "self": 34.5, "recomputed": 35,' in text


def test_a_judged_indicator_names_its_range_under_each_percent_reading(repo, tmp_path):
    # a table whose 报送 indicator also counts a satisfaction rate: at 85 % the lateness leaves 5 (judged, full marks out),
    # at 0.85 % the rate takes all 5 (determined 0)
    from selfscore.read.result import CellRef, ReadResult
    from selfscore.results.findings import make_finding
    from selfscore.score.scoring import score_indicators
    from selfscore.tables.definitions import load_definition
    from selfscore.tables.names import input_name

    source = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    late = '{ kind = "per_count", input = "report_days_late", per = 1 },'
    assert late in source
    path = tmp_path / "shantytown.toml"
    path.write_text(source.replace(late, late + '\n    { kind = "below_target", label = "满意度", input = "satisfaction_pct", '
                                               'target = 80, step = 1, per = 1 },'), encoding="utf-8")
    table = load_definition(path)
    facts = {"report_days_late": Decimal(0), "report_complete": False, "satisfaction_pct": Decimal(85),
             "untimely_petitions": Decimal(0)}
    read = ReadResult(table, 1, values={input_name(k): v for k, v in facts.items()},
                      cells={input_name(k): CellRef(FACTS, f"D{row}") for row, k in enumerate(facts, start=2)},
                      findings=[make_finding("percent_assumed", sheet=FACTS, cell="D4", input="satisfaction_pct",
                                             value="0.85", normalised="85")])
    score_indicators(read, set(), "ceil")
    (finding,) = [f for f in read.findings if f.input == "satisfaction_pct"]
    assert finding.code == "percent_ambiguous"
    # and 满意度 itself: 85 % ≥ 80 % keeps its 5 points; 0.85 % is 79.15 points short, more than its 5
    assert ("「评价报告报送及时、完整性」按 85% 得 0～5 分、按 0.85% 得 0 分；"
            "「棚户区改造拆迁居民、公租房已保障对象满意度」按 85% 得 5 分、按 0.85% 得 0 分") in finding.message


@pytest.mark.parametrize(("self_score", "status"), [("1.995", "review"), ("1.99", "mismatch"), ("4.99", "review"), ("5", "mismatch")])
def test_a_judged_range_that_starts_above_zero_keeps_its_tolerance_at_the_bottom(repo, tmp_path, self_score, status):
    # a table whose 报送 indicator is 「市县财政安排补助资金的（2分）」 plus 「按时报送…且内容完整的（3分）；报送逾期每1天扣1分」:
    # with 资金 arranged and the report incomplete, the indicator is 2 + [0, 3) = [2, 5), so 1.995 is within half a
    # cent of its bottom and 1.99 is not
    from selfscore.read.result import CellRef, ReadResult
    from selfscore.score.scoring import score_indicators
    from selfscore.tables.definitions import load_definition
    from selfscore.tables.names import input_name, score_name

    source = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    part = '{ kind = "deduction", points = 5, judgement_unless = "report_complete", terms = ['
    assert part in source
    path = tmp_path / "shantytown.toml"
    path.write_text(source.replace(part, '{ kind = "checklist", items = [{ input = "local_funds_arranged", points = 2 }] },\n  '
                                         + part.replace("points = 5", "points = 3")), encoding="utf-8")
    table = load_definition(path)
    facts = {"report_days_late": Decimal(0), "report_complete": False, "local_funds_arranged": True}
    values = {**{input_name(k): v for k, v in facts.items()}, score_name("report_submission"): Decimal(self_score)}
    read = ReadResult(table, 1, values=values,
                      cells={score_name("report_submission"): CellRef("自评表", "F9")})
    results, _ = score_indicators(read, set(), "ceil")
    result = next(r for r in results if r.id == "report_submission")
    assert (result.range, result.status) == ((2, 5), status)
