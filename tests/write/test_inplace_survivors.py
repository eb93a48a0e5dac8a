"""What else the marked-up copy keeps part for part — a slicer on a pivot table, everything in an .xltx template —
and what a copy openpyxl must write instead (a Strict file) says it lost.

A slicer survives the copy and a check of that copy again.

The slicer is built as Excel writes one (ECMA-376 with the Office 2010 extensions, [MS-XLSX] 2.3.x): its cache
definition and slicer parts, the x14 ``slicerCaches`` extension of the workbook, the ``slicerList`` extension of the
sheet showing it, the x14 ``pivotCacheDefinition`` extension of the pivot cache, and a drawing whose graphic frame
holds the slicer with a shape as the fallback for programs that do not know slicers.
"""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from selfscore.checking import check, check_file
from selfscore.tables.names import MARKS_SHEET, RESULTS_SHEET
from support import corpus, harness, saved_files
from support.harness import member, members, rezip
from support.libreoffice import convert
from support.package_rules import assert_excels_rules
from support.strict import strict_by_hand

X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
SLICER_PARTS = ("xl/slicers/slicer1.xml", "xl/slicerCaches/slicerCache1.xml", "xl/drawings/drawing7.xml",
                "xl/drawings/_rels/drawing7.xml.rels")
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

SLICER = (f'{HEAD}<slicers xmlns="{X14}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
          f'mc:Ignorable="x" xmlns:x="{MAIN}"><slicer name="数据项" cache="Slicer_数据项" caption="数据项" '
          'rowHeight="241300"/></slicers>')
SLICER_CACHE = (f'{HEAD}<slicerCacheDefinition xmlns="{X14}" xmlns:mc="http://schemas.openxmlformats.org/markup-'
                f'compatibility/2006" mc:Ignorable="x" xmlns:x="{MAIN}" name="Slicer_数据项" sourceName="数据项">'
                '<pivotTables><pivotTable tabId="{tab}" name="透视表1"/></pivotTables><data><tabular pivotCacheId="1">'
                '<items count="1"><i x="0" s="1"/></items></tabular></data></slicerCacheDefinition>')
ANCHOR = ('<xdr:twoCellAnchor editAs="oneCell"><xdr:from><xdr:col>3</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>2'
          '</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff>'
          '<xdr:row>14</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>{body}<xdr:clientData/></xdr:twoCellAnchor>')
DRAWING = (
    f'{HEAD}<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><mc:AlternateContent '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Choice '
    'xmlns:sle15="http://schemas.microsoft.com/office/drawing/2012/slicer" Requires="sle15">'
    + ANCHOR.format(body='<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="数据项"/>'
                    '<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
                    '</xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/drawing/2010/slicer">'
                    '<sle:slicer xmlns:sle="http://schemas.microsoft.com/office/drawing/2010/slicer" name="数据项"/>'
                    '</a:graphicData></a:graphic></xdr:graphicFrame>')
    + '</mc:Choice><mc:Fallback>'
    + ANCHOR.format(body='<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="0" name=""/><xdr:cNvSpPr>'
                    '<a:spLocks noTextEdit="1"/></xdr:cNvSpPr></xdr:nvSpPr><xdr:spPr><a:xfrm><a:off x="1828800" '
                    'y="381000"/><a:ext cx="1828800" cy="2286000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/>'
                    '</a:prstGeom></xdr:spPr><xdr:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:t>此形状代表切片器。'
                    '</a:t></a:r></a:p></xdr:txBody></xdr:sp>')
    + "</mc:Fallback></mc:AlternateContent></xdr:wsDr>")


def _sheet_with_slicer(sheet: str) -> str:
    extension = (f'<extLst><ext uri="{{A8765BA9-456A-4dab-B4F3-ACF838C121DE}}" xmlns:x14="{X14}"><x14:slicerList>'
                 '<x14:slicer r:id="rIdS2"/></x14:slicerList></ext></extLst>')
    if "xmlns:r=" not in sheet.split(">", 2)[1]:
        sheet = sheet.replace("<worksheet ", f'<worksheet xmlns:r="{REL}" ', 1)
    return sheet.replace("</worksheet>", f'<drawing r:id="rIdS1"/>{extension}</worksheet>')


