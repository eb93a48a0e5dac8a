"""Read a workbook that lacks our defined names: find the self-assessment table and the facts by their labels.

People retype the annex table in their own Excel, paste our template into another workbook (the
defined names and the hidden meta sheet are lost on the way) or save it as .xls/.ods. Such a
workbook still says what it holds in words: a header with 二级指标 and 自评得分, one row per
indicator, a 合计 row, 「填报单位：…」 and, maybe, a facts sheet with our labels. This module reads
those words — tolerant of column order, merged cells, spaces, full-width characters and small
wording differences — and never guesses: a row that matches two indicators, two rows that match one
indicator, two tables in one workbook are reported, not resolved by chance.

The sheets are seen through ``Grid``, so the same code reads openpyxl workbooks (.xlsx) and
calamine sheets (.xls, .ods; see ``foreign_formats``).
"""

from __future__ import annotations

import difflib
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula

from selfscore.definitions import Indicator, TableDefinition, load_tables
from selfscore.findings import Finding, make_finding
from selfscore.layout import (
    MARKS_SHEET,
    META_SHEET,
    META_UNIT,
    META_YEAR,
    RESULTS_SHEET,
    SCORE_TOTAL,
    input_name,
    score_name,
)
from selfscore.numbers import fmt
from selfscore.parsing import Parsed, parse_score, shown
from selfscore.reading import (
    ERROR_VALUES,
    CellRef,
    ReadResult,
    Unreadable,
    expected_names,
    parse_named,
    place_of,
    record_parsed,
)
from selfscore.report import IndicatorResult

#: how alike (difflib ratio of folded text) a label must be to count as the same words
NAME_THRESHOLD = 0.75
FACT_THRESHOLD = 0.85
#: the best match must beat the runner-up by this much, or the match is ambiguous
MARGIN = 0.1
HEADER_SCAN_ROWS = 60
#: labels (facts, 填报单位) are looked for in the first rows of each sheet only: a facts sheet is a few
#: dozen rows, and fuzzy matching every cell of a 20 000-row sheet would take a minute
LABEL_SCAN_ROWS = 300
#: an annex table has a dozen rows; a 合计 further down than this is not this table's
TABLE_SCAN_ROWS = 200

HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "name": ("二级指标", "二级指标名称", "指标名称"),
    "group": ("一级指标", "一级指标名称"),
    "points": ("分值", "分数", "标准分", "标准分值", "指标分值", "满分", "权重"),
    "criterion": ("评分标准", "评分细则", "评分依据", "评分办法", "评分标准及依据", "指标解释"),
    "score": ("自评得分", "自评分", "自评分数", "自评分值", "得分", "自评结果"),
    "index": ("序号", "编号"),
}
TOTAL_WORDS = ("合计", "总计", "合计得分", "总分", "合计分", "合计分值")
VALUE_HEADERS = ("填报值", "填报数据", "填报数", "填写值", "数值", "数据", "实际值", "实际数", "本年数", "值", "填报内容")
_UNIT_LABEL = re.compile(r"填\s*报\s*单\s*位\s*[:：]?\s*(?P<rest>.*)", re.S)
_YEAR_LABEL = re.compile(r"(?:评\s*价|自\s*评)?\s*年\s*度\s*[:：]\s*(?P<rest>\S*)")
_BARE_YEAR_LABEL = re.compile(r"(?:评\s*价|自\s*评)?\s*年\s*度\s*[:：]?")
_TITLE_YEAR = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年")
_PUNCTUATION = re.compile(r"[\s\u3000,，、。.．:：;；!！?？()（）\[\]【】「」『』“”‘’\"'·•\-—–_/\\|*＊~～]+")
_BRACKETED = re.compile(r"[(（【\[][^)）】\]]*[)）】\]]")
_REPEATED = re.compile(r"(.{2,}?)\1+")


