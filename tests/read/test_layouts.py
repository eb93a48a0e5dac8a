"""Tables people already have: the annexes retyped, reordered columns, a pasted template — read by their labels."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from selfscore.checking import check_and_mark_up, check_workbook
from selfscore.read.labels import best_match, fold, header_kind
from selfscore.tables.definitions import get_table
from selfscore.tables.names import RECOGNISED_SHEET, RESULTS_SHEET
from selfscore.write.filling import save, to_bytes
from support import layouts
from support.helpers import TABLE_IDS, set_cached_value


def check(workbook, name="手工表.xlsx"):
    return check_workbook(to_bytes(workbook), name=name)


def scores_by_cell(report) -> dict[str, tuple[str | None, object]]:
    return {result.id: (result.cell, result.self_score) for result in report.indicators}


def codes(report) -> list[str]:
    return [finding.code for finding in report.findings]


# ---------------------------------------------------------------------------------- words


@pytest.mark.parametrize(("typed", "kind"), [
    ("二级指标", "name"), ("二 级 指 标", "name"), ("二级指标\n（名称）", "name"), ("指标名称", "name"),
    ("一级指标", "group"), ("自评得分", "score"), ("自评得分（分）", "score"), ("自 评 分", "score"),
    ("分　值", "points"), ("评分标准", "criterion"), ("序号", "index"), ("焦作市", None), ("资金筹集", None),
])
def test_header_words_are_recognised_whatever_the_spacing_or_width(typed, kind):
    assert header_kind(typed) == kind


def test_folding_drops_spaces_punctuation_width_and_the_annexs_doubled_word():
    assert fold("资金资金 分配") == fold("资金分配")
    assert fold("评价报告报送及时、完整性") == fold("评价报告报送及时完整性")
    assert fold("ＡＢ（１）", drop_brackets=True) == "ab"


def test_a_name_close_to_two_indicators_is_a_tie_not_a_pick():
    words = {indicator.id: fold(indicator.name) for indicator in get_table("old_communities").indicators}
    assert best_match(fold("改造户数计划完成率"), words, 0.75) == ("households_completion", [])
    chosen, tied = best_match(fold("改造计划完成率"), words, 0.75)
    assert chosen is None and len(tied) >= 2


# ---------------------------------------------------------------------------------- the annexes retyped


def test_annex1_retyped_reads_every_self_score_and_checks_only_what_it_can():
    report = check(layouts.annex1_retyped())
    cells = layouts.annex1_cells()
    assert report.table == "shantytown" and report.unit == "焦作市"
    assert scores_by_cell(report) == {id_: (cells[id_], score) for id_, score in layouts.ANNEX1_SCORES.items()}
    assert report.self_total == 100
    assert {result.status for result in report.indicators} == {"unknown"}
    # one clear finding about the missing facts — no flood of value_missing / score_unknown
    assert codes(report) == ["layout_recognised", "facts_absent"]
    assert "selfscore template" in report.findings[1].message
    assert report.status == "review"  # nothing wrong, but no score could be recomputed: a person confirms them
    assert report.to_confirm() == ["各指标得分（工作簿中没有基础数据，无法重新计算）"]
    assert report.recomputed_total_text == "无法计算"


def test_annex2_retyped_with_its_typo_reads_the_scores_that_make_95():
    report = check(layouts.annex2_retyped())
    assert report.table == "old_communities"
    assert {result.id: result.self_score for result in report.indicators} == layouts.ANNEX2_SCORES
    assert report.self_total == 95
    assert codes(report) == ["layout_recognised", "facts_absent"]


def test_without_facts_the_scores_are_still_checked_against_points_and_total():
    workbook = layouts.annex1_retyped(scores={"funds_raising": 12, "funds_allocation": 4}, total=99)
    report = check(workbook)
    assert ("score_out_of_range", "F6") in report.as_tuples("code", "cell")
    assert report.status == "errors"
    workbook = layouts.annex1_retyped(scores={"funds_allocation": 4}, total=100)
    assert ("total_mismatch", "F15") in check(workbook).as_tuples("code", "cell")
    # 101 is both over the maximum and not the sum; the core reports one finding per cell
    found = check(layouts.annex1_retyped(total=101)).as_tuples("code", "cell")
    assert {("total_over_max", "F15"), ("total_mismatch", "F15")} & set(found)


def test_a_total_typed_as_a_formula_is_read_by_its_cached_value(tmp_path):
    path = tmp_path / "附件1.xlsx"
    save(layouts.set_cells(layouts.annex1_retyped(), {"F15": "=SUM(F6:F14)"}), path)
    set_cached_value(path, "Sheet1", "F15", "100")
    report = check_workbook(path)
    assert report.self_total == 100
    assert ("formula_in_input", "F15", "warning") in report.as_tuples("code", "cell", "severity")


def test_a_tampered_points_column_is_an_error_on_that_cell():
    workbook = layouts.set_cells(layouts.annex1_retyped(), {"D6": 15})
    report = check(workbook)
    assert report.as_tuples("code", "cell", "indicator", "severity")[-1] == ("points_mismatch", "D6", "funds_raising", "error")
    assert "评分表规定为 10 分" in report.findings[-1].message
    assert report.status == "errors"


@pytest.mark.parametrize("row", [6, 7])
def test_a_self_score_typed_as_满分_is_not_a_number_on_any_row(row):
    # 「满分」 is a header word (分值); on the first row under the two-row header it was taken for a third header row,
    # and 资金筹集 was then missing. On every row it is the same mistake: a self-score that is no number.
    report = check(layouts.set_cells(layouts.annex1_retyped(), {f"F{row}": "满分"}))
    codes = report.as_tuples("code", "cell")
    assert ("score_not_number", f"F{row}") in codes
    assert not [code for code, _ in codes if code == "layout_indicator_missing"]


# ---------------------------------------------------------------------------------- other hand-made layouts


@pytest.mark.parametrize("builder", [layouts.reordered, layouts.shifted_single_header])
@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_each_hand_made_layout_gives_the_right_score_to_the_right_indicator(builder, table_id):
    workbook, cells, scores = builder(table_id)
    report = check(workbook)
    assert report.table == table_id
    assert scores_by_cell(report) == {id_: (cells[id_], score) for id_, score in scores.items()}
    assert report.self_total == layouts.printed_scores(table_id)[1]
    assert report.errors == 0
    assert report.unit in ("焦作市", "焦作市住房和城乡建设局")
    assert report.year == 2020


def test_a_header_printed_again_on_the_next_page_is_not_a_second_table():
    workbook, cells, scores = layouts.reordered(repeat_header=True)
    report = check(workbook)
    assert cells["starts_completion"] == "C12"  # below the repeated header in row 11
    assert scores_by_cell(report) == {id_: (cells[id_], score) for id_, score in scores.items()}
    assert report.errors == report.warnings - 1 == 0  # the one warning: facts_absent


def test_a_pasted_template_without_names_or_meta_sheet_is_checked_in_full():
    report = check(layouts.pasted_template())
    assert (report.table, report.status, report.recomputed_total, report.self_total) == ("shantytown", "ok", 100, 100)
    assert {result.status for result in report.indicators} == {"match"}
    assert report.indicator("funds_raising").cell == "F5" and report.indicator("funds_raising").sheet == "复制-自评表"
    assert (report.unit, report.year) == ("焦作市", 2020)
    inputs = [cell for cell in report.recognised if cell.name.startswith("in_")]
    assert len(inputs) == len(get_table("shantytown").inputs)
    assert {cell.sheet for cell in inputs} == {"复制-基础数据"}


def test_a_template_whose_names_were_deleted_is_read_by_labels_and_the_scores_recomputed():
    report = check(layouts.pasted_template("old_communities", keep_meta=True, scores={"funds_raising": 10}))
    assert report.table == "old_communities"
    result = report.indicator("funds_raising")
    assert (result.status, result.recomputed, result.cell) == ("mismatch", 5, "F5")
    assert "score_mismatch" in codes(report)


@pytest.mark.parametrize("headed", [True, False])
def test_an_offices_own_facts_sheet_is_found_by_its_labels_and_the_scores_recomputed(headed):
    report = check(layouts.annex1_with_facts(headed=headed))
    assert (report.status, report.recomputed_total, report.self_total) == ("ok", 100, 100)
    assert {result.status for result in report.indicators} == {"match"}
    violations = next(cell for cell in report.recognised if cell.name == "in_violations")
    assert (violations.sheet, violations.cell, violations.label) == ("基础情况", "C9", "经查实的违规违纪问题（项）")


def test_facts_found_by_label_feed_the_recomputation_and_their_errors_land_on_their_cells():
    report = check(layouts.annex1_with_facts(facts={"starts_actual": 270, "quality_issues": "两项"}))
    assert report.indicator("starts_completion").status == "mismatch"
    assert ("value_not_number", "基础情况", "C14") in report.as_tuples("code", "sheet", "cell")
    assert report.indicator("project_quality").status == "unknown"


def test_some_facts_missing_is_one_error_per_missing_fact_not_a_flood():
    workbook = layouts.annex1_with_facts()
    row = 3 + [d.id for d in get_table("shantytown").inputs].index("starts_planned")
    layouts.set_cells(workbook, {f"B{row}": None, f"C{row}": None}, sheet="基础情况")  # 年度计划新开工套数 deleted
    report = check(workbook)
    assert [f.input for f in report.findings if f.code == "layout_input_missing"] == ["starts_planned"]
    assert report.indicator("starts_completion").status == "unknown"
    assert "value_missing" not in codes(report) and "facts_absent" not in codes(report)


def test_a_marked_up_hand_made_layout_can_be_checked_again():
    workbook, cells, _ = layouts.reordered()
    layouts.set_cells(workbook, {cells["funds_raising"]: "12分"})
    first, marked = check_and_mark_up(to_bytes(workbook), name="自制.xlsx")
    again = check_workbook(marked, name="自制.checked.xlsx")
    assert again.as_tuples("code", "cell") == first.as_tuples("code", "cell")
    assert again.to_dict()["previous_check"]["remaining"]


# ---------------------------------------------------------------------------------- reported, never guessed


def test_two_rows_for_one_indicator_are_both_reported_and_neither_is_read():
    # row 8 (资金使用管理) retyped as a second 资金分配
    workbook = layouts.set_cells(layouts.annex1_retyped(), {"C8": "资金分配"})
    report = check(workbook)
    duplicates = [(f.cell, f.indicator) for f in report.findings if f.code == "layout_duplicate_row"]
    assert duplicates == [("C7", "funds_allocation"), ("C8", "funds_allocation")]
    assert report.indicator("funds_allocation").self_score is None
    assert ("layout_indicator_missing", "funds_use") in report.as_tuples("code", "indicator")
    assert report.status == "errors"


def test_a_row_name_equally_close_to_two_indicators_is_reported_not_assigned():
    workbook = layouts.annex2_retyped()
    layouts.set_cells(workbook, {"C11": "改造计划完成率"})  # was 改造户数计划完成率
    report = check(workbook)
    assert ("layout_row_ambiguous", "C11") in report.as_tuples("code", "cell")
    assert report.indicator("households_completion").self_score is None
    assert ("layout_indicator_missing", "households_completion") in report.as_tuples("code", "indicator")


def test_a_row_that_names_no_indicator_is_a_warning_on_its_cell():
    workbook = layouts.set_cells(layouts.annex1_retyped(), {"C9": "其他工作"})
    report = check(workbook)
    assert ("layout_row_unmatched", "C9", "warning") in report.as_tuples("code", "cell", "severity")


def test_a_workbook_without_a_header_is_unreadable_with_a_reason():
    workbook = layouts.annex1_retyped()
    layouts.set_cells(workbook, {"C5": "项目"})  # the 二级指标 header is gone
    report = check(workbook)
    assert (report.status, codes(report)) == ("unreadable", ["not_a_template"])
    assert "二级指标" in report.findings[0].message


def test_two_tables_in_one_workbook_are_reported_not_picked():
    workbook = layouts.annex1_retyped()
    second = workbook.create_sheet("附件2")
    source = layouts.annex2_retyped().active
    for row in source.iter_rows():
        for cell in row:
            if cell.value is not None:
                second[cell.coordinate] = cell.value
    report = check(workbook)
    assert (report.status, codes(report)) == ("unreadable", ["layout_ambiguous"])
    assert "2 张自评表" in report.findings[0].message


def test_a_title_that_contradicts_the_indicators_is_reported():
    workbook = layouts.set_cells(layouts.annex1_retyped(), {"A2": get_table("old_communities").title})
    report = check(workbook)
    assert (report.status, codes(report)) == ("unreadable", ["layout_ambiguous"])


# ---------------------------------------------------------------------------------- marks and the JSON report


def test_marks_of_a_foreign_layout_land_on_the_fillers_own_cells():
    workbook, cells, _ = layouts.reordered()
    layouts.set_cells(workbook, {"D6": 12})  # 资金筹集's 分值 tampered
    report, marked = check_and_mark_up(to_bytes(workbook), name="自制.xlsx")
    copy = load_workbook(io.BytesIO(marked))
    sheet = copy["自评"]
    assert sheet["D6"].comment is not None and "分值填写为「12」" in sheet["D6"].comment.text
    assert sheet[cells["funds_raising"]].comment is not None  # the score cell tells its status
    assert sheet["C6"].value == "10分"  # nothing the filler typed is changed
    results = copy[RESULTS_SHEET]
    texts = [str(cell.value) for row in results.iter_rows() for cell in row if cell.value]
    assert any("没有基础数据" in text for text in texts[:6])  # said at the top, not only in the list
    recognised = [str(cell.value) for row in copy[RECOGNISED_SHEET].iter_rows() for cell in row if cell.value]
    assert recognised[0].startswith("识别到的单元格")  # its own sheet, printed under its own header
    assert "「自评」C6" in recognised


def test_the_json_report_lists_every_recognised_cell_and_how_it_was_found(repo):
    by_label = check(layouts.annex1_retyped()).to_dict()
    assert (by_label["template_version"], by_label["source_format"]) == (None, None)  # not our template: no version
    assert check(layouts.pasted_template(keep_meta=True)).template_version == 1  # the meta sheet still says which
    entry = next(cell for cell in by_label["recognised"] if cell["name"] == "score_funds_raising")
    assert entry == {"name": "score_funds_raising", "what": "资金筹集·自评得分", "sheet": "Sheet1", "cell": "F6",
                     "recognised_from": "label", "label": "资金筹集"}
    assert {cell["name"] for cell in by_label["recognised"]} >= {"meta_unit", "score_total"}
    by_name = check_workbook(repo / "sample_data" / "jiaozuo_2020_shantytown.xlsx").to_dict()
    assert {cell["recognised_from"] for cell in by_name["recognised"]} == {"defined_name"}
    assert len(by_name["recognised"]) == 2 + len(get_table("shantytown").inputs) + 9 + 1
    json.dumps(by_label, ensure_ascii=False)  # serialisable as it stands


def test_a_pasted_template_keeps_its_own_total_formula_without_a_saved_result():
    from samples import SHANTYTOWN_FACTS, SHANTYTOWN_SCORES
    from selfscore.write.filling import fill_template

    workbook = fill_template(get_table("shantytown"), SHANTYTOWN_FACTS, {**SHANTYTOWN_SCORES, "funds_raising": 7},
                             unit="温县", year=2020)
    for name in list(workbook.defined_names):
        del workbook.defined_names[name]
    del workbook["_selfscore"]  # names and meta sheet lost, as when the sheets are copied into another workbook
    report = check(workbook)
    assert report.self_total == 97  # computed as Excel's SUM would show it
    assert codes(report) == ["layout_recognised", "score_mismatch"]  # not formula_no_value
