""".xls and .ods made by LibreOffice from real workbooks: read by their labels, marked up as a fresh template."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
import python_calamine
from openpyxl import Workbook, load_workbook

from selfscore.checking import annotate, check_and_mark_up, check_workbook
from selfscore.read.foreign import READ_COLUMNS, READ_ROWS, check_xlsb_extent, grids_from_calamine, worksheets_only
from selfscore.read.formats import sniff
from selfscore.read.labels import Grid
from selfscore.read.result import Unreadable
from selfscore.read.safety import Limits
from selfscore.tables.names import RESULTS_SHEET, SCORE_SHEET
from selfscore.write.filling import save
from support import layouts
from support.harness import jiaozuo_bytes, member, members, rezip, zipped
from support.helpers import make_workbook
from support.libreoffice import convert
from support.saved_files import REAL_FILES, _record, _sheet_bin, _wide, sparse_xlsb, xlsb_from

pytestmark = pytest.mark.soffice
FORMATS = ("xls", "ods")


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """The same workbooks as .xlsx, .xls and .ods, side by side."""
    directory = tmp_path_factory.mktemp("foreign")
    sources = [
        make_workbook(directory / "template_old.xlsx", "old_communities", unit="焦作市"),
        make_workbook(directory / "template_wrong.xlsx", "shantytown", scores={"funds_raising": 8}, total=98,
                      facts={"quality_issues": "两项"}),
        save(layouts.annex1_retyped(), directory / "annex1.xlsx"),
        save(layouts.reordered("old_communities")[0], directory / "reordered.xlsx"),
        save(layouts.shifted_single_header("shantytown")[0], directory / "shifted.xlsx"),
    ]
    for kind in FORMATS:
        convert(sources, kind, directory)
    return directory


@pytest.mark.parametrize("kind", FORMATS)
def test_a_converted_template_is_checked_in_full(converted, kind):
    path = converted / f"template_old.{kind}"
    assert sniff(path.read_bytes()) == kind
    report = check_workbook(path)
    assert (report.table, report.status, report.self_total, report.recomputed_total) == ("old_communities", "ok", 95, 95)
    assert {result.status for result in report.indicators} == {"match"}
    assert (report.unit, report.year, report.source_format) == ("焦作市", 2020, kind)
    assert {cell.recognised_from for cell in report.recognised} == {"label"}
    assert report.indicator("funds_raising").cell == "F5"  # the address in the source file
    assert [f.code for f in report.findings if f.severity != "info"] == []
    named = {"xls": ".xls（Excel 97-2003，或 WPS 的 .et）", "ods": ".ods（OpenDocument）"}[kind]
    assert any(f.code == "rebuilt_from_foreign_format" and f"原文件为{named}格式" in f.message for f in report.findings)


@pytest.mark.parametrize("kind", FORMATS)
def test_the_marked_up_copy_is_a_fresh_template_with_the_values_read_and_the_marks(converted, kind):
    report, marked = check_and_mark_up(converted / f"template_wrong.{kind}")
    assert report.status == "errors"
    assert ("score_mismatch", "funds_raising") in report.as_tuples("code", "indicator")
    copy = load_workbook(io.BytesIO(marked))
    assert "score_funds_raising" in copy.defined_names  # our template: it can be checked again as it is
    sheet = copy[SCORE_SHEET]
    assert sheet["F5"].value == 8 and "不符" in sheet["F5"].comment.text
    facts = copy["基础数据"]
    flagged = [cell for row in facts.iter_rows() for cell in row if cell.value == "两项"]
    assert len(flagged) == 1 and "不是数字" in flagged[0].comment.text
    top = str(copy[RESULTS_SHEET]["A4"].value)
    assert "无法在原文件上直接标注" in top and "重新生成的模板" in top
    # checked again, the rebuilt copy gives the same verdict from its defined names
    again = check_workbook(marked)
    assert (again.self_total, again.recomputed_total) == (report.self_total, report.recomputed_total)
    assert sorted(again.as_tuples("code", "indicator", "input")) == sorted(
        (code, indicator, input_) for code, indicator, input_ in report.as_tuples("code", "indicator", "input")
        if code not in ("layout_recognised", "rebuilt_from_foreign_format"))
    assert annotate(converted / f"template_wrong.{kind}", report)[:2] == b"PK"


@pytest.mark.parametrize("kind", FORMATS)
def test_a_retyped_annex_saved_by_libreoffice_keeps_its_scores_and_cells(converted, kind):
    report = check_workbook(converted / f"annex1.{kind}")
    cells = layouts.annex1_cells()
    assert {r.id: (r.cell, r.self_score) for r in report.indicators} == {
        id_: (cells[id_], score) for id_, score in layouts.ANNEX1_SCORES.items()}
    assert [f.code for f in report.findings] == ["layout_recognised", "rebuilt_from_foreign_format", "facts_absent"]


@pytest.mark.parametrize("kind", FORMATS)
def test_scores_typed_as_text_survive_the_conversion(converted, kind):
    _, cells, scores = layouts.reordered("old_communities")
    report = check_workbook(converted / f"reordered.{kind}")
    assert {r.id: (r.cell, r.self_score) for r in report.indicators} == {id_: (cells[id_], s) for id_, s in scores.items()}
    assert report.year == 2020 and report.errors == 0


@pytest.mark.parametrize("kind", FORMATS)
def test_a_damaged_xls_or_ods_is_unreadable_with_a_reason(kind):
    from selfscore.read.formats import ODS_MIMETYPE, OLE2_MAGIC

    if kind == "xls":  # an OLE2 container that names a Workbook stream but holds garbage
        data = OLE2_MAGIC + bytes(600) + "Workbook".encode("utf-16-le") + bytes(3000)
    else:  # a zip that says it is a spreadsheet but has no content
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("mimetype", ODS_MIMETYPE)
            archive.writestr("content.xml", "<broken")
        data = buffer.getvalue()
    assert sniff(data) == kind
    report = check_workbook(data, name=f"坏.{kind}")
    assert (report.status, [f.code for f in report.findings]) == ("unreadable", ["not_a_workbook"])
    assert "已损坏" in report.findings[0].message


def test_a_grid_keeps_addresses_when_a_sheet_starts_below_a1(converted):
    grids = grids_from_calamine((converted / "shifted.ods").read_bytes(), "ods")
    sheet: Grid = grids[1]
    assert sheet.text(8, 3) == "指标名称" and sheet.text(9, 5) == "１０"  # the table starts at C8
    _, cells, _ = layouts.shifted_single_header("shantytown")
    report = check_workbook(converted / "shifted.xls")
    assert report.indicator("funds_raising").cell == cells["funds_raising"] == "E9"


# ---------------------------------------------------------------- calamine's grids, in-process (.xlsb written here)


def _xlsb(cells: dict[tuple[int, int], object], replace: dict[str, bytes] | None = None) -> bytes:
    """A one-sheet .xlsb, 「自评表」, holding these cells (0-based row, column), with some parts replaced."""
    workbook = Workbook()
    workbook.active.title = "自评表"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return rezip(xlsb_from(buffer.getvalue()), replace={"xl/worksheets/sheet1.bin": _sheet_bin(cells), **(replace or {})})


def test_a_grid_holds_the_rows_and_columns_the_label_search_looks_at_and_no_more():
    last_row, last_column = READ_ROWS - 1, READ_COLUMNS - 1  # 0-based: row READ_ROWS and column READ_COLUMNS
    cells = {(4, 2): "起", (last_row, 2): "末行", (last_row + 1, 2): "行外", (4, last_column): "末列",
             (4, last_column + 1): "列外", (5, 3): ""}
    grid = grids_from_calamine(_xlsb(cells), "xlsb")[0]
    # the sheet's first used column is C: addresses are the file's, and an empty text is no cell
    assert {key: cell.value for key, cell in grid.cells.items()} == {
        (5, 3): "起", (READ_ROWS, 3): "末行", (5, READ_COLUMNS): "末列"}
    assert grid.title == "自评表" and grid.merged == []
    from_a1 = grids_from_calamine(_xlsb({(0, 0): "A1", (0, last_column): "末列", (0, last_column + 1): "列外"}), "xlsb")[0]
    assert {key: cell.value for key, cell in from_a1.cells.items()} == {(1, 1): "A1", (1, READ_COLUMNS): "末列"}
    # a sheet whose first used column is past the last one read, and a sheet with nothing in it: empty grids
    assert grids_from_calamine(_xlsb({(0, last_column + 50): "远"}), "xlsb")[0].cells == {}
    assert grids_from_calamine(_xlsb({}), "xlsb") == [Grid("自评表", {}, [])]


def test_an_xlsb_is_read_whatever_other_sheets_it_has():
    """A chart sheet, an Excel 4.0 macro sheet and a dialog sheet (from a real workbook): calamine alone gives up on
    the file; their records are dropped from xl/workbook.bin, their parts stay, the worksheets are read."""
    data = xlsb_from(jiaozuo_bytes(), other_sheets=True)
    with pytest.raises(python_calamine.CalamineError):
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    kept, others = worksheets_only(data)
    assert others == ["图表工作表「图表」", "宏表（Excel 4.0 宏）「宏表」", "对话框工作表「对话框」"]
    assert set(zipfile.ZipFile(io.BytesIO(kept)).namelist()) == set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(kept))
    assert workbook.sheet_names == load_workbook(io.BytesIO(jiaozuo_bytes())).sheetnames
    report = check_workbook(data, name="x.xlsb")
    assert report.status == "ok" and report.self_total == 100, [finding.message for finding in report.findings]


def test_an_xlsb_of_worksheets_only_is_handed_to_calamine_as_it_is():
    data = xlsb_from(jiaozuo_bytes())
    assert worksheets_only(data) == (data, [])


@pytest.mark.parametrize("path", sorted(REAL_FILES.glob("*.xlsb")), ids=lambda path: path.stem)
def test_real_xlsb_with_chart_macro_or_dialog_sheets_are_read(path):
    """Their worksheets hold no table of ours: not_a_template naming the sheets read and those left out."""
    report = check_workbook(path)
    (finding,) = report.findings
    assert finding.code == "not_a_template", finding.message
    assert "读取了工作表「" in finding.message and "不是普通工作表，没有读取" in finding.message
    assert "图表工作表「" in finding.message


def test_merged_ranges_of_an_xls_come_with_one_based_bounds(converted):
    (grid,) = [grid for grid in grids_from_calamine((converted / "template_old.xls").read_bytes(), "xls")
               if grid.title == SCORE_SHEET]
    original = load_workbook(converted / "template_old.xlsx")[SCORE_SHEET]
    assert sorted(grid.merged) == sorted((r.min_row, r.min_col, r.max_row, r.max_col) for r in original.merged_cells.ranges)


def test_an_excel_95_workbook_is_told_to_be_saved_again():
    from selfscore.read.formats import OLE2_MAGIC

    data = OLE2_MAGIC + bytes(600) + "Book".encode("utf-16-le") + bytes(3000)
    report = check_workbook(data, name="旧.xls")
    assert [f.code for f in report.findings] == ["not_a_workbook"]
    assert "打开：文件是 Excel 5.0/95 等早期格式的工作簿，无法读取；请在 Excel/WPS 中打开后另存为 .xlsx。" in report.findings[0].message


def test_a_damaged_xlsb_names_its_format():
    data = _xlsb({(0, 0): "x"}, {"xl/worksheets/sheet1.bin": b"\x83\xff\xff\xff\xff"})
    report = check_workbook(data, name="坏.xlsb")
    with pytest.raises(Exception) as direct:  # what calamine itself raises on it, named in the message
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert [f.code for f in report.findings] == ["not_a_workbook"]
    assert f"：.xlsb（Excel 二进制工作簿） 文件已损坏（{type(direct.value).__name__}）。" in report.findings[0].message


@pytest.mark.parametrize("error", ["PasswordError: Workbook is password protected", "CalamineError: encrypted",
                                   "PasswordError: "])
def test_a_password_calamine_meets_is_an_encrypted_file(monkeypatch, error):
    kind, said = error.split(": ")

    def refuse(_source):
        raise getattr(python_calamine, kind)(said)

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", refuse)
    report = check_workbook(_xlsb({(0, 0): "x"}), name="密.xlsb")
    assert [f.code for f in report.findings] == ["file_encrypted"]


# ---------------------------------------------------------------- an .xlsb sheet's used rectangle


def extent_refusal(data: bytes, cap: int) -> str:
    """What check_xlsb_extent says of ``data`` under a cap of ``cap`` cells per sheet (it must refuse)."""
    with pytest.raises(Unreadable) as refused:
        check_xlsb_extent(data, Limits(max_cells_per_sheet=cap))
    assert refused.value.finding.code == "sheet_too_large"
    return refused.value.finding.message


def test_an_xlsb_sheets_used_rectangle_is_capped_and_the_sheet_named():
    # 10 rows × 5 columns from B3 to F12, with a text long enough to need a two-byte record size
    data = _xlsb({(2, 1): "甲" * 100, (11, 5): 1})
    check_xlsb_extent(data, Limits(max_cells_per_sheet=50))
    assert "工作表「自评表」有 50 个单元格（从第一个到最后一个有内容的单元格），超过上限 49" in extent_refusal(data, 49)


def test_a_sparse_xlsb_is_refused_before_calamine_fills_its_rectangle():
    report = check_workbook(sparse_xlsb(), name="稀疏.xlsb")
    assert [f.code for f in report.findings] == ["sheet_too_large"]
    assert f"有 {1048576 * 16384} 个单元格" in report.findings[0].message


def test_an_xlsb_whose_sheet_titles_cannot_be_read_names_the_part():
    data = _xlsb({(0, 0): "x", (9, 9): 1}, {"xl/_rels/workbook.bin.rels": b"<Relationships"})
    assert "工作表「xl/worksheets/sheet1.bin」有 100 个单元格" in extent_refusal(data, 99)


def test_an_empty_xlsb_sheet_has_no_rectangle():
    check_xlsb_extent(_xlsb({}), Limits(max_cells_per_sheet=0))


def _sheet_part(records: list[bytes]) -> bytes:
    return _record(0x81) + _record(0x91) + b"".join(records) + _record(0x92) + _record(0x82)


def _row(row: int) -> bytes:
    return _record(0x00, struct.pack("<IIHHBBB", row, 0, 300, 0, 0, 0, 0) + struct.pack("<I", 0))


def _number(column: int, value: float, style: int = 0) -> bytes:
    return _record(0x05, struct.pack("<II", column, style) + struct.pack("<d", value))


def test_an_xlsb_rectangle_is_measured_through_styled_cells_and_long_records():
    # Excel's cells carry a style index after their column; a 10 000-character text needs a 3-byte record size
    text = "甲" * 10_000
    part = _sheet_part([_row(0), _number(0, 1, style=0x2A), _row(1), _record(0x06, struct.pack("<II", 1, 0) + _wide(text)),
                        _row(9), _number(4, 2, style=0x11)])
    data = _xlsb({}, {"xl/worksheets/sheet1.bin": part})
    check_xlsb_extent(data, Limits(max_cells_per_sheet=50))  # A1 to E10
    assert "工作表「自评表」有 50 个单元格" in extent_refusal(data, 49)


def test_an_xlsb_is_measured_whatever_order_its_parts_come_in():
    data = _xlsb({(0, 0): "x", (9, 9): 1})
    parts = members(data)
    first = "[Content_Types].xml"  # Excel writes it first, before any sheet
    reordered = zipped({first: parts.pop(first), **parts})
    assert "工作表「自评表」有 100 个单元格" in extent_refusal(reordered, 99)


def test_xlsb_sheet_titles_come_through_absolute_targets_and_past_other_workbook_records():
    data = _xlsb({(0, 0): "x", (9, 9): 1})
    relations = member(data, "xl/_rels/workbook.bin.rels").replace(b'Target="worksheets/', b'Target="/xl/worksheets/')
    property_record = _record(0x99, b"\xff" * 25)  # a workbook property record, before the sheets
    book = member(data, "xl/workbook.bin").replace(_record(0x8F), _record(0x8F) + property_record, 1)
    data = rezip(data, replace={"xl/_rels/workbook.bin.rels": relations, "xl/workbook.bin": book})
    assert "工作表「自评表」有 100 个单元格" in extent_refusal(data, 99)
