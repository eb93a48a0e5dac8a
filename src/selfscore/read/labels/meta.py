"""The meta cells: 填报单位 and 评价年度, beside their labels, inline (「填报单位：焦作市」) or in the title."""

from __future__ import annotations

import re
import unicodedata

from selfscore.read.labels.grid import LABEL_SCAN_ROWS, Grid, Located
from selfscore.read.labels.header import Candidate, header_kind, in_table
from selfscore.read.labels.words import fold
from selfscore.tables.names import META_UNIT, META_YEAR

_UNIT_LABEL = re.compile(r"填\s*报\s*单\s*位\s*[:：]?\s*(?P<rest>.*)", re.S)

_YEAR_LABEL = re.compile(r"(?:评\s*价|自\s*评)?\s*年\s*度\s*[:：]\s*(?P<rest>\S*)")

_BARE_YEAR_LABEL = re.compile(r"(?:评\s*价|自\s*评)?\s*年\s*度\s*[:：]?")

_TITLE_YEAR = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年")

def beside(grid: Grid, row: int, column: int, skip: tuple[str, ...] = ()) -> tuple[int, int]:
    """The value cell right of a label: the first non-empty, non-label cell within three columns, else the next one."""
    start = grid.right_of(row, column)
    for candidate_column in range(start, start + 3):
        text = grid.text(row, candidate_column).strip()
        if text and not text.endswith((":", "：")) and fold(text) not in skip and header_kind(text) is None:
            return grid.top_left(row, candidate_column)
    return row, start

def find_meta(grids: list[Grid], candidate: Candidate) -> list[Located]:
    ordered = [candidate.header.grid] + [grid for grid in grids if grid is not candidate.header.grid]
    unit = year = None
    for grid in ordered:
        for (row, column), cell in sorted(grid.cells.items()):
            if row > LABEL_SCAN_ROWS or not isinstance(cell.value, str) or in_table(grid, row, candidate) or len(cell.value) > 80:
                continue
            text = unicodedata.normalize("NFKC", cell.value).strip()
            match = _UNIT_LABEL.fullmatch(text)
            if unit is None and match:
                rest = match.group("rest")
                year_inline = _YEAR_LABEL.search(rest)
                if year_inline and year is None:
                    year = Located(META_YEAR, grid.ref(row, column), cell, "评价年度", year_inline.group("rest"))
                rest = (rest[: year_inline.start()] if year_inline else rest).strip()
                if rest:
                    unit = Located(META_UNIT, grid.ref(row, column), cell, "填报单位", rest)
                else:
                    at = beside(grid, row, column)
                    unit = Located(META_UNIT, grid.ref(*at), grid.get(*at), "填报单位")
                continue
            if year is None and "年度" in text and len(text) <= 20:
                inline = _YEAR_LABEL.fullmatch(text)
                if inline and inline.group("rest"):
                    year = Located(META_YEAR, grid.ref(row, column), cell, "评价年度", inline.group("rest"))
                elif _BARE_YEAR_LABEL.fullmatch(text):
                    at = beside(grid, row, column)
                    year = Located(META_YEAR, grid.ref(*at), grid.get(*at), "评价年度")
    if year is None:
        grid = candidate.header.grid
        for (row, column), _cell in sorted(grid.cells.items()):
            match = _TITLE_YEAR.search(grid.text(row, column)) if row < candidate.header.first_row else None
            if match:
                year = Located(META_YEAR, grid.ref(row, column), grid.get(row, column), "标题中的年份", match.group("year"))
                break
    return [item for item in (unit, year) if item is not None]
