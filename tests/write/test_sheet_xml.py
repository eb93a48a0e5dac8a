"""The in-place writer writes the results sheets and the marks record as XML from their model (write/sheet_xml.py),
without building them in an openpyxl workbook: every copy is byte for byte the one the openpyxl route gives (the same
model made into openpyxl sheets and serialised, write/scratch_xml.py, itself the bytes of openpyxl's writer:
tests/write/test_scratch_xml.py) — whole copies for generated, faulty, label-read and re-checked workbooks, the added
parts for every file of both corpora; odd content (text with spaces, escapes and control characters, long text,
numbers, links to sheets with quotes, merges, heights of empty rows, every style) part by part; the fingerprint taken
from the model is the one taken from its openpyxl sheets; what the XML writer does not write falls back."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from selfscore.checking import check_file
from selfscore.tables.names import MARKS_SHEET
from selfscore.write import inplace
from selfscore.write.marks import OriginalCell, fingerprint_of, record_sheet
from selfscore.write.scratch_xml import Unsupported
from selfscore.write.sheet_model import Book, CellSpec, to_workbook
from selfscore.write.sheet_xml import SheetParts
from support import corpus, harness, layouts, saved_files
from support.helpers import TABLE_IDS, make_workbook


def _refuse(book):
    raise Unsupported("the openpyxl route, as before")


def _copies(path: Path, monkeypatch) -> tuple[bytes | None, bytes | None]:
    """The copy as the XML writer writes it (which it must have done, once), and as the openpyxl route writes it."""
    books = []
    real = inplace.SheetParts

    def spied(book):
        books.append(book)
        return real(book)

    with monkeypatch.context() as patch:
        patch.setattr(inplace, "SheetParts", spied)
        new = check_file(path)[1]
    with monkeypatch.context() as patch:
        patch.setattr(inplace, "SheetParts", _refuse)
        old = check_file(path)[1]
    assert (new is None) == (old is None)
    assert len(books) == (0 if new is None else 1)
    return new, old


def _assert_same(path: Path, monkeypatch) -> bytes:
    new, old = _copies(path, monkeypatch)
    assert new is not None
    assert new == old, path.name
    return new


@pytest.mark.parametrize("table", TABLE_IDS)
def test_each_tables_copy_is_the_one_the_openpyxl_route_gives(table, tmp_path, monkeypatch):
    _assert_same(make_workbook(tmp_path / f"{table}.xlsx", table), monkeypatch)


def test_a_faulty_workbook_and_its_copy_checked_again_are_the_same(tmp_path, monkeypatch):
    path = make_workbook(tmp_path / "faulty.xlsx", "shantytown", scores={"funds_raising": 8}, total=99,
                         facts={"quality_issues": "两项", "satisfaction_pct": 0.85})
    copy = _assert_same(path, monkeypatch)
    again = tmp_path / "faulty.checked.xlsx"
    again.write_bytes(copy)
    # checked again: the comparison with the last check, in both sheets
    rechecked = _assert_same(again, monkeypatch)
    results = load_workbook(io.BytesIO(rechecked))["问题清单"]
    assert any(str(cell.value or "").startswith("与上次校验相比") for row in results.iter_rows() for cell in row)


@pytest.mark.parametrize("build", [layouts.annex1_retyped, layouts.annex2_retyped], ids=["annex1", "annex2"])
def test_a_layout_read_by_labels_is_the_same(build, tmp_path, monkeypatch):
    path = tmp_path / "retyped.xlsx"
    build().save(path)
    copy = _assert_same(path, monkeypatch)
    assert "识别到的单元格" in load_workbook(io.BytesIO(copy)).sheetnames


def _parts_both_ways(path: Path, monkeypatch) -> list[str]:
    """Check ``path`` once; the added sheets the XML writer writes are also built the openpyxl way: what differs."""
    differing, seen = [], []
    real = inplace.SheetParts

    def spied(book):
        ours, theirs = real(book), inplace._ScratchSheets(book)
        seen.append(book)
        if ours.styles != theirs.styles:
            differing.append("styles")
        if ours.print_titles() != theirs.print_titles():
            differing.append("print titles")
        differing.extend(sheet.title for index, sheet in enumerate(book.worksheets)
                         if ours.sheet(index, 7) != theirs.sheet(index, 7))
        return ours

    with monkeypatch.context() as patch:
        patch.setattr(inplace, "SheetParts", spied)
        check_file(path)
    return differing if seen else ["never written"]


@pytest.mark.parametrize("case", corpus.CASES + saved_files.CASES, ids=harness.file_name)
def test_every_corpus_files_added_sheets_are_the_same(case, tmp_path, monkeypatch):
    if not all(harness.has(tool) for tool in case.needs):
        if os.environ.get("CI") is None:
            pytest.skip(f"needs {case.needs}")
    differing = _parts_both_ways(harness.built(case, tmp_path / case.file_name), monkeypatch)
    assert differing in ([], ["never written"]), f"{case.name}: {differing}"


def test_the_corpora_really_go_through_the_xml_writer(tmp_path, monkeypatch):
    """So that the corpus comparison above cannot pass by comparing nothing."""
    names = {"with_image", "parts_outside_xl", "pivot_cache", "chart_sheet_added"}
    readable = [case for case in corpus.CASES + saved_files.CASES if case.name in names]
    assert {case.name for case in readable} == names
    for case in readable:
        assert _parts_both_ways(harness.built(case, tmp_path / case.file_name), monkeypatch) == [], case.name


_TEXTS = ["  前后有空格  ", "a & b < c > d \"引号\" 'x'", "第一行\n第二行\r\n第三行\t制表", "   ", "", "=SUM(A1)",
          "控制\x01字符", "😀 表情", "x" * 40_000]


def _awkward() -> Book:
    book = Book()
    sheet = book.create_sheet("校验结果", 0)
    sheet.widths.update({"B": 40, "A": 12.5})
    for cells in ("A20:C20", "A3:B3", "A12:G12", "D1:E1"):  # a set's order: openpyxl writes them in it
        sheet.merge(cells)
    styles = [{}, {"bold": True, "size": 15, "border": False, "align": "center"}, {"fill": "D9E1F2", "wrap": False},
              {"colour": "FF0000", "underline": "double"}, {"bold": True, "fill": "C6EFCE"}]
    for row, text in enumerate(_TEXTS, start=1):
        sheet.text(f"A{row}", text, **styles[row % len(styles)])
    for row, number in enumerate([3, 2.5, 1e-20, None, 10**20, -0.0], start=1):
        sheet.number(f"C{row}", number, **styles[(row + 2) % len(styles)])
    sheet.text("B1", "跳到")
    sheet.link("B1", "原表", "B7")
    sheet.text("B2", "跳到 & 那里")
    sheet.link("B2", "O'Brien & 表", "C3")
    sheet.heights.update({1: 30, 14: 12, 3: 22.25, 15: 0})  # rows 14 and 15 have no cell
    sheet.freeze = "A6"
    sheet.title_rows = "5:5"
    sheet.selected = True
    other = book.create_sheet("问题清单", 1)
    other.text("A1", "只有一格")
    other.selected = False
    other.freeze = "A3"
    other.title_rows = "2:2"
    originals = [OriginalCell("自评表", "F5", '<fill><patternFill patternType="solid" /></fill>', "原批注\x02", "张三"),
                 OriginalCell("自评表", "F6", "<fill><patternFill /></fill>", None, None)]
    findings = [("score_mismatch", "自评表", "F5", "=1+1 " + "长" * 40_000), ("note", "", "", "  空格  ")]
    record_sheet(book, originals, findings, "副本 & 名.xlsx", "0" * 64)
    return book


def test_awkward_content_is_written_as_the_openpyxl_route_writes_it():
    book = _awkward()
    ours, theirs = SheetParts(book), inplace._ScratchSheets(book)
    assert ours.styles == theirs.styles
    assert ours.print_titles() == theirs.print_titles()
    assert [sheet.title for sheet in book.worksheets] == ["校验结果", "问题清单", MARKS_SHEET]
    for index in range(len(book.worksheets)):
        for offset in (0, 41):
            assert ours.sheet(index, offset) == theirs.sheet(index, offset), (index, offset)


def test_the_fingerprint_of_the_model_is_the_one_of_its_openpyxl_sheets():
    book = _awkward()
    workbook = Workbook()
    to_workbook(workbook, book.created)
    workbook.remove(workbook["Sheet"])
    assert fingerprint_of(book.worksheets) == fingerprint_of(workbook.worksheets)
    assert fingerprint_of(book.worksheets) != fingerprint_of(book.worksheets[1:])  # the results sheet counts


def test_what_the_xml_writer_does_not_write_falls_back_to_the_openpyxl_route(tmp_path, monkeypatch):
    book = _awkward()
    book.worksheets[0].freeze = "B6"  # a frozen column: not written as XML
    with pytest.raises(Unsupported):
        SheetParts(book)
    assert 'xSplit="1"' in inplace._ScratchSheets(book).sheet(0, 0)

    real = inplace.results_sheets

    def frozen_column(report, sheetnames):
        made = real(report, sheetnames)
        made.worksheets[0].freeze = "B6"
        return made

    monkeypatch.setattr(inplace, "results_sheets", frozen_column)
    copy = check_file(make_workbook(tmp_path / "frozen.xlsx", TABLE_IDS[0]))[1]
    assert load_workbook(io.BytesIO(copy))["校验结果"].freeze_panes == "B6"


@pytest.mark.parametrize("value", [True, "文字"], ids=["boolean", "text"])
def test_a_number_cell_it_does_not_write_falls_back(value):
    book = _awkward()
    book.worksheets[1].cells[(2, 1)] = CellSpec("A2", value, "n")
    with pytest.raises(Unsupported):
        SheetParts(book)
    assert '<c r="A2"' in inplace._ScratchSheets(book).sheet(1, 0)


def test_a_date_falls_back_to_the_openpyxl_route_which_leaves_the_copy_to_openpyxl():
    book = _awkward()
    book.worksheets[1].cells[(2, 1)] = CellSpec("A2", datetime.date(2020, 1, 2), "n")
    with pytest.raises(Unsupported):
        SheetParts(book)
    with pytest.raises(inplace.CannotEdit):  # a date's number format: the whole copy is openpyxl's, as before
        inplace._ScratchSheets(book)


def test_the_fingerprint_is_the_digest_of_each_cells_json_line():
    """The fingerprint writes each cell's entry as ``json.dumps`` would (quotes, backslashes, control characters,
    line ends and every script), so that copies written before still match their record."""
    book = Book()
    sheet = book.create_sheet("表 \"引号\" \\ 斜杠")
    texts = ['"引号"', "back\\slash", "行\n二\r\n三\r四", "\x1f\x7f\u2028\u2029", "😀", "  ", "é", "</script>"]
    for row, text in enumerate(texts, start=1):
        sheet.text(f"A{row}", text)
        sheet.number(f"B{row}", row / 3)
    comments = {(sheet.title, 1, 1): "批注\r\n第二行", (sheet.title, 30, 2): "空单元格上的批注 \"x\""}
    entries = []
    for (row, column), cell in sheet.cells.items():
        value = cell.value
        value = None if value in (None, "") else (f"n:{float(value):.15g}" if cell.kind == "n" else
                                                   "s:" + value.replace("\r\n", "\n").replace("\r", "\n"))
        comment = comments.get((sheet.title, row, column))
        comment = comment.replace("\r\n", "\n") if comment else None
        if value is not None or comment:
            entries.append((sheet.title, row, column, value, comment))
    entries.append((sheet.title, 30, 2, None, "空单元格上的批注 \"x\""))
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda item: item[:3]):
        digest.update(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
    assert fingerprint_of(book.worksheets, comments) == digest.hexdigest()
