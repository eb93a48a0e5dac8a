"""A marked-up copy saved again by another program (write/unmark_resaved.py): its marks are taken out of its parts,
without openpyxl, and the copy is written in place again with its picture, chart and pivot table. The re-check reads
exactly as openpyxl's route (``remove_marks``) reads — the same report, the same previous check, the same cells —
over copies LibreOffice saved and over hand-made variants of what Excel and WPS do on save."""

from __future__ import annotations

import io
import json
import posixpath
import re
from copy import copy as copied
from pathlib import Path

import pytest
from click.testing import CliRunner
from defusedxml import ElementTree
from openpyxl import load_workbook
from openpyxl.comments import Comment

from selfscore import checking
from selfscore.checking import check, check_file
from selfscore.cli import main
from selfscore.read.lean import LeanWorkbook
from selfscore.tables.names import ADDED_SHEETS, MARKS_SHEET, SCORE_SHEET
from selfscore.write.inplace import unmark
from selfscore.write.marks import read_record, remove_marks
from selfscore.write.markup import STATUS_COLOURS
from selfscore.write.unmark_resaved import unmark_resaved
from support import corpus, harness
from support.harness import member, members, rezip
from support.libreoffice import convert
from support.resaved import (
    comments_rewritten,
    excel_like,
    shared_strings,
    sheets_reordered,
    styles_renumbered,
    through_openpyxl,
    without_lost_content,
)
from support.rich import KEPT, clerk_sets, rich_workbook, sheet_part

_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_LIBREOFFICE = "xlsx:Calc MS Excel 2007 XML"
_RELS_CT = "application/vnd.openxmlformats-package.relationships+xml"


# --- what Excel and WPS do on save, by hand: support.resaved ----------------------------------------------------


def fill_changed(data: bytes, title: str, cell: str, like: str) -> bytes:
    """The clerk gave a marked cell the format (and so the fill) of another cell."""
    part = sheet_part(data, title)
    xml = member(data, part).decode()
    style = re.search(rf'<c r="{like}"[^>]*?\ss="(\d+)"', xml).group(1)
    xml, count = re.subn(rf'(<c r="{cell}"[^>]*?\ss=")\d+(")', rf"\g<1>{style}\g<2>", xml)
    assert count == 1
    return rezip(data, {part: xml.encode()})


# --- the copies -------------------------------------------------------------------------------------------------


def _commented() -> bytes:
    """The Jiaozuo sample with a clerk's own comment on a cell the check marks, and one on a cell it does not."""
    workbook = load_workbook(io.BytesIO(harness.jiaozuo_bytes()))
    workbook[SCORE_SHEET]["F5"].comment = Comment("填报人的说明", "张三")
    workbook[SCORE_SHEET]["A1"].comment = Comment("另一条说明", "李四")
    workbook.save(buffer := io.BytesIO())
    return clerk_sets(buffer.getvalue(), SCORE_SHEET, {"F5": 7})


@pytest.fixture(scope="module")
def first_copies() -> dict[str, bytes]:
    """The first check's in-place copies: of the rich workbook, and of one whose marked cell had its own comment."""
    return {"rich": check_file(clerk_sets(rich_workbook(), SCORE_SHEET, {"F5": 7}), name="rich.xlsx")[1],
            "commented": check_file(_commented(), name="commented.xlsx")[1]}


@pytest.fixture(scope="module")
def resaved(first_copies, tmp_path_factory) -> dict[str, bytes]:
    """Each first copy as another program saved it: LibreOffice (one soffice run), a clerk's fix of a value and a fill
    saved by LibreOffice, the hand-made variants of Excel's and WPS's saves, and openpyxl's save."""
    rich = first_copies["rich"]
    directory = tmp_path_factory.mktemp("resaved")
    sources = {"libreoffice": rich, "libreoffice-clerk": fill_changed(clerk_sets(rich, SCORE_SHEET, {"F5": 10}),
                                                                      SCORE_SHEET, "F5", like="F7"),
               "libreoffice-commented": first_copies["commented"]}
    paths = []
    for name, data in sources.items():
        paths.append(directory / f"{name}.xlsx")
        paths[-1].write_bytes(data)
    copies = {path.stem: path.read_bytes() for path in convert(paths, _LIBREOFFICE, directory / "out")}
    workbook = load_workbook(io.BytesIO(rich))
    workbook.save(buffer := io.BytesIO())
    copies |= {"styles-renumbered": styles_renumbered(rich), "shared-strings": shared_strings(rich),
               "sheets-reordered": sheets_reordered(rich), "comments-rewritten": comments_rewritten(rich),
               "comments-rewritten-commented": comments_rewritten(first_copies["commented"]),
               "excel-like": excel_like(rich), "excel-like-commented": excel_like(first_copies["commented"]),
               "openpyxl": buffer.getvalue()}
    return copies


