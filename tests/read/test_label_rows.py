"""The indicator rows of a table read by its words (``find_scores``): each 二级指标 row located at its 自评得分
cell, the 合计 row at its own, and every row that cannot be read — tied between two indicators, claimed twice,
missing, or a 分值 that is not the table's — reported with its place, its words and the indicator it concerns.

The grids are built by hand in memory: row 1 is the header 「一级指标 | 分值 | 二级指标 | 分值 | 自评得分」 (columns
A–E), so the 二级指标's own 分值 is column D and the 自评得分 column E; the table is 附件1 (公租房保障和棚户区改造)."""

from __future__ import annotations

from fractions import Fraction

from selfscore.read.labels import Grid, GridCell
from selfscore.read.labels.grid import Located
from selfscore.read.labels.header import candidate_under, find_headers
from selfscore.read.labels.rows import _check_points, find_scores
from selfscore.read.result import CellRef
from selfscore.results.findings import Finding
from selfscore.tables.definitions import get_table
from support.layouts import grid

TABLE = get_table("shantytown")
HEADER = ("一级指标", "分值", "二级指标", "分值", "自评得分")
#: 附件1's nine 二级指标 with their 分值, as the annex prints them
INDICATORS = [("资金筹集", 10), ("资金分配", 5), ("资金使用管理", 10), ("政策公开", 5), ("评价报告报送及时、完整性", 5),
              ("开工计划完成率", 35), ("租赁补贴发放计划完成率", 15), ("工程质量", 10),
              ("棚户区改造拆迁居民、公租房已保障对象满意度", 5)]
#: 合计 in column A, the table's full marks under the 二级指标's 分值, the total under 自评得分
TOTAL = ["合计", None, None, 100, 90]


def indicator_rows(replace: dict[str, list[object] | None] | None = None) -> list[list[object]]:
    """One row per indicator (name in C, its 分值 in D, a self-score of 1 in E); ``replace`` swaps a named row
    for other cells, or drops it (None)."""
    rows = []
    for name, points in INDICATORS:
        row = (replace or {}).get(name, [None, None, name, points, 1])
        if row is not None:
            rows.append(row)
    return rows


def grid_of(rows: list[list[object]], header: tuple[str, ...] = HEADER) -> Grid:
    """The header in row 1 and ``rows`` from row 2 down; None leaves a cell empty, a GridCell is kept as it is."""
    return grid("Sheet1", [list(header), *rows])


def read(rows: list[list[object]], header: tuple[str, ...] = HEADER) -> tuple[list[Located], list[Finding]]:
    grid = grid_of(rows, header)
    headers, problems = find_headers(grid)
    assert len(headers) == 1 and not problems
    findings: list[Finding] = []
    located = find_scores(candidate_under(headers[0]), TABLE, findings)
    return located, findings


def test_every_indicator_row_is_located_at_its_score_cell_and_the_total_under_合计():
    located, findings = read([*indicator_rows(), TOTAL])
    assert findings == []
    # nine indicators in rows 2–10, in the table's order; 合计 in row 11
    expected = [(f"score_{indicator.id}", f"E{row}", name) for row, (indicator, (name, _)) in
                enumerate(zip(TABLE.indicators, INDICATORS, strict=True), 2)]
    assert [(found.name, found.ref.cell, found.label) for found in located] == [*expected, ("score_total", "E11", "合计")]
    assert located[-1] == Located("score_total", CellRef("Sheet1", "E11"), GridCell(90), "合计")


def test_a_total_whose_分值_is_not_the_full_marks_is_reported_at_that_cell():
    located, findings = read([*indicator_rows(), ["合计", None, None, 90, 90]])
    assert findings == [Finding("points_mismatch", "error",
                                "「Sheet1」D11（合计·分值）：分值填写为「90」，但评分表规定为 100 分；分值不能改动。",
                                "Sheet1", "D11", None, None, "90")]
    assert located[-1].name == "score_total"


def test_a_table_without_分值_columns_is_read_without_checking_any_分值():
    # 二级指标 in A, 自评得分 in B: no 分值 column, so nothing to compare — the rows and 合计 are still read
    rows = [[name, 1] for name, _ in INDICATORS] + [["合计", 90]]
    located, findings = read(rows, header=("二级指标", "自评得分"))
    assert findings == []
    assert len(located) == 10
    assert (located[0].name, located[0].ref.cell) == ("score_funds_raising", "B2")
    assert (located[-1].name, located[-1].ref.cell, located[-1].label) == ("score_total", "B11", "合计")


def test_an_indicator_whose_分值_differs_is_reported_with_the_indicators_name():
    # 资金筹集 is worth 10; 8 typed as a number, and as text, are both wrong
    for typed in (8, "8"):
        _, findings = read([*indicator_rows({"资金筹集": [None, None, "资金筹集", typed, 1]}), TOTAL])
        assert findings == [Finding("points_mismatch", "error",
                                    "「Sheet1」D2（资金筹集·分值）：分值填写为「8」，但评分表规定为 10 分；分值不能改动。",
                                    "Sheet1", "D2", "funds_raising", None, "8")]


