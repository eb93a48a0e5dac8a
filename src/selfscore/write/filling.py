"""Fill a blank template by defined names — for sample data, tests and benchmarks."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook

from selfscore.tables.definitions import TableDefinition
from selfscore.tables.names import META_UNIT, META_YEAR, SCORE_TOTAL, input_name, score_name
from selfscore.write.template import build_template


def cell_of(workbook: Workbook, name: str):
    """The one cell a workbook-scoped defined name refers to."""
    (sheet, reference), = workbook.defined_names[name].destinations
    return workbook[sheet][reference.replace("$", "")]


def fill_template(
    table: TableDefinition,
    facts: Mapping[str, object],
    scores: Mapping[str, object],
    *,
    total: object = None,
    unit: object = None,
    year: object = None,
) -> Workbook:
    """A new template with the given values typed into their cells (values as a person would type them)."""
    workbook = build_template(table)
    for input_id, value in facts.items():
        cell_of(workbook, input_name(input_id)).value = value
    for indicator_id, value in scores.items():
        cell_of(workbook, score_name(indicator_id)).value = value
    for name, value in ((SCORE_TOTAL, total), (META_UNIT, unit), (META_YEAR, year)):
        if value is not None:
            cell_of(workbook, name).value = value
    return workbook


def to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def save(workbook: Workbook, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_bytes(workbook))
    return path