# ---------------------------------------------------------------------------------- sheets as grids


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
        if sheet.title in (MARKS_SHEET, RESULTS_SHEET):
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
                    formula = raw.text if isinstance(raw, ArrayFormula) else str(raw)
                    value = cached[sheet.title][cell.coordinate].value if sheet.title in cached.sheetnames else None
                    cells[(cell.row, cell.column)] = GridCell(value, formula or "=", number_format)
                else:
                    cells[(cell.row, cell.column)] = GridCell(raw, None, number_format, cell.data_type == "e")
        merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in sheet.merged_cells.ranges]
        grids.append(Grid(sheet.title, cells, merged))
    return grids


# ---------------------------------------------------------------------------------- words


def fold(text: object, *, drop_brackets: bool = False) -> str:
    """Text reduced to what identifies it: NFKC, no spaces or punctuation, a doubled word once (资金资金 → 资金)."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    if drop_brackets:
        folded = _BRACKETED.sub("", folded)
    folded = _PUNCTUATION.sub("", folded).lower()
    return _REPEATED.sub(r"\1", folded)


def likeness(first: str, second: str, floor: float = 0.0) -> float:
    """difflib's ratio; below ``floor`` any value below it will do, so cheap upper bounds end most comparisons early."""
    if first == second:
        return 1.0
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


def best_match(text: str, candidates: dict[str, str], threshold: float) -> tuple[str | None, list[str]]:
    """The candidate key whose folded words are most like ``text``: (key, []) when clear,
    (None, [the tied keys]) when ambiguous, (None, []) when nothing is close enough."""
    # Runner-ups within MARGIN of a match matter for ambiguity, so only what cannot reach threshold − MARGIN is cut short.
    floor = threshold - MARGIN
    scored = sorted(((likeness(text, words, floor), key) for key, words in candidates.items()), reverse=True)
    if not scored or scored[0][0] < threshold:
        return None, []
    best = scored[0][0]
    if best == 1.0 and (len(scored) == 1 or scored[1][0] < 1.0):
        return scored[0][1], []
    close = [key for score, key in scored if score >= threshold and best - score < MARGIN]
    if len(close) > 1:
        return None, close
    return scored[0][1], []


def header_kind(text: str) -> str | None:
    folded = fold(text, drop_brackets=True)
    if not folded or len(folded) > 12:
        return None
    for kind, words in HEADER_WORDS.items():
        if folded in words:
            return kind
    options = {f"{kind}|{word}": word for kind, words in HEADER_WORDS.items() for word in words}
    key, tied = best_match(folded, options, NAME_THRESHOLD)
    if key is None:
        kinds = {option.split("|")[0] for option in tied}
        return kinds.pop() if len(kinds) == 1 else None
    return key.split("|")[0]


# ---------------------------------------------------------------------------------- the score table


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
            if owner_kind == kind and (found is None or abs(column - owners[kind]) < abs(found - owners[kind])):
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


def _headers(grid: Grid) -> tuple[list[Header], list[str]]:
    kinds_by_row: dict[int, dict[int, str]] = {}
    for (row, column), cell in grid.cells.items():
        if row <= HEADER_SCAN_ROWS and isinstance(cell.value, str):
            kind = header_kind(cell.value)
            if kind:
                kinds_by_row.setdefault(row, {})[column] = kind
    headers: list[Header] = []
    problems: list[str] = []
    for row in sorted(kinds_by_row):
        if "name" not in kinds_by_row[row].values() or any(h.first_row <= row <= h.last_row + 1 for h in headers):
            continue
        band = [r for r in range(row - 2, row + 2) if r in kinds_by_row]
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


def _is_total(grid: Grid, row: int, header: Header) -> bool:
    skip = set(header.columns.get("criterion", [])) | {header.score_column}
    return any(fold(grid.text(row, column)) in TOTAL_WORDS for column in grid.columns_in(row) if column not in skip)


