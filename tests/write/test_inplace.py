"""The copy written into the filler's own zip (write/inplace.py): what openpyxl does not model — a picture, a chart,
a pivot table, x14 data validations — comes back marked with its parts byte for byte, opens in openpyxl and in
LibreOffice, and every copy either writer makes keeps Excel's rules for the parts it holds."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment

from selfscore.checking import check, check_file, marked_up_bytes
from selfscore.tables.names import ADDED_SHEETS, FACTS_SHEET, MARKS_SHEET, RESULTS_SHEET
from selfscore.write.inplace import CannotEdit, mark_up_in_place
from selfscore.write.markup import STATUS_COLOURS
from support import corpus, harness, saved_files
from support.harness import member, members, rezip
from support.libreoffice import convert

X14_VALIDATION = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1"><x14:formula1><xm:f>\'填报说明\'!$A$1:$A$3</xm:f>'
    "</x14:formula1><xm:sqref>H2</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>")
#: the parts of the rich workbook the copy must carry unchanged: picture, chart, pivot table and cache
KEPT = ("xl/media/", "xl/charts/", "xl/drawings/drawing", "xl/pivotTables/", "xl/pivotCache/")


def _sheet_part(data: bytes, title: str) -> str:
    """The zip member holding a sheet, by the workbook's own relationships (a copy's parts are not in sheet order)."""
    book = member(data, "xl/workbook.xml").decode()
    rid = re.search(rf'<sheet\b[^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', book).group(1)
    rels = member(data, "xl/_rels/workbook.xml.rels").decode()
    target = re.search(rf'<Relationship\b[^>]*Id="{rid}"[^>]*/>', rels).group(0)
    return posixpath.normpath(posixpath.join("xl", re.search(r'Target="([^"]+)"', target).group(1).lstrip("/")
                                             .removeprefix("xl/")))


def _chart_drawing_renamed(data: bytes, old: str, new: str) -> bytes:
    """openpyxl calls the chart's drawing drawing1.xml, as corpus.with_image calls the picture's: rename the chart's."""
    parts = members(data)
    renamed = {}
    for name, body in parts.items():
        name = name.replace(f"xl/drawings/{old}", f"xl/drawings/{new}").replace(f"xl/drawings/_rels/{old}",
                                                                                 f"xl/drawings/_rels/{new}")
        if name.endswith(".rels") or name == "[Content_Types].xml":
            body = body.replace(old.encode(), new.encode())
        renamed[name] = body
    return harness.zipped(renamed)


def rich_workbook() -> bytes:
    """The Jiaozuo sample with a pivot table (its own sheet), a chart on the facts sheet, a picture (a scanned seal)
    on the score sheet and an x14 list validation on the facts sheet."""
    workbook = load_workbook(io.BytesIO(saved_files.with_pivot_cache()))
    facts = workbook[FACTS_SHEET]
    chart = BarChart()
    chart.add_data(Reference(facts, min_col=3, min_row=3, max_row=8))
    facts.add_chart(chart, "J2")
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = corpus.with_image(_chart_drawing_renamed(buffer.getvalue(), "drawing1.xml", "drawing9.xml"))
    part = _sheet_part(data, FACTS_SHEET)
    sheet = member(data, part).decode().replace("</worksheet>", X14_VALIDATION + "</worksheet>")
    return rezip(data, {part: sheet.encode()})


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> tuple[Path, bytes]:
    path = tmp_path_factory.mktemp("rich") / "rich.xlsx"
    path.write_bytes(rich_workbook())
    return path, path.read_bytes()


def _marked(path: Path):
    checked = check(path)
    assert checked.original is not None  # the in-place writer's, not openpyxl's
    copy = mark_up_in_place(checked.original, checked.workbook, checked.report)
    return checked.report, copy


def test_the_rich_workbook_really_holds_a_picture_a_chart_a_pivot_table_and_x14_validations(rich):
    _path, data = rich
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    for prefix in KEPT:
        assert any(name.startswith(prefix) for name in names), prefix
    assert "x14:dataValidation " in member(data, _sheet_part(data, FACTS_SHEET)).decode()


