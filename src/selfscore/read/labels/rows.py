"""The indicator rows: each row under the header matched to one indicator, its self-score and 分值 cells."""

from __future__ import annotations

from decimal import Decimal

from selfscore.read.labels.grid import Grid, Located
from selfscore.read.labels.header import Candidate, TableRow, indicator_words
from selfscore.read.labels.words import NAME_THRESHOLD, best_match, fold
from selfscore.read.parsing import parse_score, shown
from selfscore.results.findings import Finding, make_finding
from selfscore.tables.definitions import Indicator, TableDefinition
from selfscore.tables.names import SCORE_TOTAL, score_name
from selfscore.tables.numbers import fmt


def find_scores(candidate: Candidate, table: TableDefinition, findings: list[Finding]) -> list[Located]:
    header, grid = candidate.header, candidate.header.grid
    words = indicator_words(table)
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
