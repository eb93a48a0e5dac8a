"""The web page and JSON API: a thin FastAPI shell over ``check_and_mark_up`` — routing, limits, storage."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfscore import __version__
from selfscore.batch import checked_name
from selfscore.checking import check_and_mark_up
from selfscore.definitions import TableDefinition, load_tables
from selfscore.findings import SEVERITY_NAMES, make_finding
from selfscore.numbers import fmt
from selfscore.report import REPORT_STATUS_NAMES, STATUS_NAMES, Report
from selfscore.rules import STEP_READING_NAMES, StepReading
from selfscore.template import template_bytes

log = logging.getLogger(__name__)

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_TTL_SECONDS = 3600.0
DEFAULT_MAX_FILES = 50
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEP_READINGS: tuple[StepReading, ...] = ("ceil", "exact", "floor")
#: one line per step reading, for the upload form
STEP_READING_HINTS: dict[str, str] = {
    "ceil": "差额不满一档也按一档扣分（如差 0.3 个百分点扣 1 分）。默认口径，与焦作市公布的自评结果一致。",
    "exact": "按差额的实际比例扣分（如差 0.3 个百分点扣 0.3 分）。",
    "floor": "差额满一档才扣分，不满一档不扣（如差 0.3 个百分点不扣分）。",
}
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


class WebError(Exception):
    """A request the web layer refuses, with the Chinese message a person or program gets back."""

    def __init__(self, status_code: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.extra = extra


def megabytes(size: int) -> str:
    """A size cap as a clerk reads it: 10 MB, 2.5 MB, 50 KB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.3g} MB"


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


# --- marked-up workbooks, kept for a while and reachable only through a token --------------------------------------------


class MarkedUpStore:
    """Marked-up workbooks in a private temp dir, each under an unguessable token, removed after ``ttl_seconds``."""

    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.directory = Path(tempfile.mkdtemp(prefix="selfscore-web-"))
        self._clock = clock
        self._entries: dict[str, tuple[Path, str, float]] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes, download_name: str) -> str:
        self.sweep()
        token = secrets.token_urlsafe(32)
        # The path comes from the token alone; the client's name only travels in the download header.
        path = self.directory / f"{token}.xlsx"
        path.write_bytes(data)
        with self._lock:
            self._entries[token] = (path, download_name, self._clock() + self.ttl_seconds)
        return token

    def get(self, token: str) -> tuple[Path, str] | None:
        self.sweep()
        if not _TOKEN.fullmatch(token):
            return None
        with self._lock:
            entry = self._entries.get(token)
        if entry is None or not entry[0].exists():
            return None
        return entry[0], entry[1]

    def sweep(self) -> int:
        """Remove every expired workbook; returns how many went."""
        now = self._clock()
        with self._lock:
            expired = [token for token, (_, _, expires) in self._entries.items() if expires <= now]
            paths = [self._entries.pop(token)[0] for token in expired]
        for path in paths:
            path.unlink(missing_ok=True)
        return len(paths)

    def close(self) -> None:
        with self._lock:
            self._entries.clear()
        shutil.rmtree(self.directory, ignore_errors=True)


# --- one uploaded file through the library ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What became of one uploaded file: a report (maybe unreadable), a download token, or a refusal."""

    name: str
    report: Report | None = None
    token: str | None = None
    #: why the file was not checked at all (too large), in Chinese
    refused: str | None = None


def safe_check(data: bytes, name: str, step_reading: StepReading) -> tuple[Report, bytes | None]:
    """check_and_mark_up that never raises: whatever the bytes are, a file that breaks the checker becomes an
    unreadable report the filer can read, not a 500."""
    try:
        return check_and_mark_up(data, step_reading=step_reading, name=name)
    except Exception as error:
        log.exception("checking %r failed", name)
        finding = make_finding("not_a_workbook", reason=f"校验时无法处理该文件（{type(error).__name__}），文件可能已损坏")
        return Report(file=name, status="unreadable", step_reading=step_reading, findings=[finding]), None


def check_upload(data: bytes, name: str, step_reading: StepReading, store: MarkedUpStore | None) -> Outcome:
    """Check one upload and, when ``store`` is given, keep its marked-up copy for download."""
    report, marked_up = safe_check(data, name, step_reading)
    token = store.put(marked_up, checked_name(name)) if store is not None and marked_up is not None else None
    return Outcome(name, report, token)


SUMMARY_DOWNLOAD_NAME = "校验汇总.xlsx"