def test_a_picture_a_chart_a_pivot_table_and_x14_validations_come_back_marked_and_intact(rich):
    path, data = rich
    report, copy = _marked(path)
    assert "content_not_preserved" not in {finding.code for finding in report.findings}
    before, after = members(data), members(copy)
    kept = [name for name in before if name.startswith(KEPT)]
    assert kept and all(after[name] == before[name] for name in kept)
    # everything the marks do not touch passes byte for byte; calcChain is the only part dropped
    edited = {name for name in before if after.get(name) != before[name]}
    assert edited <= {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                      "xl/calcChain.xml"} | {name for name in before if name.startswith("xl/worksheets/")}
    assert "x14:dataValidation " in after[_sheet_part(copy, FACTS_SHEET)].decode()

    workbook = load_workbook(io.BytesIO(copy))
    assert workbook.sheetnames[0] == RESULTS_SHEET and workbook.sheetnames[-1] == MARKS_SHEET
    assert len(workbook[FACTS_SHEET]._charts) == 1
    assert len(workbook["透视表"]._pivots) == 1
    assert report.indicators
    for result in report.indicators:
        cell = workbook[result.sheet][result.cell]
        assert cell.fill.fgColor.rgb.endswith(STATUS_COLOURS[result.status]) and "selfscore" in cell.comment.text


