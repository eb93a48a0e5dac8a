"""The results sheets and the marks record built as openpyxl sheets, serialised without openpyxl's zip writer: the in-place
writer's fallback, where ``write.sheet_xml`` cannot write them from their model (``inplace._ScratchSheets``).

The in-place writer then grafts the scratch workbook's sheets, formats and print titles into the filler's own zip. It
used to save the scratch workbook with openpyxl and read the zip back; openpyxl's writer spends most of that time on the
rows (an element per cell through ``et_xmlfile``). Here the rows are written as text, cell by cell as openpyxl's
``etree_write_cell`` writes them (inline strings, numbers, booleans, each cell's format index, its hyperlink), and
everything else of a sheet — properties, dimension, views, columns, merged ranges, hyperlinks, print options,
margins, page setup — and the stylesheet and the workbook part with its defined names still come from openpyxl's own
writers, so the copy holds the same content. A cell of a kind this writer does not know (a formula, a date, rich
text), a comment or a relationship raises ``Unsupported`` and the caller saves the scratch workbook with openpyxl.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.compat import safe_string
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.workbook._writer import WorkbookWriter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.functions import Element, tostring

_MARKER = "<sheetData />"
#: what ElementTree escapes in an attribute besides & < > (which ``escape`` always does)
_ATTRIBUTE = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"}


class Unsupported(Exception):
    """The scratch workbook has something this writer does not write; save it with openpyxl instead."""


def attribute(value: str) -> str:
    """An attribute's value as ElementTree escapes it."""
    return escape(value, _ATTRIBUTE)


class _RowsAsText(WorksheetWriter):
    """openpyxl's worksheet writer with an empty ``sheetData`` in place of the rows, which ``rows_xml`` writes."""

    def write_rows(self) -> None:
        self.rows_text = rows_xml(self.ws)
        self.xf.send(Element("sheetData"))


def rows_xml(ws) -> str:
    """The ``sheetData`` of ``ws`` as openpyxl writes it: a row for every row with a cell or a row dimension."""
    rows: dict[int, list] = {}
    for (row, _column), cell in sorted(ws._cells.items()):
        rows.setdefault(row, []).append(cell)
    for row in ws.row_dimensions.keys() - rows.keys():
        rows[row] = []
    out = ["<sheetData>"]
    dims = ws.row_dimensions
    for row_idx, cells in sorted(rows.items()):
        attrs = {"r": f"{row_idx}"}
        attrs.update(dims.get(row_idx, {}))
        out.append("<row" + "".join(f' {k}="{attribute(v)}"' for k, v in attrs.items()) + ">")
        for cell in cells:
            if cell._comment is not None:
                raise Unsupported("comments")
            styled = cell.has_style
            value = cell._value
            if value is None and not styled:
                continue
            out.append(_cell_xml(ws, cell, value, styled))
        out.append("</row>")
    out.append("</sheetData>")
    return "".join(out)


def _cell_xml(ws, cell, value, styled: bool) -> str:
    kind = cell.data_type
    tag = f'<c r="{cell.coordinate}"'
    if styled:
        tag += f' s="{cell.style_id}"'
    if kind == "s":
        tag += ' t="inlineStr"'
    elif kind in ("n", "b"):
        tag += f' t="{kind}"'
    else:
        raise Unsupported(f"a cell of type {kind}")
    if cell.hyperlink:
        ws._hyperlinks.append(cell.hyperlink)
    if value is None or value == "":
        return tag + " />"
    if kind == "s":
        if not isinstance(value, str):
            raise Unsupported("rich text")
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and value != stripped else ""
        return f"{tag}><is><t{space}>{escape(value)}</t></is></c>"
    return f"{tag}><v>{escape(safe_string(value))}</v></c>"


class ScratchParts:
    """The scratch workbook's parts the graft reads, by the names openpyxl's save gives them (``read``,
    ``namelist`` as a ``ZipFile``'s): the stylesheet, the workbook part and each worksheet, strings inline."""

    def __init__(self, workbook: Workbook) -> None:
        self.parts: dict[str, bytes] = {}
        for index, ws in enumerate(workbook.worksheets, start=1):
            if ws._charts or ws._images or ws._tables or ws.legacy_drawing:
                raise Unsupported("drawings or tables")
            writer = _RowsAsText(ws, io.BytesIO())
            try:
                writer.write()
            finally:  # a sheet it gave up on: close openpyxl's stream while its buffer is still open
                writer.close()
            if len(writer._rels):
                raise Unsupported("a sheet with relationships")
            sheet = writer.out.getvalue().decode("utf-8")
            if sheet.count(_MARKER) != 1:
                raise Unsupported("sheetData")
            self.parts[f"xl/worksheets/sheet{index}.xml"] = sheet.replace(_MARKER, writer.rows_text).encode("utf-8")
        self.parts["xl/styles.xml"] = tostring(write_stylesheet(workbook))
        self.parts["xl/workbook.xml"] = WorkbookWriter(workbook).write()

    def namelist(self) -> list[str]:
        return list(self.parts)

    def read(self, name: str) -> bytes:
        return self.parts[name]
