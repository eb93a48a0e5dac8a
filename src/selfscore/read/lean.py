"""The lean reader: an .xlsx's cells, styles' number formats and defined names, without building a Workbook.

It reads for the report-only path, and for the full path whenever the in-place writer writes the copy (the
cells' comments and fills are then read too, for the marks and their record); openpyxl loads the workbook only
where that writer gives up.

openpyxl's ``load_workbook`` builds a Cell object per cell, every style object and every sheet's
dimensions, validations and formatting, all to be written back; a report needs the values only. This
reader keeps what the readers look at, in the shape they look at it: ``LeanWorkbook`` answers the few
questions ``by_names`` asks of a workbook (defined names, sheet names, a cell's value, type, number format
and whether it hides inside a merged range), and gives the label reader its ``Grid``s. It reads as
``load_workbook`` reads:

- the content types and the workbook part (sheets, defined names, the 1904 calendar) as openpyxl's own parsers
  read them: a vouched, plain part's overrides, sheets and names from C expat's tree (``_content_types``,
  ``_workbook_part``; the rest of the workbook part by openpyxl's ``WorkbookPackage``), any other part by
  openpyxl's ``Manifest`` and ``WorkbookParser``; the stylesheet by ``lean_styles`` where every element and
  value in it is one openpyxl certainly accepts and by openpyxl's parser otherwise; each once for each distinct content of those parts
  (``_remembered``: a batch of workbooks made from one template carries the same bytes in every file, and what
  openpyxl makes of a part is a function of its bytes alone; a part it rejects is rejected every time);
- the worksheets' rows by ``_read_rows``: the commonest cells straight from the element, every other one by
  openpyxl's ``WorkSheetParser.parse_cell``, with openpyxl's own row and column counters; a formula's saved
  result in the same pass, as openpyxl's second, data-only parse reads it; a small part the safety pre-scan
  vouched for as one tree built by C expat, any other part streamed;
- the shared strings by openpyxl's ``read_string_table``, or its very loop over C expat for a vouched part.

The same values in, the same report out: a test runs both paths over every corpus and compares the JSON, and
``tests/read/test_lean_rows.py`` reads random rows and workbooks both ways.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache, partial
from xml.etree.ElementTree import fromstring as _c_fromstring
from xml.etree.ElementTree import iterparse as _c_iterparse

from openpyxl.cell.text import Text
from openpyxl.comments import Comment
from openpyxl.comments.comment_sheet import CommentSheet
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.packaging.workbook import WorkbookPackage
from openpyxl.reader.excel import _find_workbook_part
from openpyxl.reader.strings import read_string_table
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.styles.fills import DEFAULT_EMPTY_FILL, DEFAULT_GRAY_FILL
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, coordinate_to_tuple
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH
from openpyxl.workbook.defined_name import DefinedNameList
from openpyxl.worksheet._reader import (
    CELL_TAG,
    FORMULA_TAG,
    INLINE_STRING,
    MERGE_TAG,
    ROW_TAG,
    VALUE_TAG,
    WorkSheetParser,
    _cast_number,
)
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergeCell, MergeCells
from openpyxl.xml.constants import (
    ARC_CONTENT_TYPES,
    COMMENTS_NS,
    CONTYPES_NS,
    REL_NS,
    SHARED_STRINGS,
    SHEET_MAIN_NS,
    XLSM,
    XLSX,
    XLTM,
    XLTX,
)
from openpyxl.xml.functions import fromstring, iterparse

from selfscore.read import lean_styles
from selfscore.read.by_names import formula_text
from selfscore.read.labels.grid import Grid, GridCell
from selfscore.read.result import CellRef
from selfscore.read.safety import REMEMBERED_PART_BYTES, REMEMBERED_PARTS, utf8_head
from selfscore.tables.names import ADDED_SHEETS, MARKS_SHEET


@dataclass(slots=True)
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
        part); the worksheets and shared strings it vouches for are then parsed by the C expat parser directly
        (``_vouched``). ``comments``: the cells' comments are read too, as openpyxl's load binds them (the
        marked-up copy needs them; a report does not)."""
        archive = zipfile.ZipFile(io.BytesIO(data))
        valid_files = archive.namelist()
        head = _head(archive, valid_files, prescanned)
        self.epoch = head.epoch
        self.defined_names = head.defined_names
        strings = _shared_strings(archive, head.strings_path, prescanned)
        styles = _styles(archive, prescanned)
        self.sheets: dict[str, LeanSheet] = {}
        self.sheetnames: list[str] = []
        self.chartsheets: list[str] = []
        for name, state, target, chart in head.sheets:
            if target not in valid_files:
                continue
            self.sheetnames.append(name)
            if chart:
                self.chartsheets.append(name)
                continue
            self.sheets[name] = _read_sheet(archive, target, name, state, strings, styles, self.epoch, prescanned)
            if comments:
                _bind_comments(archive, target, self.sheets[name])

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