def test_a_分值_typed_as_text_equal_to_the_points_passes():
    _, findings = read([*indicator_rows({"资金筹集": [None, None, "资金筹集", "10", 1]}), TOTAL])
    assert findings == []


def test_a_blank_分值_or_a_formula_without_a_cached_value_is_not_checked():
    for blank in ("　 ", GridCell(None, formula="=B2")):
        _, findings = read([*indicator_rows({"资金筹集": [None, None, "资金筹集", blank, 1]}), TOTAL])
        assert findings == []


def test_a_分值_of_half_points_is_compared_as_the_exact_fraction():
    # an indicator worth 5/2 points: 2.5 is right, 5 (= 5 × 2, not 5 ÷ 2) is not
    grid = grid_of([[None, None, "x", 2.5], [None, None, "y", 5]])
    findings: list[Finding] = []
    _check_points(grid, 2, 4, Fraction(5, 2), "x·分值", findings, None)
    assert findings == []
    _check_points(grid, 3, 4, Fraction(5, 2), "y·分值", findings, None)
    assert [(f.cell, f.message) for f in findings] == [
        ("D3", "「Sheet1」D3（y·分值）：分值填写为「5」，但评分表规定为 2.5 分；分值不能改动。")]


def test_a_label_as_like_two_indicators_is_reported_with_both_and_neither_is_read():
    # 「资金筹配」 shares 资金筹 with 资金筹集 and 资金·配 with 资金分配: 2·3/8 = 0.75 for both, a tie at the threshold
    located, findings = read([*indicator_rows({"资金筹集": [None, None, "资金筹配", 10, 1]}), TOTAL])
    ambiguous = [f for f in findings if f.code == "layout_row_ambiguous"]
    assert len(ambiguous) == 1
    finding = ambiguous[0]
    assert (finding.sheet, finding.cell, finding.indicator) == ("Sheet1", "C2", None)
    both = ("「资金筹集」、「资金分配」", "「资金分配」、「资金筹集」")
    assert finding.message in [f"「Sheet1」C2：「资金筹配」与多个二级指标（{pair}）同样接近，无法确定对应哪一项，该行未读取；"
                               "请按评分表填写指标名称。" for pair in both]
    # the row claims neither, so 资金筹集 is missing while 资金分配 is read from its own row
    assert [f.indicator for f in findings if f.code == "layout_indicator_missing"] == ["funds_raising"]
    assert "score_funds_raising" not in [found.name for found in located]
    assert ("score_funds_allocation", "E3") in [(found.name, found.ref.cell) for found in located]


def test_three_rows_claiming_one_indicator_are_each_reported_with_the_other_two_rows():
    rows = indicator_rows({"资金筹集": None})
    rows = [[None, None, "资金筹集", 10, 1], [None, None, "资金筹集", 10, 2], [None, None, "资金筹集", 10, 3], *rows, TOTAL]
    located, findings = read(rows)
    template = ("「Sheet1」C{row}：「资金筹集」与第 {others} 行都对应二级指标「资金筹集」，"
                "无法确定哪一行是该指标，均未读取；请删除重复的行。")
    # rows 2, 3 and 4 all say 资金筹集: each names the two others
    assert [(f.code, f.sheet, f.cell, f.indicator, f.message) for f in findings] == [
        ("layout_duplicate_row", "Sheet1", f"C{row}", "funds_raising", template.format(row=row, others=others))
        for row, others in ((2, "3、4"), (3, "2、4"), (4, "2、3"))]
    assert "score_funds_raising" not in [found.name for found in located]


def test_a_missing_indicator_is_reported_and_the_indicators_after_it_are_still_read():
    located, findings = read([*indicator_rows({"资金筹集": None}), TOTAL])
    assert [(f.code, f.sheet, f.cell, f.indicator, f.message) for f in findings] == [
        ("layout_indicator_missing", "Sheet1", None, "funds_raising",
         "「Sheet1」：表中找不到二级指标「资金筹集」（分值 10），无法检查其自评得分。")]
    # the eight others (rows 2–9) and 合计 (row 10)
    assert [found.name for found in located] == [f"score_{i.id}" for i in TABLE.indicators[1:]] + ["score_total"]
    assert located[-1].ref.cell == "E10"


def test_a_group_name_in_the_indicator_column_is_a_sub_heading_but_a_stray_word_is_unmatched():
    rows = indicator_rows()
    # 产出效益 is 附件1's third 一级指标 (no 二级指标 is like it): a sub-heading, said nothing about
    _, findings = read([*rows[:5], [None, None, "产出效益", 60, None], *rows[5:], TOTAL])
    assert findings == []
    _, findings = read([*rows[:5], [None, None, "备注说明", None, None], *rows[5:], TOTAL])
    assert [(f.code, f.cell) for f in findings] == [("layout_row_unmatched", "C7")]


def test_a_table_without_a_合计_row_says_so():
    located, findings = read(indicator_rows())
    assert findings == [Finding("layout_total_missing", "warning", "「Sheet1」：表中找不到「合计」行，无法检查合计。", "Sheet1")]
    assert "score_total" not in [found.name for found in located]
