"""Test helpers: real workbooks built from the real template, and a normalised text dump of a workbook."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from samples import (
    OLD_COMMUNITIES_FACTS,
    OLD_COMMUNITIES_SCORES,
    SHANTYTOWN_FACTS,
    SHANTYTOWN_SCORES,
)
from selfscore.tables.definitions import get_table, load_tables
from selfscore.tables.examples import example_facts, example_scores
from selfscore.write.filling import fill_template, save

JIAOZUO = {
    "shantytown": (SHANTYTOWN_FACTS, SHANTYTOWN_SCORES, 100),
    "old_communities": (OLD_COMMUNITIES_FACTS, OLD_COMMUNITIES_SCORES, 95),
}
_UNSET = object()
#: examples per pure property test (which have no deadline: timing belongs in benchmarks); under mutmut (which
#: sets MUTANT_UNDER_TEST) a surviving mutant runs every test that covers it, so there each property takes
#: fewer — a full `make test` always takes them all
PROPERTY_EXAMPLES = 40 if os.environ.get("MUTANT_UNDER_TEST") else 300
#: every table in schemas/: a test that walks tables takes them from here, so a new definition adds coverage
TABLE_IDS = list(load_tables())


def sample(table_id: str) -> tuple[dict, dict, object]:
    """A table's facts, self-scores and total: the Jiaozuo sample where there is one, else the example its own
    definition gives (a value per input, the scores its rules make of them), so a new definition in schemas/
    is walked like the two annexes."""
    if table_id in JIAOZUO:
        return JIAOZUO[table_id]
    table = get_table(table_id)
    scores, total = example_scores(table)
    return example_facts(table), scores, total


def make_workbook(path: Path, table_id: str = "shantytown", *, facts: dict | None = None,
                  scores: dict | None = None, total: object = _UNSET, unit: object = "测试市", year: object = 2020,
                  drop: tuple[str, ...] = ()) -> Path:
    """The Jiaozuo workbook of a table (its definition's example where it has no sample) with some values changed
    (None leaves a cell blank). A change names a fact or indicator of the table it is for: a test walking every
    table passes the same changes to each, and a table without that fact or indicator is filled without it."""
    table = get_table(table_id)
    base_facts, base_scores, base_total = sample(table_id)
    all_facts = {k: v for k, v in {**base_facts, **(facts or {})}.items() if k in table.inputs_by_id}
    all_scores = {k: v for k, v in {**base_scores, **(scores or {})}.items() if k in table.indicators_by_id}
    if total is _UNSET:
        total = sum(v for v in all_scores.values() if isinstance(v, (int, float))) if table_id in JIAOZUO or scores else base_total
    workbook = fill_template(table, {k: v for k, v in all_facts.items() if k not in drop},
                             all_scores, total=total, unit=unit, year=year)
    return save(workbook, path)


def set_cached_value(path: Path, sheet_title: str, cell: str, cached: str) -> None:
    """Give a formula cell a cached result, as Excel would have saved it (openpyxl never writes one)."""
    data = path.read_bytes()
    workbook = load_workbook(io.BytesIO(data))
    index = workbook.sheetnames.index(sheet_title) + 1
    member = f"xl/worksheets/sheet{index}.xml"
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == member:
                text = content.decode()
                text, count = re.subn(rf'(<c r="{cell}"[^>]*>)(<f>.*?</f>)<v\s*/>|(<c r="{cell}"[^>]*>)(<f>.*?</f>)<v></v>',
                                      lambda m: f"{m.group(1) or m.group(3)}{m.group(2) or m.group(4)}<v>{cached}</v>", text)
                assert count == 1, f"no formula cell {cell} in {member}"
                content = text.encode()
            target.writestr(item, content)
    path.write_bytes(output.getvalue())


def dump_workbook(path: Path) -> str:
    """A normalised text dump: cells, merges, validations, names, protection, sheet states — never zip bytes."""
    workbook = load_workbook(path)
    lines = [f"names: {sorted((n, d.attr_text) for n, d in workbook.defined_names.items())}"]
    for sheet in workbook.worksheets:
        lines.append(f"== {sheet.title} state={sheet.sheet_state} protected={sheet.protection.sheet}")
        lines.append(f"merged: {sorted(str(r) for r in sheet.merged_cells.ranges)}")
        for validation in sheet.data_validations.dataValidation:
            lines.append(f"validation {validation.sqref}: {validation.type} {validation.operator} "
                         f"{validation.formula1} {validation.formula2} {validation.error}")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None or not cell.protection.locked:
                    lines.append(f"{cell.coordinate}={cell.value!r} locked={cell.protection.locked} "
                                 f"fill={cell.fill.fgColor.rgb} font={cell.font.name}/{cell.font.sz}/{cell.font.b}")
        lines.append(f"widths: {[(k, v.width) for k, v in sorted(sheet.column_dimensions.items())]}")
        lines.append(f"print: {sheet.page_setup.orientation} {sheet.page_setup.paperSize} {sheet.print_title_rows}")
    return "\n".join(lines)


def cell_values(path_or_bytes: Path | bytes) -> dict[tuple[str, str], object]:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    workbook = load_workbook(io.BytesIO(data))
    return {(sheet.title, cell.coordinate): cell.value
            for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None}
