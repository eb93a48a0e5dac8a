"""Check one workbook end to end: read → validate → score → one Report (and the marked-up copy)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils.cell import coordinate_from_string

from selfscore.read.by_names import (
    describe,
    identify,
    merged_borders_applied,
    open_workbook,
    read_values,
    refuse_unsafe,
)
from selfscore.read.foreign import FOREIGN_KINDS, check_xlsb_extent, foreign_kind, read_foreign
from selfscore.read.formats import FORMAT_NAMES, sniff, with_parts_under_xl
from selfscore.read.labels import (
    LabelReadResult,
    grids_from_openpyxl,
    names_present,
    read_by_labels,
    settle_without_facts,
)
from selfscore.read.lean import CachedFromSheets, LeanSheet, LeanWorkbook
from selfscore.read.result import ReadResult, Unreadable
from selfscore.read.safety import DEFAULT_LIMITS, Limits, TooCostly, check_archive, unpreserved_content
from selfscore.read.strict import transitional
from selfscore.results.findings import Finding, make_finding
from selfscore.results.report import PreviousCheck, RecognisedCell, Report, report_status
from selfscore.score.scoring import score_indicators, total_details, totals
from selfscore.score.validation import validate_many
from selfscore.tables.definitions import load_versions, unavailable, version_for_year
from selfscore.tables.names import MARKS_SHEET, META_UNIT, META_YEAR
from selfscore.tables.steps import DEFAULT_STEPS, StepReading
from selfscore.write.marks import remove_marks

Source = str | Path | bytes


@dataclass
class Checked:
    report: Report
    #: the workbook as read, with a previous check's marks removed; None when unreadable or not .xlsx. A workbook
    #: whose copy is written into its own zip is read by the lean reader (``Checked.original`` is then set)
    workbook: Workbook | LeanWorkbook | None
    #: what was read from an .xls/.ods file, to rebuild a template from (it cannot be marked in place)
    foreign: LabelReadResult | None = None
    #: the file's own bytes, when its copy is written into its own zip (``write.inplace``)
    original: bytes | None = None
    #: the caps it was read within (openpyxl loads ``original`` within them if it must write the copy)
    limits: Limits = DEFAULT_LIMITS


def _load(source: Source, name: str | None, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or "上传的文件"
    path = Path(source)
    size = path.stat().st_size
    if size > limits.max_file_bytes:  # refuse before reading it all into memory
        raise Unreadable(make_finding("file_too_large", size=f"{size / 1024 / 1024:.1f} MB",
                                      limit=f"{limits.max_file_bytes / 1024 / 1024:.1f} MB"))
    return path.read_bytes(), name or path.name


@dataclass
class _Opened:
    """A workbook read but not yet validated."""

    file_name: str
    workbook: Workbook | LeanWorkbook | None
    read: ReadResult
    findings: list[Finding]
    previous: PreviousCheck | None
    #: the sniffed kind of an .xls/.ods file; None for .xlsx
    foreign_kind: str | None
    #: the file's own bytes, when its copy is written into its own zip
    original: bytes | None = None
    limits: Limits = DEFAULT_LIMITS
    #: the workbook's sheets, for the findings' reading order, when the workbook itself is not kept (report only)
    sheetnames: list[str] | None = None


def check_file(source: Source, name: str | None = None, steps: StepReading = DEFAULT_STEPS, markup: bool = True,
               previous: PreviousCheck | None = None, *, limits: Limits = DEFAULT_LIMITS) -> tuple[Report, bytes | None]:
    """The one check the shells call (the batch, the web and its worker pool, collections): the report and, with
    ``markup``, the marked-up copy (None when the file could not be read). Never raises: a file the checker fails on
    is an unreadable report saying so (``check_failed``), not a traceback.

    ``markup=False`` takes the report-only path (the same report, sooner). ``previous`` is what "fixed / remaining /
    new" compares with instead of the marks a marked-up copy carries (a collection's last stored submission)."""
    return next(check_files([source], names=[name], steps=steps, markup=markup, previous=previous,
                            limits=limits))