CASES = ("libreoffice", "libreoffice-clerk", "libreoffice-commented", "styles-renumbered", "shared-strings",
         "sheets-reordered", "comments-rewritten", "comments-rewritten-commented", "excel-like",
         "excel-like-commented", "openpyxl")
#: the cases whose resaved copy still has the picture, the chart and the pivot table (openpyxl's save drops them)
RICH = {"libreoffice", "libreoffice-clerk", "styles-renumbered", "shared-strings", "sheets-reordered",
        "comments-rewritten", "excel-like"}


def _looks(cell) -> tuple:
    comment = cell.comment
    return copied(cell.fill), (comment.text, comment.author) if comment is not None else None


def _values(workbook) -> dict:
    return {(sheet.title, cell.coordinate): cell.value for sheet in workbook.worksheets
            for row in sheet.iter_rows() for cell in row if cell.value is not None}


# --- the tests ------------------------------------------------------------------------------------------------


def test_the_copies_are_saved_again_the_record_of_the_in_place_edits_no_longer_fits_them(resaved):
    assert set(resaved) == set(CASES)
    for name, data in resaved.items():
        assert unmark(data) is None, name  # the in-place writer's own undoing refuses each of them
        assert MARKS_SHEET in load_workbook(io.BytesIO(data)).sheetnames, name
    assert b"inlineStr" not in member(resaved["shared-strings"], sheet_part(resaved["shared-strings"], MARKS_SHEET))
    for name in RICH:
        assert {prefix for prefix in KEPT if any(part.startswith(prefix) for part in members(resaved[name]))} == set(KEPT)


@pytest.mark.parametrize("case", CASES)
def test_a_copy_saved_again_reads_exactly_as_openpyxls_route_reads_it(resaved, case, monkeypatch):
    data = resaved[case]
    checked = check(data, name="x.checked.xlsx")
    assert checked.original is not None  # unmarked in its parts: its copy is written in place
    report, _copy = check_file(data, name="x.checked.xlsx")
    assert "content_not_preserved" not in {finding.code for finding in report.findings}
    assert report.previous is not None and report.previous.findings
    assert check(data, name="x.checked.xlsx", markup=False).report.to_dict() == report.to_dict()
    old_report, _old_copy = through_openpyxl(data, monkeypatch)
    if case in RICH:
        assert "content_not_preserved" in {finding.code for finding in old_report.findings}
    assert report.to_dict() == without_lost_content(old_report)


@pytest.mark.parametrize("case", CASES)
def test_the_marked_cells_get_back_what_remove_marks_gives_them(resaved, case):
    data = resaved[case]
    undone, previous = unmark_resaved(data, load_workbook(io.BytesIO(data)))
    # the lean reader reads the record as openpyxl does: the same parts, byte for byte
    assert unmark_resaved(data, LeanWorkbook(data))[0] == undone
    ours = load_workbook(io.BytesIO(undone))
    theirs = load_workbook(io.BytesIO(data))
    assert remove_marks(theirs) == previous
    assert ours.sheetnames == theirs.sheetnames
    assert not set(ADDED_SHEETS + (MARKS_SHEET,)) & set(ours.sheetnames)
    marks, _previous = read_record(load_workbook(io.BytesIO(data)))
    assert marks
    for mark in marks:
        assert _looks(ours[mark.sheet][mark.cell]) == _looks(theirs[mark.sheet][mark.cell]), (mark.sheet, mark.cell)
    assert _values(ours) == _values(theirs)
    for sheet in ours.worksheets:
        assert sheet.print_title_rows == theirs[sheet.title].print_title_rows, sheet.title
        assert dict(sheet.defined_names).keys() == dict(theirs[sheet.title].defined_names).keys(), sheet.title
    assert {name: str(value.value) for name, value in ours.defined_names.items()} == \
        {name: str(value.value) for name, value in theirs.defined_names.items()}
    _consistent(undone)