def _candidate(header: Header, repeated: list[Header]) -> Candidate:
    """The rows under a header down to its 合计; a header printed again on a later page is skipped, not a new table."""
    grid = header.grid
    rows, total_row = [], None
    for row in range(header.last_row + 1, min(grid.max_row + 1, header.last_row + 1 + TABLE_SCAN_ROWS)):
        if any(other.first_row <= row <= other.last_row for other in repeated):
            continue
        if _is_total(grid, row, header):
            total_row = row
            break
        label = grid.text(row, header.name_column).strip()
        if label:
            rows.append(TableRow(row, label, fold(label, drop_brackets=True)))
    return Candidate(header, rows, total_row)


def _indicator_words(table: TableDefinition) -> dict[str, str]:
    return {indicator.id: fold(indicator.name, drop_brackets=True) for indicator in table.indicators}


def _votes(candidate: Candidate, table: TableDefinition) -> int:
    words = _indicator_words(table)
    return sum(1 for row in candidate.rows if best_match(row.folded, words, NAME_THRESHOLD)[0] is not None)


def _title_table(candidate: Candidate, tables: Iterable[TableDefinition]) -> TableDefinition | None:
    """The one table whose short title appears above the header (the table's title line)."""
    grid = candidate.header.grid
    above = [fold(grid.text(row, column)) for (row, column) in grid.cells if row < candidate.header.first_row]
    named = [table for table in tables if any(fold(table.short_title) in text for text in above)]
    return named[0] if len(named) == 1 else None


def _table_of(candidate: Candidate, tables: dict[str, TableDefinition], hint: TableDefinition | None) -> TableDefinition:
    if hint is not None:
        return hint
    votes = {table.id: _votes(candidate, table) for table in tables.values()}
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


def _meta_hint(grids: list[Grid], tables: dict[str, TableDefinition]) -> TableDefinition | None:
    meta = next((grid for grid in grids if grid.title == META_SHEET), None)
    if meta is None:
        return None
    for (row, column), cell in meta.cells.items():
        if column == 1 and cell.value == "table":
            return tables.get(meta.text(row, 2))
    return None


# ---------------------------------------------------------------------------------- what was found


@dataclass(frozen=True)
class Located:
    """Where the value of one defined name was found, and from which words."""

    name: str
    ref: CellRef
    cell: GridCell | None
    label: str
    #: a value that shares its cell with its label (「填报单位：焦作市」): the part after the label
    inline: str | None = None


@dataclass
class LabelReadResult(ReadResult):
    """A ReadResult found by labels; ``recognised_from`` says, per defined name, how its cell was found."""

    recognised_from: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    #: the value as it stood in the source cell, for rebuilding a template from a foreign format
    raw: dict[str, object] = field(default_factory=dict)
    facts_found: bool = True
    sheetnames: list[str] = field(default_factory=list)