def check_files(sources: Sequence[Source], *, names: Sequence[str | None] | None = None,
                steps: StepReading = DEFAULT_STEPS, markup: bool = True, previous: PreviousCheck | None = None,
                limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[Report, bytes | None]]:
    """``check_file`` for several workbooks, validated in one pass (``check_many``); one at a time, so that each
    workbook is let go before the next one is marked up."""
    checked = check_many(sources, steps=steps, names=names, limits=limits, markup=markup)
    checked.reverse()
    while checked:
        one = checked.pop()  # held here alone, and let go as the next one takes its place
        if previous is not None and one.report.status != "unreadable":
            one.report.previous = previous
        yield one.report, marked_up_bytes(one) if markup else None


def check(source: Source, *, steps: StepReading = DEFAULT_STEPS, name: str | None = None,
          limits: Limits = DEFAULT_LIMITS, markup: bool = True) -> Checked:
    """Check a workbook without writing anything; the returned workbook can be marked up. Never raises.

    ``markup=False`` is the report-only path: the same report, read without building an openpyxl
    workbook (``read.lean``), and nothing to mark up (``Checked.workbook`` is None).
    """
    return check_many([source], steps=steps, names=[name], limits=limits, markup=markup)[0]


def check_many(sources: Sequence[Source], *, steps: StepReading = DEFAULT_STEPS,
               names: Sequence[str | None] | None = None, limits: Limits = DEFAULT_LIMITS,
               markup: bool = True) -> list[Checked]:
    """``check`` for several workbooks at once: the same results, with validation done in one pass
    per table (which is most of what checking costs beyond opening and saving a workbook). Never raises:
    whatever fails in one workbook's check fails that workbook alone."""
    names = list(names) if names is not None else [None] * len(sources)
    opened = [_open(source, name, steps, limits, markup) for source, name in zip(sources, names, strict=True)]
    readable = [item for item in opened if isinstance(item, _Opened)]
    validations = iter(_validations([item.read for item in readable]))
    return [item if isinstance(item, Checked) else _finish_safely(item, next(validations), steps) for item in opened]


def _file_name(source: Source, name: str | None) -> str:
    return name or ("上传的文件" if isinstance(source, bytes) else Path(source).name)


def _failed(file_name: str, steps: StepReading, error: Exception) -> Checked:
    """A check that raised: the file's report says the checker failed and how, never a traceback."""
    return Checked(Report.unreadable(file_name, make_finding("check_failed", reason=type(error).__name__), steps),
                   None)


def _validations(reads: list[ReadResult]) -> list[tuple[list[Finding], set[str]] | Exception]:
    """Each workbook's validation, in one pass; when a workbook breaks the pass, each is validated alone, so that
    only that one fails (its entry is the exception)."""
    try:
        return list(validate_many(reads))
    except Exception as error:
        if len(reads) == 1:
            return [error]
        return [validation for read in reads for validation in _validations([read])]