def _consistent(data: bytes) -> None:
    """Every relationship points at a part, every content type override at a part, every sheet-scoped name at a
    sheet, and the active tab at a sheet."""
    parts = members(data)
    for name, body in parts.items():
        if name.endswith(".rels"):
            base = posixpath.dirname(posixpath.dirname(name))
            for rel in ElementTree.fromstring(body):
                if rel.get("TargetMode") != "External":
                    target = rel.get("Target")
                    resolved = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
                    assert resolved in parts, (name, resolved)
    for override in ElementTree.fromstring(parts["[Content_Types].xml"]):
        if override.tag.endswith("Override"):
            assert override.get("PartName")[1:] in parts, override.get("PartName")
    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    count = len(book.find(f"{_MAIN}sheets"))
    assert all(int(name.get("localSheetId")) < count for name in book.iter(f"{_MAIN}definedName")
               if name.get("localSheetId") is not None)
    assert all(int(view.get("activeTab", 0)) < count for view in book.iter(f"{_MAIN}workbookView"))


@pytest.mark.parametrize("case", CASES)
def test_the_new_copy_is_marked_in_place_as_openpyxls_copy_is_marked(resaved, case, monkeypatch):
    data = resaved[case]
    _report, new_copy = check_file(data, name="x.checked.xlsx")
    _old_report, old_copy = through_openpyxl(data, monkeypatch)
    assert unmark(new_copy) is not None  # the in-place writer's copy: the next re-check undoes exactly its edits
    ours, theirs = load_workbook(io.BytesIO(new_copy)), load_workbook(io.BytesIO(old_copy))
    assert ours.sheetnames == theirs.sheetnames
    marks, previous = read_record(ours)
    assert marks and previous.findings == tuple(finding for finding in read_record(theirs)[1].findings
                                                if finding[0] != "content_not_preserved")
    for mark in marks:  # the same colour and the same comment (each writer spells a colour its own way)
        cell, other = ours[mark.sheet][mark.cell], theirs[mark.sheet][mark.cell]
        assert (cell.fill.patternType, cell.fill.fgColor.rgb[-6:], cell.comment.text, cell.comment.author) == \
            (other.fill.patternType, other.fill.fgColor.rgb[-6:], other.comment.text, other.comment.author)
    if case in RICH:
        before, after = members(data), members(new_copy)
        kept = [name for name in before if name.startswith(KEPT)]
        assert {name.split("/")[1] for name in kept} == {"media", "charts", "drawings", "pivotTables", "pivotCache"}
        assert all(after[name] == before[name] for name in kept)
        charts = [chart for sheet in ours.worksheets for chart in sheet._charts]
        pivots = [pivot for sheet in ours.worksheets for pivot in sheet._pivots]
        assert len(charts) == 1 and len(pivots) == 1
        assert not [name for name in members(old_copy) if name.startswith("xl/media/")]  # what openpyxl's route lost


@pytest.mark.parametrize("case", ["libreoffice", "excel-like"])
def test_neither_path_loads_a_copy_saved_again_with_openpyxl(resaved, case, monkeypatch):
    expected = check_file(resaved[case], name="x.checked.xlsx")

    def refuse(*_args, **_kwargs):
        raise AssertionError("the copy was loaded with openpyxl")

    monkeypatch.setattr(checking, "open_workbook", refuse)
    report, copy = check_file(resaved[case], name="x.checked.xlsx")
    assert report.to_dict() == expected[0].to_dict() and copy is not None and unmark(copy) is not None
    assert check(resaved[case], name="x.checked.xlsx", markup=False).report.to_dict() == report.to_dict()