def read_by_labels(grids: list[Grid], *, table_hint: TableDefinition | None = None,
                   template_version: int | None = None) -> LabelReadResult:
    """Find the table, its scores, 填报单位/评价年度 and the facts by their labels; raise Unreadable if there is no table."""
    tables = load_tables()
    hint = table_hint or _meta_hint(grids, tables)
    sheets = [grid for grid in grids if grid.title != META_SHEET]
    headers: list[Header] = []
    problems: list[str] = []
    for grid in sheets:
        found, trouble = _headers(grid)
        headers += found
        problems += trouble
    candidates: list[Candidate] = []
    for header in headers:
        if any(c.header.grid is header.grid and c.header.first_row <= header.first_row <= c.last_row for c in candidates):
            continue  # the header repeated inside a table (printed on every page)
        others = [other for other in headers if other.grid is header.grid and other is not header]
        candidate = _candidate(header, others)
        if any(_votes(candidate, table) for table in tables.values()):
            candidates.append(candidate)
    if not candidates:
        reason = "；".join(problems) if problems else "既没有模板的名称标记，也找不到含「二级指标」和「自评得分」且列有指标的表头"
        raise Unreadable(make_finding("not_a_template", reason=reason))
    if len(candidates) > 1:
        raise Unreadable(make_finding("layout_ambiguous", reason="工作簿中有 {} 张自评表（{}）".format(
            len(candidates), "、".join(candidate.header.where for candidate in candidates))))
    candidate = candidates[0]
    table = _table_of(candidate, tables, hint)
    # A template version is what the meta sheet records; a layout read by its labels has none (0).
    result = LabelReadResult(table, template_version or 0, sheetnames=[grid.title for grid in sheets])
    located: list[Located] = []
    located += _scores(candidate, table, result.findings)
    located += _meta(sheets, candidate)
    facts = _facts(sheets, candidate, table, result.findings)
    located += facts
    result.facts_found = bool(facts)
    for item in located:
        _record(result, item)
    for name in expected_names(table):
        if name in result.cells or (name.startswith("in_") and not result.facts_found):
            continue  # without any facts there is nothing to flag: one facts_absent finding says so
        result.values.setdefault(name, None)
        result.flagged.add(name)
    found = sum(1 for indicator in table.indicators if score_name(indicator.id) in result.cells)
    result.findings.insert(0, make_finding(
        "layout_recognised", sheet=candidate.header.grid.title, title=table.title, first=candidate.header.first_row,
        last=candidate.last_row, found=f"{found}/{len(table.indicators)}",
        facts=f"、{sum(1 for item in facts)} 项基础数据" if facts else "，没有找到基础数据"))
    if not facts:
        result.findings.append(make_finding("facts_absent"))
    return result


def _scores(candidate: Candidate, table: TableDefinition, findings: list[Finding]) -> list[Located]:
    header, grid = candidate.header, candidate.header.grid
    words = _indicator_words(table)
    claims: dict[str, list[TableRow]] = {}
    for row in candidate.rows:
        indicator_id, tied = best_match(row.folded, words, NAME_THRESHOLD)
        place = grid.ref(row.row, header.name_column)
        if indicator_id is not None:
            claims.setdefault(indicator_id, []).append(row)
        elif tied:
            findings.append(make_finding("layout_row_ambiguous", sheet=place.sheet, cell=place.cell, label=row.label,
                                         candidates="、".join(f"「{table.indicators_by_id[i].name}」" for i in tied)))
        elif not _is_group_only(row, table):
            findings.append(make_finding("layout_row_unmatched", sheet=place.sheet, cell=place.cell, label=row.label,
                                         title=table.short_title))
    located = []
    points_column = header.points_column_of("name")
    for indicator in table.indicators:
        rows = claims.get(indicator.id, [])
        if len(rows) > 1:
            for row in rows:
                others = "、".join(str(other.row) for other in rows if other is not row)
                place = grid.ref(row.row, header.name_column)
                findings.append(make_finding("layout_duplicate_row", sheet=place.sheet, cell=place.cell, indicator=indicator.id,
                                             label=row.label, rows=others, indicator_name=indicator.name))
            continue
        if not rows:
            findings.append(make_finding("layout_indicator_missing", sheet=grid.title, indicator=indicator.id,
                                         indicator_name=indicator.name, points=fmt(indicator.points)))
            continue
        row = rows[0]
        score_at = grid.top_left(row.row, header.score_column)
        located.append(Located(score_name(indicator.id), grid.ref(*score_at), grid.get(*score_at), row.label))
        if points_column is not None:
            _check_points(grid, row.row, points_column, indicator.points, f"{indicator.name}·分值", findings, indicator)
    if candidate.total_row is not None:
        total_at = grid.top_left(candidate.total_row, header.score_column)
        located.append(Located(SCORE_TOTAL, grid.ref(*total_at), grid.get(*total_at), "合计"))
        for column in header.columns.get("points", []):
            _check_points(grid, candidate.total_row, column, table.max_points, "合计·分值", findings, None)
    else:
        findings.append(make_finding("layout_total_missing", sheet=grid.title))
    return located