def _open(source: Source, name: str | None, steps: StepReading, limits: Limits = DEFAULT_LIMITS,
          markup: bool = True) -> _Opened | Checked:
    file_name = _file_name(source, name)
    in_place = False
    try:
        data, file_name = _load(source, name, limits)
        sniffed = sniff(data)
        kind = sniffed if sniffed in FOREIGN_KINDS else None  # calamine's to read
        if kind is not None:
            if kind in ("ods", "xlsb"):  # a zip too: the same size, ratio and DTD caps before calamine inflates it
                try:
                    check_archive(data, limits)
                except TooCostly as costly:
                    raise Unreadable(costly.finding) from None
            if kind == "xlsb":
                data = with_parts_under_xl(data)  # where calamine and the extent check look for its parts
                check_xlsb_extent(data, limits)
            workbook, previous, findings = None, None, []
            read: ReadResult = _version_by_year(read_foreign(data, kind))
        else:
            if not markup:
                lean = _open_lean(data, sniffed, limits)
                if lean is not None:  # the report needs no more of the workbook: let it go before validation
                    workbook, read, findings, previous, _data = lean
                    return _Opened(file_name, None, read, findings, previous, None, sheetnames=workbook.sheetnames)
            elif in_place_writer(sniffed):
                lean = _open_lean_for_copy(data, sniffed, limits)
                if lean is not None:  # its copy is written into its own zip: openpyxl need not load it at all
                    return _Opened(file_name, *lean[:4], None, lean[4], limits)
            try:
                workbook = open_workbook(data, limits, merged_borders=False)  # applied if openpyxl saves it
            except Unreadable as unreadable:
                # openpyxl is strict about the parts it parses (styles, validations…); calamine reads the cells
                # of many such files, which Excel opens without complaint. Otherwise the first reason stands.
                if unreadable.finding.code != "not_a_workbook" or sniffed not in ("xlsx", "xlsm"):
                    raise
                try:
                    return _Opened(file_name, None, _version_by_year(read_foreign(data, "xlsx")), [], None, "xlsx")
                except Unreadable as second:  # calamine could not read it either: openpyxl's reason stands
                    raise (unreadable if second.finding.code == "not_a_workbook" else second) from None
            data = with_parts_under_xl(data)  # as open_workbook read it
            if sniffed == "strict":  # read and marked up as the transitional .xlsx openpyxl understands
                data = transitional(data)
            workbook.template = False  # an .xltx/.xltm template's copy is an ordinary workbook
            undone = _unmarked(workbook, data, sniffed, limits)
            if undone is not None:  # a copy the in-place writer made: its edits taken out of its parts
                data, previous = undone
                workbook = open_workbook(data, limits, merged_borders=False)
                workbook.template = False
                in_place = in_place_writer(sniffed)
            else:  # unmarked, or a marked-up copy whose marks openpyxl must take out (unmark_resaved declined)
                previous = remove_marks(workbook)
                in_place = previous is None and in_place_writer(sniffed)
            read, findings = _read(workbook, data)
            findings = findings + _file_notes(data, sniffed, in_place)
    except Unreadable as unreadable:
        return Checked(Report.unreadable(file_name, unreadable.finding, steps), None)
    except Exception as error:  # a last net: a clerk gets a reason, never a traceback
        return _failed(file_name, steps, error)
    return _Opened(file_name, workbook, read, findings, previous, kind,
                   data if kind is None and workbook is not None and in_place else None, limits)


def in_place_writer(sniffed: str) -> bool:
    """Whether a workbook of this kind gets its copy written into its own zip (``write.inplace``): every .xlsx,
    .xlsm, .xltx and .xltm (the copy of a macro-enabled one is an .xlsx without its macros). openpyxl writes the
    copy of a Strict file, of a marked-up copy whose marks cannot be taken out of its parts (``_unmarked``), of
    what the in-place writer cannot edit safely (``CannotEdit``), and of every workbook with SELFSCORE_WRITER=openpyxl (kept for
    the benchmark's comparison)."""
    return sniffed in ("xlsx", "xlsm") and os.environ.get("SELFSCORE_WRITER") != "openpyxl"


def _unmarked(workbook: Workbook | LeanWorkbook, data: bytes, sniffed: str,
              limits: Limits) -> tuple[bytes, PreviousCheck] | None:
    """A marked-up copy with its marks taken out of its parts, checked again like any input: the in-place writer's
    edits undone (``write.inplace.unmark``), or, in a copy a program saved again since, the marks removed as
    ``remove_marks`` removes them (``write.unmark_resaved``); None when the workbook is not a marked-up copy or
    its marks must be removed through openpyxl."""
    if MARKS_SHEET not in workbook.sheetnames or not in_place_writer(sniffed):
        return None
    from selfscore.write.inplace import unmark
    from selfscore.write.unmark_resaved import unmark_resaved

    undone = unmark(data, limits)
    if undone is None:
        undone = unmark_resaved(data, workbook, limits)
    if undone is not None:
        refuse_unsafe(sniff(undone[0]), undone[0], limits)
    return undone


#: what the in-place writer does not carry into the copy (``unpreserved_content``'s words)
_NOT_KEPT_IN_PLACE = ("宏（VBA）",)


def _file_notes(data: bytes, sniffed: str, in_place: bool = False) -> list[Finding]:
    """What the marked-up copy cannot carry: an .xlsm's macros, images, charts…"""
    notes = []
    lost = unpreserved_content(data)
    if in_place:
        lost = [label for label in lost if label in _NOT_KEPT_IN_PLACE]
    if sniffed == "xlsm":
        notes.append(make_finding("macros_not_kept", format=FORMAT_NAMES["xlsm"]))
        lost = [label for label in lost if label != "宏（VBA）"]
    if lost:
        notes.append(make_finding("content_not_preserved", kinds="、".join(lost)))
    return notes


