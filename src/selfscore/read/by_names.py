"""Read a filled workbook: identify the table, then every cell by its defined name."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from defusedxml import DefusedXmlException
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet

from selfscore.read.formats import sniff, with_parts_under_xl
from selfscore.read.parsing import LARGEST, Parsed, parse_input, parse_score, parse_text, parse_year, shown
from selfscore.read.result import CellRef, ReadResult, Unreadable
from selfscore.read.safety import DEFAULT_LIMITS, Limits, TooCostly, check_archive, refusal
from selfscore.read.strict import transitional
from selfscore.results.findings import Finding, make_finding
from selfscore.tables.definitions import TableDefinition, get_table_version, load_tables, unavailable
from selfscore.tables.names import META_SHEET, META_UNIT, META_YEAR, SCORE_TOTAL, input_name, score_name, total_formula
from selfscore.tables.numbers import fmt

ERROR_VALUES = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
#: the most characters Excel holds in one cell; a longer value was not typed in Excel
EXCEL_TEXT_LIMIT = 32767


def describe(table: TableDefinition, name: str) -> str:
    """What lives in the cell of a defined name, in the words of the template."""
    label = label_of(table, name)
    return f"{label}·自评得分" if name.startswith("score_") and name != SCORE_TOTAL else label


def refuse_unsafe(kind: str, data: bytes, limits: Limits) -> None:
    """Raise Unreadable for what is not an .xlsx we read, or would cost too much to parse."""
    reason = refusal(kind, data)
    if reason is not None:
        raise Unreadable(reason)
    try:
        check_archive(data, limits)
    except TooCostly as costly:
        raise Unreadable(costly.finding) from None


def open_workbook(data: bytes, limits: Limits = DEFAULT_LIMITS, *, merged_borders: bool = True) -> Workbook:
    """Load workbook bytes with openpyxl, after refusing what is not an .xlsx or would cost too much to parse.

    ``merged_borders=False`` leaves out what openpyxl's load does to make its own save draw merged ranges' edges
    (a border set on every edge cell: a third of loading a template); ``merged_borders_applied`` does it before
    such a workbook is saved by openpyxl. Reading, and the copy written into the file's own zip, never need it."""
    kind = sniff(data)
    refuse_unsafe(kind, data, limits)
    try:
        if kind == "strict":
            data = transitional(data)
        data = with_parts_under_xl(data)  # parts found through the relationships: where openpyxl looks for them
        # keep_vba=False (the default): an .xlsm's macros are neither run nor carried into the copy
        if not merged_borders:
            return _load_without_merged_borders(data)
        return load_workbook(io.BytesIO(data), keep_vba=False)
    except Exception as error:  # openpyxl raises many kinds on damaged files; all mean the same to a clerk
        # openpyxl wraps what its worksheet parser raised, so look for defusedxml's refusal in the chain too
        for cause in (error, error.__cause__, error.__context__):
            if isinstance(cause, DefusedXmlException):
                raise Unreadable(make_finding("xml_forbidden", reason=type(cause).__name__)) from None
        raise Unreadable(make_finding("not_a_workbook", reason=f"文件已损坏或不是 Excel 工作簿（{type(error).__name__}）")) from None


class _MergesUnformatted(Worksheet):
    """A worksheet being loaded whose merged ranges get their MergedCells but not yet their edge borders."""

    def _clean_merge_range(self, mcr) -> None:
        cells = mcr.cells
        next(cells)  # the top-left cell keeps its value and style
        for row, column in cells:
            self._cells[row, column] = MergedCell(self, row, column)
        self.parent._unformatted_merges.append(mcr)


class _LoadingWorkbook(Workbook):
    def create_sheet(self, title=None, index=None):
        sheet = super().create_sheet(title, index)
        sheet.__class__ = _MergesUnformatted
        return sheet


class _Reader(ExcelReader):
    def read_workbook(self) -> None:
        super().read_workbook()
        self.wb.__class__ = _LoadingWorkbook
        self.wb._unformatted_merges = []


def _load_without_merged_borders(data: bytes, data_only: bool = False) -> Workbook:
    """openpyxl's ``load_workbook`` but for the edge borders of merged ranges (``merged_borders_applied``)."""
    reader = _Reader(io.BytesIO(data), keep_vba=False, data_only=data_only)
    reader.read()
    workbook = reader.wb
    workbook.__class__ = Workbook
    for sheet in workbook.worksheets:
        sheet.__class__ = Worksheet
    return workbook


def merged_borders_applied(workbook: Workbook) -> Workbook:
    """The borders ``open_workbook(merged_borders=False)`` left out, set as openpyxl's load sets them."""
    for merged in getattr(workbook, "_unformatted_merges", ()):
        merged.format()
    workbook._unformatted_merges = []
    return workbook