@dataclass(frozen=True)
class _Head:
    """What the content types, the workbook part and its relationships say, as openpyxl's load reads them."""

    strings_path: str | None
    epoch: object
    #: the workbook-scoped defined names (openpyxl's ``DefinedName`` objects, never changed once read)
    defined_names: dict
    #: each sheet openpyxl's ``find_sheets`` yields: its name, state, part and whether it is a chart sheet
    sheets: tuple[tuple[str, str, str, bool], ...]


#: parts' bytes → what openpyxl read of them (see ``_remembered``)
_MANIFESTS: dict[bytes, tuple[str, str | None]] = {}
_HEADS: dict[tuple, _Head] = {}
_STYLES: dict[bytes, _Styles] = {}


def _remembered(cache: dict, key, make):
    """``make()``, remembered by ``key``: the bytes of the parts it reads and nothing else.

    openpyxl's parsers of the content types, the workbook part and the stylesheet build and validate an object per
    element (a stylesheet was 1 ms of an 8 ms report); a batch of workbooks made from one template carries the same
    bytes in every file. What a part's bytes give is a pure function of them, so a repeat gives the same answer;
    a part openpyxl rejects raises every time (nothing is remembered for it)."""
    found = cache.get(key)
    if found is None:
        found = make()
        if sum(len(item) for item in (key if isinstance(key, tuple) else (key,)) if item is not None) > REMEMBERED_PART_BYTES:
            return found  # a part this large is no template's: kept out, so that 64 of them never fill the memory
        if len(cache) >= REMEMBERED_PARTS:
            try:  # the oldest goes (another thread may have taken it first)
                cache.pop(next(iter(cache)), None)
            except (StopIteration, RuntimeError):
                pass
        cache[key] = found
    return found


def _head(archive: zipfile.ZipFile, valid_files: list[str], prescanned: bool = False) -> _Head:
    manifest = archive.read(ARC_CONTENT_TYPES)
    part, strings = _remembered(_MANIFESTS, manifest, lambda: _content_types(
        manifest, prescanned and _vouched_head(ARC_CONTENT_TYPES.lower(), manifest)))
    rels = get_rels_path(part)
    workbook = archive.read(part)
    key = (manifest, part, workbook, archive.read(rels) if rels in valid_files else None)
    found = _HEADS.get(key)
    if found is not None:
        return found
    parser = _WorkbookPartParser(archive, part)
    read = _workbook_part(parser, workbook) if prescanned and _vouched_head(part, workbook) else None
    if read is None:
        parser.parse()
        read = (parser.defined_names.by_sheet().get("global", {}),
                tuple((sheet.name, sheet.state or "visible", relation.target, "chartsheet" in relation.Type)
                      for sheet, relation in parser.find_sheets()))
    head = _Head(strings, parser.wb.epoch, *read)
    if not parser.wb._external_links:  # an external link is read from its own part: not a function of these bytes
        _remembered(_HEADS, key, lambda: head)
    return head


_CONTENT_TYPES = f"{{{CONTYPES_NS}}}"
_WORKBOOK_TYPES = (XLTM, XLTX, XLSM, XLSX)  # openpyxl's _find_workbook_part looks for them in this order


