"""The report-only reader sees a workbook as openpyxl's ``load_workbook`` does, cell for cell.

A report made without the marked-up copy reads every .xlsx through ``read.lean``; a cell it saw
differently (a value, a type, a number format, a merged cell, a formula's saved result) would be a
different verdict from the same file. Each workbook here — the files people save and hand-made
parts — is read both ways and compared.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import MergedCell
from openpyxl.utils import get_column_letter

from selfscore.checking import check_and_mark_up
from selfscore.read.formats import sniff, with_parts_under_xl
from selfscore.read.labels.grid import Grid, GridCell, grids_from_openpyxl
from selfscore.read.lean import CachedFromSheets, LeanWorkbook
from selfscore.read.result import CellRef
from selfscore.write.filling import save
from support import harness, layouts, saved_files
from support.helpers import TABLE_IDS, make_workbook

#: the .xlsx/.xlsm files people save that the report-only path reads itself (the rest go the full way)
LEAN_CASES = [case for case in saved_files.READ if case.suffix in (".xlsx", ".xlsm", ".xltx", ".xltm")
              and case.name not in ("strict_open_xml", "strict_faulty", "strict_parts_outside_xl", "styles_out_of_standard",
                                 "styles_out_of_standard_outside_xl")
              and all(harness.has(tool) for tool in case.needs)]


def _value(value: object) -> object:
    return getattr(value, "text", value)  # an array formula, compared by its text


def _comparable(grids: list[Grid]) -> list[tuple]:
    """Each grid's title, cells and merged ranges (openpyxl keeps the ranges as a set: their order means nothing)."""
    return [(grid.title, grid.cells, sorted(grid.merged)) for grid in grids]


def full_view(data: bytes) -> dict:
    """What load_workbook shows of a workbook: names, sheets, and every cell with a value or inside a merge."""
    workbook = load_workbook(io.BytesIO(data))
    cached = load_workbook(io.BytesIO(data), data_only=True)
    cells = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell):
                    cells[(sheet.title, cell.row, cell.column)] = ("merged",)
                elif cell.value is not None:
                    saved = cached[sheet.title].cell(cell.row, cell.column).value if cell.data_type == "f" else None
                    cells[(sheet.title, cell.row, cell.column)] = (_value(cell.value), cell.data_type, cell.number_format,
                                                                  saved)
    return {
        "names": {name: defined.attr_text for name, defined in workbook.defined_names.items()},
        "sheets": workbook.sheetnames,
        "charts": [chart.title for chart in workbook.chartsheets],
        "states": {sheet.title: sheet.sheet_state for sheet in workbook.worksheets},
        "epoch": workbook.epoch,
        "cells": cells,
        "grids": _comparable(grids_from_openpyxl(workbook, data)),
    }


def lean_view(data: bytes) -> dict:
    """The same, as ``LeanWorkbook`` shows it."""
    workbook = LeanWorkbook(data)
    cells = {}
    for sheet in workbook.worksheets:
        assert workbook[sheet.title] is sheet and sheet.title in workbook
        for (row, column), cell in sheet.cells.items():
            assert cell.parent is sheet and (cell.row, cell.column) == (row, column)
            if cell.merged_follower:
                cells[(sheet.title, row, column)] = ("merged",)
            elif cell.value is not None:
                saved = CachedFromSheets(workbook).get(CellRef(sheet.title, f"{get_column_letter(column)}{row}"))
                cells[(sheet.title, row, column)] = (_value(cell.value), cell.data_type, cell.number_format,
                                                     saved if cell.data_type == "f" else None)
    return {
        "names": {name: defined.attr_text for name, defined in workbook.defined_names.items()},
        "sheets": workbook.sheetnames,
        "charts": workbook.chartsheets,
        "states": {sheet.title: sheet.sheet_state for sheet in workbook.worksheets},
        "epoch": workbook.epoch,
        "cells": cells,
        "grids": _comparable(workbook.grids()),
    }


def assert_same(data: bytes) -> None:
    full, lean = full_view(data), lean_view(data)
    for key in full:
        assert lean[key] == full[key], key


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, bytes]:
    directory = tmp_path_factory.mktemp("lean")
    # as both paths read them: a workbook's parts moved under xl/ where they live elsewhere (checking does it first)
    return {case.name: with_parts_under_xl(harness.built(case, directory / case.file_name).read_bytes()) for case in LEAN_CASES}


