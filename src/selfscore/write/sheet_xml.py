"""The added sheets (``write.sheet_model``) written as XML text for the in-place writer, without openpyxl.

It writes what openpyxl's writer writes for the same sheets, byte for byte (``tests/write/test_sheet_xml.py`` holds
the two side by side): a worksheet part per sheet — properties, dimension, view and frozen rows, column widths, the
rows with inline strings and numbers, merged ranges, links, print options, margins and page setup — the print titles
as the workbook's defined names, and the stylesheet's fonts, fills, borders and cell formats the sheets use, numbered
as openpyxl numbers them (in a new workbook: its defaults first, then each font, fill and border in the order the
cells were given them, each cell format in the order the cells are written). The style objects' XML is built once
per process. A sheet it cannot write as openpyxl would (a frozen column) raises ``Unsupported``; the in-place writer
then builds the sheets in an openpyxl workbook and serialises that (``write.scratch_xml``).
"""

from __future__ import annotations

import functools
from xml.sax.saxutils import escape

from openpyxl.compat import safe_string
from openpyxl.styles import Font
from openpyxl.styles.borders import DEFAULT_BORDER
from openpyxl.styles.fills import DEFAULT_EMPTY_FILL, DEFAULT_GRAY_FILL
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter, quote_sheetname
from openpyxl.xml.functions import tostring

from selfscore.write.scratch_xml import Unsupported, attribute
from selfscore.write.sheet_model import LINK_FONT, Book, SheetModel, StyleKey, style_objects

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DEFAULT_XF = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" pivotButton="0" quotePrefix="0" xfId="0" />'
_XF = ('<xf numFmtId="0" fontId="{}" fillId="{}" borderId="{}" applyAlignment="1" pivotButton="0" quotePrefix="0"'
       ' xfId="0">{}</xf>')
_FORMAT = '<sheetFormatPr baseColWidth="8" defaultRowHeight="15" />'
_PRINTED = ('<printOptions horizontalCentered="1" /><pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" '
            'header="0.5" footer="0.5" /><pageSetup orientation="landscape" paperSize="9" fitToHeight="0" '
            'fitToWidth="1" />')
_MARGINS = '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5" />'


def _xml(style_object) -> str:
    return tostring(style_object.to_tree()).decode()


@functools.cache
def _defaults() -> tuple[str, tuple[str, str], str]:
    """A new openpyxl workbook's first font, its two fills and its first border."""
    return _xml(DEFAULT_FONT), (_xml(DEFAULT_EMPTY_FILL), _xml(DEFAULT_GRAY_FILL)), _xml(DEFAULT_BORDER)


@functools.cache
def _style_xml(key: StyleKey) -> tuple[str, str, str | None, str | None]:
    """A style's font, alignment, border and fill as the stylesheet writes them (None: none)."""
    font, alignment, border, fill = style_objects(key)
    return (_xml(font), _xml(alignment), None if border is None else _xml(border),
            None if fill is None else _xml(fill))


@functools.cache
def _link_font() -> str:
    return _xml(Font(**LINK_FONT))


class _Numbered:
    """XML elements in first-come order, each with its index (openpyxl's ``IndexedList``)."""

    def __init__(self, items: tuple[str, ...]) -> None:
        self.items = list(items)
        self.index = {item: number for number, item in enumerate(items)}

    def add(self, item: str) -> int:
        number = self.index.get(item)
        if number is None:
            number = self.index[item] = len(self.items)
            self.items.append(item)
        return number


