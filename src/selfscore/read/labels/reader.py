"""Read a workbook that lacks our defined names: find the self-assessment table and the facts by their labels.

People retype the annex table in their own Excel, paste our template into another workbook (the
defined names and the hidden meta sheet are lost on the way) or save it as .xls/.ods. Such a
workbook still says what it holds in words: a header with 二级指标 and 自评得分, one row per
indicator, a 合计 row, 「填报单位：…」 and, maybe, a facts sheet with our labels. This module reads
those words — tolerant of column order, merged cells, spaces, full-width characters and small
wording differences — and never guesses: a row that matches two indicators, two rows that match one
indicator, two tables in one workbook are reported, not resolved by chance.

The sheets are seen through ``Grid``, so the same code reads openpyxl workbooks (.xlsx) and
calamine sheets (.xls, .ods; see ``read.foreign``). Each part of the search has its module: ``header``
(the table's header and which table it is), ``rows`` (the indicator rows), ``meta`` (填报单位, 评价年度)
and ``facts``; this one puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from openpyxl import Workbook

from selfscore.read.by_names import (
    ERROR_VALUES,
    expected_names,
    keep_own_total,
    parse_named,
    place_of,
    record_parsed,
    sums_the_scores,
)
from selfscore.read.labels.facts import find_facts
from selfscore.read.labels.grid import Grid, GridCell, Located
from selfscore.read.labels.header import (
    Candidate,
    Header,
    broken_table,
    candidate_under,
    count_votes,
    find_headers,
    meta_hint,
    table_of,
)
from selfscore.read.labels.meta import find_meta
from selfscore.read.labels.rows import find_scores
from selfscore.read.parsing import Parsed, shown
from selfscore.read.result import ReadResult, Unreadable
from selfscore.results.findings import Finding, make_finding
from selfscore.results.report import IndicatorResult
from selfscore.tables.definitions import TableDefinition, broken_definitions, load_tables
from selfscore.tables.names import META_SHEET, SCORE_TOTAL, score_name
from selfscore.tables.numbers import fmt


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
    broken = broken_definitions()
    hint = table_hint or meta_hint(grids, tables)
    sheets = [grid for grid in grids if grid.title != META_SHEET]
    headers: list[Header] = []
    problems: list[str] = []
    for grid in sheets:
        found, trouble = find_headers(grid)
        headers += found
        problems += trouble
    candidates: list[Candidate] = []
    for header in headers:
        if any(c.header.grid is header.grid and c.header.first_row <= header.first_row <= c.last_row for c in candidates):
            continue  # the header repeated inside a table (printed on every page)
        candidate = candidate_under(header)
        if any(count_votes(candidate, table) for table in tables.values()) or broken_table(candidate, tables, broken):
            candidates.append(candidate)
    if not candidates:
        reason = "；".join(problems) if problems else "既没有模板的名称标记，也找不到含「二级指标」和「自评得分」且列有指标的表头"
        raise Unreadable(make_finding("not_a_template", reason=reason))
    if len(candidates) > 1:
        raise Unreadable(make_finding("layout_ambiguous", reason="工作簿中有 {} 张自评表（{}）".format(
            len(candidates), "、".join(candidate.header.where for candidate in candidates))))
    candidate = candidates[0]
    unusable = broken_table(candidate, tables, broken) if hint is None else None
    if unusable is not None:   # a table of a broken definition, recognised by its words
        raise Unreadable(make_finding("table_unavailable", table=unusable.table_id, file=unusable.file, cause=unusable.cause))
    table = table_of(candidate, tables, hint)
    # A template version is what the meta sheet records; a layout read by its labels has none (0).
    result = LabelReadResult(table, template_version or 0, sheetnames=[grid.title for grid in sheets])
    located: list[Located] = find_scores(candidate, table, result.findings) + find_meta(sheets, candidate)
    facts = find_facts(sheets, candidate, table, result.findings)
    located += facts
    result.facts_found = bool(facts)
    for item in sorted(located, key=lambda item: item.name == SCORE_TOTAL):  # 合计 after the scores it may sum
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

def _record(result: LabelReadResult, item: Located) -> None:
    table, name, ref = result.table, item.name, item.ref
    result.cells[name] = ref
    result.recognised_from[name] = "label"
    result.labels[name] = item.label
    cell = item.cell or GridCell(None)
    raw: object = item.inline if item.inline is not None else cell.value
    result.raw[name] = raw
    place = place_of(table, name, ref)
    if name == SCORE_TOTAL and cell.formula is not None and raw is None and item.inline is None and \
            sums_the_scores(cell.formula, ref.sheet, result):
        # A 合计 that sums the self-scores, saved without its result (our template filled by a program, then
        # pasted): the sum Excel would show. With a saved result it is read like any formula, with its warning.
        keep_own_total(result, [result.raw.get(score_name(indicator.id)) for indicator in table.indicators])
        return
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
    return parse_named(raw, table, name, cell.number_format), raw

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