def _is_group_only(row: TableRow, table: TableDefinition) -> bool:
    """A 一级指标 typed in the 二级指标 column (a sub-heading row) is not a stray indicator."""
    return any(row.folded == fold(group.name) for group in table.groups)


def _check_points(grid: Grid, row: int, column: int, points, what: str, findings: list[Finding],
                  indicator: Indicator | None) -> None:
    at = grid.top_left(row, column)
    if at != (row, column):
        return  # inside a merged cell that starts elsewhere (a group's 分值, the 合计 label): not this row's 分值
    cell = grid.get(*at)
    if cell is None or cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
        return
    parsed = parse_score(cell.value)
    if parsed.value is not None and Decimal(parsed.value) == Decimal(points.numerator) / points.denominator:
        return
    ref = grid.ref(*at)
    findings.append(make_finding("points_mismatch", sheet=ref.sheet, cell=ref.cell, what=what, value=shown(cell.value),
                                 expected=fmt(points), indicator=indicator.id if indicator else None))


def _in_table(grid: Grid, row: int, candidate: Candidate) -> bool:
    return grid is candidate.header.grid and candidate.header.first_row <= row <= candidate.last_row


def _beside(grid: Grid, row: int, column: int, skip: tuple[str, ...] = ()) -> tuple[int, int]:
    """The value cell right of a label: the first non-empty, non-label cell within three columns, else the next one."""
    start = grid.right_of(row, column)
    for candidate_column in range(start, start + 3):
        text = grid.text(row, candidate_column).strip()
        if text and not text.endswith((":", "：")) and fold(text) not in skip and header_kind(text) is None:
            return grid.top_left(row, candidate_column)
    return row, start


def _meta(grids: list[Grid], candidate: Candidate) -> list[Located]:
    ordered = [candidate.header.grid] + [grid for grid in grids if grid is not candidate.header.grid]
    unit = year = None
    for grid in ordered:
        for (row, column), cell in sorted(grid.cells.items()):
            if row > LABEL_SCAN_ROWS or not isinstance(cell.value, str) or _in_table(grid, row, candidate) or len(cell.value) > 80:
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
                    at = _beside(grid, row, column)
                    unit = Located(META_UNIT, grid.ref(*at), grid.get(*at), "填报单位")
                continue
            if year is None and "年度" in text and len(text) <= 20:
                inline = _YEAR_LABEL.fullmatch(text)
                if inline and inline.group("rest"):
                    year = Located(META_YEAR, grid.ref(row, column), cell, "评价年度", inline.group("rest"))
                elif _BARE_YEAR_LABEL.fullmatch(text):
                    at = _beside(grid, row, column)
                    year = Located(META_YEAR, grid.ref(*at), grid.get(*at), "评价年度")
    if year is None:
        grid = candidate.header.grid
        for (row, column), _cell in sorted(grid.cells.items()):
            match = _TITLE_YEAR.search(grid.text(row, column)) if row < candidate.header.first_row else None
            if match:
                year = Located(META_YEAR, grid.ref(row, column), grid.get(row, column), "标题中的年份", match.group("year"))
                break
    return [item for item in (unit, year) if item is not None]