def test_libreoffice_opens_the_marked_rich_copy_with_everything_in_it(rich, tmp_path):
    path, _data = rich
    _report, copy = _marked(path)
    source = tmp_path / "rich.checked.xlsx"
    source.write_bytes(copy)
    (pdf,) = convert([source], "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    (saved,) = convert([source], "xlsx:Calc MS Excel 2007 XML", tmp_path / "xlsx")
    names = zipfile.ZipFile(saved).namelist()
    for prefix in ("xl/media/", "xl/charts/", "xl/pivotTables/"):
        assert any(name.startswith(prefix) for name in names), prefix
    workbook = load_workbook(saved)
    assert workbook.sheetnames[0] == RESULTS_SHEET
    assert "selfscore" in next(cell.comment.text for row in workbook["自评表"].iter_rows() for cell in row
                               if cell.comment is not None)


def test_checking_the_rich_copy_again_removes_exactly_the_marks(rich):
    path, _data = rich
    report, copy = _marked(path)
    again = check(copy, name="rich.checked.xlsx")
    assert again.report.previous is not None
    assert [f.code for f in again.report.findings if f.code != "content_not_preserved"] == \
           [f.code for f in report.findings]
    assert not set(ADDED_SHEETS + (MARKS_SHEET,)) & set(again.workbook.sheetnames)
    assert again.report.self_total == report.self_total


def test_a_cell_that_had_a_comment_keeps_it_above_the_marks_and_the_author_list_grows(tmp_path):
    path = tmp_path / "commented.xlsx"
    path.write_bytes(harness.jiaozuo_bytes())
    report, _copy = _marked(path)
    result = report.indicators[0]
    workbook = load_workbook(path)
    workbook[result.sheet][result.cell].comment = Comment("填报人的说明", "张三")
    workbook["自评表"]["A1"].comment = Comment("另一条说明", "李四")
    workbook.save(path)
    _report, copy = _marked(path)
    read = load_workbook(io.BytesIO(copy))
    assert read[result.sheet][result.cell].comment.text.startswith("填报人的说明\n——\nselfscore 校验：")
    assert read["自评表"]["A1"].comment.text == "另一条说明" and read["自评表"]["A1"].comment.author == "李四"
    _validate(copy)


def test_a_workbook_it_cannot_edit_falls_back_to_openpyxl_and_says_what_that_copy_loses():
    data = rich_workbook()
    # a results sheet's name already taken: the in-place writer refuses, openpyxl writes the copy
    book = member(data, "xl/workbook.xml").decode().replace('name="透视表"', f'name="{RESULTS_SHEET}"')
    data = rezip(data, {"xl/workbook.xml": book.encode()})
    checked = check(data, name="taken.xlsx")
    with pytest.raises(CannotEdit):
        mark_up_in_place(checked.original, checked.workbook, checked.report)
    copy = marked_up_bytes(checked)
    assert copy is not None
    assert "content_not_preserved" in {finding.code for finding in checked.report.findings}
    assert any("图片" in note for note in checked.report.notes)


# ------------------------------------------------------------------ Excel's rules for the parts, over every copy

_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _validate(copy: bytes) -> None:
    """Unique style ids in range, comment authors, VML shape ids, relationship ids and a content type for each part."""
    parts = members(copy)
    types = ElementTree.fromstring(parts["[Content_Types].xml"])
    defaults = {d.get("Extension").lower() for d in types if d.tag.endswith("Default")}
    overrides = [o.get("PartName") for o in types if o.tag.endswith("Override")]
    assert len(overrides) == len({name.lower() for name in overrides}), "a part named twice in the content types"
    for name in parts:
        if name.endswith("/") or name == "[Content_Types].xml":
            continue
        assert f"/{name}" in overrides or name.rsplit(".", 1)[-1].lower() in defaults, f"no content type: {name}"
    for name, body in parts.items():
        if not name.endswith(".rels"):
            continue
        rels = ElementTree.fromstring(body)
        ids = [rel.get("Id") for rel in rels]
        assert len(ids) == len(set(ids)), f"relationship ids repeat in {name}"
        base = posixpath.dirname(posixpath.dirname(name))
        for rel in rels:
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target")
            resolved = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            assert resolved in parts, f"{name} points at a missing part {resolved}"

    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    sheets = book.find(f"{_MAIN}sheets")
    assert len({s.get("name").lower() for s in sheets}) == len(sheets)
    assert len({s.get("sheetId") for s in sheets}) == len(sheets)
    for defined in book.iter(f"{_MAIN}definedName"):
        if defined.get("localSheetId") is not None:
            assert int(defined.get("localSheetId")) < len(sheets)

    styles = ElementTree.fromstring(parts["xl/styles.xml"])
    counts = {}
    for section, child in (("fonts", "font"), ("fills", "fill"), ("borders", "border"), ("cellXfs", "xf")):
        element = styles.find(f"{_MAIN}{section}")
        items = element.findall(f"{_MAIN}{child}")
        counts[section] = len(items)
        if element.get("count") is not None:
            assert int(element.get("count")) == len(items), f"{section} count"
    for xf in styles.find(f"{_MAIN}cellXfs"):
        for attribute, section in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
            assert int(xf.get(attribute, 0)) < counts[section]
    shape_ids: list[str] = []
    blocks: list[str] = []
    for name, body in parts.items():
        if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
            for style in re.findall(rb'<c\b[^>]*?\ss="(\d+)"', body):
                assert int(style) < counts["cellXfs"], f"a cell's format past the end in {name}"
        if name.lower().endswith(".vml"):
            text = body.decode("utf-8", "replace")
            shape_ids += re.findall(r'<v:shape\b[^>]*?\sid="([^"]+)"', text)
            blocks += re.findall(r'<o:idmap\b[^>]*?\sdata="([^"]+)"', text)
        if re.fullmatch(r"xl/comments[^/]*\.xml", name):
            comments = ElementTree.fromstring(body)
            authors = comments.find(f"{_MAIN}authors")
            names = [author.text for author in authors]
            assert len(names) == len(set(names)), f"an author twice in {name}"
            refs = []
            for comment in comments.iter(f"{_MAIN}comment"):
                assert int(comment.get("authorId")) < len(authors)
                refs.append(comment.get("ref"))
            assert len(refs) == len(set(refs)), f"two comments on one cell in {name}"
    assert len(shape_ids) == len(set(shape_ids)), "VML shape ids repeat"
    assert len(blocks) == len(set(blocks)), "VML id blocks repeat"


def _copies(cases, directory: Path):
    for case in cases:
        if not all(harness.has(tool) for tool in case.needs):
            continue
        path = case.build(directory / case.file_name)
        _report, copy = check_file(path)
        if copy is not None:
            yield case.name, copy


@pytest.mark.parametrize("corpus_cases", [corpus.CASES, saved_files.CASES], ids=["hostile", "saved_files"])
def test_every_copy_the_corpora_produce_keeps_excels_rules_for_its_parts(corpus_cases, tmp_path):
    checked = 0
    for name, copy in _copies(corpus_cases, tmp_path):
        try:
            _validate(copy)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
        checked += 1
    assert checked > 10


def test_the_rich_copy_keeps_excels_rules_for_its_parts(rich):
    _validate(_marked(rich[0])[1])


@pytest.mark.parametrize(("part", "old", "new"), [
    ("xl/_rels/workbook.xml.rels", "</Relationships>",
     '<Relationship Id="rId1" Type="x" Target="styles.xml"/></Relationships>'),  # an id twice
    ("[Content_Types].xml", 'Extension="rels"', 'Extension="relsx"'),  # parts without a content type
    ("xl/styles.xml", '<cellXfs count="', '<cellXfs count="9'),  # a count that lies
])
def test_the_validator_fails_a_copy_that_breaks_a_rule(rich, part, old, new):
    copy = _marked(rich[0])[1]
    text = member(copy, part).decode()
    assert old in text
    with pytest.raises(AssertionError):
        _validate(rezip(copy, {part: text.replace(old, new, 1).encode()}))
