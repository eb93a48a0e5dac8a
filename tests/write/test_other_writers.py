"""Workbooks other programs wrote: the filled template saved again by XlsxWriter, ExcelJS, SheetJS and Gnumeric, and
the Open XML SDK's prefixed parts and POI's inline strings imitated on ExcelJS's file (tests/fixtures/other_writers,
SOURCE.md there says which program made which file and how). Each reads to the same report as the same facts saved
by openpyxl, and comes back as a marked-up copy with its marks on the right cells, that keeps Excel's rules for its
parts, opens in LibreOffice, and checked again gives the same findings with exactly the marks taken out; everything
else of the file is kept (written into its own zip), or openpyxl writes the copy and loses nothing the notes do not
name."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from defusedxml import ElementTree
from openpyxl import load_workbook

from selfscore.checking import check, check_file
from selfscore.cli import main
from selfscore.read.formats import sniff
from selfscore.tables.names import ADDED_SHEETS, MARKS_SHEET, RESULTS_SHEET
from selfscore.write.inplace import unmark
from selfscore.write.markup import SEVERITY_COLOURS, STATUS_COLOURS
from selfscore.write.unprefixed import MAIN
from support import harness
from support.harness import member, members, rezip
from support.libreoffice import convert
from support.package_rules import assert_excels_rules, vml_shapes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "other_writers"
#: each program's file, and whether it is that program's own save (real) or its style imitated on a real file
WRITERS = {"xlsxwriter": "real", "xlsxwriterlowmemory": "real", "exceljs": "real", "sheetjs": "real", "gnumeric": "real",
           "openxmlsdk": "imitated", "sxssf": "imitated", "excelize": "imitated",
           "googlesheets": "imitated", "epplus": "imitated"}
FILES = [f"{writer}_{facts}" for writer in WRITERS for facts in ("correct", "wrong")]
#: the programs that also saved again the marked-up copy of their file with errors (resaved_<program>.xlsx): for
#: real, and in the imitated programs' styles
RESAVED = ["xlsxwriter", "exceljs", "sheetjs", "gnumeric", "openxmlsdk", "epplus", "excelize"]
#: the findings the file with self-score errors must carry, by cell
WRONG = {("score_mismatch", "自评表", "F5"), ("value_not_number", "基础数据", "D15")}
#: the clerk's notes in the file with errors (generate.py's NOTES): on a cell the check marks, and on one it does not
NOTES = {("自评表", "F5"): "资金到位时间以财政局文件为准", ("基础数据", "B4"): "见 2020 年财政局文件"}


def _path(name: str) -> Path:
    return FIXTURES / f"{name}.xlsx"


def _facts(name: str) -> str:
    return name.rsplit("_", 1)[1]


def _without_file(report: dict) -> dict:
    return {key: value for key, value in report.items() if key != "file"}


def _findings(report) -> list[tuple[str, str | None, str | None, str]]:
    return [(finding.code, finding.sheet, finding.cell, finding.message) for finding in report.findings]


@pytest.fixture(scope="module")
def copies() -> dict[str, tuple[dict, bytes]]:
    """Each file's report (as a dict) and its marked-up copy."""
    return {name: (report.to_dict(), copy) for name in FILES for report, copy in [check_file(_path(name))]}


def test_the_fixtures_are_the_programs_own_files():
    """Each file says which program wrote it, so none is openpyxl's file under another name."""
    signs = {
        "xlsxwriter": ("xl/workbook.xml", b'rupBuild="4505"'),  # what XlsxWriter and ExcelJS put in every file
        "xlsxwriterlowmemory": ("xl/workbook.xml", b'rupBuild="4505"'),
        "exceljs": ("xl/workbook.xml", b'rupBuild="9303"'),
        "sheetjs": ("docProps/app.xml", b"<Application>SheetJS</Application>"),
        "gnumeric": ("docProps/app.xml", b"<Application>gnumeric</Application>"),
        "openxmlsdk": ("xl/workbook.xml", b'<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml'),
        "sxssf": ("xl/worksheets/sheet1.xml", b't="inlineStr"'),
        "excelize": ("xl/workbook.xml", b"<definedName name=\"in_alloc_on_time\">&#39;"),
        "epplus": ("xl/worksheets/sheet1.xml", b"\xef\xbb\xbf<?xml"),
        "googlesheets": ("xl/worksheets/sheet1.xml", b'xmlns:mx="http://schemas.microsoft.com/office/mac/excel/2008/main"'),
    }
    for name in FILES:
        data = _path(name).read_bytes()
        part, sign = signs[name.split("_")[0]]
        assert sign in members(data)[part], name
        assert b"openpyxl" not in members(data).get("docProps/app.xml", b""), name
        assert sniff(data) == "xlsx", name
    for name in ("sxssf_correct", "xlsxwriterlowmemory_correct"):
        parts = members(_path(name).read_bytes())
        assert "xl/sharedStrings.xml" not in parts and b't="inlineStr"' in parts["xl/worksheets/sheet1.xml"]
    assert set(WRITERS.values()) == {"real", "imitated"}
    # ExcelJS numbers every sheet's notes from the same shape id (Excel offers a repair): its copies must not
    with pytest.raises(AssertionError, match="VML"):
        assert_excels_rules(_path("exceljs_wrong").read_bytes())


