"""The sheets selfscore adds to a marked-up copy — 「校验结果」, 「问题清单」, 「识别到的单元格」 and the hidden marks
record — as data: cells (value, style, link), merged ranges, column widths, row heights, frozen rows, print setup and
the sheet's state. ``write.markup.results_sheets`` and ``write.marks.record_sheet`` say once what the sheets hold;
two renderers write them: ``to_workbook`` (here) as openpyxl sheets, for the copy openpyxl writes, and
``write.sheet_xml`` as the XML parts the in-place writer grafts into the filler's own zip.

A style is a small set of keywords (``bold``, ``size``, ``fill``, ``wrap``, ``border``, ``align``, ``colour``,
``underline``), turned into openpyxl's style objects by ``apply_style`` and into a stylesheet's fonts, fills, borders
and cell formats by ``write.sheet_xml``; a link's cell takes the link font (``LINK_FONT``).
"""

from __future__ import annotations

import functools
from copy import copy
from dataclasses import dataclass

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from selfscore.tables.numbers import json_number
from selfscore.write.template import print_setup

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
FONT_NAME = "宋体"
#: the font of a cell that links to another sheet's cell (as Excel underlines a link, in its blue)
LINK_FONT = {"name": FONT_NAME, "size": 10.5, "color": "0563C1", "underline": "single"}
MAX_TEXT = 32767  # Excel's limit for one cell (openpyxl cuts a longer text there)

#: a style: its keywords, sorted (the form ``apply_style`` caches them by)
StyleKey = tuple[tuple[str, object], ...]


def safe_text(value: object) -> str:
    """Text that openpyxl can write and Excel can hold: no control characters, not too long."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", "" if value is None else str(value))
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def style_key(**style) -> StyleKey:
    return tuple(sorted(style.items()))


def style_objects(key: StyleKey) -> tuple[Font, Alignment, Border | None, PatternFill | None]:
    """A style's font, alignment, border (None: none) and fill (None: none), as openpyxl's objects."""
    style = {"bold": False, "size": 10.5, "fill": None, "wrap": True, "border": True, "align": "left", "colour": None,
             "underline": None} | dict(key)
    font = Font(name=FONT_NAME, size=style["size"], bold=style["bold"], color=style["colour"],
                underline=style["underline"])
    alignment = Alignment(horizontal=style["align"], vertical="center", wrap_text=style["wrap"])
    fill = PatternFill("solid", fgColor=style["fill"]) if style["fill"] else None
    return font, alignment, _BORDER if style["border"] else None, fill


def apply_style(cell, key: StyleKey) -> None:
    """Give an openpyxl cell a style. Building and hashing style objects cell by cell is most of the cost of writing
    a sheet with openpyxl; each workbook builds one style per combination once and copies its indices to every other
    cell."""
    workbook = cell.parent.parent
    cache = workbook.__dict__.setdefault("_selfscore_styles", {})
    fields = cache.get(key)
    if fields is None:
        font, alignment, border, fill = style_objects(key)
        cell.font = font
        cell.alignment = alignment
        if border is not None:
            cell.border = border
        if fill is not None:
            cell.fill = fill
        names = ("fontId", "alignmentId") + (("borderId",) if border is not None else ()) + \
                (("fillId",) if fill is not None else ())
        cache[key] = fields = tuple((name, getattr(cell._style, name)) for name in names)
        return
    array = copy(cell._style) if cell._style else StyleArray()  # never change an array another cell shares
    for name, value in fields:
        setattr(array, name, value)
    cell._style = array


@dataclass(slots=True)
class CellSpec:
    """One cell: its value as openpyxl holds it, its kind ("s" text, "n" number), its style (None: unstyled) and the
    cell it links to (``'sheet'!cell``)."""

    coordinate: str
    value: str | int | float | None
    kind: str
    style: StyleKey | None = None
    link: str | None = None


class SheetModel:
    """A sheet to add: created at ``index`` (None: after the others) when the book's sheets are created in order."""

    def __init__(self, title: str, index: int | None = None) -> None:
        self.title = title
        self.index = index
        self.cells: dict[tuple[int, int], CellSpec] = {}
        self.merges: list[str] = []
        self.widths: dict[str, float] = {}
        self.heights: dict[int, float] = {}
        self.freeze: str | None = None
        #: the rows printed on every page ("5:5"); set, the sheet is printed landscape on A4, one page wide
        self.title_rows: str | None = None
        self.state = "visible"
        #: the tab selected when the book opens (True), not (False), or left as it is (None)
        self.selected: bool | None = None
        self.rows = 0

    def _put(self, coordinate: str, value, kind: str, style: StyleKey | None) -> CellSpec:
        key = _cell_key(coordinate)
        cell = self.cells[key] = CellSpec(coordinate, value, kind, style)
        self.rows = max(self.rows, key[0])
        return cell

    def text(self, coordinate: str, value: object, **style) -> None:
        """A value as text, never as a formula, whatever it starts with."""
        self._put(coordinate, safe_text(value), "s", style_key(**style))

    def number(self, coordinate: str, value, **style) -> None:
        """A score or count the tool computed or parsed, as a number a reviewer can sum and sort (two decimals at
        most)."""
        self._put(coordinate, json_number(value), "n", style_key(**style))

    def link(self, coordinate: str, sheet: str, cell: str) -> None:
        """The cell (already written) links to ``cell`` of ``sheet``, in the link font."""
        self.cells[_cell_key(coordinate)].link = "'{}'!{}".format(sheet.replace("'", "''"), cell)  # a'b: 'a''b'!A1

    def merge(self, cells: str) -> None:
        self.merges.append(cells)

    def append(self, values: tuple) -> None:
        """A row of unstyled text cells after the last row (None: a cell without a value), as openpyxl's ``append``."""
        self.rows += 1
        for column, value in enumerate(values, start=1):
            text = None if value is None else str(value)[:MAX_TEXT]  # as openpyxl keeps a text
            self.cells[(self.rows, column)] = CellSpec(f"{get_column_letter(column)}{self.rows}", text,
                                                       "n" if text is None else "s")


