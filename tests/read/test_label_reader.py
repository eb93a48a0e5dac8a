"""``read_by_labels`` putting the parts together, on grids built by hand: which header is the table (a header printed
again is not a second table; two tables or none are refused, with why), which table it is (the meta sheet's word
decides a tie), what is flagged when missing (facts only when some facts were found), the 「按表头文字识别」 note
word for word, how a formula, an error value or an inline value is read, and ``settle_without_facts``."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from selfscore.read.labels import GridCell, LabelReadResult, read_by_labels, settle_without_facts
from selfscore.read.result import Unreadable
from selfscore.results.findings import make_finding
from selfscore.results.report import IndicatorResult
from selfscore.tables.definitions import get_table
from selfscore.tables.names import META_SHEET, META_UNIT, META_YEAR, SCORE_TOTAL, input_name, score_name
from support.layouts import grid

SHANTYTOWN = get_table("shantytown")
#: 附件1's self-scores in the table's order; they add up to 100
SCORES = [10, 5, 10, 5, 5, 35, 15, 10, 5]
HEADER = ["二级指标", "分值", "自评得分"]
#: the five indicators both tables have, by the same names
SHARED = ["资金筹集", "资金分配", "资金使用管理", "政策公开", "评价报告报送及时、完整性"]


def table_rows(scores: dict[str, object] | None = None, *, drop: tuple[str, ...] = ()) -> list[list[object]]:
    """附件1 reduced to 二级指标 | 分值 | 自评得分, one row per indicator (but those in ``drop``), and 合计."""
    chosen = {**dict(zip([i.id for i in SHANTYTOWN.indicators], SCORES, strict=True)), **(scores or {})}
    rows: list[list[object]] = [list(HEADER)]
    rows += [[i.name, int(i.points), chosen[i.id]] for i in SHANTYTOWN.indicators if i.id not in drop]
    rows.append(["合计", 100, sum(v for k, v in chosen.items() if k not in drop and isinstance(v, int))])
    return rows


def facts_rows(*, drop: tuple[str, ...] = ()) -> list[list[object]]:
    """A facts sheet: each input's label and, beside it, a valid value (是, 0 or 90 %)."""
    value = {"yes_no": "是", "integer": 0, "percent": 90, "number": 0}
    return [[d.label, value[d.type]] for d in SHANTYTOWN.inputs if d.id not in drop]


def codes(findings) -> list[str]:
    return [finding.code for finding in findings]


def only(findings, code: str):
    found = [finding for finding in findings if finding.code == code]
    assert len(found) == 1, codes(findings)
    return found[0]


# ---------------------------------------------------------------------------------- which table


def test_the_meta_sheets_table_decides_when_the_rows_fit_both_tables():
    # the five shared indicators vote 5 : 5 for both tables, and no title says which: without a hint, refused
    rows = [list(HEADER)] + [[name, 5, 5] for name in SHARED] + [["合计", 100, 25]]
    with pytest.raises(Unreadable) as refused:
        read_by_labels([grid("自评", rows)])
    assert refused.value.finding.code == "layout_ambiguous"
    meta = grid(META_SHEET, [["table", "old_communities"]])
    assert read_by_labels([grid("自评", rows), meta]).table.id == "old_communities"
    assert read_by_labels([grid("自评", rows)], table_hint=get_table("old_communities")).table.id == "old_communities"


def test_the_table_hint_wins_over_the_rows_votes():
    # the rows are 附件1's (9 votes against 5), but the workbook's own template said 附件2
    result = read_by_labels([grid("自评", table_rows())], table_hint=get_table("old_communities"))
    assert result.table.id == "old_communities"


def test_the_sheet_names_are_kept_without_the_meta_sheet():
    sheets = [grid("说明", [["本表根据省厅通知填报。"]]), grid("自评", table_rows()),
              grid(META_SHEET, [["table", "shantytown"]])]
    assert read_by_labels(sheets).sheetnames == ["说明", "自评"]


# ---------------------------------------------------------------------------------- which header


def test_a_header_printed_again_two_rows_below_is_the_same_table():
    # row 1 and row 3 both say 二级指标 | 分值 | 自评得分: the second header's band is rows 1–3, so it starts on the
    # same row as the first; it is the same table, not a second one
    rows = [list(HEADER), [None], *table_rows()]
    result = read_by_labels([grid("自评", rows)])
    first = SHANTYTOWN.indicators[0]
    assert result.cells[score_name(first.id)].cell == "C4"
    assert sum(1 for i in SHANTYTOWN.indicators if score_name(i.id) in result.cells) == 9