def _content_types(manifest: bytes, vouched: bool) -> tuple[str, str | None]:
    """The workbook part and the shared strings' part (None without one), as openpyxl's load finds them in the
    content types (``_find_workbook_part``, ``Manifest.find(SHARED_STRINGS)``).

    A vouched part made of <Default Extension ContentType> and <Override PartName ContentType> alone, with a
    workbook among its overrides, is read here from C expat's tree; any other by openpyxl's ``Manifest``, which
    raises where openpyxl's load raises."""
    overrides = _plain_content_types(manifest) if vouched else None
    if overrides is not None:
        workbook = next((overrides[kind] for kind in _WORKBOOK_TYPES if kind in overrides), None)
        if workbook is not None:
            strings = overrides.get(SHARED_STRINGS)
            return workbook[1:], strings[1:] if strings is not None else None
    package = Manifest.from_tree(fromstring(manifest))
    strings = package.find(SHARED_STRINGS)
    return _find_workbook_part(package).PartName[1:], strings.PartName[1:] if strings is not None else None


_DEFAULT_ATTRIBUTES = frozenset(("Extension", "ContentType"))
_OVERRIDE_ATTRIBUTES = frozenset(("PartName", "ContentType"))


def _plain_content_types(manifest: bytes) -> dict[str, str] | None:
    """Each content type → the first override's part name, for a plain content types part; None for another."""
    try:
        root = _c_fromstring(manifest)
    except Exception:
        return None
    if root.tag != _CONTENT_TYPES + "Types" or root.attrib or (root.text and root.text.strip()):
        return None
    overrides: dict[str, str] = {}
    for child in root:
        if len(child) or (child.text and child.text.strip()):
            return None
        if child.tag == _CONTENT_TYPES + "Override" and child.keys() and frozenset(child.keys()) == _OVERRIDE_ATTRIBUTES:
            overrides.setdefault(child.get("ContentType"), child.get("PartName"))
        elif not (child.tag == _CONTENT_TYPES + "Default" and frozenset(child.keys()) == _DEFAULT_ATTRIBUTES):
            return None
    return overrides


_MAIN = f"{{{SHEET_MAIN_NS}}}"
_RELATION_ID = f"{{{REL_NS}}}id"
_SHEET_ATTRIBUTES = frozenset(("name", "sheetId", "state", _RELATION_ID))
_SHEET_STATES = frozenset(("visible", "hidden", "veryHidden"))
_SHEET_ID = re.compile(r"[0-9]{1,9}").fullmatch
#: a defined name's attributes whose every value openpyxl's ``DefinedName`` takes (texts, and booleans: its ``Bool``
#: makes one of any text), besides ``localSheetId`` (an integer: checked); an attribute in another namespace is dropped
_NAME_ATTRIBUTES = frozenset(("name", "localSheetId", "comment", "customMenu", "description", "help", "statusBar",
                              "shortcutKey", "hidden", "function", "vbProcedure", "xlm", "publishToServer",
                              "workbookParameter"))
#: the workbook-scoped names openpyxl's ``DefinedNameList.by_sheet`` leaves out
_UNSCOPED = frozenset(("_xlnm.Print_Titles", "_xlnm.Print_Area", "_xlnm._FilterDatabase"))


@dataclass(frozen=True, slots=True)
class DefinedName:
    """A workbook-scoped defined name, as much of openpyxl's ``DefinedName`` as the readers ask of one: its name
    and its text (``attr_text``; ``by_names.destinations_of`` reads the ranges it names from the text)."""

    name: str
    attr_text: str | None