def keep_summary(outcomes: list[Outcome], base_url: str, store: MarkedUpStore) -> str | None:
    """For several checked files, the reviewer's summary workbook (the CLI's --summary), kept for download.

    Its links point at each marked-up copy's download address, so they work from the saved summary
    for as long as the copies are kept."""
    from selfscore.summary import summary_bytes

    checked = [outcome for outcome in outcomes if outcome.report is not None]
    if len(checked) < 2:
        return None
    links = [f"{base_url.rstrip('/')}/download/{outcome.token}" if outcome.token else None for outcome in checked]
    return store.put(summary_bytes([outcome.report for outcome in checked], links), SUMMARY_DOWNLOAD_NAME)  # type: ignore[misc]


def unreadable_reason(report: Report) -> str:
    return report.findings[0].message if report.findings else "文件无法读取。"


# --- request body limits --------------------------------------------------------------------------------------------------


class BodyLimit:
    """Refuse a request body larger than ``limit`` bytes before it is spooled to disk: by its length when
    announced, otherwise while it streams in."""

    def __init__(self, app: ASGIApp, limit: int, message: str) -> None:
        self.app = app
        self.limit = limit
        self.message = message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            response = error_response(scope["path"], WebError(413, "request_too_large", self.message))
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # An HTTPException passes through FastAPI's body parsing unchanged (other errors become a 400).
                    raise StarletteHTTPException(413, self.message)
            return message

        await self.app(scope, limited_receive, send)


# --- responses ---------------------------------------------------------------------------------------------------------------

_environment = Environment(loader=PackageLoader("selfscore", "web_templates"), autoescape=select_autoescape(["html"]),
                           trim_blocks=True, lstrip_blocks=True)
_environment.filters["score"] = lambda value: "未填" if value is None else fmt(value)
_environment.filters["checked_name"] = lambda name: checked_name(name)


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _environment.get_template(name).render(
        version=__version__, status_names=STATUS_NAMES, report_status_names=REPORT_STATUS_NAMES,
        severity_names=SEVERITY_NAMES, step_names=STEP_READING_NAMES, **context)
    return HTMLResponse(html, status_code=status_code)


def _wants_json(path: str) -> bool:
    return path.startswith("/api/") or path == "/healthz"


def error_response(path: str, error: WebError) -> Response:
    """One error shape for programs ({"error": {code, message}}), a plain Chinese page for people."""
    if _wants_json(path):
        return JSONResponse({"error": {"code": error.code, "message": error.message, **error.extra}},
                            status_code=error.status_code)
    return render("message.html", error.status_code, title="无法完成请求", message=error.message)


_HTTP_ERRORS = {
    400: ("bad_request", "请求内容无法解析：上传文件请用 multipart/form-data 格式。"),
    404: ("not_found", "找不到这个页面。请从首页重新开始。"),
    405: ("method_not_allowed", "不支持这种请求方式。"),
}


def _http_error(request: Request, error: Exception) -> Response:
    """Starlette's own errors (no route, unparsable body, body over the cap) in the one Chinese error shape."""
    status = getattr(error, "status_code", 400)
    if status == 413:
        code, message = "request_too_large", str(getattr(error, "detail", ""))
    else:
        code, message = _HTTP_ERRORS.get(status, ("bad_request", "请求有误。"))
    return error_response(request.url.path, WebError(status, code, message))


def _validation_error(request: Request, error: Exception) -> Response:
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    fields = "、".join(str(item["loc"][-1]) for item in errors if item.get("loc")) or "请求内容"
    message = f"请求有误：字段 {fields} 缺失或取值无效。上传文件用 multipart/form-data；扣分口径 steps 只能是 ceil、exact 或 floor。"
    return error_response(request.url.path, WebError(400, "bad_request", message))


def _web_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, WebError)
    return error_response(request.url.path, error)


# --- the app ------------------------------------------------------------------------------------------------------------------