def test_a_drawing_with_a_form_control_is_never_renumbered():
    """A form control's shape is named by its number in its sheet: such a drawing keeps its numbers, clash or not,
    and the drawing of notes alone beside it is the one renumbered."""
    data = _path("exceljs_wrong").read_bytes()
    first, second = "xl/drawings/vmlDrawing1.vml", "xl/drawings/vmlDrawing2.vml"
    for changed, kept in ((first, second), (second, first)):
        drawing = member(data, changed)
        assert drawing.count(b'ObjectType="Note"') == 1
        source = rezip(data, {changed: drawing.replace(b'ObjectType="Note"', b'ObjectType="Checkbox"')})
        _report, copy = check_file(source, name="control.xlsx")
        assert b"_x0000_s1025" in member(copy, changed) and 1 in vml_shapes(member(copy, changed))[1]
        assert b"_x0000_s1025" not in member(copy, kept) and 1 not in vml_shapes(member(copy, kept))[1]
        assert unmark(copy) is not None and members(unmark(copy)[0]) == members(source)


@pytest.mark.parametrize("name", FILES)
def test_another_programs_file_reads_to_the_report_of_the_same_facts_saved_by_openpyxl(name):
    report = check(_path(name), markup=False).report.to_dict()
    expected = check(_path(f"openpyxl_{_facts(name)}"), markup=False).report.to_dict()
    assert _without_file(report) == _without_file(expected)
    assert report["status"] == {"correct": "ok", "wrong": "errors"}[_facts(name)]
    if _facts(name) == "wrong":
        assert WRONG <= {(f["code"], f["sheet"], f["cell"]) for f in report["findings"]}


@pytest.mark.parametrize("name", FILES)
def test_the_copy_has_its_marks_on_the_right_cells_and_keeps_excels_rules(name, copies):
    report, copy = copies[name]
    assert report == check_file(_path(name))[0].to_dict()  # the copy changes nothing of the report
    assert not {"check_failed", "markup_failed"} & {finding["code"] for finding in report["findings"]}
    assert_excels_rules(copy)
    assert sniff(copy) == "xlsx"
    workbook = load_workbook(io.BytesIO(copy))
    assert workbook.sheetnames[0] == RESULTS_SHEET
    assert report["indicators"]
    for indicator in report["indicators"]:
        (recognised,) = [cell for cell in report["recognised"] if cell["name"] == f"score_{indicator['id']}"]
        cell = workbook[recognised["sheet"]][recognised["cell"]]
        assert cell.fill.fgColor.rgb.endswith(STATUS_COLOURS[indicator["status"]]), (name, cell.coordinate)
        assert "selfscore 校验" in cell.comment.text
    for finding in report["findings"]:
        if finding["cell"] and finding["severity"] == "error":
            cell = workbook[finding["sheet"]][finding["cell"]]
            assert cell.fill.fgColor.rgb.endswith(SEVERITY_COLOURS["error"]), (name, cell.coordinate)
            assert finding["message"].split("：", 1)[1][:10] in cell.comment.text
    marked = {(sheet.title, cell.coordinate) for sheet in workbook.worksheets if sheet.title not in ADDED_SHEETS
              for row in sheet.iter_rows() for cell in row
              if cell.comment is not None and "selfscore" in cell.comment.text}
    expected = {(cell["sheet"], cell["cell"]) for cell in report["recognised"]
                if cell["name"].startswith("score_") and cell["name"] != "score_total"}
    expected |= {(finding["sheet"], finding["cell"]) for finding in report["findings"] if finding["cell"]}
    assert marked == expected, name
    if _facts(name) == "wrong":  # the clerk's own notes stay: above the marks on a marked cell, alone on another
        assert workbook["自评表"]["F5"].comment.text.startswith(NOTES["自评表", "F5"] + "\n——\nselfscore 校验："), name
        assert workbook["基础数据"]["B4"].comment.text.strip() == NOTES["基础数据", "B4"], name