def identify(workbook: Workbook) -> tuple[TableDefinition, int, list[Finding]]:
    """Which table and template version the workbook records in its hidden meta sheet."""
    if META_SHEET not in workbook.sheetnames:
        raise Unreadable(make_finding("not_a_template", reason="工作簿中没有模板标记"))
    sheet = workbook[META_SHEET]
    meta = {str(row[0]): row[1] for row in sheet.iter_rows(min_row=1, max_row=20, max_col=2, values_only=True) if row[0]}
    tables = load_tables()
    table_id = str(meta.get("table") or "")
    broken = unavailable(table_id) if table_id not in tables else None
    if broken is not None:
        raise Unreadable(make_finding("table_unavailable", table=table_id, file=broken.file, cause=broken.cause))
    if table_id not in tables:
        raise Unreadable(make_finding("unknown_table", table=table_id or "（空）", known="、".join(
            f"{table.id}（{table.short_title}）" for table in tables.values())))
    table = tables[table_id]
    findings = []
    try:
        version = int(meta.get("template_version") or 0)
    except (TypeError, ValueError):
        version = 0
    # A workbook is scored by the version of the table its template was made from, when that version is still known.
    made_from = get_table_version(table_id, version)
    if made_from is not None:
        return made_from, version, findings
    # made from a version whose definition file is now broken: scoring it by another version's criteria would be wrong
    broken = unavailable(table_id, template_version=version) if version else None
    if broken is not None:
        raise Unreadable(make_finding("table_unavailable", table=table_id, file=broken.file, cause=broken.cause))
    if version != table.template_version:
        findings.append(make_finding("template_outdated", found=version, current=table.template_version))
    return table, version, findings


_SINGLE_CELL = re.compile(r"[A-Z]{1,3}[1-9]\d{0,6}")


def _resolve(workbook: Workbook, name: str) -> CellRef | str:
    """The one cell a defined name refers to, or why it refers to none (the reason completes a sentence)."""
    defined = workbook.defined_names.get(name)
    if defined is None:
        return "missing"
    destinations = destinations_of(defined.attr_text)
    if not destinations:
        return f"已失效（现为「{defined.attr_text}」，所指的单元格可能已被删除）"
    if len(destinations) != 1:
        return f"指向多个区域（{defined.attr_text}），而不是一个单元格"
    sheet, reference = destinations[0]
    sheet = sheet.replace("''", "'")  # openpyxl leaves a quoted name's doubled apostrophes doubled ('a''b'!A1: sheet a'b)
    reference = reference.replace("$", "")
    if sheet not in workbook.sheetnames:
        return f"指向的工作表「{sheet}」不存在（工作表可能被改名或删除）"
    if not _SINGLE_CELL.fullmatch(reference):
        return f"指向「{sheet}」{reference}，而不是一个单元格"
    return CellRef(sheet, reference)


@lru_cache(maxsize=4096)
def destinations_of(text: str | None) -> tuple[tuple[str, str], ...]:
    """openpyxl's ``DefinedName.destinations`` of a defined name's text: (sheet, cells) for each range it names;
    none for a name pointing at #REF! or a formula. A pure function of the text, which openpyxl's formula tokenizer
    reads character by character: remembered, since every workbook made from a template has the template's names."""
    try:
        return tuple(DefinedName("_", attr_text=text).destinations)
    except Exception:
        return ()


def label_of(table: TableDefinition, name: str) -> str:
    """The text the template puts to the left of a named cell, in the same row."""
    if name == META_UNIT:
        return "填报单位"
    if name == META_YEAR:
        return "评价年度"
    if name == SCORE_TOTAL:
        return "合计"
    if name.startswith("in_"):
        return table.inputs_by_id[name[3:]].label
    return table.indicators_by_id[name[6:]].name


def _normal(text: object) -> str:
    return "".join(str(text).split()).rstrip("：:")


#: how far left of a named cell its label may sit (the template puts it one or two columns left)
_LABEL_REACH = 8


def _label_mismatch(workbook: Workbook, table: TableDefinition, name: str, ref: CellRef) -> str | None:
    """None when the named cell still sits beside its own label; else what its row says instead.

    Inserting or deleting rows with a program (openpyxl among them) moves the cells but not the names,
    so a name can silently point at another indicator's row. Reading it would assign a value to the wrong
    indicator, so such a cell is refused.
    """
    sheet = workbook[ref.sheet]
    cell = sheet[ref.cell]
    expected = _normal(label_of(table, name))
    texts = []
    for column in range(cell.column - 1, max(0, cell.column - 1 - _LABEL_REACH), -1):
        value = sheet.cell(row=cell.row, column=column).value
        if isinstance(value, str) and value.strip():
            if _normal(value) == expected:
                return None
            texts.append(value.strip())
    known = {_normal(label_of(table, other)): label_of(table, other) for other in expected_names(table)}
    for text in texts:
        if _normal(text) in known:
            return f"是「{known[_normal(text)]}」"
    if texts:
        return f"的内容是「{texts[-1][:30]}{'…' if len(texts[-1]) > 30 else ''}」"
    return "没有标签"


