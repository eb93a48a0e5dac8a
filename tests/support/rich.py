"""The rich workbook the in-place writer's tests mark up — the Jiaozuo sample with a picture (a scanned seal), a chart, a
pivot table and an x14 data validation, the parts openpyxl does not model — and a clerk's edit of a workbook's values
as a program that edits the sheet's XML in place saves it."""

from __future__ import annotations

import io
import posixpath
import re

from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference

from selfscore.tables.names import FACTS_SHEET
from support import corpus, harness, saved_files
from support.harness import member, members, rezip

X14_VALIDATION = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1"><x14:formula1><xm:f>\'填报说明\'!$A$1:$A$3</xm:f>'
    "</x14:formula1><xm:sqref>H2</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>")
#: the parts of the rich workbook the copy must carry unchanged: picture, chart, pivot table and cache
KEPT = ("xl/media/", "xl/charts/", "xl/drawings/drawing", "xl/pivotTables/", "xl/pivotCache/")


def sheet_part(data: bytes, title: str) -> str:
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
    part = sheet_part(data, FACTS_SHEET)
    sheet = member(data, part).decode().replace("</worksheet>", X14_VALIDATION + "</worksheet>")
    return rezip(data, {part: sheet.encode()})


def clerk_sets(data: bytes, title: str, values: dict[str, int]) -> bytes:
    """The workbook as a clerk's program that edits the sheet's XML in place would save it: each cell's value
    changed, every other part (and every other byte of the sheet) as it was; the zip's comment is gone."""
    part = sheet_part(data, title)
    xml = member(data, part).decode()
    for ref, value in values.items():
        xml, count = re.subn(rf'(<c r="{ref}"[^>]*>)<v>[^<]*</v>', rf"\g<1><v>{value}</v>", xml)
        assert count == 1, ref
    return rezip(data, {part: xml.encode()})