def create_app(
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    ttl_seconds: float = DEFAULT_TTL_SECONDS,
    max_files: int = DEFAULT_MAX_FILES,
) -> FastAPI:
    """The web app: home page, result page, downloads and the JSON API, with the given limits."""
    store = MarkedUpStore(ttl_seconds)
    tables = load_tables()
    too_large = f"每个文件不能超过 {megabytes(max_upload_bytes)}"

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def sweep_forever() -> None:
            while True:
                await asyncio.sleep(max(0.05, min(ttl_seconds / 2, 60.0)))
                store.sweep()

        sweeper = asyncio.create_task(sweep_forever())
        try:
            yield
        finally:
            sweeper.cancel()
            store.close()

    app = FastAPI(
        title="selfscore",
        version=__version__,
        description="Check performance self-assessment workbooks (绩效自评表) of affordable-housing funds. "
                    "The people's page is at `/`; these endpoints are for programs. Errors are "
                    '`{"error": {"code": ..., "message": <Chinese>}}`.',
        lifespan=lifespan,
    )
    app.state.store = store
    # Files are checked one at a time per request, each up to the cap; the body may also carry multipart framing.
    app.add_middleware(BodyLimit, limit=max_upload_bytes * max_files + 1024 * 1024,
                       message=f"上传内容过大：一次最多 {max_files} 个文件，{too_large}。")
    app.add_exception_handler(WebError, _web_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.mount("/static", StaticFiles(packages=[("selfscore", "web_static")]), name="static")

    def limits() -> dict[str, Any]:
        return {"max_upload": megabytes(max_upload_bytes), "ttl_text": _duration(ttl_seconds), "max_files": max_files}

    def file_parts(parts: list[Any]) -> list[StarletteUploadFile]:
        """The real files among the form parts (a form sent with nothing chosen has one empty, nameless part)."""
        files = [part for part in parts if isinstance(part, StarletteUploadFile) and (part.filename or part.size)]
        if len(files) > max_files:
            raise WebError(413, "too_many_files", f"一次最多上传 {max_files} 个文件，本次选择了 {len(files)} 个。")
        return files

    def refused(name: str) -> str:
        return f"文件「{name}」太大：{too_large}。请删除多余内容后重新上传。"

    def refuse_oversize(files: list[StarletteUploadFile]) -> None:
        """For programs, one file over the cap refuses the whole request before anything is checked."""
        for upload in files:
            if (upload.size or 0) > max_upload_bytes:
                name = display_name(upload.filename)
                raise WebError(413, "file_too_large", refused(name), file=name)

    async def check_all(files: list[StarletteUploadFile], step_reading: StepReading, keep: bool) -> list[Outcome]:
        """Check the files one after the other, so that only one upload is held in memory at a time."""
        outcomes = []
        for upload in files:
            name = display_name(upload.filename)
            data = await upload.read(max_upload_bytes + 1)
            await upload.close()
            if len(data) > max_upload_bytes:
                outcomes.append(Outcome(name, refused=refused(name)))
                continue
            # The check is CPU work; running it off the event loop keeps other uploads moving.
            outcomes.append(await run_in_threadpool(check_upload, data, name, step_reading, store if keep else None))
        return outcomes

    # --- pages for people ---

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        return render("home.html", tables=list(tables.values()), steps=STEP_READINGS, step_hints=STEP_READING_HINTS,
                      **limits())

    @app.post("/check", response_class=HTMLResponse, include_in_schema=False)
    async def check_page(request: Request) -> HTMLResponse:
        form = await request.form()
        step_reading = form.get("steps")
        if step_reading not in STEP_READINGS:
            step_reading = "ceil"
        uploads = file_parts(form.getlist("files"))
        if not uploads:
            return render("home.html", 400, tables=list(tables.values()), steps=STEP_READINGS,
                          step_hints=STEP_READING_HINTS, problem="请先选择至少一个填好的 .xlsx 文件，再点击「开始校验」。",
                          **limits())
        outcomes = await check_all(uploads, step_reading, keep=True)  # type: ignore[arg-type]
        status = 413 if any(outcome.refused for outcome in outcomes) else 200
        summary_token = await run_in_threadpool(keep_summary, outcomes, str(request.base_url), store)
        return render("results.html", status, outcomes=outcomes, step_reading=step_reading,
                      step_hints=STEP_READING_HINTS, tables=tables, summary_token=summary_token, **limits())

    @app.get("/check", include_in_schema=False)
    def check_page_again() -> RedirectResponse:
        # A bookmarked or reopened result page has no upload to show; the form is where to start again.
        return RedirectResponse("/", status_code=303)

    @app.get("/download/{token}", include_in_schema=False)
    def download(token: str) -> Response:
        found = store.get(token)
        if found is None:
            raise WebError(404, "download_expired",
                           f"下载链接无效或已过期（标注文件只保留 {_duration(ttl_seconds)}）。请回到首页重新上传文件校验。")
        path, download_name = found
        return FileResponse(path, media_type=XLSX_MEDIA_TYPE,
                            headers={"Content-Disposition": content_disposition(download_name), "Cache-Control": "no-store"})

    # --- API for programs ---

    @app.get("/healthz", tags=["api"], summary="Liveness check")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/templates/{table_id}.xlsx", tags=["api"], summary="A blank template",
             response_class=Response, responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}, 404: {"description": "Unknown table"}})
    def template(table_id: str) -> Response:
        """The blank template of a table (`shantytown`, `old_communities`), with its Chinese file name."""
        table = tables.get(table_id)
        if table is None:
            raise WebError(404, "unknown_table", f"没有表格「{display_name(table_id)}」；可用的表格：{'、'.join(tables)}。")
        return Response(_template_bytes(table), media_type=XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": content_disposition(table.file_name, f"{table.id}.xlsx")})

    @app.post("/api/check", tags=["api"], summary="Check workbooks, get the JSON report",
              responses={413: {"description": "A file is over the size cap"},
                         422: {"description": "Some file is not a readable template; the reports are still returned"}})
    async def api_check(
        files: Annotated[list[UploadFile], File(description="One or more filled .xlsx workbooks (repeat the field)")],
        steps: Annotated[Literal["ceil", "exact", "floor"], Form(description="Step reading")] = "ceil",
    ) -> JSONResponse:
        """The SPEC's JSON report, `{"reports": [...]}`, one per file in upload order.

        200 when every file could be read (a report may still have `"status": "errors"`); 422 when some file
        is unreadable (its report says why; the others are checked all the same)."""
        uploads = file_parts(files)
        if not uploads:
            raise WebError(400, "no_file", "没有收到文件：请在字段 files 中上传至少一个 .xlsx 文件。")
        refuse_oversize(uploads)
        outcomes = await check_all(uploads, steps, keep=False)
        if any(outcome.refused for outcome in outcomes):  # a part whose size was not known in advance
            first = next(outcome for outcome in outcomes if outcome.refused)
            raise WebError(413, "file_too_large", first.refused or too_large, file=first.name)
        reports = [outcome.report for outcome in outcomes if outcome.report is not None]
        body: dict[str, Any] = {"reports": [report.to_dict() for report in reports]}
        unreadable = [report for report in reports if report.status == "unreadable"]
        if unreadable:
            body["error"] = {"code": "unreadable", "message": f"{len(unreadable)} 个文件无法读取：" + "；".join(
                f"「{report.file}」{unreadable_reason(report)}" for report in unreadable)}
            return JSONResponse(body, status_code=422)
        return JSONResponse(body)

    @app.post("/api/check.xlsx", tags=["api"], summary="Check one workbook, get the marked-up copy",
              response_class=Response,
              responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}, 413: {"description": "Over the size cap"},
                         422: {"description": "Not a readable template; the JSON report says why"}})
    async def api_check_xlsx(
        file: Annotated[UploadFile, File(description="One filled .xlsx workbook")],
        steps: Annotated[Literal["ceil", "exact", "floor"], Form(description="Step reading")] = "ceil",
    ) -> Response:
        """The marked-up workbook. Headers `X-Selfscore-Status` (`ok`/`errors`) and `X-Selfscore-Errors` /
        `X-Selfscore-Warnings` give the verdict without opening it."""
        uploads = file_parts([file])
        if not uploads:
            raise WebError(400, "no_file", "没有收到文件：请在字段 file 中上传一个 .xlsx 文件。")
        refuse_oversize(uploads)
        name = display_name(file.filename)
        data = await file.read(max_upload_bytes + 1)
        await file.close()
        if len(data) > max_upload_bytes:
            raise WebError(413, "file_too_large", refused(name), file=name)
        report, marked_up = await run_in_threadpool(safe_check, data, name, steps)
        if marked_up is None:
            return JSONResponse({"reports": [report.to_dict()],
                                 "error": {"code": "unreadable", "message": f"「{name}」{unreadable_reason(report)}"}},
                                status_code=422)
        return Response(marked_up, media_type=XLSX_MEDIA_TYPE, headers={
            "Content-Disposition": content_disposition(checked_name(name)),
            "X-Selfscore-Status": report.status,
            "X-Selfscore-Errors": str(report.errors),
            "X-Selfscore-Warnings": str(report.warnings),
        })

    return app


_templates: dict[str, bytes] = {}


def _template_bytes(table: TableDefinition) -> bytes:
    # Templates are generated from the definitions, which do not change while the server runs.
    if table.id not in _templates:
        _templates[table.id] = template_bytes(table)
    return _templates[table.id]


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} 小时"
    if seconds >= 60:
        return f"{round(seconds / 60)} 分钟"
    return f"{seconds:g} 秒"