def _workbook_part(parser: _WorkbookPartParser, workbook: bytes) -> tuple[dict, tuple] | None:
    """The workbook part's defined names and sheets, as ``_head`` reads them through openpyxl's parser, for a plain
    part: its <sheets> and <definedNames> read here from C expat's tree, everything else by openpyxl's
    ``WorkbookPackage`` (which sets the 1904 calendar on ``parser.wb`` as openpyxl's parser does, and raises where
    it raises). None where anything in <sheets> or <definedNames> is unusual (a sheet without a relationship, a
    name with an attribute openpyxl may refuse, an element in another namespace, Strict…) or the part links other
    workbooks: openpyxl's parser then reads it."""
    try:
        root = _c_fromstring(workbook)
    except Exception:
        return None
    if root.tag != _MAIN + "workbook":
        return None
    sheets = names = None
    for child in list(root):
        local = child.tag.rpartition("}")[2] if isinstance(child.tag, str) else None
        if local not in ("sheets", "definedNames"):
            continue
        if child.tag != _MAIN + local or child.attrib or (sheets if local == "sheets" else names) is not None:
            return None
        if local == "sheets":
            sheets = child
        else:
            names = child
        root.remove(child)
    found = []
    for sheet in sheets if sheets is not None else ():
        keys = sheet.keys()
        if (sheet.tag != _MAIN + "sheet" or len(sheet) or not all(key in _SHEET_ATTRIBUTES or key[0] == "{" for key in keys)
                or sheet.get("name") is None or not _SHEET_ID(sheet.get("sheetId") or "")
                or sheet.get(_RELATION_ID) is None or sheet.get("state", "visible") not in _SHEET_STATES):
            return None
        found.append((sheet.get("name"), sheet.get("state", "visible"), sheet.get(_RELATION_ID)))
    scoped: dict[str, DefinedName] = {}
    for name in names if names is not None else ():
        text, local_sheet = name.get("name"), name.get("localSheetId")
        if (name.tag != _MAIN + "definedName" or len(name) or text is None
                or not all(key in _NAME_ATTRIBUTES or key[0] == "{" for key in name.keys())
                or (local_sheet is not None and not _SHEET_ID(local_sheet))):
            return None
        if local_sheet is None and text not in _UNSCOPED:
            scoped[text] = DefinedName(text, name.text)
    package = WorkbookPackage.from_tree(root)
    if package.externalReferences:
        return None
    if package.properties.date1904:
        parser.wb.epoch = CALENDAR_MAC_1904
    relations = parser.rels if found else {}
    if any(relation not in relations for _, _, relation in found):
        return None  # openpyxl's find_sheets fails on it
    return scoped, tuple((title, state, relations[relation].target, "chartsheet" in relations[relation].Type)
                         for title, state, relation in found)


def _shared_strings(archive: zipfile.ZipFile, path: str | None, prescanned: bool) -> list:
    """openpyxl's ``read_string_table``, parsed by C expat where the pre-scan vouched for the part; a plain
    <si><t>…</t></si> read from the element, any other by openpyxl's ``Text.from_tree``."""
    if path is None:
        return []
    if not (prescanned and _vouched(archive, path)):
        with archive.open(path) as source:
            return read_string_table(source)
    strings = []
    with archive.open(path) as source:
        for _, node in _c_iterparse(source):
            if node.tag == _STRING:
                if not node.attrib and len(node) == 1 and node[0].tag == _TEXT and not len(node[0]):
                    text = node[0].text or ""  # Text.from_tree(<si><t>…</t></si>).content: the one <t>'s text
                else:
                    text = Text.from_tree(node).content
                strings.append(text.replace("x005F_", ""))
                node.clear()
    return strings


