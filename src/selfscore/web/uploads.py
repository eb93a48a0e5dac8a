"""What an upload needs around its check: a safe display name, Content-Disposition, what became of it, the summary's links."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from selfscore.results.report import Report

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


# --- what became of each uploaded file ---------------------------------------------------------------------------------------


@dataclass
class UploadResult:
    """What became of one uploaded file: a report (maybe unreadable), a download token, or a refusal."""

    name: str
    report: Report | None = None
    token: str | None = None
    #: why the file was not checked at all (too large), in Chinese
    refused: str | None = None


def summary_links(uploads: list[UploadResult], base_url: str) -> tuple[list[Report], list[str | None]] | None:
    """For several checked files, what the reviewer's summary workbook (the CLI's --summary) is made of.

    Its links point at each marked-up copy's download address under ``base_url`` (the public URL when
    one is configured), so they work from the saved summary for as long as the copies are kept."""
    checked = [upload for upload in uploads if upload.report is not None]
    if len(checked) < 2:
        return None
    links = [f"{base_url.rstrip('/')}/download/{upload.token}" if upload.token else None for upload in checked]
    return [upload.report for upload in checked], links  # type: ignore[misc]


def summary_workbook(reports: list[Report], links: list[str | None], collection: dict | None = None) -> bytes:
    """The summary workbook's bytes (run in a worker process: it is CPU work); ``collection``: a collection's review
    results, for its own sheets of every unit."""
    from selfscore.write.summary import summary_bytes

    return summary_bytes(reports, links, collection)


def unreadable_reason(report: Report) -> str:
    return report.findings[0].message if report.findings else "文件无法读取。"