@functools.cache
def _cell_key(coordinate: str) -> tuple[int, int]:
    """(row, column) of a cell's coordinate ("B7": (7, 2)); the sheets use the same few hundred again and again."""
    column, row = coordinate_from_string(coordinate)
    return row, column_index_from_string(column)


class Book:
    """The sheets to add, in the order they are created (each at its ``index``)."""

    def __init__(self) -> None:
        self.created: list[SheetModel] = []

    def create_sheet(self, title: str, index: int | None = None) -> SheetModel:
        sheet = SheetModel(title, index)
        self.created.append(sheet)
        return sheet

    @property
    def worksheets(self) -> list[SheetModel]:
        """The sheets in the order they end up in (the added ones only)."""
        order: list[SheetModel] = []
        for sheet in self.created:
            order.insert(len(order) if sheet.index is None else sheet.index, sheet)
        return order

    @property
    def sheetnames(self) -> list[str]:
        return [sheet.title for sheet in self.worksheets]


def to_workbook(workbook, sheets: list[SheetModel]) -> None:
    """Create ``sheets`` (in this order, each at its index) in an openpyxl workbook; a sheet selected makes every
    sheet of the workbook unselected but it, and the active one."""
    existing = list(workbook.worksheets)
    created = []
    for model in sheets:
        sheet = workbook.create_sheet(model.title, model.index)
        created.append(sheet)
        for column, width in model.widths.items():
            sheet.column_dimensions[column].width = width
        for cells in model.merges:
            sheet.merge_cells(cells)
        for (row, column), spec in model.cells.items():
            cell = sheet.cell(row, column)
            cell.value = spec.value
            cell.data_type = "s" if spec.kind == "s" and spec.value is not None else cell.data_type
            if spec.style is not None:
                apply_style(cell, spec.style)
            if spec.kind == "n" and spec.style is not None:
                cell.data_type = "n"
                cell.number_format = "General"
            if spec.link is not None:
                cell.hyperlink = Hyperlink(ref=spec.coordinate, location=spec.link, display=str(cell.value))
                cell.font = Font(**LINK_FONT)
        for row, height in model.heights.items():
            sheet.row_dimensions[row].height = height
        if model.freeze is not None:
            sheet.freeze_panes = model.freeze
        if model.title_rows is not None:
            print_setup(sheet, model.title_rows)
        sheet.sheet_state = model.state
    chosen = [sheet for sheet, model in zip(created, sheets, strict=True) if model.selected]
    if chosen:
        for other in existing:
            other.sheet_view.tabSelected = False
        for sheet, model in zip(created, sheets, strict=True):
            if model.selected is not None:
                sheet.sheet_view.tabSelected = model.selected
        workbook.active = workbook.worksheets.index(chosen[0])
