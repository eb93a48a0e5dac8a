"""Reading by defined names: the template's own 合计 formula, Excel's sum of the self-scores, and what each bad cell is told."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from selfscore.checking import check_and_mark_up, check_workbook
from selfscore.read.by_names import formula_text
from selfscore.read.result import Unreadable
from selfscore.results.findings import make_finding
from selfscore.tables.definitions import get_table
from selfscore.tables.names import META_SHEET, SCORE_TOTAL, score_name
from selfscore.write.filling import cell_of
from support.harness import members, zipped
from support.helpers import TABLE_IDS, make_workbook, set_cached_value

# shantytown's nine self-scores are F5:F13 on 自评表 and its 合计 is F14
OWN_TOTAL = "=SUM(F5:F13)"


def with_total(tmp_path: Path, formula: str, move: dict[str, str] | None = None, **changes) -> Path:
    """The Jiaozuo workbook with ``formula`` in 合计 (no saved result, as a program writes it), and some self-score
    names moved to other cells (their values moved with them)."""
    path = make_workbook(tmp_path / "a.xlsx", **changes)
    workbook = load_workbook(path)
    for indicator_id, target in (move or {}).items():
        name = score_name(indicator_id)
        old = cell_of(workbook, name)
        sheet_title, cell = target.split("!")
        workbook[sheet_title][cell].value, old.value = old.value, None
        workbook.defined_names[name].attr_text = f"'{sheet_title}'!${cell[0]}${cell[1:]}"
    cell_of(workbook, SCORE_TOTAL).value = formula
    workbook.save(path)
    return path


def codes_on_total(path: Path) -> list[str]:
    return [finding.code for finding in check_workbook(path).findings if finding.cell == "F14"]


@pytest.mark.parametrize("formula", [OWN_TOTAL, "=sum(f5:f13)", "= SUM( $F$5 : $F$13 )", "=SUM(F$5:$F13)"])
def test_the_templates_own_total_is_recognised_however_it_is_spaced_or_anchored(tmp_path, formula):
    report = check_workbook(with_total(tmp_path, formula))
    assert report.self_total == report.recomputed_total == 100 and report.status == "ok"


@pytest.mark.parametrize(("formula", "move"), [
    ("=SUM(F5:F12)", {}),                                        # one score short
    (OWN_TOTAL, {"satisfaction": "基础数据!F13"}),                # a score on another sheet
    ("=SUM(F5:F15)", {"satisfaction": "自评表!F15"}),              # a gap in the column, the formula spanning it
    ("=SUM(F5:F13)", {"satisfaction": "自评表!G13"}),              # two columns ...
    ("=SUM(G5:G13)", {"satisfaction": "自评表!G13"}),              # ... whichever the formula names
])
def test_any_other_formula_is_not_the_templates_total_and_needs_its_saved_result(tmp_path, formula, move):
    assert codes_on_total(with_total(tmp_path, formula, move)) == ["formula_no_value"]


def test_the_own_total_is_what_excel_shows_a_decimal_typed_score_as(tmp_path):
    # 9.1 is stored as the float nearest it; Excel shows and sums 9.1, not 9.0999999999999996447…
    report = check_workbook(with_total(tmp_path, OWN_TOTAL, scores={"funds_raising": 9.1}))
    assert report.self_total == Decimal("99.1")


@pytest.mark.parametrize(("first_score", "total_codes"), [(10**15 - 91, ["total_over_max"]), (10**15 - 90, ["score_out_of_range"])])
def test_an_own_total_of_10_to_the_15th_or_more_cannot_be_carried_exactly_and_is_out_of_range(tmp_path, first_score, total_codes):
    # the other eight self-scores add up to 90: a total of 999 999 999 999 999 is a number, 10¹⁵ is not
    assert codes_on_total(with_total(tmp_path, OWN_TOTAL, scores={"funds_raising": first_score})) == total_codes


@pytest.mark.parametrize(("changes", "expected"), [
    ({"unit": None}, ["「自评表」B2（填报单位）：未填写；应填写填报单位名称。"]),
    ({"year": "二〇二〇"}, ["「自评表」F2（评价年度）：填写的「二〇二〇」不是有效的评价年度；应填写四位数年份，如 2020。"]),
    ({"year": None}, ["「自评表」F2（评价年度）：未填写；应填写四位数年份，如 2020。"]),
    ({"scores": {"funds_raising": "十分"}, "total": 90},
     ["「自评表」F5（资金筹集·自评得分）：填写的「十分」不是数字；应填写 0～10 之间的分数。"]),
    ({"total": "九十"}, ["「自评表」F14（合计）：填写的「九十」不是数字；应填写 0～100 之间的分数。"]),
    ({"total": "=SUM(F5:F13)", "total_as_text": True},   # the formula typed as text is not the template's total
     ["「自评表」F14（合计）：填写的「=SUM(F5:F13)」不是数字；应填写 0～100 之间的分数。"]),
    ({"scores": {"funds_raising": 12}, "total": 100},
     ["「自评表」F5（资金筹集·自评得分）：自评得分 12 超出本项分值范围；应在 0～10 之间。"]),
    ({"facts": {"quality_issues": "两项"}},
     ["「基础数据」D15（经查实的工程质量问题）：填写的「两项」不是数字；应填写不小于 0 的整数（本格单位为项，只填数字）。"]),
    ({"facts": {"satisfaction_pct": "很高"}},                    # a percent cell: no unit to point out
     ["「基础数据」D16（服务对象满意度）：填写的「很高」不是数字；应填写百分数（0～100）。"]),
])
def test_a_bad_cell_is_told_what_it_should_hold_in_full(tmp_path, changes, expected):
    changes = dict(changes)
    as_text = changes.pop("total_as_text", False)
    path = make_workbook(tmp_path / "a.xlsx", **changes)
    if as_text:
        workbook = load_workbook(path)
        cell_of(workbook, SCORE_TOTAL).data_type = "s"
        workbook.save(path)
    report = check_workbook(path)
    assert [f.message for f in report.findings if f.severity == "error" and f.code != "score_mismatch"][:1] == expected


def test_an_unreadable_file_carries_the_clerks_message():
    finding = make_finding("not_a_workbook", reason="文件已损坏")
    assert str(Unreadable(finding)) == finding.message and Unreadable(finding).finding is finding


WARNING_END = "；该项无法读取。请勿删除、剪切或移动模板中的填报单元格，也不要给工作表改名。"


@pytest.mark.parametrize(("refers_to", "message"), [
    (None, "找不到名称为「in_quality_issues」的单元格（经查实的工程质量问题）；该项无法读取。请勿删除、剪切或移动模板中的填报单元格。"),
    ("#REF!", "名称「in_quality_issues」（经查实的工程质量问题）已失效（现为「#REF!」，所指的单元格可能已被删除）" + WARNING_END),
    ("'基础数据'!$D$15,'基础数据'!$D$16",
     "名称「in_quality_issues」（经查实的工程质量问题）指向多个区域（'基础数据'!$D$15,'基础数据'!$D$16），而不是一个单元格" + WARNING_END),
    ("'没有'!$D$15", "名称「in_quality_issues」（经查实的工程质量问题）指向的工作表「没有」不存在（工作表可能被改名或删除）" + WARNING_END),
    ("'基础数据'!$D$15:$D$16", "名称「in_quality_issues」（经查实的工程质量问题）指向「基础数据」D15:D16，而不是一个单元格" + WARNING_END),
])
def test_a_name_that_is_gone_or_points_at_no_single_cell_is_said_so(tmp_path, refers_to, message):
    path = make_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(path)
    if refers_to is None:
        del workbook.defined_names["in_quality_issues"]
    else:
        workbook.defined_names["in_quality_issues"].attr_text = refers_to
    workbook.save(path)
    report = check_workbook(path)
    assert [f.message for f in report.findings if f.input == "quality_issues"] == [message]
    # only that fact is lost: every name after it is still read, and every other indicator recomputed
    assert [f.input for f in report.findings if f.severity == "error"] == ["quality_issues"]
    assert [i.id for i in report.indicators if i.recomputed is None] == ["project_quality"]


@pytest.mark.parametrize(("cell", "read"), [("J15", True), ("K15", False)])
def test_a_named_cells_label_is_looked_for_up_to_eight_columns_left(tmp_path, cell, read):
    # the fact's label is in B15; its value moved (with its name) to J15, 8 columns right of it, or to K15, 9
    path = make_workbook(tmp_path / "a.xlsx", facts={"quality_issues": 2})
    workbook = load_workbook(path)
    facts = workbook["基础数据"]
    facts[cell].value, facts["D15"].value = 2, None
    workbook.defined_names["in_quality_issues"].attr_text = f"'基础数据'!${cell[0]}${cell[1:]}"
    workbook.save(path)
    report = check_workbook(path)
    assert report.indicator("project_quality").recomputed == (8 if read else None)  # 10 − 2 × 1
    assert [f.code for f in report.findings if f.input == "quality_issues"] == ([] if read else ["name_moved"])
    if not read:  # the nearest known label in the row is named: here the indicator name in F15
        moved = next(f for f in report.findings if f.input == "quality_issues")
        assert "本应指向「经查实的工程质量问题」的填报格，但此格所在行是「工程质量」" in moved.message


def test_a_label_with_spaces_typed_into_it_is_still_the_label(tmp_path):
    path = make_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(path)
    workbook["基础数据"]["B15"].value = "经查实的 工程质量 问题："
    workbook.save(path)
    assert [f.code for f in check_workbook(path).findings if f.input == "quality_issues"] == []


@pytest.mark.parametrize(("row_text", "found"), [
    ("甲" * 30, "此格所在行的内容是「" + "甲" * 30 + "」；"),
    ("甲" * 31, "此格所在行的内容是「" + "甲" * 30 + "…」；"),      # a long text is cut at 30 characters
    (None, "此格所在行没有标签；"),
])
def test_a_name_moved_to_a_row_with_no_known_label_says_what_the_row_holds(tmp_path, row_text, found):
    path = make_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(path)
    workbook["基础数据"]["B40"].value = row_text
    workbook["基础数据"]["D40"].value = 1
    workbook.defined_names["in_quality_issues"].attr_text = "'基础数据'!$D$40"
    workbook.save(path)
    moved = [f for f in check_workbook(path).findings if f.input == "quality_issues"]
    assert len(moved) == 1 and found in moved[0].message, moved
    assert (moved[0].code, moved[0].sheet, moved[0].cell) == ("name_moved", "基础数据", "D40")
    assert moved[0].message.startswith("「基础数据」D40：名称「in_quality_issues」本应指向「经查实的工程质量问题」的填报格，")


# ---------------------------------------------------------------- what one cell holds: formulas, errors, long text


@pytest.mark.parametrize("full", [False, True], ids=["report_only", "marked_up"])
def test_a_formula_in_a_fact_is_named_with_the_result_it_was_read_as(tmp_path, full):
    path = make_workbook(tmp_path / "a.xlsx", facts={"starts_actual": "=141*2"})
    set_cached_value(path, "基础数据", "D19", "282")
    report = check_and_mark_up(path)[0] if full else check_workbook(path)
    (finding,) = [f for f in report.findings if f.input == "starts_actual"]
    assert (finding.code, finding.cell) == ("formula_in_input", "D19")
    assert "该单元格是公式「=141*2」，已按其计算结果 282 读取；建议直接填写数值。" in finding.message


@pytest.mark.parametrize("formula", ["=141*2", ArrayFormula("D19", "=141*2")], ids=["plain", "array"])
def test_a_formula_saved_without_its_result_names_the_formula(tmp_path, formula):
    path = make_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(path)
    workbook["基础数据"]["D19"] = formula
    workbook.save(path)
    (finding,) = [f for f in check_workbook(path).findings if f.input == "starts_actual"]
    assert finding.code == "formula_no_value"
    assert "该单元格是公式「=141*2」，文件中没有保存它的计算结果" in finding.message


@pytest.mark.parametrize("full", [False, True], ids=["report_only", "marked_up"])
@pytest.mark.parametrize(("table", "shown"), [
    ({"r1": "B1"}, "=TABLE(,B1)"),                                   # one column input
    ({"r1": "B1", "dtr": "1"}, "=TABLE(B1,)"),                       # one row input
    ({"r1": "B1", "r2": "B2", "dt2D": "1"}, "=TABLE(B1,B2)"),        # two inputs
], ids=["column_input", "row_input", "two_inputs"])
def test_a_what_if_data_table_in_a_fact_is_named_as_excel_shows_it(tmp_path, table, shown, full):
    # Excel's 模拟运算表 (what-if data table) saves <f t="dataTable" r1=…/>; its formula bar shows {=TABLE(…)}.
    # openpyxl reads it as an object, whose Python repr must not reach the clerk.
    path = make_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(path)
    workbook["基础数据"]["D19"] = DataTableFormula(ref="D19", **table)
    workbook.save(path)
    report = check_and_mark_up(path)[0] if full else check_workbook(path)
    (finding,) = [f for f in report.findings if f.input == "starts_actual"]
    assert finding.code == "formula_no_value"
    assert f"该单元格是公式「{shown}」，文件中没有保存它的计算结果" in finding.message


@pytest.mark.parametrize(("table", "shown"), [
    (DataTableFormula(ref="A1", dt2D="1", r1="B1"), "=TABLE(B1,)"),             # a 2-D table missing its column input
    (DataTableFormula(ref="A1", dt2D="true", r1="B1", r2="B2"), "=TABLE(B1,B2)"),  # XML booleans may say true
    (DataTableFormula(ref="A1", dtr="True", r1="B1"), "=TABLE(B1,)"),
    (DataTableFormula(ref="A1"), "=TABLE(,)"),                                    # no inputs at all
    (object(), "="),                                                              # anything else: never its repr
], ids=["two_d_one_input", "true", "True", "no_inputs", "other"])
def test_a_formula_objects_text_is_what_excel_shows_never_a_python_repr(table, shown):
    assert formula_text(table) == shown


def test_a_cell_excel_saved_as_an_error_is_an_error_value_whatever_the_error(tmp_path):
    # Excel 365's #SPILL! is saved as an error cell (t="e") like #DIV/0!; typed as text it is just text
    path = make_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(path)
    for cell, data_type in (("D19", "e"), ("D18", "s")):
        workbook["基础数据"][cell] = "#SPILL!"
        workbook["基础数据"][cell].data_type = data_type
    workbook.save(path)
    report = check_workbook(path)
    assert sorted(report.as_tuples("code", "cell")) == [("value_error", "D19"), ("value_not_number", "D18")]
    (error,) = [f for f in report.findings if f.code == "value_error"]
    assert "单元格显示错误值 #SPILL!" in error.message


def with_text(path: Path, marker: str, text: str) -> Path:
    """The workbook with ``marker`` replaced by ``text`` in its XML (openpyxl cuts what it writes at 32 767)."""
    parts = members(path.read_bytes())
    path.write_bytes(zipped({name: part.replace(marker.encode(), text.encode()) for name, part in parts.items()}))
    return path


@pytest.mark.parametrize(("length", "code"), [(32767, "value_not_number"), (32768, "value_too_long")])
def test_text_longer_than_excel_holds_is_too_long(tmp_path, length, code):
    path = with_text(make_workbook(tmp_path / "a.xlsx", facts={"starts_actual": "LONG"}), "LONG", "两" * length)
    (finding,) = [f for f in check_workbook(path).findings if f.input == "starts_actual"]
    assert finding.code == code
    if code == "value_too_long":
        assert "填写的内容长达 32768 个字符（超过 32767 个字符）；应填写不小于 0 的整数" in finding.message


@pytest.mark.parametrize(("changes", "cell"), [
    ({"total": "九十"}, "F14"), ({"year": "去年"}, "F2"), ({"unit": "LONG"}, "B2"),
])
def test_a_finding_on_the_total_or_the_unit_or_year_belongs_to_no_indicator_or_fact(tmp_path, changes, cell):
    path = with_text(make_workbook(tmp_path / "a.xlsx", **changes), "LONG", "甲" * 32768)
    (finding,) = [f for f in check_workbook(path).findings if f.cell == cell]
    assert (finding.indicator, finding.input) == (None, None), finding


def test_a_finding_on_a_self_score_belongs_to_its_indicator(tmp_path):
    report = check_workbook(make_workbook(tmp_path / "a.xlsx", scores={"funds_use": "十分"}))
    (finding,) = [f for f in report.findings if f.cell == "F7"]
    assert (finding.code, finding.indicator, finding.input) == ("score_not_number", "funds_use", None)


# ---------------------------------------------------------------- the hidden meta sheet: which table, which version


def with_meta(tmp_path: Path, key: str, value: object) -> Path:
    path = make_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(path)
    meta = workbook[META_SHEET]
    (row,) = [row for row in range(1, meta.max_row + 1) if meta.cell(row, 1).value == key]
    meta.cell(row, 2).value = value
    workbook.save(path)
    return path


@pytest.mark.parametrize(("recorded", "shown"), [("第三张表", "第三张表"), (None, "（空）")])
def test_a_table_the_tool_does_not_know_is_named_with_those_it_does(tmp_path, recorded, shown):
    report = check_workbook(with_meta(tmp_path, "table", recorded))
    known = "、".join(f"{table_id}（{get_table(table_id).short_title}）" for table_id in TABLE_IDS)
    assert (report.status, [f.code for f in report.findings]) == ("unreadable", ["unknown_table"])
    assert report.findings[0].message == f"工作簿标注的表格「{shown}」不在本工具支持的范围内；支持的表格：{known}。"


@pytest.mark.parametrize(("recorded", "found"), [(None, 0), ("旧版", 0), (0, 0), (99, 99)])
def test_a_template_version_the_tool_does_not_know_is_scored_by_the_current_table_with_a_warning(tmp_path, recorded,
                                                                                                  found):
    report = check_workbook(with_meta(tmp_path, "template_version", recorded))
    current = get_table("shantytown").template_version
    assert [f.message for f in report.findings] == [f"工作簿使用的模板版本为 {found}，当前版本为 {current}；建议下载新模板重新填写。"]
    assert (report.table, report.status, report.recomputed_total) == ("shantytown", "ok", 100)  # a warning only