def workbook_with_slicer() -> bytes:
    """The Jiaozuo sample with a pivot table on its own sheet and a slicer on that pivot table, shown beside it."""
    data = saved_files.with_pivot_cache()
    names = load_workbook(io.BytesIO(data)).sheetnames
    part = saved_files.part_of(data, "透视表")
    sheet_rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    book = member(data, "xl/workbook.xml").decode()
    book = book.replace("</workbook>", f'<extLst><ext uri="{{BBE1A952-AA13-448e-AADC-164F8A28A991}}" '
                        f'xmlns:x14="{X14}"><x14:slicerCaches><x14:slicerCache r:id="rIdS9"/></x14:slicerCaches>'
                        "</ext></extLst></workbook>")
    book_rels = member(data, "xl/_rels/workbook.xml.rels").decode().replace(
        "</Relationships>", '<Relationship Id="rIdS9" Type="http://schemas.microsoft.com/office/2007/relationships/'
        'slicerCache" Target="slicerCaches/slicerCache1.xml"/></Relationships>')
    cache = member(data, "xl/pivotCache/pivotCacheDefinition1.xml").decode().replace(
        "</pivotCacheDefinition>", f'<extLst><ext uri="{{725AE2AE-9491-48be-B2B4-4EB974FC3084}}" xmlns:x14="{X14}">'
        '<x14:pivotCacheDefinition pivotCacheId="1"/></ext></extLst></pivotCacheDefinition>')
    relations = member(data, sheet_rels).decode().replace(
        "</Relationships>", f'<Relationship Id="rIdS1" Type="{REL}/drawing" Target="../drawings/drawing7.xml"/>'
        '<Relationship Id="rIdS2" Type="http://schemas.microsoft.com/office/2007/relationships/slicer" '
        'Target="../slicers/slicer1.xml"/></Relationships>')
    types = member(data, "[Content_Types].xml").decode().replace("</Types>", (
        '<Override PartName="/xl/slicers/slicer1.xml" ContentType="application/vnd.ms-excel.slicer+xml"/>'
        '<Override PartName="/xl/slicerCaches/slicerCache1.xml" ContentType="application/vnd.ms-excel.slicerCache+xml"/>'
        '<Override PartName="/xl/drawings/drawing7.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>'))
    return rezip(data, {"xl/workbook.xml": book.encode(), "xl/_rels/workbook.xml.rels": book_rels.encode(),
                        "xl/pivotCache/pivotCacheDefinition1.xml": cache.encode(), sheet_rels: relations.encode(),
                        part: _sheet_with_slicer(member(data, part).decode()).encode(),
                        "[Content_Types].xml": types.encode()},
                 {"xl/slicers/slicer1.xml": SLICER.encode(),
                  "xl/slicerCaches/slicerCache1.xml": SLICER_CACHE.replace("{tab}", str(names.index("透视表") + 1)).encode(),
                  "xl/drawings/drawing7.xml": DRAWING.encode(),
                  "xl/drawings/_rels/drawing7.xml.rels": f'{HEAD}<Relationships xmlns="{PACKAGE}"/>'.encode()})


def _references(data: bytes) -> dict[str, bool]:
    """Whether each part that points at the slicer still does, in the copy's own workbook and sheet."""
    parts = members(data)
    book = parts["xl/workbook.xml"].decode()
    sheets = [body.decode() for name, body in parts.items() if name.startswith("xl/worksheets/sheet")]
    rels = "".join(body.decode() for name, body in parts.items() if name.endswith(".rels"))
    return {"workbook slicerCaches": "<x14:slicerCache r:id=" in book,
            "sheet slicerList": any("<x14:slicer r:id=" in sheet for sheet in sheets),
            "relationships": "slicerCaches/slicerCache1.xml" in rels and "../slicers/slicer1.xml" in rels,
            "pivot cache id": 'x14:pivotCacheDefinition pivotCacheId="1"' in parts["xl/pivotCache/pivotCacheDefinition1.xml"].decode()}


