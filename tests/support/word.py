"""A Word document (.docx) written from its XML: paragraphs and one table, as a province's notice has its annex.

Not python-docx: it needs lxml, and with lxml installed openpyxl writes and parses workbooks through lxml, so the
suite would no longer test the workbooks (and the defusedxml parsing) that people's machines produce.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="word/document.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""


def _paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(text)}</w:t></w:r></w:p>"


def write_docx(path: Path, paragraphs: list[str], rows: list[list[str]], *, merge_first_column: bool = False) -> Path:
    """Paragraphs, then a table of ``rows``; with ``merge_first_column`` a run of equal 一级指标 cells is merged down
    (vMerge), as Word saves a merged cell."""
    body = [_paragraph(text) for text in paragraphs]
    table = ["<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/></w:tblPr>"]
    for index, row in enumerate(rows):
        cells = []
        for column, text in enumerate(row):
            properties = ""
            if merge_first_column and column == 0 and index > 0:
                above = rows[index - 1][0]
                if text and text == above:
                    properties, text = "<w:tcPr><w:vMerge/></w:tcPr>", ""
                elif index + 1 < len(rows) and rows[index + 1][0] == text and text:
                    properties = "<w:tcPr><w:vMerge w:val=\"restart\"/></w:tcPr>"
            cells.append(f"<w:tc>{properties}{_paragraph(text)}</w:tc>")
        table.append(f"<w:tr>{''.join(cells)}</w:tr>")
    table.append("</w:tbl>")
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                + "".join(body) + "".join(table) + "<w:sectPr/></w:body></w:document>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)
    return path