def expected_names(table: TableDefinition) -> list[str]:
    return (
        [META_UNIT, META_YEAR]
        + [input_name(definition.id) for definition in table.inputs]
        + [score_name(indicator.id) for indicator in table.indicators]
        + [SCORE_TOTAL]
    )


class _CachedValues:
    """Cached formula results, loaded only if some input cell holds a formula."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._workbook: Workbook | None = None

    def get(self, ref: CellRef) -> object:
        if self._workbook is None:
            self._workbook = _load_without_merged_borders(self._data, data_only=True)  # read, never saved
        return self._workbook[ref.sheet][ref.cell].value


def read_values(workbook: Workbook, table: TableDefinition, version: int, data: bytes, cached=None) -> ReadResult:
    """Every cell of the table by its defined name (``workbook`` may also be a ``lean.LeanWorkbook``, with its
    ``cached`` formula results)."""
    result = ReadResult(table, version)
    cached = cached if cached is not None else _CachedValues(data)
    for name in expected_names(table):
        ref = _resolve(workbook, name)
        what = describe(table, name)
        if isinstance(ref, str):
            result.values[name] = None
            result.flagged.add(name)
            if ref == "missing":
                result.findings.append(make_finding("name_missing", name=name, label=what, **_owner(name)))
            else:
                result.findings.append(make_finding("name_broken", name=name, label=what, reason=ref, **_owner(name)))
            continue
        moved = _label_mismatch(workbook, table, name, ref)
        if moved is not None:
            result.values[name] = None
            result.flagged.add(name)
            result.findings.append(make_finding("name_moved", sheet=ref.sheet, cell=ref.cell, name=name,
                                                label=label_of(table, name), found=moved, **_owner(name)))
            continue
        result.cells[name] = ref
        cell = workbook[ref.sheet][ref.cell]
        if name == SCORE_TOTAL and _is_own_total(cell, result):
            keep_own_total(result, _own_total_raws(cell, result))
            continue
        parsed, raw = _read_cell(cell, ref, cached, table, name, result.findings)
        record_parsed(result, name, ref, parsed, raw)
    return result


def _normal_formula(text: str) -> str:
    return re.sub(r"[\s$]", "", text).upper()


def _is_own_total(cell: Cell, result: ReadResult) -> bool:
    """Whether the 合计 cell still holds the template's own =SUM over the self-score cells (in place, unchanged)."""
    if cell.data_type != "f" or not isinstance(cell.value, str):
        return False
    return sums_the_scores(cell.value, cell.parent.title, result)


def sums_the_scores(formula: str, sheet: str, result: ReadResult) -> bool:
    """Whether ``formula`` on ``sheet`` is the template's own 合计: =SUM over exactly the column of self-score cells."""
    refs = [result.cells.get(score_name(indicator.id)) for indicator in result.table.indicators]
    if any(ref is None or ref.sheet != sheet for ref in refs):
        return False
    parsed = [re.fullmatch(r"([A-Z]+)(\d+)", ref.cell) for ref in refs]  # type: ignore[union-attr]
    columns = {match.group(1) for match in parsed if match}
    rows = [int(match.group(2)) for match in parsed if match]
    if len(columns) != 1 or len(rows) != len(refs) or len(set(rows)) != max(rows) - min(rows) + 1:
        return False
    column = columns.pop()
    return _normal_formula(formula) == _normal_formula(total_formula(f"{column}{min(rows)}", f"{column}{max(rows)}"))


def excel_sum(raws: Iterable[object]) -> Decimal:
    """What Excel's =SUM shows over these cell values: the numbers only (a score typed as text, 「10分」, is left out)."""
    total = Decimal(0)
    for raw in raws:
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            total += Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    return total


def keep_own_total(result: ReadResult, raws: Iterable[object]) -> None:
    """Keep the template's own 合计 as Excel would show it. A sum beyond any real score (self-scores typed in the
    trillions) is out of range on the 合计 cell, like a typed one: no decimal report can carry it exactly."""
    total = excel_sum(raws)
    if abs(total) < LARGEST:
        result.values[SCORE_TOTAL] = total
        return
    record_parsed(result, SCORE_TOTAL, result.cells[SCORE_TOTAL], Parsed(None, "score_out_of_range"), format(float(total), ".15G"))


def _own_total_raws(cell: Cell, result: ReadResult) -> Iterable[object]:
    """What the template's own 合计 sums, to be computed as Excel computes it.

    Not its saved result: a workbook filled by a program has none, and loading the saved results
    would cost a second parse of the workbook. A score typed as text (「10分」) is not in Excel's sum
    either, so the 合计 the clerk sees is the one checked against the self-scores.
    """
    sheet = cell.parent
    return [sheet[result.cells[score_name(indicator.id)].cell].value for indicator in result.table.indicators]


