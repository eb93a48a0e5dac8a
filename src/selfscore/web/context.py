"""What every route of one app shares: its limits, tables, worker pool and store, and the upload handling they imply."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile

from selfscore.results.file_names import checked_name
from selfscore.results.report import Report
from selfscore.tables.definitions import TableDefinition
from selfscore.tables.rules import StepReading
from selfscore.web.checks import (
    SUMMARY_DOWNLOAD_NAME,
    Outcome,
    display_name,
    failed,
    safe_check,
    summary_links,
    summary_workbook,
    timed_out,
)
from selfscore.web.errors import WebError
from selfscore.web.pool import CheckPool, TimedOut, WorkerDied
from selfscore.web.rendering import duration, megabytes
from selfscore.web.store import MarkedUpStore


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

    async def check_one(self, data: bytes, name: str, step_reading: StepReading,
                        markup: bool = True) -> tuple[Report, bytes | None]:
        """One file through the worker pool; a check stopped at the time limit, or whose worker died, is a finding.
        ``markup=False``: the report only (the JSON API, where nobody downloads a copy)."""
        return await self.checked(safe_check, data, name, step_reading, markup)

    async def checked(self, function: Callable[..., tuple[Report, bytes | None]], data: bytes, name: str,
                      step_reading: StepReading, *args: Any) -> tuple[Report, bytes | None]:
        """``function(data, name, step_reading, *args)``, a check giving a report and maybe a marked-up copy, in the
        worker pool; a check stopped at the time limit, or whose worker died, is a finding in an unreadable report."""
        try:
            return await self.pool.run(function, data, name, step_reading, *args)
        except TimedOut as error:
            return timed_out(name, step_reading, error.seconds), None
        except WorkerDied as error:
            return failed(name, step_reading, str(error)), None

    async def check_all(self, files: list[StarletteUploadFile], step_reading: StepReading, keep: bool) -> list[Outcome]:
        """Check the files of one request, as many at a time as there are worker processes, so that one reviewer's
        batch uses every core while only that many uploads are held in memory; outcomes in upload order."""
        at_once = asyncio.Semaphore(max(1, self.pool.processes))

        async def one(upload: StarletteUploadFile) -> Outcome:
            async with at_once:
                name = display_name(upload.filename)
                data = await upload.read(self.max_upload_bytes + 1)
                await upload.close()
                if len(data) > self.max_upload_bytes:
                    return Outcome(name, refused=self.refused(name))
                report, marked_up = await self.check_one(data, name, step_reading, markup=keep)
                token = None
                if keep and marked_up is not None:
                    token = await run_in_threadpool(self.store.put, marked_up, checked_name(name))
                return Outcome(name, report, token)

        return list(await asyncio.gather(*(one(upload) for upload in files)))

    async def keep_summary(self, outcomes: list[Outcome], base_url: str) -> str | None:
        """For several checked files, the reviewer's summary workbook, made in a worker and kept for download."""
        parts = summary_links(outcomes, base_url)
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
