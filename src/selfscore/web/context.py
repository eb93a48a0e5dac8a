"""What every route of one app shares: its limits, tables, worker pool and store, and the upload handling they imply."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile

from selfscore.checking import check_file
from selfscore.results.file_names import checked_name
from selfscore.results.findings import make_finding
from selfscore.results.report import PreviousCheck, Report
from selfscore.tables.definitions import TableDefinition
from selfscore.tables.steps import StepReading
from selfscore.web.errors import WebError
from selfscore.web.pool import CheckPool, TimedOut, WorkerDied
from selfscore.web.rendering import duration, megabytes
from selfscore.web.store import MarkedUpStore
from selfscore.web.uploads import SUMMARY_DOWNLOAD_NAME, UploadResult, display_name, summary_links, summary_workbook

log = logging.getLogger(__name__)


@dataclass
class WebContext:
    max_upload_bytes: int
    ttl_seconds: float
    max_files: int
    tables: dict[str, TableDefinition]
    store: MarkedUpStore
    pool: CheckPool
    #: the address people reach the app at (``https://intranet/selfscore/``), for links in downloaded files
    public_url: str | None = None

    @property
    def too_large(self) -> str:
        return f"每个文件不能超过 {megabytes(self.max_upload_bytes)}"

    def limits(self) -> dict[str, Any]:
        """The limits as the pages state them."""
        return {"max_upload": megabytes(self.max_upload_bytes), "ttl_text": duration(self.ttl_seconds),
                "max_files": self.max_files}

    def base_url(self, request: Request) -> str:
        """Where every absolute link the app hands out starts (summary workbooks, units' upload links), ending in /:
        the public URL when one is given, else the address the request came in on (with its root path)."""
        return self.public_url.rstrip("/") + "/" if self.public_url else str(request.base_url)

    def file_parts(self, parts: list[Any]) -> list[StarletteUploadFile]:
        """The real files among the form parts (a form sent with nothing chosen has one empty, nameless part)."""
        files = [part for part in parts if isinstance(part, StarletteUploadFile) and (part.filename or part.size)]
        if len(files) > self.max_files:
            raise WebError(413, "too_many_files", f"一次最多上传 {self.max_files} 个文件，本次选择了 {len(files)} 个。")
        return files

    def refused(self, name: str) -> str:
        return f"文件「{name}」太大：{self.too_large}。请删除多余内容后重新上传。"

    def refuse_oversize(self, files: list[StarletteUploadFile]) -> None:
        """For programs, one file over the cap refuses the whole request before anything is checked."""
        for upload in files:
            if (upload.size or 0) > self.max_upload_bytes:
                name = display_name(upload.filename)
                raise WebError(413, "file_too_large", self.refused(name), file=name)

    async def check_one(self, data: bytes, name: str, steps: StepReading, markup: bool = True,
                        previous: PreviousCheck | None = None) -> tuple[Report, bytes | None]:
        """One file through ``check_file`` in the worker pool: the report and the marked-up copy (``markup=False``: the
        report only, for the JSON API where nobody downloads a copy). A check stopped at the time limit, or whose worker
        died, is an unreadable report saying so."""
        try:
            report, marked_up = await self.pool.run(check_file, data, name, steps, markup, previous)
        except TimedOut as error:
            return Report.unreadable(name, make_finding("check_timeout", seconds=f"{error.seconds:g}"), steps), None
        except WorkerDied as error:
            report, marked_up = Report.unreadable(name, make_finding("check_failed", reason=str(error)), steps), None
        for finding in report.findings:
            if finding.code == "check_failed":  # for whoever runs the service, too
                log.error("checking %r failed: %s", name, finding.message)
        return report, marked_up

    async def check_all(self, files: list[StarletteUploadFile], steps: StepReading, keep: bool) -> list[UploadResult]:
        """Check the files of one request, as many at a time as there are worker processes, so that one reviewer's
        batch uses every core while only that many uploads are held in memory; results in upload order."""
        at_once = asyncio.Semaphore(max(1, self.pool.processes))

        async def one(upload: StarletteUploadFile) -> UploadResult:
            async with at_once:
                name = display_name(upload.filename)
                data = await upload.read(self.max_upload_bytes + 1)
                await upload.close()
                if len(data) > self.max_upload_bytes:
                    return UploadResult(name, refused=self.refused(name))
                report, marked_up = await self.check_one(data, name, steps, markup=keep)
                token = None
                if keep and marked_up is not None:
                    token = await run_in_threadpool(self.store.put, marked_up, checked_name(name))
                return UploadResult(name, report, token)

        return list(await asyncio.gather(*(one(upload) for upload in files)))

    async def keep_summary(self, uploads: list[UploadResult], base_url: str) -> str | None:
        """For several checked files, the reviewer's summary workbook, made in a worker and kept for download."""
        parts = summary_links(uploads, base_url)
        if parts is None:
            return None
        try:
            data = await self.pool.run(summary_workbook, *parts)
        except (TimedOut, WorkerDied):
            return None  # the page still shows every result; only the summary download is missing
        return await run_in_threadpool(self.store.put, data, SUMMARY_DOWNLOAD_NAME)


def _context(request: Request) -> WebContext:
    return request.app.state.context


#: a route's parameter of this type receives its app's context
Context = Annotated[WebContext, Depends(_context)]