def _styles(archive: zipfile.ZipFile, prescanned: bool) -> _Styles:
    try:
        source = archive.read("xl/styles.xml")
    except KeyError:
        return _Styles(None)
    return _remembered(_STYLES, source, lambda: _Styles(source, prescanned and _vouched_head("xl/styles.xml", source)))


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

    Read by ``lean_styles`` where the pre-scan vouched for the part and every element and value in it is one
    openpyxl certainly accepts, else with openpyxl's own stylesheet parser (once per distinct stylesheet,
    ``_styles``): the stylesheet is where files from other programs most often break openpyxl's load, and the
    report must then be the full path's (read by calamine), not one read here. A stylesheet openpyxl rejects
    raises here too, every time.
    """

    def __init__(self, source: bytes | None, vouched: bool = False) -> None:
        """``vouched``: the pre-scan vouched for the part, which ``lean_styles.read`` may then read itself."""
        self.formats: list[str] = ["General"]  # openpyxl's default workbook style only
        self._fills: list | None = [DEFAULT_EMPTY_FILL, DEFAULT_GRAY_FILL]  # openpyxl's default workbook's
        self._make_fills = None
        self.fill_ids: list[int] = [0]
        self.date_formats: set[int] = set()
        self.timedelta_formats: set[int] = set()
        if source is None:
            return
        read = lean_styles.read(source) if vouched else None
        if read is not None:
            cell_styles, number_formats, fills = read.cell_styles, read.number_formats, read.fills
            dates, durations = read.date_formats, read.timedelta_formats
        else:
            stylesheet = Stylesheet.from_tree(fromstring(source))
            cell_styles = [(style.numFmtId, style.fillId) for style in stylesheet.cell_styles]
            number_formats, dates, durations = (stylesheet.number_formats, stylesheet.date_formats,
                                                stylesheet.timedelta_formats)
            fills = partial(list, stylesheet.fills)
        if not cell_styles:
            return
        self.date_formats = dates
        self.timedelta_formats = durations
        self._fills, self._make_fills = None, fills
        self.fill_ids = [fill for _, fill in cell_styles]
        self.formats = []
        for number, _ in cell_styles:  # as openpyxl's Cell.number_format reads it
            if number < BUILTIN_FORMATS_MAX_SIZE:
                self.formats.append(BUILTIN_FORMATS.get(number, "General"))
            elif number - BUILTIN_FORMATS_MAX_SIZE < len(number_formats):
                self.formats.append(number_formats[number - BUILTIN_FORMATS_MAX_SIZE])
            else:
                raise _NotLean(f"number format {number} is not defined")

    @property
    def fills(self) -> list:
        """The stylesheet's fills, as openpyxl's; built when first asked for (only the marks' record asks)."""
        if self._fills is None:
            self._fills = self._make_fills()
        return self._fills

    def format_of(self, style_id: int) -> str:
        return self.formats[style_id]  # an index out of range fails, as openpyxl's load does

    def fill_of(self, style_id: int | None):
        # as openpyxl's cell.fill: an index out of range fails
        return self.fills[0 if style_id is None else self.fill_ids[style_id]]


class _NotLean(Exception):
    """Something only openpyxl's full load answers for sure: the full path reads this file."""


class _ValuesParser(WorkSheetParser):
    """openpyxl's worksheet parser, for its state (the row and column counters, shared formulas, the shared
    strings, the date formats) and for every cell ``_read_rows`` does not read itself."""

    #: the part is one the safety pre-scan read as bytes and found free of DTDs: C expat parses it directly
    vouched = False
    #: the merged ranges of its last <mergeCells>, (top, left, bottom, right) each (``_merged``)
    merged: list[tuple[int, int, int, int]] = []


_TEXT = f"{{{SHEET_MAIN_NS}}}t"
_STRING = f"{{{SHEET_MAIN_NS}}}si"
_DATA = f"{{{SHEET_MAIN_NS}}}sheetData"
_MERGE_CELL = f"{{{SHEET_MAIN_NS}}}mergeCell"
#: the largest worksheet part read as one tree (``_read_rows``): a template's sheets are tens of kB; a sheet at the
#: safety caps (100 000 cells, megabytes) is streamed, so that its tree is never whole in memory
_WHOLE_TREE = 1024 * 1024
_SKIPPED = {f"{{{SHEET_MAIN_NS}}}{name}" for name in (
    "dataValidations", "conditionalFormatting", "extLst", "cols", "sheetViews", "pageSetup", "headerFooter",
    "hyperlinks", "sheetProtection", "rowBreaks", "colBreaks", "customSheetViews", "autoFilter")}
#: the cell types whose value openpyxl's ``parse_cell`` takes from the <v> alone: a number (no ``t``, or "n"),
#: a shared string's index, a formula's text result, a boolean, an error
_PLAIN_TYPES = frozenset((None, "n", "s", "str", "b", "e"))

#: openpyxl's ``coordinate_to_tuple`` (a pure function of the text), remembered: a template's cells recur
_coordinate = lru_cache(maxsize=1 << 16)(coordinate_to_tuple)


class _Unusual(Exception):
    """A cell ``_plain`` does not read: openpyxl's ``parse_cell`` does."""


def _plain(parser: _ValuesParser, kind: str | None, text: str | None, style_id) -> tuple[object, str]:
    """What openpyxl's ``parse_cell`` makes of a cell of a plain type with this <v> text (and no formula, or a
    formula read data-only): (value, data type)."""
    value = text or None
    if value is None:
        return None, kind or "n"
    if kind is None or kind == "n":
        if style_id in parser.date_formats:
            raise _Unusual
        return _cast_number(value), "n"
    if kind == "s":
        return parser.shared_strings[int(value)], "s"
    if kind == "b":
        return bool(int(value)), "b"
    if kind == "str":
        return value, "s"
    return value, kind


def _read_rows(parser: _ValuesParser, formats: list[str], cells: dict, cached: dict, whole: bytes | None) -> None:
    """The sheet's cells into ``cells``, as openpyxl's ``WorkSheetParser.parse_row``/``parse_cell`` read them,
    and each formula cell's saved result into ``cached``, as openpyxl's second, data-only parse reads it; its
    merged ranges into ``parser.merged_cells``.

    ``whole``: the part's bytes, when the pre-scan vouched for it and it is small: C expat then builds the
    whole tree at once, and Python visits only its rows, where ``iterparse`` would hand it every element.
    The tree is read so only when its rows are all <sheetData>'s children and its <mergeCells> the
    worksheet's (where openpyxl's streaming parse and a walk of the tree meet the same rows in the same
    order); otherwise, and for any other part, the part is streamed as openpyxl streams it.
    """
    if whole is not None:
        root = _c_fromstring(whole)
        rows = [row for data in root if data.tag == _DATA for row in data if row.tag == ROW_TAG]
        merges = [merge for merge in root if merge.tag == MERGE_TAG]
        if (sum(1 for _ in root.iter(ROW_TAG)) == len(rows)
                and sum(1 for _ in root.iter(MERGE_TAG)) == len(merges)):
            for row in rows:
                _read_row(parser, row, formats, cells, cached)
            for merge in merges:  # each read (openpyxl's streaming parse reads each), the last kept
                parser.merged = _merged(merge)
            return
    for _, element in (_c_iterparse if parser.vouched else iterparse)(parser.source):
        tag = element.tag
        if tag == ROW_TAG:
            _read_row(parser, element, formats, cells, cached)
            element.clear()
        elif tag == MERGE_TAG:
            parser.merged = _merged(element)
            element.clear()
        elif tag in _SKIPPED:
            element.clear()


def _read_row(parser: _ValuesParser, element, formats: list[str], cells: dict, cached: dict) -> None:
    """One <row>: the commonest cells — a number, a shared or inline string, a boolean, an error, a plain formula
    with its result, each a <c> with a ``r`` or none and its <v>, <f> or <is><t> and nothing more — read here
    from the element; every other one (a date, a shared or array formula, rich text, anything unusual) by
    openpyxl's ``parse_cell`` itself, twice for a formula (the second time data-only, for its saved result,
    which spares a second parse of the whole part). The counters of rows and columns are openpyxl's, kept on
    ``parser``, so a cell without ``r`` lands where openpyxl puts it."""
    plain_types = _PLAIN_TYPES
    row_number = element.get("r")
    if row_number is None:
        parser.row_counter += 1
    else:
        try:
            parser.row_counter = int(row_number)
        except ValueError:  # as openpyxl's parse_row: "2.0" is row 2, "2.5" fails
            number = float(row_number)
            if not number.is_integer():
                raise ValueError(f"{row_number} is not a valid row number") from None
            parser.row_counter = int(number)
    parser.col_counter = 0
    for child in element:
        kind = child.get("t")
        size = len(child)
        first = child[0] if size else None
        formula = None
        if child.tag != CELL_TAG:
            kind = _Unusual
        elif size == 0:
            text = None
        elif size == 1 and first.tag == VALUE_TAG and not len(first):
            text = first.text
        elif (first.tag == FORMULA_TAG and not len(first) and first.get("t") is None
              and (size == 1 or (size == 2 and child[1].tag == VALUE_TAG and not len(child[1])))):
            formula = "=" + (first.text or "")
            text = child[1].text if size == 2 else None
        elif (kind == "inlineStr" and size == 1 and first.tag == INLINE_STRING and not first.attrib and len(first) == 1
              and first[0].tag == _TEXT and not len(first[0])):
            kind, text = "inline", first[0].text
        else:
            kind = _Unusual
        if kind is not _Unusual and (kind in plain_types or kind == "inline"):
            style_id = child.get("s", 0)
            if style_id:
                style_id = int(style_id)
            try:
                if kind == "inline":  # Text.from_tree(<is>).content: the one <t>'s text
                    value, data_type = text or "", "s"
                elif formula is not None:
                    value, data_type = formula, "f"
                    saved = _plain(parser, kind, text, style_id)[0]
                else:
                    value, data_type = _plain(parser, kind, text, style_id)
            except _Unusual:
                pass
            else:
                coordinate = child.get("r")
                if coordinate:
                    row, column = _coordinate(coordinate)
                    parser.col_counter = column
                else:
                    parser.col_counter += 1
                    row, column = parser.row_counter, parser.col_counter
                cells[(row, column)] = LeanCell(row, column, value, data_type, formats[style_id],
                                                style_id=style_id)
                if formula is not None:
                    cached[(row, column)] = saved
                continue
        _read_unusual(parser, child, formats, cells, cached)


def _merged(element) -> list[tuple[int, int, int, int]]:
    """The ranges of a <mergeCells>, (top, left, bottom, right) each, as openpyxl's ``MergeCells.from_tree`` reads
    them; each plain <mergeCell ref="…"> by ``_merge_bounds``."""
    if set(element.keys()) <= {"count"} and all(child.tag == _MERGE_CELL and child.keys() == ["ref"] and not len(child)
                                                for child in element):
        return [_merge_bounds(child.get("ref")) for child in element]
    return [_merge_bounds(merge.ref) for merge in MergeCells.from_tree(element).mergeCell]


@lru_cache(maxsize=4096)
def _merge_bounds(ref: str) -> tuple[int, int, int, int]:
    """openpyxl's reading of one merged range's ``ref`` (``MergeCell``, then ``CellRange`` of its text): a pure
    function of the text, and a template's ranges recur in every workbook made from it."""
    bounds = CellRange(MergeCell(ref).ref)
    return bounds.min_row, bounds.min_col, bounds.max_row, bounds.max_col


def _read_unusual(parser: _ValuesParser, element, formats: list[str], cells: dict, cached: dict) -> None:
    """A cell read by openpyxl's ``parse_cell``; a formula a second time data-only, from the same column."""
    column = parser.col_counter
    item = parser.parse_cell(element)
    key = (item["row"], item["column"])
    style_id = item["style_id"]
    cells[key] = LeanCell(key[0], key[1], item["value"], item["data_type"], formats[style_id], style_id=style_id)
    if item["data_type"] == "f":
        after, parser.col_counter, parser.data_only = parser.col_counter, column, True
        try:
            cached[key] = parser.parse_cell(element)["value"]
        finally:
            parser.col_counter, parser.data_only = after, False


def _vouched(archive: zipfile.ZipFile, path: str) -> bool:
    """Whether the pre-scan's byte search for ``<!DOCTYPE``/``<!ENTITY`` covers this part: it scans the members
    named .xml (.rels, .vml) as bytes, which finds them only in UTF-8 or ASCII text. A part in UTF-16, in another
    declared encoding or under another name keeps defusedxml."""
    if not path.lower().endswith(".xml"):
        return False
    with archive.open(path) as stream:
        return _vouched_head(path, stream.read(256))


def _vouched_head(path: str, start: bytes) -> bool:
    """``_vouched``, from the part's first 256 bytes."""
    return path.lower().endswith(".xml") and utf8_head(start)


def _read_sheet(archive: zipfile.ZipFile, path: str, title: str, state: str, strings: list, styles: _Styles,
                epoch, prescanned: bool = False) -> LeanSheet:
    whole = None
    if prescanned and archive.getinfo(path).file_size <= _WHOLE_TREE:  # inflated once, for the check and the tree
        whole = archive.read(path)
        vouched = _vouched_head(path, whole)
        whole = whole if vouched else None
    else:
        vouched = prescanned and _vouched(archive, path)
    parser = _ValuesParser(io.BytesIO(whole) if whole is not None else archive.open(path), strings, data_only=False,
                           epoch=epoch or WINDOWS_EPOCH, date_formats=styles.date_formats,
                           timedelta_formats=styles.timedelta_formats)
    parser.vouched = vouched
    cells: dict[tuple[int, int], LeanCell] = {}
    saved: dict[tuple[int, int], object] = {}
    _read_rows(parser, styles.formats, cells, saved, whole)
    sheet = LeanSheet(title, state, cells, list(parser.merged), styles=styles)
    _empty_merged_followers(sheet)
    for cell in cells.values():
        cell.parent = sheet
    for key, value in saved.items():  # the last <c> of a cell is the one openpyxl keeps, and its saved result
        cell = cells[key]
        if cell.data_type == "f" and not cell.merged_follower:
            sheet.cached[key] = value
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