class SheetParts:
    """The added sheets as XML: ``styles`` (fonts, borders, fills, cell formats, each a list of elements), ``sheet``
    (a worksheet part, its formats moved by an offset) and ``print_titles`` (the defined names)."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.sheets = book.worksheets
        font, fills, border = _defaults()
        fonts, fills, borders = _Numbered((font,)), _Numbered(fills), _Numbered((border,))
        # each cell's font, border and fill, numbered as the cells were given them: in the order the sheets were
        # made, and the cells of each in the order they were written; a style's objects once, a link's font after
        seen: dict[StyleKey, tuple[int, int, int, str]] = {}
        self._arrays: dict[int, tuple[int, int, int, str]] = {}
        for sheet in book.created:
            for cell in sheet.cells.values():
                if cell.style is None:
                    continue
                ids = seen.get(cell.style)
                if ids is None:
                    font_xml, alignment_xml, border_xml, fill_xml = _style_xml(cell.style)
                    ids = seen[cell.style] = (fonts.add(font_xml), 0 if fill_xml is None else fills.add(fill_xml),
                                              0 if border_xml is None else borders.add(border_xml), alignment_xml)
                if cell.link is not None:
                    ids = (fonts.add(_link_font()), *ids[1:])
                self._arrays[id(cell)] = ids
        # each cell format in the order the cells are written: sheet by sheet, row by row
        self._xf: dict[int, int] = {}
        xfs = _Numbered((_DEFAULT_XF,))
        self._rows = []
        self._panes = []
        for sheet in self.sheets:
            rows = _rows(sheet)
            for cells in rows.values():
                for cell in cells:
                    _writable(cell)
                    if cell.style is not None:
                        self._xf[id(cell)] = xfs.add(_XF.format(*self._arrays[id(cell)]))
            self._rows.append(rows)
            self._panes.append(_pane(sheet.freeze))
        self.styles = (fonts.items, borders.items, fills.items, xfs.items)

    def sheet(self, index: int, offset: int) -> str:
        """The worksheet part of the ``index``-th sheet, each cell format moved by ``offset``."""
        sheet = self.sheets[index]
        rows = self._rows[index]
        out = [f'<worksheet xmlns="{_MAIN}"><sheetPr><outlinePr summaryBelow="1" summaryRight="1" />',
               '<pageSetUpPr fitToPage="1" />' if sheet.title_rows is not None else "<pageSetUpPr />",
               f'</sheetPr><dimension ref="{_dimension(sheet)}" /><sheetViews><sheetView',
               "" if sheet.selected is None else f' tabSelected="{int(sheet.selected)}"', ' workbookViewId="0">',
               self._panes[index], "</sheetView></sheetViews>", _FORMAT]
        if sheet.widths:
            out.append("<cols>")
            for number, width in sorted((column_index_from_string(column), width) for column, width in sheet.widths.items()):
                out.append(f'<col width="{safe_string(float(width))}" customWidth="1" min="{number}" max="{number}" />')
            out.append("</cols>")
        out.append("<sheetData>")
        links = []
        for row, cells in rows.items():
            height = sheet.heights.get(row)
            if height is None:
                out.append(f'<row r="{row}">')
            else:  # as openpyxl's row dimension: a height of 0 is not written, but that it was set is
                shown = f' ht="{safe_string(float(height))}"' if height else ""
                out.append(f'<row r="{row}"{shown} customHeight="1">')
            for cell in cells:
                if cell.style is None and cell.value is None:
                    continue
                out.append(self._cell(cell, offset))
                if cell.link is not None:
                    links.append(f'<hyperlink ref="{cell.coordinate}" location="{attribute(cell.link)}" '
                                 f'display="{attribute(str(cell.value))}" />')
            out.append("</row>")
        out.append("</sheetData>")
        if sheet.merges:
            merged = [f'<mergeCell ref="{ref}" />' for ref in _merge_order(sheet.merges)]
            out.append(f'<mergeCells count="{len(merged)}">{"".join(merged)}</mergeCells>')
        if links:
            out.append(f"<hyperlinks>{''.join(links)}</hyperlinks>")
        out.append(_PRINTED if sheet.title_rows is not None else _MARGINS)
        out.append("</worksheet>")
        return "".join(out)

    def _cell(self, cell, offset: int) -> str:
        tag = f'<c r="{cell.coordinate}"'
        if cell.style is not None:
            tag += f' s="{self._xf[id(cell)] + offset}"'
        tag += ' t="inlineStr"' if cell.kind == "s" else ' t="n"'
        value = cell.value
        if value is None or value == "":
            return tag + " />"
        if cell.kind == "s":
            stripped = value.strip()
            space = ' xml:space="preserve"' if stripped and value != stripped else ""
            return f"{tag}><is><t{space}>{escape(value)}</t></is></c>"
        return f"{tag}><v>{escape(safe_string(value))}</v></c>"

    def print_titles(self) -> list[str]:
        """The defined names of the sheets' print titles, by each sheet's position among the added ones."""
        names = []
        for index, sheet in enumerate(self.sheets):
            if sheet.title_rows is not None:
                first, last = sheet.title_rows.split(":")
                names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                             f"{escape(quote_sheetname(sheet.title))}!${first}:${last}</definedName>")
        return names


def _writable(cell) -> None:
    """Raise ``Unsupported`` for a cell this writer does not write as openpyxl would (only text and numbers)."""
    if cell.value is None:
        return
    if cell.kind == "s" and isinstance(cell.value, str):
        return
    if cell.kind == "n" and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
        return
    raise Unsupported(f"a cell of kind {cell.kind} holding {type(cell.value).__name__}")


def _rows(sheet: SheetModel) -> dict[int, list]:
    """The sheet's rows in order, each with its cells in order: every row with a cell (a merged range's hidden cells
    count) or a height."""
    rows: dict[int, list] = {}
    for (row, _column), cell in sorted(sheet.cells.items()):
        rows.setdefault(row, []).append(cell)
    for ref in sheet.merges:
        first, _, last = ref.partition(":")
        for row in range(coordinate_from_string(first)[1], coordinate_from_string(last or first)[1] + 1):
            rows.setdefault(row, [])
    for row in sheet.heights:
        rows.setdefault(row, [])
    return dict(sorted(rows.items()))


def _dimension(sheet: SheetModel) -> str:
    rows, columns = set(), set()
    for row, column in sheet.cells:
        rows.add(row)
        columns.add(column)
    for ref in sheet.merges:
        for corner in ref.split(":"):
            column, row = coordinate_from_string(corner)
            rows.add(row)
            columns.add(column_index_from_string(column))
    if not rows:
        return "A1:A1"
    return f"{get_column_letter(min(columns))}{min(rows)}:{get_column_letter(max(columns))}{max(rows)}"


def _pane(freeze: str | None) -> str:
    if freeze is None:
        return '<selection activeCell="A1" sqref="A1" />'
    column, row = coordinate_from_string(freeze)
    if column != "A" or row < 2:
        raise Unsupported("a frozen column")
    return (f'<pane ySplit="{row - 1}" topLeftCell="{freeze}" activePane="bottomLeft" state="frozen" />'
            '<selection pane="bottomLeft" activeCell="A1" sqref="A1" />')


def _merge_order(merges: list[str]) -> list[str]:
    """The merged ranges in the order openpyxl writes them: a set of ranges, hashed as (rows, columns) tuples."""
    ranges: dict[tuple[int, int, int, int], str] = {}
    for ref in merges:
        first, _, last = ref.partition(":")
        (c1, r1), (c2, r2) = coordinate_from_string(first), coordinate_from_string(last or first)
        ranges[(r1, column_index_from_string(c1), r2, column_index_from_string(c2))] = ref
    return [ranges[key] for key in set(ranges)]
