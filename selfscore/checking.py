"""Check one workbook end to end: read → validate → score → one Report (and the marked-up copy)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils.cell import coordinate_from_string

from selfscore.findings import Finding, make_finding
from selfscore.layout import META_UNIT, META_YEAR
from selfscore.marks import remove_marks
from selfscore.reading import Unreadable, identify, open_workbook, read_values
from selfscore.report import Report
from selfscore.rules import StepReading
from selfscore.safety import DEFAULT_LIMITS, Limits, unpreserved_content
from selfscore.scoring import score_indicators, totals

Source = str | Path | bytes


@dataclass
class Checked:
    report: Report
    #: the loaded workbook, with a previous check's marks removed; None when unreadable
    workbook: Workbook | None


def _load(source: Source, name: str | None, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or "上传的文件"
    path = Path(source)
    size = path.stat().st_size
    if size > limits.max_file_bytes:  # refuse before reading it all into memory
        raise Unreadable(make_finding("file_too_large", size=f"{size / 1024 / 1024:.1f} MB",
                                      limit=f"{limits.max_file_bytes / 1024 / 1024:.1f} MB"))
    return path.read_bytes(), name or path.name


def check(source: Source, *, step_reading: StepReading = "ceil", name: str | None = None,
          limits: Limits = DEFAULT_LIMITS) -> Checked:
    """Check a workbook without writing anything; the returned workbook can be marked up."""
    file_name = name or ("上传的文件" if isinstance(source, bytes) else Path(source).name)
    try:
        data, file_name = _load(source, name, limits)
        workbook = open_workbook(data, limits)
        previous = remove_marks(workbook)
        table, version, findings = identify(workbook)
    except Unreadable as unreadable:
        return Checked(Report(file=file_name, status="unreadable", step_reading=step_reading,
                              findings=[unreadable.finding]), None)
    except Exception as error:  # a last net: a clerk gets a reason, never a traceback
        return Checked(_internal_error(file_name, step_reading, error), None)
    try:
        return Checked(_check_loaded(data, file_name, workbook, previous, table, version, findings, step_reading), workbook)
    except Exception as error:
        return Checked(_internal_error(file_name, step_reading, error), None)


def _internal_error(file_name: str, step_reading: StepReading, error: Exception) -> Report:
    finding = make_finding("internal_error", error=type(error).__name__)
    return Report(file=file_name, status="unreadable", step_reading=step_reading, findings=[finding])


def _check_loaded(data: bytes, file_name: str, workbook: Workbook, previous, table, version: int,
                  findings: list[Finding], step_reading: StepReading) -> Report:
    # pandas and pandera take most of a second to import: a file refused at the door never pays for them
    from selfscore.validation import validate

    lost = unpreserved_content(data)
    if lost:
        findings = [*findings, make_finding("content_not_preserved", kinds="、".join(lost))]
    read = read_values(workbook, table, version, data)
    validation_findings, invalid = validate(read)
    results, score_findings = score_indicators(read, invalid, step_reading)
    self_total, recomputed_total, recomputed_range = totals(read, results)
    all_findings = findings + read.findings + validation_findings + score_findings
    all_findings.sort(key=_reading_order(workbook.sheetnames))
    year = read.values.get(META_YEAR)
    return Report(
        file=file_name,
        status="errors" if any(f.severity == "error" for f in all_findings) else "ok",
        table=table.id,
        title=table.title,
        template_version=version,
        unit=read.values.get(META_UNIT) if isinstance(read.values.get(META_UNIT), str) else None,
        year=year if isinstance(year, int) else None,
        step_reading=step_reading,
        self_total=self_total,
        recomputed_total=recomputed_total,
        recomputed_range=recomputed_range,
        max_total=table.max_points,
        indicators=results,
        findings=all_findings,
        previous=previous,
    )


def check_workbook(source: Source, *, step_reading: StepReading = "ceil", name: str | None = None,
                   limits: Limits = DEFAULT_LIMITS) -> Report:
    """The report for one workbook (path or bytes). Writes nothing."""
    return check(source, step_reading=step_reading, name=name, limits=limits).report


def check_and_mark_up(source: Source, *, step_reading: StepReading = "ceil", name: str | None = None,
                      limits: Limits = DEFAULT_LIMITS) -> tuple[Report, bytes | None]:
    """The report and the marked-up copy as bytes (None when the file could not be read)."""
    from selfscore.markup import mark_up

    checked = check(source, step_reading=step_reading, name=name, limits=limits)
    if checked.workbook is None:
        return checked.report, None
    try:
        return checked.report, mark_up(checked.workbook, checked.report)
    except Exception as error:  # the report stands on its own; only the copy is missing
        checked.report.findings.insert(0, make_finding("markup_failed", error=type(error).__name__))
        return checked.report, None


def annotate(source: Source, report: Report) -> bytes:
    """Mark up a workbook with a report made from it; the source is never modified."""
    from selfscore.markup import mark_up

    data, _ = _load(source, None)
    workbook = open_workbook(data)
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