def _open_lean_for_copy(data: bytes, sniffed: str,
                        limits: Limits) -> tuple[LeanWorkbook, ReadResult, list[Finding], PreviousCheck | None,
                                                 bytes] | None:
    """The full path's reading of a workbook whose copy the in-place writer writes: the report-only reading, with
    the cells' comments (the copy keeps them); None where only openpyxl's load knows the answer."""
    return _open_lean(data, sniffed, limits, comments=True)


def _open_lean(data: bytes, sniffed: str, limits: Limits, *, comments: bool = False
               ) -> tuple[LeanWorkbook, ReadResult, list[Finding], PreviousCheck | None, bytes] | None:
    """The report-only reading of an .xlsx/.xlsm, or None where only the full path knows the answer; last, the
    bytes it was read from (a marked-up copy's with its marks taken out).

    A refusal, a cap or a table that cannot be found is said exactly as the full path says it. Anything
    else the lean reader does not handle the same way — a marked-up copy (its marks are removed first),
    Strict Open XML, a part openpyxl would reject — goes the full way, so the report is always the same.
    """
    if sniffed not in ("xlsx", "xlsm"):
        return None
    refuse_unsafe(sniffed, data, limits)
    data = with_parts_under_xl(data)
    try:
        workbook = LeanWorkbook(data, prescanned=True, comments=comments)  # refuse_unsafe has just run check_archive
    except Exception:  # openpyxl's load says what is wrong, in the full path
        return None
    previous = None
    if MARKS_SHEET in workbook.sheetnames:
        undone = _unmarked(workbook, data, sniffed, limits)
        if undone is None:
            return None  # its marks are removed through openpyxl, in the full path
        data, previous = undone
        try:
            workbook = LeanWorkbook(data, prescanned=True, comments=comments)  # _unmarked has checked the restored zip
        except Exception:
            return None
    try:
        read, findings = _read(workbook, data)
    except Unreadable:
        raise
    except Exception:
        return None
    return workbook, read, findings + _file_notes(data, sniffed, in_place_writer(sniffed)), previous, data


def _finish_safely(opened: _Opened, validation: tuple[list[Finding], set[str]] | Exception,
                   steps: StepReading) -> Checked:
    if isinstance(validation, Exception):
        return _failed(opened.file_name, steps, validation)
    try:
        return _finish(opened, validation, steps)
    except Exception as error:
        return _failed(opened.file_name, steps, error)


def _read(workbook: Workbook | LeanWorkbook, data: bytes) -> tuple[ReadResult, list[Finding]]:
    """By defined names when the workbook is our template; by labels when the names or the meta sheet are gone."""
    lean = isinstance(workbook, LeanWorkbook)

    def grids():
        return workbook.grids() if lean else grids_from_openpyxl(workbook, data)

    try:
        table, version, findings = identify(workbook)
    except Unreadable as unreadable:
        if unreadable.finding.code != "not_a_template":
            raise
        _refuse_charts_only(workbook)
        return _version_by_year(read_by_labels(grids())), []
    if not names_present(workbook, table):
        return read_by_labels(grids(), table_hint=table, template_version=version), findings
    cached = CachedFromSheets(workbook) if lean else None
    return read_values(workbook, table, version, data, cached), findings


def _refuse_charts_only(workbook: Workbook | LeanWorkbook) -> None:
    """A workbook of chart sheets only is told so, rather than that no table was found."""
    if not workbook.chartsheets:
        return
    for sheet in workbook.worksheets:
        cells = sheet.cells.values() if isinstance(sheet, LeanSheet) else (cell for row in sheet.iter_rows() for cell in row)
        if sheet.sheet_state == "visible" and any(cell.value is not None for cell in cells):
            return
    charts = "、".join(f"「{chart if isinstance(chart, str) else chart.title}」" for chart in workbook.chartsheets)
    raise Unreadable(make_finding("not_a_template", reason=f"工作簿中只有图表工作表（{charts}），没有可读取的表格"))


#: findings that say how the workbook was read; the results sheet repeats them at its top
_NOTE_CODES = ("layout_recognised", "rebuilt_from_foreign_format", "facts_absent", "content_not_preserved")