@pytest.mark.parametrize("name", [case.name for case in LEAN_CASES])
def test_every_saved_xlsx_is_seen_as_openpyxl_sees_it(saved, name):
    assert sniff(saved[name]) in ("xlsx", "xlsm")
    assert_same(saved[name])


@pytest.mark.parametrize("table", TABLE_IDS)
def test_a_filled_template_and_its_marked_up_copy_are_seen_as_openpyxl_sees_them(tmp_path, table):
    path = make_workbook(tmp_path / "a.xlsx", table, scores={"funds_raising": 3}, facts={"quality_issues": "两项"})
    assert_same(path.read_bytes())
    _, marked = check_and_mark_up(path)
    assert_same(marked)  # its 标注 and results sheets are no part of the label reader's grids, either way
    assert [grid.title for grid in LeanWorkbook(marked).grids()] == [grid.title for grid in LeanWorkbook(
        path.read_bytes()).grids()]


@pytest.mark.parametrize("build", [
    layouts.annex1_retyped, layouts.annex2_retyped, lambda: layouts.reordered(repeat_header=True)[0],
    lambda: layouts.shifted_single_header()[0], layouts.pasted_template,
], ids=["annex1", "annex2", "reordered", "shifted", "pasted"])
def test_retyped_tables_with_merged_headers_are_seen_as_openpyxl_sees_them(tmp_path, build):
    assert_same(save(build(), tmp_path / "a.xlsx").read_bytes())


def _with_sheet(sheet_xml: str, styles: str | None = None) -> bytes:
    """A one-sheet workbook whose sheet part (and styles) are given as XML."""
    workbook = Workbook()
    workbook.active.title = "表"
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = sheet_xml.encode()
            elif item.filename == "xl/styles.xml":
                if styles is None:
                    continue
                content = styles.encode()
            archive.writestr(item, content)
    return output.getvalue()


MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def test_inline_strings_with_and_without_addresses_are_read_as_openpyxl_reads_them():
    # Programs write <is><t>…</t></is> cells; some leave out r="…" (the cell is the next one in the row)
    sheet = (f'<worksheet {MAIN}><sheetData>'
             '<row r="2"><c r="B2" t="inlineStr"><is><t>单位名称</t></is></c><c t="inlineStr"><is><t>焦作市</t></is></c>'
             '<c t="inlineStr"><is><t/></is></c><c t="inlineStr"><is><t>末</t></is></c></row>'
             '<row r="3"><c r="D3" t="inlineStr" s="0"><is><r><t>两</t></r><r><t>段</t></r></is></c>'
             '<c r="E3" t="inlineStr"><is><t>注</t><rPh sb="0" eb="1"><t>ちゅう</t></rPh></is></c>'
             '<c r="F3" s="0" t="inlineStr"><is><t>式</t></is></c><c r="G3"><f>1+1</f><v>2</v></c>'
             '<c r="H3" t="inlineStr"><is><r><t>一段</t></r></is></c></row>'
             '</sheetData></worksheet>')
    data = _with_sheet(sheet)
    assert_same(data)
    cells = LeanWorkbook(data)["表"]
    assert (cells["C2"].value, cells["D2"].value, cells["E2"].value) == ("焦作市", "", "末")
    assert cells["D3"].value == "两段" and cells["G3"].value == "=1+1" and cells["H3"].value == "一段"


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_number_formats_dates_and_a_workbook_without_styles_are_read_as_openpyxl_reads_them():
    styles = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
              '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill/></fill></fills><borders count="1"><border/></borders>'
              '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164"/>'
              '<xf numFmtId="14"/><xf numFmtId="46"/><xf numFmtId="30"/></cellXfs></styleSheet>')
    sheet = (f'<worksheet {MAIN}><sheetData><row r="1"><c r="A1" s="1"><v>0.85</v></c><c r="B1" s="2"><v>44196</v></c>'
             '<c r="C1" s="3"><v>1.5</v></c><c r="D1" s="4"><v>7</v></c><c r="E1"><v>3</v></c></row>'
             # a formula and an array formula in a percent cell, an error, a percent inline string, a styled blank
             '<row r="2"><c r="A2" s="1"><f>A1*2</f><v>1.7</v></c><c r="B2" s="1"><f t="array" ref="B2">A1/2</f>'
             '<v>0.425</v></c><c r="C2" t="e"><v>#N/A</v></c><c r="D2" s="1" t="inlineStr"><is><t>八成</t></is></c>'
             '<c r="E2" s="1"/></row></sheetData></worksheet>')
    data = _with_sheet(sheet, styles)
    assert_same(data)
    cells = LeanWorkbook(data)["表"]
    grid = LeanWorkbook(data)["表"].grid()
    assert (grid.get(2, 1), grid.get(2, 2).formula, grid.get(2, 3).is_error, grid.get(2, 4).number_format) == (
        GridCell(1.7, "=A1*2", "0.0%"), "=A1/2", True, "0.0%")
    assert grid.get(2, 5) is None  # a blank cell is no cell of the grid, styled or not
    # 30 is a built-in id with no format of its own: General, as openpyxl has it
    assert [cells[f"{c}1"].number_format for c in "ABCDE"] == ["0.0%", "mm-dd-yy", "[h]:mm:ss", "General", "General"]
    assert cells["B1"].value.year == 2020  # a date cell is a date, by its format
    plain = _with_sheet(sheet.replace(' s="1"', "").replace(' s="2"', "").replace(' s="3"', "").replace(' s="4"', ""))
    assert_same(plain)
    assert {cell.number_format for cell in LeanWorkbook(plain)["表"].cells.values()} == {"General"}