def test_a_header_on_another_sheet_does_not_hide_rows_of_this_table():
    # an empty copy of the header on row 4 of another sheet: row 4 of 「自评」 (资金使用管理) is still read
    sheets = [grid("自评", table_rows()), grid("空表", [list(HEADER)], top=4)]
    result = read_by_labels(sheets)
    assert result.cells[score_name("funds_use")].cell == "C4"
    assert result.values[score_name("funds_use")] == 10
    assert "layout_indicator_missing" not in codes(result.findings)


def test_two_tables_are_refused_even_when_the_first_repeats_its_header():
    # 「表一」 prints its header again after the fifth indicator (a page break); 「表二」 is a second table at row 3
    first = table_rows()
    first.insert(6, list(HEADER))
    sheets = [grid("表一", first), grid("表二", table_rows(), top=3)]
    with pytest.raises(Unreadable) as refused:
        read_by_labels(sheets)
    assert refused.value.finding.code == "layout_ambiguous"
    assert refused.value.finding.message == ("无法确定要校验的表格：工作簿中有 2 张自评表（「表一」第 1 行、「表二」第 3 行）。"
                                              "请只保留一张自评表，或下载本工具的模板（selfscore template）填写后再校验。")


def test_the_header_problems_of_every_sheet_are_the_reason_nothing_was_found():
    # 「甲」 has two 二级指标 columns, 「乙」 two 自评得分 columns, 「丙」 no header: both problems are told, in order
    sheets = [grid("甲", [["二级指标", "二级指标", "自评得分"]]), grid("乙", [["二级指标", "自评得分", "自评得分"]]),
              grid("丙", [["本表根据省厅通知填报。"]])]
    with pytest.raises(Unreadable) as refused:
        read_by_labels(sheets)
    assert refused.value.finding.code == "not_a_template"
    assert refused.value.finding.message == (
        "这不是 selfscore 自评表模板（「甲」第 1 行的表头有不止一列「二级指标」或「自评得分」；"
        "「乙」第 1 行的表头有不止一列「二级指标」或「自评得分」）。请下载本工具的模板（selfscore template）填写后再校验。")


def test_a_workbook_without_any_header_is_not_a_template():
    with pytest.raises(Unreadable) as refused:
        read_by_labels([grid("说明", [["本表根据省厅通知填报。"]])])
    assert refused.value.finding.message == (
        "这不是 selfscore 自评表模板（既没有模板的名称标记，也找不到含「二级指标」和「自评得分」且列有指标的表头）。"
        "请下载本工具的模板（selfscore template）填写后再校验。")


# ---------------------------------------------------------------------------------- what is flagged, and the note


def test_with_facts_every_missing_name_is_flagged_and_the_note_counts_what_was_found():
    # 工程质量 is left out of the table (8 of 9 rows, header row 1, 合计 row 10) and 未及时处置的群众信访 out of the
    # facts (17 of 18); no 填报单位 or 评价年度 anywhere
    sheets = [grid("自评", table_rows(drop=("project_quality",))),
              grid("基础情况", facts_rows(drop=("untimely_petitions",)))]
    result = read_by_labels(sheets)
    assert result.facts_found
    assert result.flagged == {META_UNIT, META_YEAR, input_name("untimely_petitions"), score_name("project_quality")}
    assert all(result.values[name] is None for name in result.flagged)
    note = result.findings[0]
    assert (note.code, note.sheet) == ("layout_recognised", "自评")
    assert note.message == (
        f"「自评」：工作簿中没有本工具模板的名称标记，已按表头和文字识别为「{SHANTYTOWN.title}」：自评表在本表第 1～10 行，"
        "识别到 8/9 个指标、17 项基础数据。识别到的每个单元格列在「识别到的单元格」表中，请核对。")
    assert "facts_absent" not in codes(result.findings)


def test_without_facts_the_missing_facts_are_not_flagged_one_by_one():
    result = read_by_labels([grid("自评", table_rows())])
    assert not result.facts_found
    # only the meta cells are missing; the 18 facts are said once, by facts_absent
    assert result.flagged == {META_UNIT, META_YEAR}
    assert not any(name.startswith("in_") for name in result.values)
    assert result.findings[0].message.endswith(
        "识别到 9/9 个指标，没有找到基础数据。识别到的每个单元格列在「识别到的单元格」表中，请核对。")
    assert result.findings[-1].code == "facts_absent"