def test_the_clerks_fix_is_read_and_the_first_fill_comes_back_under_the_new_mark(resaved):
    report, copy = check_file(resaved["libreoffice-clerk"], name="rich.checked.xlsx")
    comparison = report.comparison()
    assert ("score_mismatch", "F5") in {(code, cell) for code, _sheet, cell, _message in comparison["fixed"]}
    sheet = load_workbook(io.BytesIO(copy))[SCORE_SHEET]
    assert sheet["F5"].fill.fgColor.rgb.endswith(STATUS_COLOURS["match"])
    # the record keeps the template's own fill of F5, not the clerk's nor the first check's mark
    template = load_workbook(io.BytesIO(harness.jiaozuo_bytes()))[SCORE_SHEET]["F5"]
    recorded = load_workbook(io.BytesIO(unmark(copy)[0]))[SCORE_SHEET]["F5"]
    assert copied(recorded.fill) == copied(template.fill)


def test_the_marks_shapes_added_to_a_drawing_openpyxl_wrote_are_xml_whose_prefixes_are_declared(first_copies):
    # openpyxl calls the VML namespaces ns0:, ns1:, ns2:; the marks' shapes are written with v:, o:, x:
    vml = [body for name, body in members(first_copies["commented"]).items() if name.endswith(".vml")]
    assert len(vml) == 1 and b"<ns1:shape " in vml[0] and b"<v:shape " in vml[0]
    ElementTree.fromstring(vml[0])


@pytest.mark.parametrize("case", ["libreoffice-commented", "comments-rewritten-commented", "excel-like-commented"])
def test_the_clerks_own_comment_comes_back_and_only_it(resaved, case):
    undone, _previous = unmark_resaved(resaved[case], load_workbook(io.BytesIO(resaved[case])))
    sheet = load_workbook(io.BytesIO(undone))[SCORE_SHEET]
    assert (sheet["F5"].comment.text, sheet["F5"].comment.author) == ("填报人的说明", "张三")
    assert sheet["F5"].fill.fgColor.rgb != load_workbook(io.BytesIO(resaved[case]))[SCORE_SHEET]["F5"].fill.fgColor.rgb
    # a comment on a cell the check did not mark stays as the program saved it (LibreOffice keeps no author)
    assert _looks(sheet["A1"]) == _looks(load_workbook(io.BytesIO(resaved[case]))[SCORE_SHEET]["A1"])
    assert sheet["A1"].comment.text == "另一条说明"
    commented = [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.comment is not None]
    assert sorted(commented) == ["A1", "F5"]


def test_what_hangs_off_the_results_sheets_goes_with_them_and_the_names_are_renumbered(resaved):
    data = resaved["excel-like"]
    undone, _previous = unmark_resaved(data, load_workbook(io.BytesIO(data)))
    parts = members(undone)
    assert not [name for name in parts if "printerSettings" in name]
    book = parts["xl/workbook.xml"].decode()
    assert "_FilterDatabase" not in book and "calcChain" not in parts["xl/_rels/workbook.xml.rels"].decode()
    titles = re.findall(r'<sheet\b[^>]*name="([^"]*)"', book)
    scoped = {(name, titles[int(local)]) for local, name in re.findall(
        r'<definedName\b[^>]*?localSheetId="(\d+)"[^>]*>([^<]*)</definedName>', book)}
    assert scoped and all(text.split("!")[0].strip("'") == title for text, title in scoped)
    # every other part passes through byte for byte
    edited = {name for name, body in members(data).items() if parts.get(name) != body}
    removed = {name for name in members(data) if name not in parts}
    assert edited - removed <= {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                                "xl/styles.xml", sheet_part(data, SCORE_SHEET),
                                *[name for name in parts if re.fullmatch(r"xl/comments\d*\.xml|xl/drawings/.*\.vml|"
                                                                          r"xl/worksheets/_rels/.*", name)]}
    assert not [name for name in removed if name.startswith(KEPT)]


def test_libreoffice_renders_every_new_copy_with_everything_in_it(resaved, tmp_path):
    sources = []
    for case in CASES:
        sources.append(tmp_path / f"{case}.checked.xlsx")
        sources[-1].write_bytes(check_file(resaved[case], name=f"{case}.checked.xlsx")[1])
    for pdf in convert(sources, "pdf", tmp_path / "pdf"):
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000, pdf.name
    saved = dict(zip(CASES, convert(sources, _LIBREOFFICE, tmp_path / "xlsx"), strict=True))
    for case in RICH:
        names = members(Path(saved[case]).read_bytes())
        for prefix in ("xl/media/", "xl/charts/", "xl/pivotTables/"):
            assert any(name.startswith(prefix) for name in names), (case, prefix)