@pytest.mark.parametrize("number", [164, 170])
def test_a_number_format_the_styles_never_define_is_left_to_the_full_path(number):
    styles = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill/></fill></fills><borders count="1"><border/></borders>'
              '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/>'
              f'<xf numFmtId="{number}"/>'
              '</cellXfs></styleSheet>')
    data = _with_sheet(f'<worksheet {MAIN}><sheetData><row r="1"><c r="A1" s="1"><v>1</v></c></row></sheetData>'
                       '</worksheet>', styles)
    with pytest.raises(Exception, match=f"number format {number} is not defined"):
        LeanWorkbook(data)


def test_merged_ranges_empty_every_cell_but_the_top_left_one():
    sheet = (f'<worksheet {MAIN}><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
             '<row r="2"><c r="A2"><v>3</v></c><c r="B2"><f>A1</f><v>1</v></c></row></sheetData>'
             '<mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells></worksheet>')
    data = _with_sheet(sheet)
    assert_same(data)
    lean = LeanWorkbook(data)["表"]
    assert [lean.cell(1, 1).value, lean.cell(1, 2).value, lean.cell(2, 2).value] == [1, None, None]
    assert [lean.cell(r, c).merged_follower for r, c in ((1, 1), (1, 2), (2, 1), (2, 2), (3, 1))] == [
        False, True, True, True, False]
    assert lean.cached == {}  # a follower's formula is gone with its value
    assert list(lean.iter_rows(1, 2, 2)) == [(1, None), (None, None)]
    empty = lean.cell(5, 7)  # a cell the file does not have is an empty one, where openpyxl's would be
    assert (empty.row, empty.column, empty.parent, empty.value, empty.merged_follower) == (5, 7, lean, None, False)


def test_a_sheet_whose_part_is_missing_is_left_out_as_openpyxl_leaves_it_out(tmp_path):
    path = make_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(path)
    workbook.create_sheet("空表")
    workbook.save(path)
    data = path.read_bytes()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    for gone, title in ((sorted(name for name in names if name.startswith("xl/worksheets/sheet"))[-1], "空表"),
                        ("xl/worksheets/sheet1.xml", "自评表")):  # the last sheet, or the first: the rest are read
        output = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as archive:
            for item in source.infolist():
                if item.filename != gone:
                    archive.writestr(item, source.read(item.filename))
        assert title not in LeanWorkbook(output.getvalue()).sheetnames
        assert_same(output.getvalue())


def test_saved_cases_cover_what_the_lean_reader_must_get_right(saved):
    # the parity above means something only if the files hold these: a 1904 calendar, a chart sheet, a hidden
    # sheet, formulas with saved results, shared formulas and rich text
    views = {name: lean_view(data) for name, data in saved.items()}
    assert any(view["epoch"].year == 1904 for view in views.values())
    assert any(view["charts"] for view in views.values())
    assert any("hidden" in view["states"].values() for view in views.values())
    assert any(cell[1] == "f" and cell[3] is not None for view in views.values() for cell in view["cells"].values()
               if cell != ("merged",))


def test_a_chart_sheet_before_the_worksheets_leaves_them_all_read(tmp_path):
    path = make_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(path)
    saved_files.chart_sheet_added(workbook, 0)
    workbook.save(path)
    lean = LeanWorkbook(path.read_bytes())
    assert lean.chartsheets == ["图表"] and lean.sheetnames[0] == "图表"
    assert [sheet.title for sheet in lean.worksheets] == load_workbook(path).sheetnames[1:]
    assert_same(path.read_bytes())
