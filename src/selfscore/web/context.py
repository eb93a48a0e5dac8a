"""What every route of one app shares: its limits, tables and store, and the upload handling they imply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile

from selfscore.tables.definitions import TableDefinition
from selfscore.tables.rules import StepReading
from selfscore.web.checks import Outcome, check_upload, display_name
from selfscore.web.errors import WebError
from selfscore.web.rendering import duration, megabytes
from selfscore.web.store import MarkedUpStore


@dataclass
class WebContext:
    max_upload_bytes: int
    ttl_seconds: float
    max_files: int
    tables: dict[str, TableDefinition]
    store: MarkedUpStore

    @property
    def too_large(self) -> str:
        return f"每个文件不能超过 {megabytes(self.max_upload_bytes)}"

    def limits(self) -> dict[str, Any]:
        """The limits as the pages state them."""
        return {"max_upload": megabytes(self.max_upload_bytes), "ttl_text": duration(self.ttl_seconds),
                "max_files": self.max_files}

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

    async def check_all(self, files: list[StarletteUploadFile], step_reading: StepReading, keep: bool) -> list[Outcome]:
        """Check the files one after the other, so that only one upload is held in memory at a time."""
        outcomes = []
        for upload in files:
            name = display_name(upload.filename)
            data = await upload.read(self.max_upload_bytes + 1)
            await upload.close()
            if len(data) > self.max_upload_bytes:
                outcomes.append(Outcome(name, refused=self.refused(name)))
                continue
            # The check is CPU work; running it off the event loop keeps other uploads moving.
            outcomes.append(await run_in_threadpool(check_upload, data, name, step_reading, self.store if keep else None))
        return outcomes


def _context(request: Request) -> WebContext:
    return request.app.state.context


#: a route's parameter of this type receives its app's context
Context = Annotated[WebContext, Depends(_context)]