def test_selfscore_check_of_a_copy_libreoffice_saved_returns_it_marked_with_everything_in_it(resaved, tmp_path):
    path = tmp_path / "rich.checked.xlsx"
    path.write_bytes(resaved["libreoffice-clerk"])
    result = CliRunner().invoke(main, ["check", str(path), "-o", str(tmp_path / "out"), "--json", "-"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)["reports"]
    assert "content_not_preserved" not in {finding["code"] for finding in report["findings"]}
    assert report["previous_check"]["fixed"]
    (copy,) = (tmp_path / "out").glob("*.xlsx")
    parts = members(copy.read_bytes())
    assert all(parts[name] == body for name, body in members(path.read_bytes()).items() if name.startswith(KEPT))
    assert {name.split("/")[1] for name in parts if name.startswith(KEPT)} >= {"media", "charts", "pivotTables"}


# --- what it leaves to openpyxl -------------------------------------------------------------------------------


def _threaded_on(data: bytes, cell: str) -> bytes:
    part = sheet_part(data, SCORE_SHEET)
    rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    xml = member(data, rels).decode().replace(
        "</Relationships>", '<Relationship Id="rIdT" Type="http://schemas.microsoft.com/office/2017/10/relationships/'
                            'threadedComment" Target="../threadedComments/threadedComment1.xml"/></Relationships>')
    threaded = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ThreadedComments xmlns="http://schemas.'
                f'microsoft.com/office/spreadsheetml/2018/threadedcomments"><threadedComment ref="{cell}" '
                'id="{00000000-0000-0000-0000-000000000001}"><text>回复</text></threadedComment></ThreadedComments>')
    return rezip(data, {rels: xml.encode()}, add={"xl/threadedComments/threadedComment1.xml": threaded.encode()})


def _comments_gone(data: bytes) -> bytes:
    """No comments part on the score sheet any more, while the record keeps a clerk's own comment for F5."""
    part = sheet_part(data, SCORE_SHEET)
    rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    xml = re.sub(r'<Relationship\b[^>]*relationships/comments"[^>]*/>', "", member(data, rels).decode())
    return rezip(data, {rels: xml.encode()})


def _styles_prefixed(data: bytes) -> bytes:
    """The stylesheet with its elements in a prefixed namespace (as a Strict-minded writer may write it)."""
    styles = member(data, "xl/styles.xml").decode()
    styles = re.sub(r"<(/?)(?!\?)([A-Za-z]\w*)\b", r"<\1x:\2", styles)
    return rezip(data, {"xl/styles.xml": styles.replace(' xmlns="', ' xmlns:x="', 1).encode()})


@pytest.mark.parametrize(("case", "change"), [("excel-like", lambda data: _threaded_on(data, "F5")),
                                              ("excel-like-commented", _comments_gone),
                                              ("libreoffice", _styles_prefixed)])
def test_what_it_cannot_undo_safely_is_left_to_openpyxl_with_the_same_report(resaved, case, change, monkeypatch):
    data = change(resaved[case])
    assert unmark_resaved(data, load_workbook(io.BytesIO(data))) is None
    checked = check(data, name="x.checked.xlsx")
    assert checked.original is None and checked.report.previous is not None
    assert ("content_not_preserved" in {finding.code for finding in checked.report.findings}) == (case in RICH)


def test_a_threaded_comment_on_another_cell_does_not_stop_it(resaved):
    data = _threaded_on(resaved["excel-like"], "A1")
    assert unmark_resaved(data, load_workbook(io.BytesIO(data))) is not None


def test_a_record_edited_by_hand_is_left_to_openpyxl():
    forged = corpus.forged_marks_record()  # a recorded fill that is not XML, among other things
    assert unmark_resaved(forged, load_workbook(io.BytesIO(forged))) is None
    checked = check(forged, name="t.checked.xlsx")
    assert checked.original is None and checked.report.previous is not None