def _finish(opened: _Opened, validation: tuple[list[Finding], set[str]], steps: StepReading) -> Checked:
    read, workbook, table = opened.read, opened.workbook, opened.read.table
    validation_findings, invalid = validation
    results, score_findings = score_indicators(read, invalid, steps)
    results, score_findings = settle_without_facts(read, results, score_findings)
    self_total, recomputed_total, recomputed_range = totals(read, results, invalid)
    total_explanation, total_findings = total_details(read, results, invalid, recomputed_total)
    all_findings = (opened.findings + read.findings + validation_findings + score_findings + total_findings
                    + _version_findings(read))
    sheetnames = (workbook.sheetnames if workbook is not None
                  else opened.sheetnames if opened.sheetnames is not None else getattr(read, "sheetnames", []))
    all_findings.sort(key=_reading_order(sheetnames))
    year = read.values.get(META_YEAR)
    version = read.template_version
    report = Report(
        file=opened.file_name,
        status=report_status(all_findings, results),
        table=table.id,
        title=table.title,
        template_version=(version or None) if isinstance(read, LabelReadResult) else version,  # by labels: none known
        unit=read.values.get(META_UNIT) if isinstance(read.values.get(META_UNIT), str) else None,
        year=year if isinstance(year, int) else None,
        steps=steps,
        self_total=self_total,
        recomputed_total=recomputed_total,
        recomputed_range=recomputed_range,
        max_total=table.max_points,
        total_explanation=total_explanation,
        indicators=results,
        findings=all_findings,
        previous=opened.previous,
        recognised=_recognised(read),
        notes=[f.message for f in all_findings if f.code in _NOTE_CODES],
        source_format=opened.foreign_kind,
    )
    foreign = read if opened.foreign_kind is not None and isinstance(read, LabelReadResult) else None
    return Checked(report, workbook, foreign, opened.original, opened.limits)


def _version_by_year(read: ReadResult) -> ReadResult:
    """A workbook that does not say which template version it is (read by labels) is scored by the version
    of its table for its 评价年度, when that version reads the same cells the same way."""
    year = read.values.get(META_YEAR)
    if not isinstance(read, LabelReadResult) or read.template_version or not isinstance(year, int) or read.table.covers(year):
        return read
    right = version_for_year(read.table.id, year)
    broken = unavailable(read.table.id, year=year) if right is None else None
    if broken is not None:   # the version for its year is broken: another version's criteria would score it wrongly
        raise Unreadable(make_finding("table_unavailable", table=read.table.id, file=broken.file, cause=broken.cause))
    if right is None or _cells_of(right) != _cells_of(read.table):
        return read  # its cells differ: the current version stays, and template_year_* says which template fits
    read.table = right
    read.findings.append(make_finding("version_by_year", year=year, version=right.template_version, years=right.years_text))
    return read


def _cells_of(table) -> tuple:
    """What the reader looks for, and how it parses each: the same for two versions means one reading serves both."""
    return (tuple((d.id, d.label, d.type, d.unit, d.options) for d in table.inputs),
            tuple((i.id, i.name, i.points) for i in table.indicators))


def _version_findings(read: ReadResult) -> list[Finding]:
    """A template whose version does not cover the workbook's 评价年度: say which template does."""
    table, year = read.table, read.values.get(META_YEAR)
    if not isinstance(year, int) or table.covers(year):
        return []
    ref = read.cells.get(META_YEAR)
    place = {"sheet": ref.sheet, "cell": ref.cell, "what": "评价年度"} if ref else {}
    common = {"version": table.template_version, "years": table.years_text, "year": year, **place}
    right = version_for_year(table.id, year)
    if right is None:
        known = "、".join(f"版本 {other.template_version}：{other.years_text}" for other in load_versions()[table.id])
        return [make_finding("template_year_uncovered", known=known, **common)]
    return [make_finding("template_year_mismatch", right_version=right.template_version, right_years=right.years_text,
                         right_file=right.file_name, right_id=right.id, **common)]


