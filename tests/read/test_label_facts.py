"""The facts of a table typed without our template, found by their labels (``labels.facts``): which cells count as
labels (the first LABEL_SCAN_ROWS rows, bracketed notes ignored on both sides, however long), where the
value is (under a 「填报值」-like heading above and right of the label, else beside it past a unit or 「是/否」
cell), and what is said when a label is missing or written twice.

Each test reads 附件1 retyped (``layouts.annex1_retyped``) plus a hand-made facts sheet through ``read_by_labels``.
"""

from __future__ import annotations

from selfscore.read.labels import Grid, GridCell, grids_from_openpyxl, read_by_labels
from support import layouts


def facts_sheet(title: str, cells: dict[tuple[int, int], object]) -> Grid:
    return Grid(title, {place: GridCell(value) for place, value in cells.items()})


def read(*facts: Grid):
    """附件1 retyped on Sheet1 (no formulas, so no cached values are needed) and the given facts sheets after it."""
    return read_by_labels(grids_from_openpyxl(layouts.annex1_retyped(), b"") + list(facts))


def found(result, input_id: str) -> tuple[str, str, object, str] | None:
    """Where the input was read: (sheet, cell, the value as it stood, the label it was found by)."""
    name = f"in_{input_id}"
    if name not in result.cells:
        return None
    ref = result.cells[name]
    return ref.sheet, ref.cell, result.raw[name], result.labels[name]


def findings(result, code: str) -> list:
    return [finding for finding in result.findings if finding.code == code]


def test_a_label_shortened_around_the_definitions_bracket_is_still_matched_without_that_bracket():
    # The definition 「资金是否按规定时间分配下达到县（市、区）财政部门或项目单位」 without its bracket folds to
    # 24 characters; 「资金是否按规定时间分配下达到县级财政部门」 folds to 20 and shares 15 + 4 = 19 of them:
    # 2·19 / (20 + 24) = 0.864 ≥ 0.85. With 「市区」 kept the definition has 26: 38 / 46 = 0.826 — no match.
    label = "资金是否按规定时间分配下达到县级财政部门"
    result = read(facts_sheet("基础情况", {(1, 1): label, (1, 2): "是"}))
    assert found(result, "alloc_on_time") == ("基础情况", "B1", "是", label)


def test_a_note_in_brackets_after_a_label_is_left_out_when_matching():
    # 「实际新开工套数」 (7) against the note kept (含棚改安置住房单位套, 17 in all): 14 / 24 = 0.58 — so only
    # with the bracket dropped is it the label of 实际新开工套数
    label = "实际新开工套数（含棚改安置住房，单位：套）"
    result = read(facts_sheet("基础情况", {(2, 1): label, (2, 2): 120}))
    assert found(result, "starts_actual") == ("基础情况", "B2", 120, label)


def test_labels_are_read_down_to_row_300_and_not_below():
    result = read(facts_sheet("基础情况", {(300, 1): "服务对象满意度", (300, 2): 95,
                                          (301, 1): "实际新开工套数", (301, 2): 120}))
    assert found(result, "satisfaction_pct") == ("基础情况", "B300", 95, "服务对象满意度")
    assert found(result, "starts_actual") is None
    assert [finding.input for finding in findings(result, "layout_input_missing")
            if finding.input == "starts_actual"] == ["starts_actual"]


def test_a_label_with_a_long_note_in_brackets_is_read_and_a_sentence_mentioning_one_is_not():
    noted = "服务对象满意度（" + "根据问卷调查统计，填写百分比" * 8 + "）"   # 7 characters of label, 112 of note
    # folded, the sentence has 31 characters, 7 of them 实际新开工套数: likeness 2·7/(31 + 7) = 0.37, far below 0.85
    sentence = "请在右侧填写实际新开工套数，并注意与年度计划保持一致，不得重复统计"
    result = read(facts_sheet("基础情况", {(1, 1): noted, (1, 2): 95, (2, 1): sentence, (2, 2): 120}))
    assert found(result, "satisfaction_pct") == ("基础情况", "B1", 95, noted)
    assert found(result, "starts_actual") is None


