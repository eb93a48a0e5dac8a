"""Sheets seen as grids of non-empty cells, so one reader serves openpyxl (.xlsx) and calamine (.xls, .ods)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula

from selfscore.read.by_names import formula_text
from selfscore.read.parsing import shown
from selfscore.read.result import CellRef
from selfscore.tables.names import ADDED_SHEETS, MARKS_SHEET

HEADER_SCAN_ROWS = 60

#: labels (facts, 填报单位) are looked for in the first rows of each sheet only: a facts sheet is a few
#: dozen rows, and fuzzy matching every cell of a 20 000-row sheet would take a minute
LABEL_SCAN_ROWS = 300

#: an annex table has a dozen rows; a 合计 further down than this is not this table's
TABLE_SCAN_ROWS = 200

@dataclass(frozen=True)
class GridCell:
    #: the value as shown: for a formula, its cached result (None when the file has none)
    value: object
    formula: str | None = None
    number_format: str = "General"
    is_error: bool = False

@dataclass
class Grid:
    """One sheet as a map of its non-empty cells, 1-based (row, column), plus its merged ranges."""

    title: str
    cells: dict[tuple[int, int], GridCell]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_row, min_col, max_row, max_col
    _by_row: dict[int, list[int]] | None = field(default=None, init=False, repr=False)

    @property
    def max_row(self) -> int:
        return max((row for row, _ in self.cells), default=0)

    def columns_in(self, row: int) -> list[int]:
        """The non-empty columns of one row (indexed once: a big sheet must not cost rows × cells)."""
        if self._by_row is None:
            self._by_row = {}
            for cell_row, column in sorted(self.cells):
                self._by_row.setdefault(cell_row, []).append(column)
        return self._by_row.get(row, [])

    def get(self, row: int, column: int) -> GridCell | None:
        return self.cells.get((row, column))

    def text(self, row: int, column: int) -> str:
        cell = self.cells.get((row, column))
        if cell is None or cell.value is None:
            return ""
        return cell.value if isinstance(cell.value, str) else shown(cell.value)

    def merged_range(self, row: int, column: int) -> tuple[int, int, int, int] | None:
        return next((bounds for bounds in self.merged
                     if bounds[0] <= row <= bounds[2] and bounds[1] <= column <= bounds[3]), None)

    def top_left(self, row: int, column: int) -> tuple[int, int]:
        bounds = self.merged_range(row, column)
        return (bounds[0], bounds[1]) if bounds else (row, column)

    def right_of(self, row: int, column: int) -> int:
        """The first column right of a (possibly merged) cell."""
        bounds = self.merged_range(row, column)
        return (bounds[3] if bounds else column) + 1

    def ref(self, row: int, column: int) -> CellRef:
        return CellRef(self.title, f"{get_column_letter(column)}{row}")

def grids_from_openpyxl(workbook: Workbook, data: bytes) -> list[Grid]:
    """The workbook's sheets as grids; formulas carry their cached results, read from ``data``."""
    cached: Workbook | None = None
    grids = []
    for sheet in workbook.worksheets:
        if sheet.title in (MARKS_SHEET, *ADDED_SHEETS):
            continue
        cells: dict[tuple[int, int], GridCell] = {}
        for row in sheet.iter_rows():
            for cell in row:
                raw = cell.value
                if raw is None:
                    continue
                number_format = cell.number_format or "General"
                if cell.data_type == "f" or isinstance(raw, ArrayFormula):
                    if cached is None:
                        cached = load_workbook(io.BytesIO(data), data_only=True)
                    value = cached[sheet.title][cell.coordinate].value if sheet.title in cached.sheetnames else None
                    cells[(cell.row, cell.column)] = GridCell(value, formula_text(raw), number_format)
                else:
                    cells[(cell.row, cell.column)] = GridCell(raw, None, number_format, cell.data_type == "e")
        merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in sheet.merged_cells.ranges]
        grids.append(Grid(sheet.title, cells, merged))
    return grids

@dataclass(frozen=True)
class Located:
    """Where the value of one defined name was found, and from which words."""

    name: str
    ref: CellRef
    cell: GridCell | None
    label: str
    #: a value that shares its cell with its label (「填报单位：焦作市」): the part after the label
    inline: str | None = None
