"""填报单位 and 评价年度 in a table typed without our template: inline, beside their labels, in the title, or on
another sheet — each read from the cell a person would point at, and said so in the recognised cells."""

from __future__ import annotations

import pytest

from selfscore.checking import check_workbook
from selfscore.tables.names import META_UNIT, META_YEAR
from selfscore.write.filling import save
from support import layouts

TITLE = "城镇保障性安居工程财政资金用于公租房保障和棚户区改造绩效自评表"


def meta_read(tmp_path, cells: dict[str, object], other_sheet: dict[str, object] | None = None):
    """The retyped 附件1 with its row 3 (「填报单位：焦作市」) replaced by ``cells``; the report and where 填报单位
    and 评价年度 were recognised: name → (sheet, cell, label)."""
    workbook = layouts.annex1_retyped()
    layouts.set_cells(workbook, {"A3": None, **cells})
    if other_sheet is not None:
        workbook.create_sheet("封面")
        layouts.set_cells(workbook, other_sheet, "封面")
    report = check_workbook(save(workbook, tmp_path / "a.xlsx"))
    found = {cell.name: (cell.sheet, cell.cell, cell.label) for cell in report.recognised
             if cell.name in (META_UNIT, META_YEAR)}
    return report, found


@pytest.mark.parametrize(("cells", "unit", "year", "found"), [
    ({"A3": "填报单位：焦作市　评价年度：2020"}, "焦作市", 2020,
     {META_UNIT: ("Sheet1", "A3", "填报单位"), META_YEAR: ("Sheet1", "A3", "评价年度")}),
    ({"A3": "填报单位：", "C3": "焦作市", "E3": "评价年度：", "F3": 2020}, "焦作市", 2020,
     {META_UNIT: ("Sheet1", "C3", "填报单位"), META_YEAR: ("Sheet1", "F3", "评价年度")}),
    ({"A3": "填报单位：焦作市", "E3": "自评年度：2020"}, "焦作市", 2020,
     {META_UNIT: ("Sheet1", "A3", "填报单位"), META_YEAR: ("Sheet1", "E3", "评价年度")}),
    ({"A3": "填报单位：焦作市", "A2": f"2020年度{TITLE}"}, "焦作市", 2020,
     {META_UNIT: ("Sheet1", "A3", "填报单位"), META_YEAR: ("Sheet1", "A2", "标题中的年份")}),
], ids=["both_inline", "beside_their_labels", "year_in_its_own_cell", "year_in_the_title"])
def test_unit_and_year_are_read_where_they_are_written(tmp_path, cells, unit, year, found):
    report, recognised = meta_read(tmp_path, cells)
    assert (report.unit, report.year) == (unit, year)
    assert recognised == found


def test_the_unit_on_the_tables_own_sheet_comes_before_one_on_another_sheet(tmp_path):
    report, recognised = meta_read(tmp_path, {"A3": "填报单位：焦作市"}, other_sheet={"A1": "填报单位：修武县"})
    assert (report.unit, recognised[META_UNIT]) == ("焦作市", ("Sheet1", "A3", "填报单位"))
    report, recognised = meta_read(tmp_path, {}, other_sheet={"A1": "填报单位：修武县", "A2": "评价年度：2021"})
    assert (report.unit, report.year) == ("修武县", 2021)
    assert recognised == {META_UNIT: ("封面", "A1", "填报单位"), META_YEAR: ("封面", "A2", "评价年度")}


def test_a_year_mentioned_below_the_header_is_not_the_title_year(tmp_path):
    # 「2019年」 in a criterion is no 评价年度; only a year above the table's header is the title's
    report, recognised = meta_read(tmp_path, {"A3": "填报单位：焦作市", "G8": "参照2019年标准"})
    assert report.year is None and META_YEAR not in recognised