def _facts(grids: list[Grid], candidate: Candidate, table: TableDefinition, findings: list[Finding]) -> list[Located]:
    words = {definition.id: fold(definition.label, drop_brackets=True) for definition in table.inputs}
    places: dict[str, list[tuple[Grid, int, int, str]]] = {}
    for grid in grids:
        for (row, column), cell in grid.cells.items():
            if row > LABEL_SCAN_ROWS or not isinstance(cell.value, str) or len(cell.value) > 60 or _in_table(grid, row, candidate):
                continue
            input_id, _tied = best_match(fold(cell.value, drop_brackets=True), words, FACT_THRESHOLD)
            if input_id is not None:
                places.setdefault(input_id, []).append((grid, row, column, cell.value.strip()))
    if not places:
        return []
    located = []
    for definition in table.inputs:
        found = places.get(definition.id, [])
        if len(found) > 1:
            where = "、".join(f"{grid.ref(row, column).sheet}!{grid.ref(row, column).cell}" for grid, row, column, _ in found)
            for grid, row, column, label in found:
                ref = grid.ref(row, column)
                findings.append(make_finding("layout_input_ambiguous", sheet=ref.sheet, cell=ref.cell,
                                             input=definition.id, label=label, places=where))
            continue
        if not found:
            findings.append(make_finding("layout_input_missing", input=definition.id, label=definition.label))
            continue
        grid, row, column, label = found[0]
        value_column = _value_column(grid, row, column)
        skip = tuple(fold(text) for text in (definition.unit, "是/否") if text)
        at = grid.top_left(row, value_column) if value_column else _beside(grid, row, column, skip)
        located.append(Located(input_name(definition.id), grid.ref(*at), grid.get(*at), label))
    return located


def _value_column(grid: Grid, row: int, label_column: int) -> int | None:
    """The column under a 「填报值」-like heading above the label, right of the label."""
    headings = [(heading_row, column) for (heading_row, column), cell in grid.cells.items()
                if heading_row < row and column > label_column and isinstance(cell.value, str)
                and fold(cell.value, drop_brackets=True) in VALUE_HEADERS]
    return max(headings)[1] if headings else None


# ---------------------------------------------------------------------------------- reading the cells found


def _record(result: LabelReadResult, item: Located) -> None:
    table, name, ref = result.table, item.name, item.ref
    result.cells[name] = ref
    result.recognised_from[name] = "label"
    result.labels[name] = item.label
    cell = item.cell or GridCell(None)
    raw: object = item.inline if item.inline is not None else cell.value
    result.raw[name] = raw
    place = place_of(table, name, ref)
    parsed, shown_raw = _parse(cell, raw, item.inline is not None, table, name, place, result.findings)
    record_parsed(result, name, ref, parsed, shown_raw)


def _parse(cell: GridCell, raw: object, inline: bool, table: TableDefinition, name: str, place: dict,
           findings: list[Finding]) -> tuple[Parsed, object]:
    """The same readings as ``reading._read_cell``, for a cell seen through a grid."""
    if cell.formula is not None and not inline:
        if raw is None:
            return Parsed(None, "formula_no_value"), cell.formula
        findings.append(make_finding("formula_in_input", formula=cell.formula, value=shown(raw), **place))
    if cell.is_error or (isinstance(raw, str) and raw.strip() in ERROR_VALUES):
        return Parsed(None, "value_error"), raw
    return parse_named(raw, table, name, cell.number_format or "General"), raw


# ---------------------------------------------------------------------------------- after scoring


def settle_without_facts(read: ReadResult, results: list[IndicatorResult],
                         findings: list[Finding]) -> tuple[list[IndicatorResult], list[Finding]]:
    """Without any facts, one ``facts_absent`` finding says it all: drop the per-indicator ``score_unknown``s."""
    if not isinstance(read, LabelReadResult) or read.facts_found:
        return results, findings
    settled = []
    for result in results:
        explanation = (f"未提供基础数据，无法重新计算；已检查自评得分在 0～{fmt(result.max)} 分之间"
                       if result.status == "unknown" else result.explanation)
        settled.append(replace(result, explanation=explanation))
    return settled, [finding for finding in findings if finding.code != "score_unknown"]


def names_present(workbook: Workbook, table: TableDefinition) -> bool:
    """Whether any of the table's defined names survived (a pasted template keeps its meta sheet but loses them)."""
    return any(name in workbook.defined_names for name in expected_names(table))