@pytest.mark.parametrize("name", FILES)
def test_the_copy_keeps_everything_else_of_the_file(name, copies):
    """Written into the file's own zip, taking the marks out gives back every part as the program wrote it; where the
    in-place writer cannot edit the file, openpyxl's copy keeps every value, format, merge, validation and name."""
    _report, copy = copies[name]
    original = _path(name).read_bytes()
    undone = unmark(copy)
    assert undone is not None, f"{name}: the in-place writer gave up on a file it can edit"
    restored, parts = members(undone[0]), members(original)
    assert set(restored) == {part for part in parts if not part.endswith("calcChain.xml")}, name
    for part, body in restored.items():
        if body != parts[part]:  # the Open XML SDK's prefixed parts come back as the same XML without the prefix
            assert name.startswith("openxmlsdk") and b"<x:" in parts[part] and b"<x:" not in body, (name, part)
            assert _tree(body) == _tree(parts[part]), (name, part)


def _tree(xml: bytes) -> tuple:
    """An XML part as its elements' namespaces, names, attributes and text: what it means, whatever its prefixes."""
    def element(node) -> tuple:
        return node.tag, sorted(node.attrib.items()), (node.text or ""), (node.tail or ""), [element(c) for c in node]
    return element(ElementTree.fromstring(xml))


def _refused(data: bytes, change) -> bytes:
    """The Open XML SDK's file with its score sheet's XML changed by ``change`` (in a way the XML allows)."""
    part = "xl/worksheets/sheet1.xml"
    xml = member(data, part).decode()
    assert change(xml) != xml
    return rezip(data, {part: change(xml).encode()})


@pytest.mark.parametrize("prefixed", [("xl/styles.xml",), ("xl/worksheets/sheet1.xml", "xl/comments1.xml"),
                                      ("xl/worksheets/sheet2.xml", "xl/sharedStrings.xml")])
def test_a_file_with_only_some_parts_prefixed_is_marked_in_place_all_the_same(prefixed):
    """The Open XML SDK's prefixed parts among ExcelJS's own (a system that writes some parts with the SDK)."""
    sdk = _path("openxmlsdk_wrong").read_bytes()
    data = rezip(_path("exceljs_wrong").read_bytes(), {part: member(sdk, part) for part in prefixed})
    report, copy = check_file(data, name="mixed.xlsx")
    expected = check(_path("openpyxl_wrong"), markup=False).report.to_dict()
    assert _without_file(report.to_dict()) == _without_file(expected)
    assert unmark(copy) is not None  # written into its own zip
    assert_excels_rules(copy)
    workbook = load_workbook(io.BytesIO(copy))
    assert workbook["自评表"]["F5"].comment.text.startswith(NOTES["自评表", "F5"] + "\n——\nselfscore 校验：")
    assert "不是数字" in workbook["基础数据"]["D15"].comment.text


@pytest.mark.parametrize(("what", "change"), [
    ("the prefix declared again", lambda xml: xml.replace("<x:sheetData>", f'<x:sheetData xmlns:x="{MAIN}">', 1)),
    ("a CDATA section", lambda xml: xml.replace("<x:v>8</x:v>", "<x:v><![CDATA[8]]></x:v>", 1)),
])
def test_a_prefixed_file_it_cannot_rewrite_alike_is_copied_by_openpyxl_with_nothing_lost(what, change):
    data = _refused(_path("openxmlsdk_wrong").read_bytes(), change)
    report, copy = check_file(data, name="sdk.xlsx")
    expected = check(_path("openpyxl_wrong"), markup=False).report.to_dict()
    assert _without_file(report.to_dict()) == _without_file(expected), what
    assert unmark(copy) is None  # openpyxl's copy, not an edit of the file's own parts
    harness.assert_preserved(data, copy)
    assert_excels_rules(copy)
    assert "不符" in load_workbook(io.BytesIO(copy))["自评表"]["F5"].comment.text


@pytest.mark.parametrize("name", FILES)
def test_checking_the_copy_again_gives_the_same_findings_and_takes_out_exactly_the_marks(name, copies):
    report, copy = copies[name]
    again = check(copy, name=f"{name}.checked.xlsx")
    assert again.report.previous is not None
    assert _findings(again.report) == [(f["code"], f["sheet"], f["cell"], f["message"]) for f in report["findings"]]
    assert (again.report.self_total, again.report.status) == (report["totals"]["self"], report["status"])
    assert not set(ADDED_SHEETS + (MARKS_SHEET,)) & set(again.workbook.sheetnames)
    _report, second = check_file(copy, name=f"{name}.checked.xlsx")
    assert_excels_rules(second)
    # the second copy has the same marks, not the first copy's twice
    first_sheets, second_sheets = load_workbook(io.BytesIO(copy)), load_workbook(io.BytesIO(second))
    assert first_sheets.sheetnames == second_sheets.sheetnames
    for sheet in first_sheets.worksheets:
        if sheet.title in ADDED_SHEETS or sheet.title == MARKS_SHEET:
            continue
        for row in sheet.iter_rows():
            for cell in row:
                twin = second_sheets[sheet.title][cell.coordinate]
                assert (twin.value, twin.fill.fgColor.rgb) == (cell.value, cell.fill.fgColor.rgb), (name, cell.coordinate)
                assert (twin.comment and twin.comment.text) == (cell.comment and cell.comment.text)