def test_a_label_written_twice_is_reported_at_both_places_and_the_facts_after_it_are_still_read():
    result = read(facts_sheet("基础情况", {(3, 2): "实际新开工套数", (3, 3): 120,
                                          (4, 2): "实际发放租赁补贴户数", (4, 3): 300}),
                  facts_sheet("封面", {(7, 3): " 实际新开工套数（套）", (7, 4): 121}))
    assert found(result, "starts_actual") is None
    places = "基础情况!B3、封面!C7"
    ambiguous = [(f.severity, f.sheet, f.cell, f.input, f.message) for f in findings(result, "layout_input_ambiguous")]
    assert ambiguous == [
        ("error", "基础情况", "B3", "starts_actual",
         f"「基础情况」B3：「实际新开工套数」在 {places} 出现多次，无法确定以哪一处为准，该项未读取；请只保留一处。"),
        ("error", "封面", "C7", "starts_actual",
         f"「封面」C7：「实际新开工套数（套）」在 {places} 出现多次，无法确定以哪一处为准，该项未读取；请只保留一处。"),
    ]
    # subsidy_actual comes after starts_actual in the table's inputs: it is read all the same
    assert found(result, "subsidy_actual") == ("基础情况", "C4", 300, "实际发放租赁补贴户数")
    assert "starts_actual" not in [finding.input for finding in findings(result, "layout_input_missing")]


def test_a_missing_fact_is_named_by_its_label():
    result = read(facts_sheet("基础情况", {(1, 1): "服务对象满意度", (1, 2): 95}))
    missing = [finding for finding in findings(result, "layout_input_missing") if finding.input == "quality_issues"]
    assert [finding.message for finding in missing] == ["基础数据中找不到「经查实的工程质量问题」，依赖它的指标无法重新计算。"]


def test_a_unit_cell_beside_the_label_is_passed_over():
    result = read(facts_sheet("基础情况", {(1, 1): "实际新开工套数", (1, 2): "套", (1, 3): 120}))
    assert found(result, "starts_actual") == ("基础情况", "C1", 120, "实际新开工套数")


def test_a_yes_no_hint_beside_the_label_is_passed_over():
    result = read(facts_sheet("基础情况", {(1, 1): "报送内容是否完整", (1, 2): "是/否", (1, 3): "是"}))
    assert found(result, "report_complete") == ("基础情况", "C1", "是", "报送内容是否完整")


def test_the_value_is_read_under_a_heading_with_a_bracketed_note():
    # 「填报值（本年）」 is 填报值 once its bracket is dropped; without it the value beside (上年数 100) would be read
    result = read(facts_sheet("基础情况", {(1, 1): "项目", (1, 2): "上年数", (1, 3): "填报值（本年）",
                                          (2, 1): "实际新开工套数", (2, 2): 100, (2, 3): 120}))
    assert found(result, "starts_actual") == ("基础情况", "C2", 120, "实际新开工套数")


def test_a_heading_word_on_the_labels_own_row_is_no_heading():
    # 「实际数」 in the 说明 column of the label's row is a remark, not the heading of the values
    result = read(facts_sheet("基础情况", {(1, 1): "项目", (1, 2): "填报值", (1, 3): "说明",
                                          (2, 1): "服务对象满意度", (2, 2): 95, (2, 3): "实际数"}))
    assert found(result, "satisfaction_pct") == ("基础情况", "B2", 95, "服务对象满意度")


def test_a_heading_word_above_the_labels_column_is_no_heading_of_the_values():
    # 「填报内容」 heads the labels themselves; the value is the one beside the label
    result = read(facts_sheet("基础情况", {(1, 1): "填报内容", (2, 1): "服务对象满意度", (2, 2): 95}))
    assert found(result, "satisfaction_pct") == ("基础情况", "B2", 95, "服务对象满意度")
