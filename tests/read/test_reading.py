"""Reading back what people type: each accepted form with its note, each unreadable one as an error on its cell."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from selfscore.checking import check_workbook
from selfscore.results.findings import make_finding
from support.helpers import make_workbook, set_cached_value

FACTS = "基础数据"


def findings_on(report, cell):
    return [(f.code, f.severity) for f in report.findings if f.cell == cell]


@pytest.mark.parametrize(("input_id", "typed", "note"), [
    ("starts_actual", "282", "value_normalised"),          # number stored as text
    ("starts_actual", "２８２", "value_normalised"),         # full-width digits
    ("starts_actual", " 282 ", "value_normalised"),        # surrounding spaces
    ("starts_actual", "282套", "value_normalised"),         # unit typed in
    ("starts_actual", "282.0", "value_normalised"),
    ("subsidy_planned", "404户", "value_normalised"),
    ("satisfaction_pct", "85%", "value_normalised"),
    # read as 85 %, but 0.85 % would score 0 instead of 5: a warning names both (issue 14)
    ("satisfaction_pct", 0.85, "percent_ambiguous"),
    ("satisfaction_pct", "０.８５", "percent_ambiguous"),
    ("local_funds_arranged", "有", "value_normalised"),
    ("local_funds_arranged", "√", "value_normalised"),
    ("local_funds_arranged", "Y", "value_normalised"),
    ("local_funds_arranged", "TRUE", "value_normalised"),
    ("local_funds_arranged", True, None),
    ("local_funds_arranged", " 是 ", None),
])
def test_accepted_forms_score_like_the_clean_value_and_say_what_was_assumed(tmp_path, input_id, typed, note):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", facts={input_id: typed}))
    assert report.status == "ok", report.as_tuples("code", "message")
    assert report.recomputed_total == 100
    codes = report.as_tuples("code", "input")
    assert codes == ([(note, input_id)] if note else [])


def test_thousands_separators_and_money_units(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", "old_communities",
                         facts={"project_funds_total": "95,100", "social_funds": "463.58万元", "households_actual": "28,561户"})
    report = check_workbook(path)
    assert report.status == "ok"
    assert report.recomputed_total == 95
    assert sorted(report.as_tuples("code", "input")) == [
        ("value_normalised", "households_actual"), ("value_normalised", "project_funds_total"),
        ("value_normalised", "social_funds")]


def test_a_percentage_formatted_cell_is_read_without_guessing(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", facts={"satisfaction_pct": 0.75})
    workbook = load_workbook(path)
    (sheet, ref), = workbook.defined_names["in_satisfaction_pct"].destinations
    workbook[sheet][ref.replace("$", "")].number_format = "0%"
    workbook.save(path)
    report = check_workbook(path)
    assert report.as_tuples("code") == [("score_mismatch",)]  # 75 % costs 5 points; no percent_assumed note
    assert report.indicator("satisfaction").recomputed == 0


@pytest.mark.parametrize(("input_id", "typed", "code"), [
    ("starts_actual", "二百八十二", "value_not_number"),
    ("starts_actual", "282户", "value_not_number"),            # the wrong unit is not silently dropped
    ("starts_actual", "1,2,3", "value_not_number"),
    ("starts_actual", 2.5, "value_not_integer"),
    ("starts_actual", -3, "value_below_min"),
    ("starts_planned", -1, "value_below_min"),     # a plan of 0 is legal (0 ≥ 0); a negative one is not
    ("satisfaction_pct", 120, "value_above_max"),
    ("local_funds_arranged", "可能", "value_not_yes_no"),
    ("local_funds_arranged", 1, "value_not_yes_no"),
    ("violations", "#DIV/0!", "value_error"),
    ("starts_actual", None, "value_missing"),
])
def test_unreadable_values_are_an_error_on_their_cell_and_the_indicator_is_unknown(tmp_path, input_id, typed, code):
    path = make_workbook(tmp_path / "t.xlsx", facts={input_id: typed})
    report = check_workbook(path)
    cell = next(f.cell for f in report.findings if f.input == input_id)
    errors = [f for f in report.findings if f.severity == "error"]
    assert [(f.code, f.sheet, f.cell) for f in errors] == [(code, FACTS, cell)]
    assert report.status == "errors"
    users = [r for r in report.indicators if r.status == "unknown"]
    assert users and all(r.recomputed is None for r in users)
    assert report.recomputed_total is None
    # one finding for one cause: the indicators point at the cell in their own explanation
    assert not any(f.code == "score_unknown" for f in report.findings)
    assert all(r.explanation.endswith(f"，见「{FACTS}」{cell}") for r in users)


def test_error_message_names_the_cell_and_what_was_expected(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", facts={"undisclosed_items": "两项"}))
    error = next(f for f in report.findings if f.severity == "error")
    assert error.message == make_finding(
        "value_not_number", sheet=FACTS, cell="D12", what="应公开未公开的政策、计划信息", value="两项",
        expected="不小于 0 的整数", unit_hint="（本格单位为项，只填数字）").message
    assert error.message == ("「基础数据」D12（应公开未公开的政策、计划信息）：填写的「两项」不是数字；"
                             "应填写不小于 0 的整数（本格单位为项，只填数字）。")


def test_cross_field_rules(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", "old_communities",
                                          facts={"social_funds": 100000, "severe_violation": "是"}))
    assert sorted(report.as_tuples("code", "input")) == [
        ("value_exceeds_input", "social_funds"), ("yes_requires_count", "severe_violation")]


def test_formula_with_a_cached_value_is_read_and_flagged(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", facts={"starts_actual": "=141*2"})
    set_cached_value(path, FACTS, "D19", "282")
    report = check_workbook(path)
    assert report.as_tuples("code", "cell", "severity") == [("formula_in_input", "D19", "warning")]
    assert report.recomputed_total == 100


def test_formula_without_a_cached_value_is_an_error(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", facts={"starts_actual": "=141*2"}))
    assert ("formula_no_value", "D19") in report.as_tuples("code", "cell")
    assert report.status == "errors"


@pytest.mark.parametrize(("kwargs", "code", "cell"), [
    ({"scores": {"funds_use": None}}, "score_missing", "F7"),
    ({"scores": {"funds_use": 12}}, "score_out_of_range", "F7"),
    ({"scores": {"funds_use": "十分"}}, "score_not_number", "F7"),
    ({"total": 99}, "total_mismatch", "F14"),
    ({"unit": None}, "value_missing", "B2"),
    ({"year": "去年"}, "year_invalid", "F2"),
])
def test_score_total_and_meta_cells(tmp_path, kwargs, code, cell):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", **kwargs))
    assert (code, "自评表", cell) in report.as_tuples("code", "sheet", "cell")
    assert report.status == "errors"


def test_total_over_100(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", scores={"funds_raising": 20}, total=110))
    assert {"total_over_max", "score_out_of_range"} <= {code for code, in report.as_tuples("code")}


def test_scores_typed_as_text_with_a_unit(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", scores={"funds_raising": "10分"}, total="100分"))
    assert report.status == "ok"
    assert report.indicator("funds_raising").status == "match"



def test_a_template_filled_by_a_program_leaving_the_total_formula_checks_clean(tmp_path):
    from samples import SHANTYTOWN_FACTS, SHANTYTOWN_SCORES
    from selfscore.tables.definitions import get_table
    from selfscore.write.filling import fill_template, save

    path = save(fill_template(get_table("shantytown"), SHANTYTOWN_FACTS, SHANTYTOWN_SCORES, unit="温县", year=2020),
                tmp_path / "t.xlsx")
    assert load_workbook(path)["自评表"]["F14"].value == "=SUM(F5:F13)"  # no cached value: openpyxl writes none
    report = check_workbook(path)
    assert (report.status, report.self_total, report.findings) == ("ok", 100, [])
    # Excel's SUM skips a score typed as text, so the 合计 a clerk sees is checked as it shows
    text_score = save(fill_template(get_table("shantytown"), SHANTYTOWN_FACTS, {**SHANTYTOWN_SCORES, "funds_raising": "10分"},
                                    unit="温县", year=2020), tmp_path / "u.xlsx")
    report = check_workbook(text_score)
    assert report.self_total == 90 and ("total_mismatch", "F14") in report.as_tuples("code", "cell")


def test_a_self_score_beyond_any_real_score_is_out_of_range_and_so_is_the_own_total_over_it(tmp_path):
    from samples import SHANTYTOWN_FACTS, SHANTYTOWN_SCORES
    from selfscore.checking import check_and_mark_up
    from selfscore.tables.definitions import get_table
    from selfscore.write.filling import fill_template, save

    scores = {**SHANTYTOWN_SCORES, "funds_raising": 5.877e307}
    path = save(fill_template(get_table("shantytown"), SHANTYTOWN_FACTS, scores, unit="温县", year=2020), tmp_path / "t.xlsx")
    report, marked_up = check_and_mark_up(path)
    errors = [finding for finding in report.findings if finding.severity == "error"]
    # the score itself, and the 合计 the template sums from it (Excel shows 5.877E+307 there)
    assert [(finding.code, finding.cell) for finding in errors] == [("score_out_of_range", "F5"), ("score_out_of_range", "F14")]
    assert "5.877E+307" in errors[1].message
    assert report.self_total is None and marked_up is not None


def test_a_changed_total_formula_is_a_warning_and_a_typed_total_still_works(tmp_path):
    changed = make_workbook(tmp_path / "t.xlsx", total="=SUM(F5:F12)+10")
    set_cached_value(changed, "自评表", "F14", "100")
    report = check_workbook(changed)
    assert report.as_tuples("code", "cell", "severity") == [("formula_in_input", "F14", "warning")]
    assert report.self_total == 100
    typed = check_workbook(make_workbook(tmp_path / "u.xlsx", total=100))
    assert (typed.status, typed.self_total, typed.findings) == ("ok", 100, [])


@pytest.mark.parametrize(("typed", "read", "rate"), [
    ("9.51亿元", 95100, "1 亿元 = 10000 万元"), ("951000000元", 95100, "1 万元 = 10000 元"), ("9.51亿", 95100, "1 亿元 = 10000 万元")])
def test_money_in_another_unit_is_converted_with_a_note(tmp_path, typed, read, rate):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", "old_communities", facts={"project_funds_total": typed}))
    assert report.status == "ok" and report.recomputed_total == 95
    note = next(f for f in report.findings if f.code == "unit_converted")
    assert (note.severity, note.cell, note.input) == ("info", "D19", "project_funds_total")
    assert f"填写的「{typed}」已换算为 {read} 万元（{rate}）" in note.message


def test_area_in_square_metres_is_converted_and_an_unreadable_value_names_the_unit(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", "old_communities",
                                          facts={"area_actual": "4950000平方米", "social_funds": "很多万元"}))
    assert any(f.code == "unit_converted" and "495 万平方米" in f.message for f in report.findings)
    error = next(f for f in report.findings if f.code == "value_not_number")
    assert error.message.endswith("不是数字；应填写不小于 0 的数字（本格单位为万元，只填数字）。")
