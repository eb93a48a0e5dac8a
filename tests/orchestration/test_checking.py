"""Whole workbooks through the public API: the Jiaozuo samples, statuses, readings and the JSON shape."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from selfscore import checking
from selfscore.checking import check_file, check_workbook
from selfscore.results.findings import make_finding
from selfscore.results.report import PreviousCheck, Report
from support.helpers import make_workbook


def test_jiaozuo_samples_recompute_to_the_published_totals(repo):
    shantytown = check_workbook(repo / "sample_data" / "jiaozuo_2020_shantytown.xlsx")
    old = check_workbook(repo / "sample_data" / "jiaozuo_2020_old_communities.xlsx")
    assert (shantytown.recomputed_total, shantytown.self_total, shantytown.status) == (100, 100, "ok")
    assert (old.recomputed_total, old.self_total, old.status) == (95, 95, "ok")
    assert shantytown.errors == old.errors == 0
    assert {r.status for r in shantytown.indicators + old.indicators} == {"match"}
    assert (old.unit, old.year, old.table) == ("焦作市", 2020, "old_communities")


@pytest.mark.parametrize(("reading", "total", "status"), [
    ("ceil", Fraction(95), "match"), ("floor", Fraction(96), "rounding_reading")])
def test_step_reading_changes_the_recomputed_total(repo, reading, total, status):
    report = check_workbook(repo / "sample_data" / "jiaozuo_2020_old_communities.xlsx", steps=reading)
    assert report.recomputed_total == total
    assert report.indicator("funds_raising").status == status


def test_exact_reading_reproduces_95_12_and_names_the_reading_that_matches(repo):
    report = check_workbook(repo / "sample_data" / "jiaozuo_2020_old_communities.xlsx", steps="exact")
    assert report.to_dict()["totals"]["recomputed"] == 95.12
    finding = report.findings[0]
    assert (finding.code, finding.severity, finding.cell) == ("rounding_reading", "warning", "F5")
    # by hand: 463.58 / 95100 = 0.4875 %, 19.5125 points short of 20 %, 4.878 steps of 4 → 5 − 4.878 ≈ 5.12 (exact);
    # a whole 5 steps under 「不足一档按一档计」 leaves 5 + 0 = 5, the unit's own score
    explanation = report.indicator("funds_raising").explanation
    assert explanation.endswith("合计 5.12 分")
    assert finding.message == ("「自评表」F5（资金筹集·自评得分）：自评得分 5 与所选口径（按比例计；默认口径为不足一档按一档计）"
                               "计算的 5.12 分不符，"
                               "但与「不足一档按一档计」口径的结果一致；请确认采用的扣分口径。计算过程：" + explanation)
    assert report.status == "review"  # no error, but a person must confirm which reading the unit used


def test_a_self_score_matching_only_another_reading_is_a_warning(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", "old_communities", scores={"funds_raising": 5.12})
    report = check_workbook(path)
    result = report.indicator("funds_raising")
    assert (result.status, result.recomputed) == ("rounding_reading", 5)
    assert report.as_tuples("code", "severity") == [("rounding_reading", "warning")]
    # the reading it was computed with is named as the default it is, with the reading the unit's score matches
    assert "自评得分 5.12 与默认口径（不足一档按一档计）计算的 5 分不符，但与「按比例计」口径的结果一致" in report.findings[0].message


def test_a_self_score_in_a_judgement_range_is_review_and_outside_is_mismatch(tmp_path):
    facts = {"report_complete": "否", "report_days_late": 1}
    inside = check_workbook(make_workbook(tmp_path / "a.xlsx", facts=facts, scores={"report_submission": 2}))
    outside = check_workbook(make_workbook(tmp_path / "b.xlsx", facts=facts, scores={"report_submission": 5}))
    assert inside.indicator("report_submission").status == "review"
    assert inside.indicator("report_submission").range == (0, 4)
    assert inside.as_tuples("code", "severity") == [("score_review", "warning")]
    assert inside.recomputed_range == (95, 99) and inside.recomputed_total is None
    assert (inside.status, outside.status) == ("review", "errors")
    assert outside.indicator("report_submission").status == "mismatch"
    assert outside.as_tuples("code") == [("score_mismatch",)]


def test_mismatch_message_spells_out_the_computation(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", facts={"starts_actual": 250})
    report = check_workbook(path)
    finding = next(f for f in report.findings if f.code == "score_mismatch")
    assert finding.cell == "F10"
    assert finding.message.startswith("「自评表」F10（开工计划完成率·自评得分）：自评得分 35 与按填报数据重新计算的 23 分不符。")
    assert "= 88.65%，比 100% 低 11.35 个百分点" in finding.message


def test_json_report_has_the_spec_shape(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", facts={"quality_issues": "x"}, scores={"funds_raising": 8})
    data = json.loads(json.dumps(check_workbook(path).to_dict(), ensure_ascii=False))
    assert {"file", "table", "unit", "year", "status", "totals", "indicators", "findings"} <= set(data)
    assert data["status"] == "errors"
    assert data["totals"] == {"self": 98, "recomputed": None, "recomputed_range": None, "max": 100, "explanation": ""}
    indicator = data["indicators"][0]
    assert set(indicator) == {"id", "name", "max", "self", "recomputed", "range", "status", "explanation"}
    assert (indicator["id"], indicator["self"], indicator["recomputed"], indicator["status"]) == ("funds_raising", 8, 10, "mismatch")
    assert data["indicators"][7]["status"] == "unknown" and data["indicators"][7]["recomputed"] is None
    finding = data["findings"][0]
    assert set(finding) >= {"severity", "code", "sheet", "cell", "indicator", "input", "message"}
    assert (finding["code"], finding["sheet"], finding["cell"], finding["indicator"]) == ("score_mismatch", "自评表", "F5", "funds_raising")


def test_round_trip_fill_read_gives_no_findings_and_the_scores_back(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", "old_communities"))
    assert report.findings == []
    assert [float(r.self_score) for r in report.indicators] == [5, 5, 10, 5, 5, 20, 20, 5, 5, 10, 5]


@pytest.mark.parametrize(("data", "code", "reason"), [
    (b"", "file_empty", "文件是空的"),
    (b"\x00\x01garbage" * 50, "file_unknown", "无法识别是什么文件"),
    (b"a,b,c\n1,2,3\n", "file_text", "文本文件"),
])
def test_not_a_workbook_is_unreadable_with_a_reason(data, code, reason):
    report = check_workbook(data, name="x.xlsx")
    assert report.status == "unreadable"
    assert report.findings[0].code == code
    assert reason in report.findings[0].message


def _crash(*args, **kwargs):
    raise KeyError("boom")


@pytest.mark.parametrize("step", ["_read", "_finish"])  # while opening the workbook, and after validating it
@pytest.mark.parametrize("markup", [True, False])
def test_a_checker_that_fails_gives_the_one_unreadable_report_never_a_traceback(tmp_path, monkeypatch, step, markup):
    monkeypatch.setattr(checking, step, _crash)
    report, marked_up = check_file(make_workbook(tmp_path / "t.xlsx"), "填报.xlsx", "floor", markup)
    assert (report.file, report.status, report.steps, marked_up) == ("填报.xlsx", "unreadable", "floor", None)
    assert report == Report.unreadable("填报.xlsx", make_finding("check_failed", reason="KeyError"), "floor")
    message = report.findings[0].message
    assert "KeyError" in message and "请把该文件发给技术支持" in message


def test_a_workbook_that_breaks_validation_gives_the_one_unreadable_report(tmp_path, monkeypatch):
    monkeypatch.setattr(checking, "validate_many", _crash)
    report, _ = check_file(make_workbook(tmp_path / "t.xlsx"), "填报.xlsx")
    assert report.as_tuples("code", "severity") == [("check_failed", "error")]


def test_the_previous_check_given_is_what_fixed_remaining_new_compares_with(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", scores={"funds_raising": 7})
    before = PreviousCheck((("value_not_number", "自评表", "F5", "填写的「七」不是数字"),))
    report, marked_up = check_file(path, previous=before)
    assert report.previous == before and marked_up is not None
    assert [row[0] for row in report.comparison()["fixed"]] == ["value_not_number"]
    unreadable, _ = check_file(b"", "x.xlsx", previous=before)
    assert unreadable.previous is None  # nothing was checked: nothing is fixed


def test_a_workbook_that_is_not_a_template_is_unreadable(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "plain.xlsx"
    Workbook().save(path)
    report = check_workbook(path)
    assert (report.status, report.findings[0].code) == ("unreadable", "not_a_template")
    assert "请下载本工具的模板" in report.findings[0].message
