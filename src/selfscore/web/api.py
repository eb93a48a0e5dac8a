"""The JSON API for programs: liveness, blank templates, reports and marked-up copies."""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from selfscore import __version__
from selfscore.results.file_names import checked_name
from selfscore.tables.definitions import TableDefinition
from selfscore.tables.steps import DEFAULT_STEPS, StepReading
from selfscore.web.api_models import BUSY, Health, ReportsBody, error
from selfscore.web.context import Context
from selfscore.web.errors import WebError
from selfscore.web.uploads import XLSX_MEDIA_TYPE, content_disposition, display_name, unreadable_reason
from selfscore.write.template import template_bytes

router = APIRouter(tags=["api"])


@router.get("/healthz", summary="Liveness check", response_model=Health)
async def healthz(context: Context) -> dict[str, Any]:
    """Answers at once, however many checks are running or waiting (they run in worker processes)."""
    return {"status": "ok", "version": __version__, "pid": os.getpid(), "checks": context.pool.status()}


@router.get("/api/templates/{table_id}.xlsx", summary="A blank template", response_class=Response,
            responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "The blank template (.xlsx)"},
                       404: error("Unknown table")})
def template(table_id: str, context: Context) -> Response:
    """The blank template of a table (`shantytown`, `old_communities`), with its Chinese file name."""
    table = context.tables.get(table_id)
    if table is None:
        raise WebError(404, "unknown_table", f"没有表格「{display_name(table_id)}」；可用的表格：{'、'.join(context.tables)}。")
    return Response(_template_bytes(table), media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": content_disposition(table.file_name, f"{table.id}.xlsx")})


@router.post("/api/check", summary="Check workbooks, get the JSON report", response_model=ReportsBody,
             responses={400: error("No file, or a malformed request"), 413: error("A file is over the size cap"),
                        422: {"model": ReportsBody,
                              "description": "Some file is not a readable template; the reports are still returned"},
                        **BUSY})
async def api_check(
    context: Context,
    files: Annotated[list[UploadFile], File(description="One or more filled .xlsx workbooks (repeat the field)")],
    steps: Annotated[StepReading, Form(description="Step reading")] = DEFAULT_STEPS,
) -> JSONResponse:
    """The SPEC's JSON report, `{"reports": [...]}`, one per file in upload order.

    200 when every file could be read (a report may still have `"status": "errors"`); 422 when some file
    is unreadable (its report says why; the others are checked all the same)."""
    uploads = context.file_parts(files)
    if not uploads:
        raise WebError(400, "no_file", "没有收到文件：请在字段 files 中上传至少一个 .xlsx 文件。")
    context.refuse_oversize(uploads)
    with context.pool.admitted():
        checked = await context.check_all(uploads, steps, keep=False)
    if any(upload.refused for upload in checked):  # a part whose size was not known in advance
        first = next(upload for upload in checked if upload.refused)
        raise WebError(413, "file_too_large", first.refused or context.too_large, file=first.name)
    reports = [upload.report for upload in checked if upload.report is not None]
    body: dict[str, Any] = {"reports": [report.to_dict() for report in reports]}
    unreadable = [report for report in reports if report.status == "unreadable"]
    if unreadable:
        body["error"] = {"code": "unreadable", "message": f"{len(unreadable)} 个文件无法读取：" + "；".join(
            f"「{report.file}」{unreadable_reason(report)}" for report in unreadable)}
        return JSONResponse(body, status_code=422)
    return JSONResponse(body)


@router.post("/api/check.xlsx", summary="Check one workbook, get the marked-up copy", response_class=Response,
             responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "The marked-up workbook (.xlsx)"},
                        400: error("No file, two files, or a malformed request"), 413: error("Over the size cap"),
                        422: {"model": ReportsBody, "description": "Not a readable template; the JSON report says why"},
                        **BUSY})
async def api_check_xlsx(
    request: Request,
    context: Context,
    file: Annotated[UploadFile, File(description="One filled .xlsx workbook")],
    steps: Annotated[StepReading, Form(description="Step reading")] = DEFAULT_STEPS,
) -> Response:
    """The marked-up workbook. Headers `X-Selfscore-Status` (`ok`/`review`/`errors`) and `X-Selfscore-Errors` /
    `X-Selfscore-Warnings` give the verdict without opening it."""
    uploads = context.file_parts((await request.form()).getlist("file"))
    if not uploads:
        raise WebError(400, "no_file", "没有收到文件：请在字段 file 中上传一个 .xlsx 文件。")
    if len(uploads) > 1:
        # Checking only the last part would silently drop the others.
        raise WebError(400, "one_file_only", f"/api/check.xlsx 一次只校验一个文件，本次收到 {len(uploads)} 个（字段 file）；"
                                             "多个文件请用 /api/check（字段 files）。")
    context.refuse_oversize(uploads)
    name = display_name(file.filename)
    data = await file.read(context.max_upload_bytes + 1)
    await file.close()
    if len(data) > context.max_upload_bytes:
        raise WebError(413, "file_too_large", context.refused(name), file=name)
    with context.pool.admitted():
        report, marked_up = await context.check_one(data, name, steps)
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


_templates: dict[str, bytes] = {}


def _template_bytes(table: TableDefinition) -> bytes:
    # Templates are generated from the definitions, which do not change while the server runs.
    if table.id not in _templates:
        _templates[table.id] = template_bytes(table)
    return _templates[table.id]
