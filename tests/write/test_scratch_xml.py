"""Where the in-place writer builds the results sheets and the marks record as openpyxl sheets in a scratch workbook
(its fallback: ``write/sheet_xml.py`` writes them as XML first, tests/write/test_sheet_xml.py), they are serialised
without openpyxl's zip writer (write/scratch_xml.py): every copy is the one openpyxl's writer of the scratch workbook
gives — part for part, byte for byte, and, read back with openpyxl, every cell's value and format, merges, widths,
heights, print setup, panes, links, and the sheets' order and states — for generated workbooks and both corpora;
whatever it does not write (a formula, a date, rich text) falls back to openpyxl's writer. The tests below take that
route by refusing ``SheetParts``."""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path
from zipfile import ZIP_STORED, ZipFile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.hyperlink import Hyperlink

from selfscore.checking import check_file
from selfscore.write import inplace
from selfscore.write.scratch_xml import ScratchParts, Unsupported
from selfscore.write.xlsx_bytes import workbook_bytes
from support import corpus, harness, layouts, saved_files
from support.harness import members
from support.helpers import TABLE_IDS, make_workbook


def _openpyxl_parts(workbook: Workbook) -> dict[str, bytes]:
    with ZipFile(io.BytesIO(workbook_bytes(workbook, compression=ZIP_STORED))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _copies(path: Path, monkeypatch) -> tuple[bytes, bytes]:
    """The copy as written now, and as written with the scratch workbook saved by openpyxl."""
    written = []
    real = inplace.ScratchParts

    def spied(workbook):
        parts = real(workbook)
        written.append(parts)
        return parts

    with monkeypatch.context() as patch:
        patch.setattr(inplace, "SheetParts", _refuse)
        patch.setattr(inplace, "ScratchParts", spied)
        new = check_file(path)[1]
    with monkeypatch.context() as patch:
        patch.setattr(inplace, "SheetParts", _refuse)
        patch.setattr(inplace, "ScratchParts", _refuse)
        old = check_file(path)[1]
    assert (new is None) == (old is None)
    if new is not None and written:
        assert len(written) == 1
    return new, old


def _refuse(workbook):
    raise Unsupported("openpyxl's writer, as before")


def _style(cell) -> tuple:
    return (repr(cell.font), repr(cell.fill), repr(cell.border), repr(cell.alignment), cell.number_format,
            repr(cell.protection))


def _as_openpyxl_reads(data: bytes) -> dict:
    """Everything of a copy openpyxl reads that the results sheets and the record set."""
    workbook = load_workbook(io.BytesIO(data))
    sheets = {}
    for sheet in workbook.worksheets:
        cells = {cell.coordinate: (cell.value, cell.data_type, _style(cell),
                                   cell.hyperlink.location if cell.hyperlink else None)
                 for row in sheet.iter_rows() for cell in row}
        sheets[sheet.title] = {
            "state": sheet.sheet_state,
            "cells": cells,
            "merged": sorted(str(merged) for merged in sheet.merged_cells.ranges),
            "widths": {key: (dim.width, dim.customWidth) for key, dim in sheet.column_dimensions.items()},
            "heights": {key: (dim.height, dim.customHeight) for key, dim in sheet.row_dimensions.items()},
            "freeze": sheet.freeze_panes,
            "print": (repr(sheet.page_setup), repr(sheet.print_options), repr(sheet.page_margins),
                      repr(sheet.sheet_properties.pageSetUpPr), sheet.print_title_rows, sheet.print_title_cols),
        }
    return {"order": workbook.sheetnames, "sheets": sheets}


def _assert_same(path: Path, monkeypatch) -> None:
    new, old = _copies(path, monkeypatch)
    if new is None:
        return
    # but the time openpyxl's save stamps in the core properties of a copy it writes whole (an .xls, an .ods)
    new_parts, old_parts = members(new), members(old)
    new_parts.pop("docProps/core.xml", None)
    old_parts.pop("docProps/core.xml", None)
    assert list(new_parts) == list(old_parts)
    differing = [name for name in new_parts if new_parts[name] != old_parts[name]]
    assert differing == [], f"{path.name}: {differing}"
    assert _as_openpyxl_reads(new) == _as_openpyxl_reads(old)


@pytest.mark.parametrize("table", TABLE_IDS)
def test_each_tables_copy_is_the_one_openpyxls_writer_gives(table, tmp_path, monkeypatch):
    _assert_same(make_workbook(tmp_path / f"{table}.xlsx", table), monkeypatch)


def test_a_faulty_workbooks_copy_with_every_results_sheet_is_the_same(tmp_path, monkeypatch):
    path = make_workbook(tmp_path / "faulty.xlsx", "shantytown", scores={"funds_raising": 8}, total=99,
                         facts={"quality_issues": "两项", "satisfaction_pct": 0.85})
    new, _old = _copies(path, monkeypatch)
    assert {"校验结果", "问题清单"} <= set(load_workbook(io.BytesIO(new)).sheetnames)
    _assert_same(path, monkeypatch)


@pytest.mark.parametrize("build", [layouts.annex1_retyped, layouts.annex2_retyped], ids=["annex1", "annex2"])
def test_a_layout_read_by_labels_gets_the_same_recognised_cells_sheet(build, tmp_path, monkeypatch):
    path = tmp_path / "retyped.xlsx"
    build().save(path)
    new, _old = _copies(path, monkeypatch)
    assert "识别到的单元格" in load_workbook(io.BytesIO(new)).sheetnames
    _assert_same(path, monkeypatch)


def _second_write(part: bytes) -> bytes:
    """A part as openpyxl's writer writes it the first time: writing a sheet sets its ``outlineLevelCol`` (0), which
    a second write of the same workbook then carries (the first never does, as the whole copies above show)."""
    return part.replace(b' outlineLevelCol="0"', b"")


def _serialised_both_ways(path: Path, monkeypatch) -> tuple[list[str], list[str]]:
    """Check ``path`` once; each scratch workbook the in-place writer serialises is then also saved by openpyxl's writer
    (after ours, as the writer's own fallback saves it): the parts whose bytes differ, and the parts compared. A failure
    of the comparison itself is raised, not left to the writer's fallback."""
    differing, compared, failures = [], [], []
    real = inplace.ScratchParts

    def spied(workbook):
        parts = real(workbook)
        try:
            theirs = _openpyxl_parts(workbook)
        except Exception as error:  # noqa: BLE001 - handed to the test below, never swallowed
            failures.append(error)
            raise
        compared.extend(parts.namelist())
        differing.extend(name for name in parts.namelist() if parts.read(name) != _second_write(theirs[name]))
        return parts

    with monkeypatch.context() as patch:
        patch.setattr(inplace, "SheetParts", _refuse)
        patch.setattr(inplace, "ScratchParts", spied)
        check_file(path)
    if failures:
        raise failures[0]
    return differing, compared


@pytest.mark.parametrize("case", corpus.CASES + saved_files.CASES, ids=harness.file_name)
def test_every_corpus_files_copy_is_the_same(case, tmp_path, monkeypatch):
    """Byte for byte, the parts each corpus file's copy takes from the scratch workbook, written by ours and by openpyxl's
    writer (one check a file; the whole copies are compared both ways for the generated workbooks above, and bytes
    alike are read alike)."""
    if not all(harness.has(tool) for tool in case.needs):
        if os.environ.get("CI") is None:
            pytest.skip(f"needs {case.needs}")
    differing, compared = _serialised_both_ways(case.build(tmp_path / case.file_name), monkeypatch)
    assert differing == [], f"{case.name}: {differing}"


def test_the_corpora_really_go_through_the_new_writer(tmp_path, monkeypatch):
    """So that the corpus comparison above cannot pass by comparing nothing."""
    names = {"with_image", "parts_outside_xl", "pivot_cache", "chart_sheet_added"}
    readable = [case for case in corpus.CASES + saved_files.CASES if case.name in names]
    assert {case.name for case in readable} == names
    for case in readable:
        _differing, compared = _serialised_both_ways(case.build(tmp_path / case.file_name), monkeypatch)
        assert "xl/styles.xml" in compared and any(name.startswith("xl/worksheets/") for name in compared), case.name


def _awkward() -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "校验结果"
    texts = ["  前后有空格  ", "a & b < c > d \"引号\" 'x'", "第一行\n第二行\r\n第三行\t制表", "   ", "", "=SUM(A1)",
             "\ufffd替换字符", "😀 表情"]
    for row, text in enumerate(texts, start=1):
        cell = sheet.cell(row, 1, text)
        cell.data_type = "s"
    sheet["B1"] = 3
    sheet["B2"] = 2.5
    sheet["B3"] = 1e-20
    sheet["B4"] = True
    sheet["B5"].font = Font(name="宋体", bold=True, size=15, color="FF0000")  # styled, no value
    sheet["B6"].fill = PatternFill("solid", fgColor="D9E1F2")
    sheet["B6"].border = Border(left=Side("thin"), bottom=Side("medium"))
    sheet["B6"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet["B6"] = "有格式"
    sheet["C1"] = "跳到"
    sheet["C1"].hyperlink = Hyperlink(ref="C1", location="'原表'!B7", display="跳到")
    sheet.merge_cells("A10:G10")
    sheet.row_dimensions[10].height = 30
    sheet.row_dimensions[12].height = 12  # a row with no cell
    sheet.column_dimensions["B"].width = 40
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    hidden = workbook.create_sheet("selfscore_marks")
    hidden.append(("kind", "sheet", None, "<fill/>"))
    hidden.sheet_state = "veryHidden"
    return workbook


def test_awkward_text_numbers_formats_and_links_are_written_as_openpyxl_writes_them():
    # each writer gets its own workbook: openpyxl's writer sets a sheet's outline level as it writes
    ours, theirs = ScratchParts(_awkward()), _openpyxl_parts(_awkward())
    for name in ours.namelist():
        assert ours.read(name) == theirs[name], name
    assert "xl/sharedStrings.xml" not in ours.namelist()


@pytest.mark.parametrize("value", [datetime.date(2020, 1, 2), "=SUM(A1:A2)",
                                   CellRichText(TextBlock(InlineFont(b=True), "粗"), "体")])
def test_a_cell_it_does_not_write_falls_back_to_openpyxls_writer(value):
    workbook = Workbook()
    workbook.active["A1"] = value
    with pytest.raises(Unsupported):
        ScratchParts(workbook)


def test_a_comment_falls_back_to_openpyxls_writer():
    workbook = Workbook()
    workbook.active["A1"] = "有批注"
    workbook.active["A1"].comment = Comment("批注", "张三")
    with pytest.raises(Unsupported):
        ScratchParts(workbook)
