"""An indicator that cannot be recomputed says which facts and where; a judged indicator makes the total a range;
a veto says which answer zeroed the total.

Expectations come from the template's own defined names (read with openpyxl) and hand arithmetic, never from
the scorer.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from openpyxl import load_workbook

from selfscore.checking import check_workbook
from selfscore.read.by_names import identify, open_workbook, read_values
from selfscore.score.scoring import score_indicators
from selfscore.tables.definitions import get_table
from selfscore.write.filling import fill_template, save
from support.helpers import JIAOZUO, make_workbook
from support.layouts import annex1_with_facts

TABLE = get_table("shantytown")


def where(path, name: str) -> str:
    """「sheet」cell of a defined name, as the template wrote it."""
    ((sheet, coordinate),) = load_workbook(path).defined_names[name].destinations
    return f"「{sheet}」{coordinate.replace('$', '')}"


def label(input_id: str) -> str:
    return f"「{TABLE.inputs_by_id[input_id].label}」"


def test_blank_facts_are_named_with_their_cells_and_reported_once(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", drop=("starts_actual", "starts_planned"))
    report = check_workbook(path)
    result = report.indicator("starts_completion")
    assert result.status == "unknown" and result.recomputed is None
    assert result.explanation == (f"无法计算：{label('starts_actual')}、{label('starts_planned')}有误或未填写，"
                                  f"见{where(path, 'in_starts_actual')}、{where(path, 'in_starts_planned')}")
    # each blank fact has its own finding on its cell; the indicator adds none of its own
    assert not [f for f in report.findings if f.code == "score_unknown"]
    assert {f.input for f in report.findings if f.input in ("starts_actual", "starts_planned")} == {"starts_actual", "starts_planned"}


def test_a_fact_missing_from_a_retyped_table_has_no_cell_to_point_at(tmp_path):
    workbook = annex1_with_facts()
    for row in workbook["基础情况"].iter_rows():
        if row[1].value == TABLE.inputs_by_id["local_funds_arranged"].label:
            row[1].value = row[2].value = None
    workbook.save(tmp_path / "t.xlsx")
    report = check_workbook(tmp_path / "t.xlsx")
    assert report.indicator("funds_raising").explanation == f"无法计算：{label('local_funds_arranged')}有误或未填写"
    assert [f.code for f in report.findings if f.code.startswith("layout_input")] == ["layout_input_missing"]


def read_jiaozuo(tmp_path):
    """The Jiaozuo workbook as the reader hands it to the scorer, before any scoring."""
    path = make_workbook(tmp_path / "t.xlsx")
    data = path.read_bytes()
    workbook = open_workbook(data)
    table, version, _ = identify(workbook)
    return path, read_values(workbook, table, version, data)


def test_a_fact_a_reader_left_without_a_finding_gets_one_on_its_cell(tmp_path):
    # the scorer's own guard: a cause is never silent, even if a reader drops a value without saying why
    path, read = read_jiaozuo(tmp_path)
    del read.values["in_starts_planned"]
    results, findings = score_indicators(read, set(), "ceil")
    (finding,) = findings
    sheet_cell = where(path, "in_starts_planned")
    assert (finding.code, finding.indicator, finding.input) == ("score_unknown", "starts_completion", "starts_planned")
    assert f"「{finding.sheet}」{finding.cell}" == sheet_cell
    assert finding.message == (f"{sheet_cell}：「{TABLE.indicators_by_id['starts_completion'].name}」无法重新计算："
                               f"所需的{label('starts_planned')}有误或未填写，见{sheet_cell}。")
    assert [r.id for r in results if r.status == "unknown"] == ["starts_completion"]


def test_a_judged_indicator_makes_the_total_a_range(tmp_path):
    # Jiaozuo scores every indicator in full (100); 「按时报送…且内容完整的（5分）；报送逾期每1天扣1分」 with
    # 内容不完整 and 1 day late leaves 报送 in [0, 4], so the total is 100 − 5 + [0, 4] = [95, 99]
    assert JIAOZUO["shantytown"][2] == 100
    path = make_workbook(tmp_path / "t.xlsx", facts={"report_complete": "否", "report_days_late": 1},
                         scores={"report_submission": 3}, total=98)
    report = check_workbook(path)
    assert report.recomputed_total is None
    assert report.recomputed_range == (Fraction(95), Fraction(99))
    assert report.recomputed_total_text == "95～99"
    assert report.to_confirm() == ["「评价报告报送及时、完整性」（评分标准未规定具体分值）"]   # and nothing about missing facts
    data = report.to_dict()
    assert data["totals"]["recomputed_range"] == [95, 99]
    assert next(item for item in data["indicators"] if item["id"] == "report_submission")["range"] == [0, 4]
    assert next(item for item in data["indicators"] if item["id"] == "funds_raising")["range"] is None
    assert not [f for f in report.findings if f.code.startswith("total")]


def test_a_cell_less_fact_a_reader_left_without_a_finding_is_reported_on_the_score(tmp_path):
    # with no cell to point at, the finding sits on the indicator's own self-score and names no place
    path, read = read_jiaozuo(tmp_path)
    del read.values["in_starts_planned"], read.cells["in_starts_planned"]
    _, (finding,) = score_indicators(read, set(), "ceil")
    assert (finding.code, f"「{finding.sheet}」{finding.cell}") == ("score_unknown", where(path, "score_starts_completion"))
    assert finding.message.endswith(f"所需的{label('starts_planned')}有误或未填写。")


def test_a_blank_self_score_still_leaves_a_recomputed_total(tmp_path):
    # the facts decide every indicator, so the total is recomputed (100) though one self-score is missing
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", scores={"project_quality": None}, total=90))
    assert report.indicator("project_quality").status == "unknown"
    assert report.indicator("project_quality").recomputed == 10
    assert report.recomputed_total == 100


def test_a_total_typed_as_words_is_no_self_total(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", total="一百"))
    assert report.self_total is None
    assert report.recomputed_total == 100
    assert report.to_dict()["totals"]["self"] is None
    assert "total_mismatch" not in [f.code for f in report.findings]


def third_table(tmp_path, monkeypatch, repo, replace: tuple[str, str] | None = None):
    """The third table (tests/orchestration/fixtures), optionally edited, as the only definition loaded."""
    fixture = repo / "tests" / "orchestration" / "fixtures" / "affordable_rental.toml"
    source = fixture.read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in source
        source = source.replace(*replace)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / fixture.name).write_text(source, encoding="utf-8")
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(tmp_path / "schemas"))
    return get_table("affordable_rental")


def checked_third(tmp_path, table, facts: dict, scores: dict, total):
    from support.third_table import FACTS, SCORES  # the third table's worked example

    workbook = fill_template(table, {**FACTS, **facts}, {**SCORES, **scores}, total=total, unit="测试市", year=2022)
    return check_workbook(save(workbook, tmp_path / "t.xlsx"))


def test_a_judged_penalty_takes_its_largest_amount_off_the_lowest_total(tmp_path, monkeypatch, repo):
    # the third table with its 扣分项 made a judgement (its amount in [0, 5] when 创新做法 is 否); by hand:
    # 得分项 71.75 + 加分 (2 + 0) − 扣分 [0, 5] = [68.75, 73.75] — the penalty's top gives the bottom of the total
    table = third_table(tmp_path, monkeypatch, repo, (
        '{ kind = "per_item", input = "incidents", per = 5, points = 10 },',
        '{ kind = "deduction", points = 10, judgement_unless = "innovation_adopted", terms = ['
        '{ kind = "per_count", input = "incidents", per = 5 }] },'))
    report = checked_third(tmp_path, table, {"innovation_adopted": "否"}, {"innovation": 0, "safety_incidents": 3}, Decimal("70.75"))
    assert report.indicator("safety_incidents").range == (0, 5)
    assert report.recomputed_range == (Fraction("68.75"), Fraction("73.75"))


def test_a_veto_names_its_answer_its_criterion_and_the_total_cell(tmp_path, monkeypatch, repo):
    table = third_table(tmp_path, monkeypatch, repo)
    report = checked_third(tmp_path, table, {"major_accident": "是"}, {}, Decimal("70.75"))
    (finding,) = [f for f in report.findings if f.code == "total_vetoed"]
    total_cell = where(tmp_path / "t.xlsx", "score_total")
    assert (f"「{finding.sheet}」{finding.cell}", finding.input, finding.severity) == (total_cell, "major_accident", "error")
    # the criterion as the definition file words it
    assert finding.message == (f"{total_cell}（合计）：「是否发生重大安全责任事故或重大舆情事件」为「是」："
                               "发生重大安全责任事故或重大舆情事件的，总分为0（一票否决）；合计应为 0，自评合计为 70.75。")


def test_an_adjusted_total_that_cannot_be_recomputed_explains_nothing(tmp_path, monkeypatch, repo):
    # no veto, one indicator unknown: there is no total to explain, so no 「得分项 … + 加分 … − 扣分 …」 line
    table = third_table(tmp_path, monkeypatch, repo)
    report = checked_third(tmp_path, table, {"units_planned": None}, {}, Decimal("70.75"))
    assert report.recomputed_total is None and report.recomputed_range is None
    assert report.total_explanation == ""


def test_any_of_two_vetoes_zeroes_the_total_and_the_sum_is_not_checked(tmp_path, monkeypatch, repo):
    # a table with two 一票否决 questions; the first is 是, the second 否: the total must be 0 whatever the
    # self-scores add up to, so the only finding on the total is the veto's (not also 「不等于各项之和」)
    veto = '[[vetoes]]\ninput = "major_accident"\n'
    table = third_table(tmp_path, monkeypatch, repo, (
        veto, '[[vetoes]]\ninput = "innovation_adopted"\ncriterion = "创新做法造假的，总分为0"\n\n' + veto))
    assert [v.input.id for v in table.vetoes] == ["innovation_adopted", "major_accident"]
    report = checked_third(tmp_path, table, {"major_accident": "否", "innovation_adopted": "是"}, {}, Decimal(50))
    assert report.recomputed_total == 0
    assert [f.code for f in report.findings if f.code.startswith("total")] == ["total_vetoed"]


def test_a_veto_answer_that_contradicts_its_count_decides_nothing(tmp_path, monkeypatch, repo):
    # 「是否发生重大安全责任事故」 = 是 needs at least one 安全事故 counted; with 0 the answer itself is in doubt
    # (yes_requires_count on its cell), so it neither zeroes the total nor lets the sum stand: the total is unknown
    declared = 'id = "major_accident"\nlabel = "是否发生重大安全责任事故或重大舆情事件"\ntype = "yes_no"\n'
    table = third_table(tmp_path, monkeypatch, repo, (declared, declared + 'yes_requires = "incidents"\n'))
    report = checked_third(tmp_path, table, {"major_accident": "是", "incidents": 0}, {"safety_incidents": 0}, Decimal("75.75"))
    assert ("yes_requires_count", "major_accident") in report.as_tuples("code", "input")
    assert report.recomputed_total is None
    assert "total_vetoed" not in [f.code for f in report.findings]
