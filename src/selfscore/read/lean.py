"""The lean reader: an .xlsx's cells, styles' number formats and defined names, without building a Workbook.

It reads for the report-only path, and for the full path whenever the in-place writer writes the copy (the
cells' comments and fills are then read too, for the marks and their record); openpyxl loads the workbook only
where that writer gives up.

openpyxl's ``load_workbook`` builds a Cell object per cell, every style object and every sheet's
dimensions, validations and formatting, all to be written back; a report needs the values only. This
reader runs the very parsers ``load_workbook`` runs (openpyxl's worksheet, shared-string, stylesheet and
workbook parsers, which parse through defusedxml) and keeps what the readers look at, in the shape they
look at it: ``LeanWorkbook`` answers the few questions ``by_names`` asks of a workbook (defined names,
sheet names, a cell's value, type, number format and whether it hides inside a merged range), and gives
the label reader its ``Grid``s. The same values in, the same report out: a test runs both paths over
every corpus and compares the JSON.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import iterparse as _c_iterparse

from openpyxl.comments import Comment
from openpyxl.comments.comment_sheet import CommentSheet
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import ExcelReader, _find_workbook_part
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.styles.fills import DEFAULT_EMPTY_FILL, DEFAULT_GRAY_FILL
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, coordinate_to_tuple
from openpyxl.utils.datetime import WINDOWS_EPOCH
from openpyxl.workbook.defined_name import DefinedNameList
from openpyxl.worksheet._reader import INLINE_STRING, MERGE_TAG, ROW_TAG, WorkSheetParser
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergeCells
from openpyxl.xml.constants import COMMENTS_NS, SHEET_MAIN_NS
from openpyxl.xml.functions import fromstring, iterparse

from selfscore.read.by_names import formula_text
from selfscore.read.labels.grid import Grid, GridCell
from selfscore.read.result import CellRef
from selfscore.tables.names import ADDED_SHEETS, MARKS_SHEET


@dataclass
class LeanCell:
    """What ``by_names`` reads of a cell: the value as openpyxl gives it (a formula's text for a formula)."""

    row: int
    column: int
    value: object = None
    data_type: str = "n"
    number_format: str = "General"
    #: a cell inside a merged range other than its top-left one: openpyxl empties it (a MergedCell)
    merged_follower: bool = False
    #: the sheet it is on, as openpyxl's ``cell.parent``
    parent: LeanSheet | None = field(default=None, repr=False, compare=False)
    #: its index into the stylesheet's cell formats; None for a cell the file does not have (openpyxl makes it
    #: with every style index 0, not with the first cell format)
    style_id: int | None = None
    #: its comment as openpyxl's load gives it (read only with ``LeanWorkbook(comments=True)``)
    comment: Comment | None = None

    @property
    def fill(self):
        """The cell's fill, as openpyxl's ``cell.fill`` (what a marked cell's record keeps of how it looked)."""
        return self.parent.styles.fill_of(self.style_id)


@dataclass
class LeanSheet:
    title: str
    sheet_state: str
    cells: dict[tuple[int, int], LeanCell]
    merged: list[tuple[int, int, int, int]]
    #: cached results of formula cells, (row, column) → value; filled only when the sheet has formulas
    cached: dict[tuple[int, int], object] = field(default_factory=dict)
    #: the workbook's stylesheet as read (a cell's fill)
    styles: _Styles | None = field(default=None, repr=False, compare=False)

    def cell(self, row: int, column: int) -> LeanCell:
        """The cell at (row, column): an empty one where the file has none (a merged range's cells are all kept)."""
        found = self.cells.get((row, column))
        return found if found is not None else LeanCell(row, column, parent=self)

    def __getitem__(self, coordinate: str) -> LeanCell:
        letters, row = coordinate_from_string(coordinate)
        return self.cell(row, column_index_from_string(letters))

    def iter_rows(self, min_row: int, max_row: int, max_col: int, values_only: bool = True):
        for row in range(min_row, max_row + 1):
            yield tuple(self.cell(row, column).value for column in range(1, max_col + 1))

    def grid(self) -> Grid:
        """The sheet as ``grids_from_openpyxl`` sees it: non-empty cells, formulas with their cached results."""
        cells: dict[tuple[int, int], GridCell] = {}
        for key in sorted(self.cells):
            cell = self.cells[key]
            if cell.value is None or cell.merged_follower:
                continue
            if cell.data_type == "f":
                cells[key] = GridCell(self.cached.get(key), formula_text(cell.value), cell.number_format)
            else:
                cells[key] = GridCell(cell.value, None, cell.number_format, cell.data_type == "e")
        return Grid(self.title, cells, list(self.merged))


class LeanWorkbook:
    """The parts of a workbook a report is made from; see the module docstring."""

    def __init__(self, data: bytes, *, prescanned: bool = False, comments: bool = False) -> None:
        """``prescanned``: ``safety.check_archive`` has passed ``data`` (no DTD, no entity declaration in any XML
        part); the worksheets it vouches for are then parsed by the C expat parser directly (``_vouched``).
        ``comments``: the cells' comments are read too, as openpyxl's load binds them (the marked-up copy needs
        them; a report does not)."""
        archive = zipfile.ZipFile(io.BytesIO(data))
        reader = ExcelReader(io.BytesIO(data), read_only=False, keep_vba=False, data_only=False, keep_links=True,
                             rich_text=False)
        reader.archive = archive
        reader.valid_files = archive.namelist()
        reader.read_manifest()
        reader.read_strings()
        parser = _WorkbookPartParser(archive, _find_workbook_part(reader.package).PartName[1:])
        parser.parse()
        self.epoch = parser.wb.epoch
        self.defined_names = parser.defined_names.by_sheet().get("global", {})
        styles = _Styles(archive)
        self.sheets: dict[str, LeanSheet] = {}
        self.sheetnames: list[str] = []
        self.chartsheets: list[str] = []
        for sheet, relation in parser.find_sheets():
            if relation.target not in reader.valid_files:
                continue
            self.sheetnames.append(sheet.name)
            if "chartsheet" in relation.Type:
                self.chartsheets.append(sheet.name)
                continue
            self.sheets[sheet.name] = _read_sheet(archive, relation.target, sheet.name, sheet.state or "visible",
                                                  reader.shared_strings, styles, self.epoch, prescanned)
            if comments:
                _bind_comments(archive, relation.target, self.sheets[sheet.name])

    @property
    def worksheets(self) -> list[LeanSheet]:
        return list(self.sheets.values())

    def __contains__(self, title: str) -> bool:
        return title in self.sheets

    def __getitem__(self, title: str) -> LeanSheet:
        return self.sheets[title]

    def grids(self) -> list[Grid]:
        return [sheet.grid() for sheet in self.sheets.values() if sheet.title not in (MARKS_SHEET, *ADDED_SHEETS)]


class _Book:
    """What openpyxl's workbook parser sets on a workbook, without building one (styles, a first sheet…)."""

    def __init__(self) -> None:
        self.epoch = WINDOWS_EPOCH
        self._external_links: list = []


class _WorkbookPartParser(WorkbookParser):
    """openpyxl's own parser of xl/workbook.xml (sheets, defined names, the 1904 calendar, external links)."""

    def __init__(self, archive: zipfile.ZipFile, workbook_part_name: str) -> None:
        # the base class's __init__, less the Workbook() it makes (a first sheet, default styles: a millisecond)
        self.archive = archive
        self.workbook_part_name = workbook_part_name
        self.defined_names = DefinedNameList()
        self.wb = _Book()
        self.keep_links = True
        self.sheets = []


class CachedFromSheets:
    """``by_names``' source of formula results, answered from the sheets already read."""

    def __init__(self, workbook: LeanWorkbook) -> None:
        self._workbook = workbook

    def get(self, ref: CellRef) -> object:
        sheet = self._workbook[ref.sheet]
        cell = sheet[ref.cell]
        return sheet.cached.get((cell.row, cell.column))


class _Styles:
    """A style index → its number format, and which style indices openpyxl turns into dates and durations.

    Read with openpyxl's own stylesheet parser: it is where files from other programs most often break
    openpyxl's load, and the report must then be the full path's (read by calamine), not one read here.
    """

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.formats: list[str] = ["General"]  # openpyxl's default workbook style only
        self.fills: list = [DEFAULT_EMPTY_FILL, DEFAULT_GRAY_FILL]  # openpyxl's default workbook's
        self.fill_ids: list[int] = [0]
        self.date_formats: set[int] = set()
        self.timedelta_formats: set[int] = set()
        try:
            source = archive.read("xl/styles.xml")
        except KeyError:
            return
        stylesheet = Stylesheet.from_tree(fromstring(source))
        if not stylesheet.cell_styles:
            return
        self.date_formats = stylesheet.date_formats
        self.timedelta_formats = stylesheet.timedelta_formats
        self.fills = list(stylesheet.fills)
        self.fill_ids = [style.fillId for style in stylesheet.cell_styles]
        self.formats = []
        for style in stylesheet.cell_styles:  # as openpyxl's Cell.number_format reads it
            number = style.numFmtId
            if number < BUILTIN_FORMATS_MAX_SIZE:
                self.formats.append(BUILTIN_FORMATS.get(number, "General"))
            elif number - BUILTIN_FORMATS_MAX_SIZE < len(stylesheet.number_formats):
                self.formats.append(stylesheet.number_formats[number - BUILTIN_FORMATS_MAX_SIZE])
            else:
                raise _NotLean(f"number format {number} is not defined")

    def format_of(self, style_id: int) -> str:
        return self.formats[style_id]  # an index out of range fails, as openpyxl's load does

    def fill_of(self, style_id: int | None):
        # as openpyxl's cell.fill: an index out of range fails
        return self.fills[0 if style_id is None else self.fill_ids[style_id]]


class _NotLean(Exception):
    """Something only openpyxl's full load answers for sure: the full path reads this file."""


class _ValuesParser(WorkSheetParser):
    """openpyxl's worksheet parser, keeping only what a report needs: the rows' cells and the merged ranges.

    Validations, conditional formats, views, page setup and the rest are what ``load_workbook`` turns into
    objects to write them back; a report never looks at them.
    """

    def parse_cell(self, element):
        """openpyxl's reading, with a short way for the commonest cell of all: one plain inline string."""
        if element.get("t") == "inlineStr" and len(element) == 1:
            inline = element[0]
            if inline.tag == INLINE_STRING and len(inline) == 1 and inline[0].tag == _TEXT and not len(inline[0]):
                coordinate = element.get("r")
                if coordinate:
                    row, column = coordinate_to_tuple(coordinate)
                    self.col_counter = column
                else:
                    self.col_counter += 1
                    row, column = self.row_counter, self.col_counter
                style_id = element.get("s", 0)
                # Text.from_tree(inline).content: the one <t>'s text, "" when it is empty
                return {"row": row, "column": column, "value": inline[0].text or "", "data_type": "s",
                        "style_id": int(style_id) if style_id else 0}
        return super().parse_cell(element)

    #: the part is one the safety pre-scan read as bytes and found free of DTDs: C expat parses it directly
    vouched = False

    def parse(self):
        # defusedxml's iterparse is ElementTree's pure-Python one (its callbacks are Python, about 3× slower)
        for _, element in (_c_iterparse if self.vouched else iterparse)(self.source):
            tag = element.tag
            if tag == ROW_TAG:
                row = self.parse_row(element)
                element.clear()
                yield row
            elif tag == MERGE_TAG:
                self.merged_cells = MergeCells.from_tree(element)
                element.clear()
            elif tag in _SKIPPED:
                element.clear()


_TEXT = f"{{{SHEET_MAIN_NS}}}t"
_SKIPPED = {f"{{{SHEET_MAIN_NS}}}{name}" for name in (
    "dataValidations", "conditionalFormatting", "extLst", "cols", "sheetViews", "pageSetup", "headerFooter",
    "hyperlinks", "sheetProtection", "rowBreaks", "colBreaks", "customSheetViews", "autoFilter")}


_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)""")


def _vouched(archive: zipfile.ZipFile, path: str) -> bool:
    """Whether the pre-scan's byte search for ``<!DOCTYPE``/``<!ENTITY`` covers this part: it scans the members
    named .xml (.rels, .vml) as bytes, which finds them only in UTF-8 or ASCII text. A part in UTF-16, in another
    declared encoding or under another name keeps defusedxml."""
    if not path.lower().endswith(".xml"):
        return False
    with archive.open(path) as stream:
        head = stream.read(256).removeprefix(b"\xef\xbb\xbf")
    if not head.startswith(b"<"):
        return False
    declared = _ENCODING.match(head)
    if head.startswith(b"<?xml") and b"?>" not in head:
        return False
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")


def _read_sheet(archive: zipfile.ZipFile, path: str, title: str, state: str, strings: list, styles: _Styles,
                epoch, prescanned: bool = False) -> LeanSheet:
    vouched = prescanned and _vouched(archive, path)

    def parse(data_only: bool) -> WorkSheetParser:
        parser = _ValuesParser(archive.open(path), strings, data_only=data_only, epoch=epoch or WINDOWS_EPOCH,
                               date_formats=styles.date_formats, timedelta_formats=styles.timedelta_formats)
        parser.vouched = vouched
        return parser

    parser = parse(False)
    cells: dict[tuple[int, int], LeanCell] = {}
    formulas = False
    for _, row in parser.parse():
        for item in row:
            key = (item["row"], item["column"])
            style_id = item["style_id"]
            cells[key] = LeanCell(key[0], key[1], item["value"], item["data_type"], styles.format_of(style_id),
                                  style_id=style_id)
            formulas = formulas or item["data_type"] == "f"
    merged = []
    for merge in (parser.merged_cells.mergeCell if parser.merged_cells else []):
        bounds = CellRange(merge.ref)
        merged.append((bounds.min_row, bounds.min_col, bounds.max_row, bounds.max_col))
    sheet = LeanSheet(title, state, cells, merged, styles=styles)
    _empty_merged_followers(sheet)
    for cell in cells.values():
        cell.parent = sheet
    if formulas:  # openpyxl's formula results come from a second, data-only parse of the same part
        cached = parse(True)
        for _, row in cached.parse():
            for item in row:
                key = (item["row"], item["column"])
                if key in cells and cells[key].data_type == "f" and not cells[key].merged_follower:
                    sheet.cached[key] = item["value"]
    return sheet


def _bind_comments(archive: zipfile.ZipFile, path: str, sheet: LeanSheet) -> None:
    """The sheet's comments on its cells, as openpyxl's load binds them: a comment makes its cell exist, and one on
    a merged range's hidden cell is dropped."""
    rels_path = get_rels_path(path)
    if rels_path not in archive.namelist():
        return
    for relation in get_dependents(archive, rels_path).find(COMMENTS_NS):
        for ref, comment in CommentSheet.from_tree(fromstring(archive.read(relation.target))).comments:
            row, column = coordinate_to_tuple(ref)
            cell = sheet.cells.get((row, column))
            if cell is None:
                cell = sheet.cells[(row, column)] = LeanCell(row, column, parent=sheet)
            if not cell.merged_follower:
                cell.comment = comment


def _empty_merged_followers(sheet: LeanSheet) -> None:
    """openpyxl replaces every cell of a merged range but the top-left one by an empty MergedCell."""
    for top, left, bottom, right in sheet.merged:
        for row in range(top, bottom + 1):
            for column in range(left, right + 1):
                if (row, column) != (top, left):
                    sheet.cells[(row, column)] = LeanCell(row, column, merged_follower=True)