def record_parsed(result: ReadResult, name: str, ref: CellRef, parsed: Parsed, raw: object) -> None:
    """Keep a parsed cell value, and say on its cell why it is unusable or what was assumed reading it."""
    table = result.table
    result.values[name] = parsed.value
    place = place_of(table, name, ref)
    if parsed.error:
        result.flagged.add(name)
        extra = expectation(table, name)
        if parsed.error == "formula_no_value":
            extra["formula"] = shown(raw)
        if parsed.error == "value_too_long":
            extra.update(length=len(str(raw)), limit=EXCEL_TEXT_LIMIT)
        result.findings.append(make_finding(parsed.error, value=shown(raw), **extra, **place))
    for code, params in parsed.notes:
        result.findings.append(make_finding(code, value=shown(raw), **params, **place))


def place_of(table: TableDefinition, name: str, ref: CellRef) -> dict[str, str]:
    """The location parameters of a finding about the cell of a defined name."""
    return {"sheet": ref.sheet, "cell": ref.cell, "what": describe(table, name), **_owner(name)}


def _owner(name: str) -> dict[str, str]:
    if name.startswith("in_"):
        return {"input": name[3:]}
    if name.startswith("score_") and name != SCORE_TOTAL:
        return {"indicator": name[6:]}
    return {}


def expectation(table: TableDefinition, name: str) -> dict[str, str]:
    """The message parameters that say what a cell of this name should hold."""
    if name == META_UNIT:
        return {"expected": "填报单位名称"}
    if name == META_YEAR:
        return {"expected": "四位数年份，如 2020"}
    if name.startswith("in_"):
        definition = table.inputs_by_id[name[3:]]
        unit = definition.unit if definition.unit and definition.unit != "%" else ""
        # unit_hint is optional in the messages (findings._OPTIONAL_PARAMS): only a fact with a unit has one
        return {"expected": definition.expected(), **({"unit_hint": f"（本格单位为{unit}，只填数字）"} if unit else {})}
    points = table.cap if name == SCORE_TOTAL else table.indicators_by_id[name[6:]].points
    return {"expected": f"0～{fmt(points)} 之间的分数", "max": fmt(points)}


def _read_cell(
    cell: Cell, ref: CellRef, cached: _CachedValues, table: TableDefinition, name: str, findings: list[Finding],
) -> tuple[Parsed, object]:
    """A named cell's value as its parser reads it (a cell inside a merged range is empty, as Excel shows it)."""
    raw = cell.value
    if cell.data_type == "f" or isinstance(raw, ArrayFormula):
        formula = formula_text(raw)
        raw = cached.get(ref)
        place = place_of(table, name, ref)
        if raw is None:
            return Parsed(None, "formula_no_value"), formula
        findings.append(make_finding("formula_in_input", formula=formula, value=shown(raw), **place))
    if cell.data_type == "e" or (isinstance(raw, str) and raw.strip() in ERROR_VALUES):
        return Parsed(None, "value_error"), raw
    return parse_named(raw, table, name, cell.number_format), raw


def formula_text(raw: object) -> str:
    """A formula cell's text as Excel's formula bar shows it. openpyxl gives a plain formula as text, an array
    formula and a what-if data table as objects; ``str()`` of a data table would be its Python repr."""
    if isinstance(raw, str):
        return raw  # openpyxl makes a cell a formula only for text that starts with "="
    if isinstance(raw, ArrayFormula):
        return raw.text or "="
    if isinstance(raw, DataTableFormula):
        # Excel writes TABLE(row input, column input): two inputs (dt2D), or r1 as the row (dtr) or column input
        first, second = raw.r1 or "", raw.r2 or ""
        if not _xml_true(raw.dt2D):
            first, second = (first, "") if _xml_true(raw.dtr) else ("", first)
        return f"=TABLE({first},{second})"
    return "="


def _xml_true(flag: object) -> bool:
    """An XML boolean attribute as openpyxl passes it through: "1"/"true", or a bool it defaulted."""
    return flag is True or str(flag).strip().lower() in ("1", "true")


def parse_named(raw: object, table: TableDefinition, name: str, number_format: str) -> Parsed:
    """Parse a cell's (non-formula, non-error) value with the parser its defined name calls for."""
    if isinstance(raw, str) and len(raw) > EXCEL_TEXT_LIMIT:
        return Parsed(None, "value_too_long")
    if name == META_UNIT:
        return parse_text(raw)
    if name == META_YEAR:
        return parse_year(raw)
    if name.startswith("in_"):
        return parse_input(raw, table.inputs_by_id[name[3:]], number_format)
    return parse_score(raw)
