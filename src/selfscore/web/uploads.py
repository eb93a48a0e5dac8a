"""Uploaded files through the library: safe display names, one check per file, the kept copies and summary."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from selfscore.checking import check, check_and_mark_up
from selfscore.results.findings import make_finding
from selfscore.results.report import Report
from selfscore.tables.rules import StepReading

log = logging.getLogger(__name__)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY_DOWNLOAD_NAME = "校验汇总.xlsx"


# --- names: a client's file name is display text only, never a path ---------------------------------------------------------


def display_name(client_name: str | None) -> str:
    """The client's file name as safe display text: last path component, printable characters, bounded."""
    name = unicodedata.normalize("NFC", client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:120] or "上传的文件"


def content_disposition(file_name: str, ascii_name: str | None = None) -> str:
    """An attachment header for any file name: an ASCII fallback plus the RFC 5987 UTF-8 form."""
    fallback = file_name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", file_name):
        # Clients that ignore filename* (curl -J, old browsers) get a plain ASCII name rather than mangled Chinese.
        fallback = ascii_name or ("selfscore.checked.xlsx" if file_name.endswith(".checked.xlsx") else "selfscore.xlsx")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


# --- one uploaded file through the library ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What became of one uploaded file: a report (maybe unreadable), a download token, or a refusal."""

    name: str
    report: Report | None = None
    token: str | None = None
    #: why the file was not checked at all (too large), in Chinese
    refused: str | None = None


def safe_check(data: bytes, name: str, step_reading: StepReading, markup: bool = True) -> tuple[Report, bytes | None]:
    """check_and_mark_up that never raises: whatever the bytes are, a file that breaks the checker becomes an
    unreadable report the filer can read, not a 500. ``markup=False``: the report only (the same report, sooner)."""
    try:
        if not markup:
            return check(data, step_reading=step_reading, name=name, markup=False).report, None
        return check_and_mark_up(data, step_reading=step_reading, name=name)
    except Exception as error:
        log.exception("checking %r failed", name)
        finding = make_finding("not_a_workbook", reason=f"校验时无法处理该文件（{type(error).__name__}），文件可能已损坏")
        return Report(file=name, status="unreadable", step_reading=step_reading, findings=[finding]), None


def timed_out(name: str, step_reading: StepReading, seconds: float) -> Report:
    """The report of a check the pool stopped at its time limit: one finding, the file not read."""
    return Report(file=name, status="unreadable", step_reading=step_reading,
                  findings=[make_finding("check_timeout", seconds=f"{seconds:g}")])


def failed(name: str, step_reading: StepReading, reason: str) -> Report:
    """The report of a check whose worker process died."""
    return Report(file=name, status="unreadable", step_reading=step_reading,
                  findings=[make_finding("check_failed", reason=reason)])


def summary_links(outcomes: list[Outcome], base_url: str) -> tuple[list[Report], list[str | None]] | None:
    """For several checked files, what the reviewer's summary workbook (the CLI's --summary) is made of.

    Its links point at each marked-up copy's download address under ``base_url`` (the public URL when
    one is configured), so they work from the saved summary for as long as the copies are kept."""
    checked = [outcome for outcome in outcomes if outcome.report is not None]
    if len(checked) < 2:
        return None
    links = [f"{base_url.rstrip('/')}/download/{outcome.token}" if outcome.token else None for outcome in checked]
    return [outcome.report for outcome in checked], links  # type: ignore[misc]


def summary_workbook(reports: list[Report], links: list[str | None]) -> bytes:
    """The summary workbook's bytes (run in a worker process: it is CPU work)."""
    from selfscore.write.summary import summary_bytes

    return summary_bytes(reports, links)


def unreadable_reason(report: Report) -> str:
    return report.findings[0].message if report.findings else "文件无法读取。"
