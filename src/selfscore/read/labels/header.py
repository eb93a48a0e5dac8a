"""The header: where a score table starts, its columns, the rows under it, and which table it is."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from selfscore.read.labels.grid import HEADER_SCAN_ROWS, TABLE_SCAN_ROWS, Grid
from selfscore.read.labels.words import NAME_THRESHOLD, best_match, fold
from selfscore.read.result import Unreadable
from selfscore.results.findings import make_finding
from selfscore.tables.definitions import BrokenDefinition, TableDefinition
from selfscore.tables.names import META_SHEET

HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "name": ("二级指标", "二级指标名称", "指标名称"),
    "group": ("一级指标", "一级指标名称"),
    "points": ("分值", "分数", "标准分", "标准分值", "指标分值", "满分", "权重"),
    "criterion": ("评分标准", "评分细则", "评分依据", "评分办法", "评分标准及依据", "指标解释"),
    "score": ("自评得分", "自评分", "自评分数", "自评分值", "得分", "自评结果"),
    "index": ("序号", "编号"),
}

TOTAL_WORDS = ("合计", "总计", "合计得分", "总分", "合计分", "合计分值")

def header_kind(text: str) -> str | None:
    folded = fold(text, drop_brackets=True)  # empty or long text matches no header word: best_match says so
    for kind, words in HEADER_WORDS.items():
        if folded in words:
            return kind
    options = {f"{kind}|{word}": word for kind, words in HEADER_WORDS.items() for word in words}
    key, tied = best_match(folded, options, NAME_THRESHOLD)
    if key is None:
        kinds = {option.split("|")[0] for option in tied}
        return kinds.pop() if len(kinds) == 1 else None
    return key.split("|")[0]

@dataclass
class Header:
    grid: Grid
    first_row: int  # the first header row (the band may be two rows: 评价指标 over 一级指标…)
    last_row: int
    columns: dict[str, list[int]]

    @property
    def name_column(self) -> int:
        return self.columns["name"][0]

    @property
    def score_column(self) -> int:
        return self.columns["score"][0]

    def points_column_of(self, kind: str) -> int | None:
        """The 分值 column that belongs to the 一级指标 ("group") or 二级指标 ("name") column."""
        owners = {kind_: self.columns[kind_][0] for kind_ in ("group", "name") if self.columns.get(kind_)}
        found = None
        for column in self.columns.get("points", []):
            left = [(column - owner, owner_kind) for owner_kind, owner in owners.items() if owner < column]
            right = [(owner - column, owner_kind) for owner_kind, owner in owners.items() if owner > column]
            owner_kind = min(left)[1] if left else (min(right)[1] if right else None)
            # the nearest; of two as near, the later one: a 分值 printed after its names, as in the annexes
            if owner_kind == kind and (found is None or abs(column - owners[kind]) <= abs(found - owners[kind])):
                found = column
        return found

    @property
    def where(self) -> str:
        return f"「{self.grid.title}」第 {self.first_row} 行"

@dataclass
class TableRow:
    row: int
    label: str
    folded: str

@dataclass
class Candidate:
    """A header, the rows beneath it that name something, and its 合计 row."""

    header: Header
    rows: list[TableRow]
    total_row: int | None

    @property
    def last_row(self) -> int:
        return self.total_row or (self.rows[-1].row if self.rows else self.header.last_row)

def find_headers(grid: Grid) -> tuple[list[Header], list[str]]:
    kinds_by_row: dict[int, dict[int, str]] = {}
    for (row, column), cell in grid.cells.items():
        if row <= HEADER_SCAN_ROWS and isinstance(cell.value, str):
            kind = header_kind(cell.value)
            if kind:
                kinds_by_row.setdefault(row, {})[column] = kind
    headers: list[Header] = []
    problems: list[str] = []
    for row in sorted(kinds_by_row):
        names = [column for column, kind in kinds_by_row[row].items() if kind == "name"]
        if not names or any(h.first_row <= row <= h.last_row + 1 for h in headers):
            continue
        band = [r for r in _band_rows(grid, row, names, kinds_by_row) if r in kinds_by_row]
        columns: dict[str, list[int]] = {}
        for band_row in band:
            for column, kind in kinds_by_row[band_row].items():
                if column not in columns.get(kind, []):
                    columns.setdefault(kind, []).append(column)
        if not columns.get("score"):
            continue
        if len(columns["name"]) > 1 or len(columns["score"]) > 1:
            problems.append(f"「{grid.title}」第 {row} 行的表头有不止一列「二级指标」或「自评得分」")
            continue
        for kind in columns:
            columns[kind].sort()
        headers.append(Header(grid, min(band), max(band), columns))
    return headers, problems

def _band_rows(grid: Grid, row: int, name_columns: list[int], kinds_by_row: dict[int, dict[int, str]]) -> list[int]:
    """The rows one header band may span: its 二级指标 row, up to two rows above and one below — as far as they read
    as header rows. A row whose 二级指标 column holds other words (an indicator's name) is the table, not its header,
    even when one of its cells reads like a header word (a self-score typed as 「满分」). ``kinds_by_row`` holds the
    header words already found; a row past the scanned ones has none and joins no band either way."""
    def heading(other: int) -> bool:
        return all(not grid.text(other, column).strip() or kinds_by_row.get(other, {}).get(column) == "name"
                   for column in name_columns)
    above = list(itertools.takewhile(heading, (row - 1, row - 2)))
    return sorted([*above, row, *([row + 1] if heading(row + 1) else [])])


def is_total(grid: Grid, row: int, header: Header) -> bool:
    skip = set(header.columns.get("criterion", [])) | {header.score_column}
    return any(fold(grid.text(row, column)) in TOTAL_WORDS for column in grid.columns_in(row) if column not in skip)

def candidate_under(header: Header) -> Candidate:
    """The rows under a header down to its 合计. A header printed again on a later page adds no row: each of its rows
    has in the 二级指标 column nothing or that header word (``_band_rows``), and a row naming 二级指标 is skipped."""
    grid = header.grid
    rows, total_row = [], None
    for row in range(header.last_row + 1, min(grid.max_row + 1, header.last_row + 1 + TABLE_SCAN_ROWS)):
        if is_total(grid, row, header):
            total_row = row
            break
        label = grid.text(row, header.name_column).strip()
        if label and header_kind(label) != "name":  # not the header's own words, typed again on a row below it
            rows.append(TableRow(row, label, fold(label, drop_brackets=True)))
    return Candidate(header, rows, total_row)

def indicator_words(table: TableDefinition) -> dict[str, str]:
    return {indicator.id: fold(indicator.name, drop_brackets=True) for indicator in table.indicators}

def count_votes(candidate: Candidate, table: TableDefinition) -> int:
    return name_votes(candidate, indicator_words(table))

def name_votes(candidate: Candidate, words: dict[str, str]) -> int:
    """How many of the candidate's rows name one of ``words`` (key → folded indicator name)."""
    return sum(1 for row in candidate.rows if best_match(row.folded, words, NAME_THRESHOLD)[0] is not None)

def titled(candidate: Candidate, short_title: str) -> bool:
    """Whether a short title appears above the candidate's header (the table's title line)."""
    grid = candidate.header.grid
    return bool(short_title) and any(fold(short_title) in fold(grid.text(row, column))
                                     for (row, column) in grid.cells if row < candidate.header.first_row)

def broken_table(candidate: Candidate, tables: dict[str, TableDefinition],
                 broken: Iterable[BrokenDefinition]) -> BrokenDefinition | None:
    """The broken definition the candidate is a table of, judged by its words: its indicator names match more rows
    than any working table's, or as many while its short title, and no working table's, stands above the header.
    A broken old version of a table that still works is not asked: its workbooks are read by the working version."""
    best = max((count_votes(candidate, table) for table in tables.values()), default=0)
    by_title = any(titled(candidate, table.short_title) for table in tables.values())
    for definition in broken:
        sketch = definition.sketch
        if sketch is None or definition.table_id in tables:
            continue
        votes = name_votes(candidate, {str(index): fold(name, drop_brackets=True)
                                       for index, name in enumerate(sketch.indicator_names)})
        if votes > best or (votes == best and not by_title and titled(candidate, sketch.short_title)):
            return definition
    return None

def _title_table(candidate: Candidate, tables: Iterable[TableDefinition]) -> TableDefinition | None:
    """The one table whose short title appears above the header (the table's title line)."""
    named = [table for table in tables if titled(candidate, table.short_title)]
    return named[0] if len(named) == 1 else None

def table_of(candidate: Candidate, tables: dict[str, TableDefinition], hint: TableDefinition | None) -> TableDefinition:
    if hint is not None:
        return hint
    votes = {table.id: count_votes(candidate, table) for table in tables.values()}
    ranked = sorted(votes.items(), key=lambda item: item[1], reverse=True)
    by_set = tables[ranked[0][0]] if ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]) else None
    by_title = _title_table(candidate, tables.values())
    if by_set and by_title and by_set.id != by_title.id:
        raise Unreadable(make_finding("layout_ambiguous", reason=(
            f"{candidate.header.where}的表格标题像「{by_title.short_title}」，但指标像「{by_set.short_title}」")))
    table = by_set or by_title
    if table is None:
        raise Unreadable(make_finding("layout_ambiguous", reason=(
            f"{candidate.header.where}的表格无法从标题或指标判断是哪一张表（"
            + "、".join(f"{t.short_title}" for t in tables.values()) + "）")))
    return table

def meta_hint(grids: list[Grid], tables: dict[str, TableDefinition]) -> TableDefinition | None:
    meta = next((grid for grid in grids if grid.title == META_SHEET), None)
    if meta is None:
        return None
    for (row, column), cell in meta.cells.items():
        if column == 1 and cell.value == "table":
            return tables.get(meta.text(row, 2))
    return None

def in_table(grid: Grid, row: int, candidate: Candidate) -> bool:
    return grid is candidate.header.grid and candidate.header.first_row <= row <= candidate.last_row
