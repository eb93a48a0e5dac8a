"""The facts: each input found by its label on any sheet, its value under a 「填报值」 heading or beside it."""

from __future__ import annotations

from selfscore.read.labels.grid import LABEL_SCAN_ROWS, Grid, Located
from selfscore.read.labels.header import Candidate, in_table
from selfscore.read.labels.meta import beside
from selfscore.read.labels.words import FACT_THRESHOLD, best_match, fold
from selfscore.results.findings import Finding, make_finding
from selfscore.tables.definitions import TableDefinition
from selfscore.tables.names import input_name

VALUE_HEADERS = ("填报值", "填报数据", "填报数", "填写值", "数值", "数据", "实际值", "实际数", "本年数", "值", "填报内容")

def find_facts(grids: list[Grid], candidate: Candidate, table: TableDefinition, findings: list[Finding]) -> list[Located]:
    words = {definition.id: fold(definition.label, drop_brackets=True) for definition in table.inputs}
    places: dict[str, list[tuple[Grid, int, int, str]]] = {}
    for grid in grids:
        for (row, column), cell in grid.cells.items():
            # no cap on the text's length: a label with a long note in brackets is still its label, and a sentence
            # that mentions one is too unlike it to match (best_match rejects it by length before comparing)
            if row > LABEL_SCAN_ROWS or not isinstance(cell.value, str) or in_table(grid, row, candidate):
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
            labelled = [(grid.ref(row, column), label) for grid, row, column, label in found]
            where = "、".join(f"{ref.sheet}!{ref.cell}" for ref, _ in labelled)
            for ref, label in labelled:
                findings.append(make_finding("layout_input_ambiguous", sheet=ref.sheet, cell=ref.cell,
                                             input=definition.id, label=label, places=where))
            continue
        if not found:
            findings.append(make_finding("layout_input_missing", input=definition.id, label=definition.label))
            continue
        grid, row, column, label = found[0]
        value_column = _value_column(grid, row, column)
        skip = tuple(fold(text) for text in (definition.unit, "是/否") if text)
        at = grid.top_left(row, value_column) if value_column else beside(grid, row, column, skip)
        located.append(Located(input_name(definition.id), grid.ref(*at), grid.get(*at), label))
    return located

def _value_column(grid: Grid, row: int, label_column: int) -> int | None:
    """The column under a 「填报值」-like heading above the label, right of the label."""
    headings = [(heading_row, column) for (heading_row, column), cell in grid.cells.items()
                if heading_row < row and column > label_column and isinstance(cell.value, str)
                and fold(cell.value, drop_brackets=True) in VALUE_HEADERS]
    return max(headings)[1] if headings else None