def test_a_slicer_comes_back_marked_and_intact_and_survives_a_check_of_the_copy(tmp_path):
    data = workbook_with_slicer()
    assert all(_references(data).values())
    report, copy = check_file(data, "切片器.xlsx")
    assert report.indicators and copy is not None
    assert "content_not_preserved" not in {finding.code for finding in report.findings}  # 切片器 is not lost
    before, after = members(data), members(copy)
    assert all(after[name] == before[name] for name in SLICER_PARTS)
    assert _references(copy) == dict.fromkeys(_references(data), True)
    assert_excels_rules(copy)
    workbook = load_workbook(io.BytesIO(copy))  # openpyxl still reads the copy, with the marks in it
    assert workbook.sheetnames[0] == RESULTS_SHEET and workbook.sheetnames[-1] == MARKS_SHEET
    assert len(workbook["透视表"]._pivots) == 1

    again = check(copy, name="切片器.checked.xlsx")  # the copy checked again: its marks out, the slicer kept
    assert again.report.previous is not None and again.original is not None
    unmarked = members(again.original)
    assert all(unmarked[name] == before[name] for name in SLICER_PARTS)
    assert _references(again.original) == dict.fromkeys(_references(data), True)
    _report, second = check_file(copy, "切片器.checked.xlsx")
    assert all(members(second)[name] == before[name] for name in SLICER_PARTS)

    path = tmp_path / "切片器.checked.xlsx"
    path.write_bytes(copy)
    (pdf,) = convert([path], "pdf", tmp_path / "pdf")  # LibreOffice opens it (it fails on a file it cannot load)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    assert zipfile.ZipFile(io.BytesIO(copy)).testzip() is None


SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
TEMPLATE_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"


def test_an_xltx_template_comes_back_as_a_workbook_with_its_picture_pivot_and_slicer_intact(tmp_path):
    workbook = corpus.with_image(workbook_with_slicer())
    types = member(workbook, "[Content_Types].xml").decode()
    assert SHEET_CT in types
    template = rezip(workbook, {"[Content_Types].xml": types.replace(SHEET_CT, TEMPLATE_CT).encode()})
    path = tmp_path / "模板.xltx"
    path.write_bytes(template)
    report, copy = check_file(path)
    assert "content_not_preserved" not in {finding.code for finding in report.findings}
    before, after = members(template), members(copy)
    kept = [name for name in before if name.startswith(("xl/media/", "xl/drawings/", "xl/pivot", "xl/slicer"))]
    assert len(kept) >= 8 and all(after[name] == before[name] for name in kept)
    assert_excels_rules(copy)
    # the copy is an ordinary workbook: Excel opens an .xlsx whose main part says "template" only with a repair
    assert TEMPLATE_CT not in after["[Content_Types].xml"].decode() and SHEET_CT in after["[Content_Types].xml"].decode()
    loaded = load_workbook(io.BytesIO(copy))
    assert loaded.template is False and loaded.sheetnames[0] == RESULTS_SHEET
    assert len(loaded["透视表"]._pivots) == 1


def test_a_strict_file_falls_back_to_openpyxls_copy_and_its_notes_say_the_picture_is_not_in_it(tmp_path):
    strict = strict_by_hand(corpus.with_image(harness.jiaozuo_bytes()))
    report, copy = check_file(strict, "严格.xlsx")
    notes = [finding for finding in report.findings if finding.code == "content_not_preserved"]
    assert len(notes) == 1 and "图片" in notes[0].message
    assert any("图片" in note for note in report.notes)  # the results sheet repeats it at its top
    loaded = load_workbook(io.BytesIO(copy))
    assert loaded.sheetnames[0] == RESULTS_SHEET
    assert not any(name.startswith("xl/media/") for name in members(copy))  # openpyxl's copy: the picture is gone
    assert any("图片" in str(cell.value) for row in loaded[RESULTS_SHEET].iter_rows(max_row=12) for cell in row)