@pytest.mark.soffice
def test_libreoffice_opens_every_copy(copies, tmp_path):
    sources = []
    for name, (_report, copy) in copies.items():
        sources.append(tmp_path / f"{name}.checked.xlsx")
        sources[-1].write_bytes(copy)
    for program in RESAVED:  # and the copies of the copies those programs saved again
        sources.append(tmp_path / f"resaved_{program}.checked.xlsx")
        sources[-1].write_bytes(check_file(FIXTURES / f"resaved_{program}.xlsx", name=f"{program}.checked.xlsx")[1])
    # one soffice run for all; a copy it cannot load has no PDF, and convert() fails on the missing file
    for pdf in convert(sources, "pdf", tmp_path / "pdf"):
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000, pdf.name
    (saved,) = convert([sources[FILES.index("gnumeric_wrong")]], "xlsx:Calc MS Excel 2007 XML", tmp_path / "xlsx")
    assert "不符" in load_workbook(saved)["自评表"]["F5"].comment.text


def test_selfscore_check_on_every_programs_file(tmp_path):
    """Through the command, all the files at once: each report as its openpyxl twin's, each copy written."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["check", *map(str, map(_path, FILES)), "-o", str(out), "--json", "-"])
    assert result.exit_code == 1, result.output  # the files with self-score errors
    assert "Traceback" not in result.output
    reports = {Path(report["file"]).stem: report for report in json.loads(result.stdout)["reports"]}
    assert set(reports) == set(FILES)
    for name, report in reports.items():
        assert report["status"] == {"correct": "ok", "wrong": "errors"}[_facts(name)], name
        copy = (out / f"{name}.checked.xlsx").read_bytes()
        assert zipfile.ZipFile(io.BytesIO(copy)).testzip() is None
        assert re.search(r"<definedName name=\"score_total\"", members(copy)["xl/workbook.xml"].decode())


@pytest.mark.parametrize("program", RESAVED)
def test_a_copy_the_program_saved_again_is_checked_as_its_file_with_the_marks_taken_out(program):
    """The marked-up copy of the program's file with errors, opened and saved again by the same program (a clerk's
    system that takes the copy back): checked again, its marks are taken out of its parts, the report is the
    first check's, and the new copy carries the marks once, beside the clerk's own notes."""
    path = FIXTURES / f"resaved_{program}.xlsx"
    assert unmark(path.read_bytes()) is None  # saved again: the record no longer describes the parts
    checked = check(path, name=f"{program}_wrong.checked.xlsx")
    assert checked.report.previous is not None
    assert checked.original is not None  # the marks taken out of its parts, not by openpyxl: written in place again
    assert not set(ADDED_SHEETS + (MARKS_SHEET,)) & set(checked.workbook.sheetnames)
    first = check(_path(f"{program}_wrong"), markup=False).report
    assert _findings(checked.report) == _findings(first)
    assert (checked.report.self_total, checked.report.status) == (first.self_total, first.status)
    assert {(code, cell) for code, _sheet, cell, _message in checked.report.previous.findings} >= \
        {(code, cell) for code, _sheet, cell in WRONG}
    report, again = check_file(path, name=f"{program}_wrong.checked.xlsx")
    assert_excels_rules(again)
    workbook = load_workbook(io.BytesIO(again))
    assert workbook.sheetnames == load_workbook(io.BytesIO(check_file(_path(f"{program}_wrong"))[1])).sheetnames
    assert workbook["自评表"]["F5"].fill.fgColor.rgb.endswith(SEVERITY_COLOURS["error"])
    comments = [cell.comment.text for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
                if cell.comment is not None]
    assert comments and all(text.count("selfscore 校验") <= 1 for text in comments)
    assert workbook["自评表"]["F5"].comment.text.startswith(NOTES["自评表", "F5"] + "\n——\nselfscore 校验：")
    assert workbook["基础数据"]["B4"].comment.text.strip() == NOTES["基础数据", "B4"]
    assert "不符" in workbook["自评表"]["F5"].comment.text
