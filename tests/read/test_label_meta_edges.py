"""The edges of the meta-cell search: which cell ``beside`` takes right of a label (three columns, no labels, no
units, no table headings), and which cells ``find_meta`` reads 填报单位/评价年度 from — row 300 and 80 characters
are the last it reads, a year label is at most 20 characters, the first year found stands, the search goes on
past skipped cells, and neither the table's cells nor its header row are meta cells."""

from __future__ import annotations

import pytest

from selfscore.read.labels import Grid, fold, grids_from_openpyxl, read_by_labels
from selfscore.read.labels.meta import beside
from selfscore.read.result import CellRef
from selfscore.tables.names import META_UNIT, META_YEAR
from support import layouts


def one_row(*values: object) -> Grid:
    """One sheet row from A1 on; None leaves a cell empty."""
    return layouts.grid("Sheet1", [values])


def test_a_value_four_columns_right_of_the_label_is_too_far():
    # B1..D1 are the three columns looked at; all empty, so the next one (B1) is the value cell, not E1
    assert beside(one_row("填报单位", None, None, None, "焦作市"), 1, 1) == (1, 2)


def test_the_third_column_right_of_the_label_is_still_looked_at():
    assert beside(one_row("填报单位", None, None, "焦作市"), 1, 1) == (1, 4)


@pytest.mark.parametrize("label", ["单位名称:", "单位名称："], ids=["ascii_colon", "full_width_colon"])
def test_a_cell_ending_in_a_colon_is_another_label_not_the_value(label):
    assert beside(one_row("填报单位", label, "焦作市"), 1, 1) == (1, 3)


def test_a_unit_beside_the_label_is_skipped_when_told_so():
    # 「万元」 between a fact's label and its number is the unit, not the value
    grid = one_row("中央补助资金", "万元", 1200)
    assert beside(grid, 1, 1, (fold("万元"),)) == (1, 3)
    assert beside(grid, 1, 1) == (1, 2)  # not told: 「万元」 is the first non-empty cell


def test_a_table_heading_beside_the_label_is_not_the_value():
    assert beside(one_row("评价年度", "自评得分", 2020), 1, 1) == (1, 3)


def meta_of(cells: dict[str, object], other_sheet: dict[str, object] | None = None):
    """The retyped 附件1 (table header in rows 4–5, 合计 in row 15) with row 3's 「填报单位：焦作市」 replaced by
    ``cells``, read by its labels: name → (value, where it was read), for 填报单位 and 评价年度."""
    workbook = layouts.annex1_retyped()
    layouts.set_cells(workbook, {"A3": None, **cells})
    if other_sheet is not None:
        workbook.create_sheet("封面")
        layouts.set_cells(workbook, other_sheet, "封面")
    result = read_by_labels(grids_from_openpyxl(workbook, b""))
    return {name: (result.values[name], result.cells[name]) for name in (META_UNIT, META_YEAR) if name in result.cells}


def test_the_unit_and_year_on_row_300_are_read_but_not_on_row_301():
    # the label search looks at the first 300 rows of each sheet, row 300 included
    assert meta_of({}, other_sheet={"A300": "填报单位：修武县", "B300": "评价年度：2021"}) == {
        META_UNIT: ("修武县", CellRef("封面", "A300")), META_YEAR: (2021, CellRef("封面", "B300"))}
    assert meta_of({}, other_sheet={"A301": "填报单位：修武县", "B301": "评价年度：2021"}) == {}


@pytest.mark.parametrize(("spaces", "read"), [(72, True), (73, False)], ids=["80_characters", "81_characters"])
def test_a_unit_label_of_up_to_80_characters_is_read(spaces, read):
    # 「填报单位：」 5 + spaces + 「焦作市」 3: 80 characters with 72 spaces, 81 with 73
    text = "填报单位：" + " " * spaces + "焦作市"
    assert len(text) == (80 if read else 81)
    found = meta_of({"A3": text})
    assert found == ({META_UNIT: ("焦作市", CellRef("Sheet1", "A3"))} if read else {})


@pytest.mark.parametrize(("spaces", "read"), [(11, True), (12, False)], ids=["20_characters", "21_characters"])
def test_a_year_label_of_up_to_20_characters_is_read(spaces, read):
    # 「评价年度：」 5 + spaces + 「2020」 4: 20 characters with 11 spaces, 21 with 12
    text = "评价年度：" + " " * spaces + "2020"
    assert len(text) == (20 if read else 21)
    found = meta_of({"A3": "填报单位：焦作市", "E3": text})
    assert found.get(META_YEAR) == ((2020, CellRef("Sheet1", "E3")) if read else None)


def test_the_first_year_label_found_stands():
    # the table's own sheet is searched first: its 2020 is the year, the cover's 2021 does not replace it
    found = meta_of({"A3": "填报单位：焦作市", "E3": "评价年度：2020"}, other_sheet={"A1": "评价年度：2021"})
    assert found[META_YEAR] == (2020, CellRef("Sheet1", "E3"))


def test_a_year_label_below_the_table_is_read():
    # the table's cells (rows 4–15) are passed over, and the search goes on below them
    found = meta_of({"A3": "填报单位：焦作市", "A17": "评价年度：2020"})
    assert found[META_YEAR] == (2020, CellRef("Sheet1", "A17"))


def test_a_unit_label_inside_the_table_is_not_the_tables_unit():
    # a remark in an indicator row (row 8) that happens to start with 「填报单位：」
    assert meta_of({"G8": "填报单位：各县（市、区）"}) == {}


def test_a_year_in_the_header_row_is_not_the_title_year():
    # the title is above the header (row 4); a heading 「2019年完成值」 in row 4 itself names no 评价年度
    assert meta_of({"A3": "填报单位：焦作市", "G4": "2019年完成值"}).get(META_YEAR) is None
    # the same words one row higher are above the header, where a title's year is read
    assert meta_of({"A3": "填报单位：焦作市", "G3": "2019年完成值"})[META_YEAR] == (2019, CellRef("Sheet1", "G3"))