def _recognised(read: ReadResult) -> list[RecognisedCell]:
    how = getattr(read, "recognised_from", {})
    labels = getattr(read, "labels", {})
    return [RecognisedCell(name, describe(read.table, name), ref.sheet, ref.cell, how.get(name, "defined_name"),
                           labels.get(name)) for name, ref in read.cells.items()]


def check_workbook(source: Source, *, steps: StepReading = DEFAULT_STEPS, name: str | None = None,
                   limits: Limits = DEFAULT_LIMITS) -> Report:
    """The report for one workbook (path or bytes). Writes nothing."""
    return check(source, steps=steps, name=name, limits=limits).report


def check_and_mark_up(source: Source, *, steps: StepReading = DEFAULT_STEPS, name: str | None = None,
                      limits: Limits = DEFAULT_LIMITS) -> tuple[Report, bytes | None]:
    """The report and the marked-up copy as bytes (None when the file could not be read): ``check_file``."""
    return check_file(source, name, steps, limits=limits)


def marked_up_bytes(checked: Checked) -> bytes | None:
    """The marked-up copy of a checked workbook (None when it could not be read, or marking it up failed)."""
    try:
        return _marked_up_bytes(checked)
    except Exception as error:  # the report stands on its own; only the copy is missing
        checked.report.findings.insert(0, make_finding("markup_failed", error=type(error).__name__))
        return None


def _marked_up_bytes(checked: Checked) -> bytes | None:
    if checked.foreign is not None:
        from selfscore.write.rebuilt import rebuild_and_mark_up

        return rebuild_and_mark_up(checked.foreign, checked.report)
    if checked.workbook is None:
        return None
    from selfscore.write.markup import mark_up

    if checked.original is not None:
        from selfscore.write.inplace import CannotEdit, mark_up_in_place

        try:
            return mark_up_in_place(checked.original, checked.workbook, checked.report)
        except CannotEdit:  # openpyxl writes the copy; say what it does not carry, as before
            _unpreserved_note(checked)
        if isinstance(checked.workbook, LeanWorkbook):  # read without openpyxl: loaded now, as the full path would
            checked.workbook = open_workbook(checked.original, checked.limits)
            checked.workbook.template = False  # an .xltx/.xltm template's copy is an ordinary workbook
    return mark_up(merged_borders_applied(checked.workbook), checked.report)


def _unpreserved_note(checked: Checked) -> None:
    # The results sheet repeats the report's notes, so the copy openpyxl writes says what it lost.
    lost = unpreserved_content(checked.original)
    if "macros_not_kept" in {finding.code for finding in checked.report.findings}:
        lost = [label for label in lost if label not in _NOT_KEPT_IN_PLACE]
    if lost:
        report = checked.report
        said = {finding.message for finding in report.findings if finding.code == "content_not_preserved"}
        report.findings = [finding for finding in report.findings if finding.message not in said]
        report.notes = [note for note in report.notes if note not in said]
        note = make_finding("content_not_preserved", kinds="、".join(lost))
        report.findings.insert(0, note)
        report.notes.append(note.message)


def annotate(source: Source, report: Report) -> bytes:
    """Mark up a workbook with a report made from it; the source is never modified."""
    from selfscore.write.markup import mark_up

    data, _ = _load(source, None)
    kind = foreign_kind(data)
    if kind is not None:
        from selfscore.write.rebuilt import rebuild_and_mark_up

        return rebuild_and_mark_up(read_foreign(data, kind), report)
    try:
        workbook = open_workbook(data)
    except Unreadable as unreadable:  # read by calamine in check(): rebuilt the same way here
        if unreadable.finding.code != "not_a_workbook" or report.source_format != "xlsx":
            raise
        from selfscore.write.rebuilt import rebuild_and_mark_up

        return rebuild_and_mark_up(read_foreign(data, "xlsx"), report)
    workbook.template = False
    remove_marks(workbook)
    return mark_up(workbook, report)


def _reading_order(sheetnames: list[str]):
    """File-level findings first, then by sheet, row and column, as a person reads the workbook."""

    def key(finding: Finding) -> tuple:
        if not finding.cell:
            return (-1, 0, 0, "")
        column, row = coordinate_from_string(finding.cell)
        sheet_index = sheetnames.index(finding.sheet) if finding.sheet in sheetnames else len(sheetnames)
        return (sheet_index, row, len(column), column)

    return key