def test_the_note_comes_before_what_was_found_missing():
    # find_scores reports the missing row first; the note still heads the list
    result = read_by_labels([grid("自评", table_rows(drop=("satisfaction",)))])
    assert codes(result.findings)[:2] == ["layout_recognised", "layout_indicator_missing"]


# ---------------------------------------------------------------------------------- how a cell is read


def read_score_cell(cell: GridCell):
    """附件1 with 资金筹集's self-score (C2) replaced by ``cell``."""
    rows = table_rows()
    rows[1][2] = cell
    return read_by_labels([grid("自评", rows)])


def test_a_formula_without_a_saved_result_is_flagged_with_its_formula():
    result = read_score_cell(GridCell(None, "=5+5"))
    name = score_name("funds_raising")
    assert result.values[name] is None and name in result.flagged
    finding = only(result.findings, "formula_no_value")
    assert (finding.sheet, finding.cell) == ("自评", "C2")
    assert "该单元格是公式「=5+5」，文件中没有保存它的计算结果" in finding.message


def test_a_formula_with_a_saved_result_is_read_by_its_result_with_a_warning():
    result = read_score_cell(GridCell(10, "=5+5"))
    assert result.values[score_name("funds_raising")] == 10
    finding = only(result.findings, "formula_in_input")
    assert finding.message == "「自评」C2（资金筹集·自评得分）：该单元格是公式「=5+5」，已按其计算结果 10 读取；建议直接填写数值。"
    assert finding.value == "10"


@pytest.mark.parametrize("cell", [GridCell("#DIV/0!"), GridCell(" #N/A ", is_error=False), GridCell("#REF!", is_error=True)],
                         ids=["typed", "typed_with_spaces", "error_cell"])
def test_an_error_value_typed_or_computed_is_a_value_error(cell):
    result = read_score_cell(cell)
    name = score_name("funds_raising")
    assert result.values[name] is None and name in result.flagged
    finding = only(result.findings, "value_error")
    assert finding.value == cell.value
    assert f"单元格显示错误值 {cell.value}（多为公式出错）；应填写0～10 之间的分数。" in finding.message


def test_a_score_that_is_no_number_is_echoed_as_typed():
    result = read_score_cell(GridCell("十分"))
    finding = only(result.findings, "score_not_number")
    assert finding.value == "十分" and "填写的「十分」不是数字" in finding.message


def test_a_unit_written_inline_in_a_formula_cell_is_read_without_a_formula_warning():
    # 「填报单位：焦作市」 computed by a formula: the value is the words after the label, not the formula's result,
    # so the warning for a formula in an input cell does not apply
    label = GridCell("填报单位：焦作市", '="填报单位："&"焦作市"')
    result = read_by_labels([grid("自评", [[label], *table_rows()])])
    assert result.values[META_UNIT] == "焦作市"
    assert result.cells[META_UNIT].cell == "A1"
    assert "formula_in_input" not in codes(result.findings)


def test_the_total_is_read_from_the_total_row():
    result = read_by_labels([grid("自评", table_rows())])
    assert (result.cells[SCORE_TOTAL].cell, result.values[SCORE_TOTAL]) == ("C11", 100)


# ---------------------------------------------------------------------------------- settle_without_facts


def indicator(id_: str, status: str, explanation: str) -> IndicatorResult:
    found = SHANTYTOWN.indicators_by_id[id_]
    return IndicatorResult(id_, found.name, "资金管理", Fraction(found.points), Decimal(int(found.points)), None, None,
                           status, explanation)


def test_without_facts_an_unknown_score_says_what_was_checked_instead():
    read = LabelReadResult(SHANTYTOWN, 0, facts_found=False)
    results = [indicator("funds_raising", "unknown", "所需数据未填写"), indicator("funds_allocation", "match", "按公式计算")]
    unknown = make_finding("score_unknown", indicator="funds_raising", indicator_name="资金筹集", inputs="基础数据", places="")
    absent = make_finding("facts_absent")
    settled, findings = settle_without_facts(read, results, [unknown, absent])
    # 资金筹集 is worth 10 points
    assert [r.explanation for r in settled] == ["未提供基础数据，无法重新计算；已检查自评得分在 0～10 分之间", "按公式计算"]
    assert findings == [absent]


def test_with_facts_nothing_is_settled():
    read = LabelReadResult(SHANTYTOWN, 0, facts_found=True)
    results = [indicator("funds_raising", "unknown", "所需数据未填写")]
    unknown = make_finding("score_unknown", indicator="funds_raising", indicator_name="资金筹集", inputs="基础数据", places="")
    assert settle_without_facts(read, results, [unknown]) == (results, [unknown])
