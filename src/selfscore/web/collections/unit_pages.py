"""A unit's clerk through their link: the collection's page, submitting, the result of each submission, downloads."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from selfscore.collect.review import COLLECTION_FINDINGS
from selfscore.collect.service import NotStored, Refused, page_notices
from selfscore.collect.times import local_text
from selfscore.tables.steps import DEFAULT_STEPS
from selfscore.web.collections.guards import CSRF_FIELD, CollectionsDep, check_form_token, root
from selfscore.web.collections.reviewer_pages import file_response
from selfscore.web.context import Context
from selfscore.web.errors import WebError
from selfscore.web.rendering import render
from selfscore.web.uploads import display_name

router = APIRouter(include_in_schema=False)

# Loose on purpose: a link pasted with what followed it in a chat message (「。」, 「）」, a space, a line break) still
# reaches the unit; :func:`clean_token` takes that off and anything else that is not a token is simply not found.
Token = Annotated[str, Path(min_length=1, max_length=200)]
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
#: what may follow a link where it was pasted from: Chinese and ASCII full stops, closing brackets, quotes, spaces
_TRAILING = "。．.，,、；;：:）)】」』》>\"'”’ \t\r\n\u3000"


def clean_token(token: str) -> str:
    """The link's token without what was pasted after it; a token that is still not one is not found (404)."""
    cleaned = token.rstrip(_TRAILING)
    if not _TOKEN.fullmatch(cleaned):
        raise Refused("not_found", "找不到这个页面：链接无效、已被收回，或不属于本单位。请向收集材料的同志索取新的链接。")
    return cleaned
SubmissionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: the status of each upload a link does not take: not a workbook, too often, over the unit's bytes
_NOT_STORED = {"not_a_workbook": 415, "too_often": 429, "quota_full": 413}


def _unit_page(request: Request, collections: CollectionsDep, context: Context, token: str, status_code: int = 200,
               problem: str | None = None) -> HTMLResponse:
    link, submissions = collections.service.unit_history(token)
    tables = [context.tables[table_id] for table_id in link.collection.table_ids if table_id in context.tables]
    state = collections.service.unit_state(link.unit_id)
    returned = collections.service.returned_note(link.unit_id)
    to_fix, returned_number = [], None
    if returned is not None and returned.submission_id is not None:
        stored = collections.service.submission(returned.submission_id, unit_id=link.unit_id)
        returned_number = stored.info.number
        to_fix = [finding for finding in stored.report.findings if finding.severity in ("error", "warning")]
    return render("collections/unit_page.html", status_code, root=root(request), link=link, submissions=submissions, tables=tables,
                  form_token=collections.access.unit_form_token(token), closed_text=local_text(link.collection.closed_at),
                  contacts=collections.service.contacts(link.collection.id) if not link.collection.is_open else [],
                  problem=problem, state=state, returned=returned, returned_number=returned_number, to_fix=to_fix,
                  **context.limits())


@router.get("/u/{token}", response_class=HTMLResponse)
def unit_page(request: Request, token: Token, collections: CollectionsDep, context: Context) -> Response:
    cleaned = clean_token(token)
    if cleaned != token:  # to the link's own address, so that the page's relative form and links work
        return RedirectResponse(cleaned, status_code=303)
    return _unit_page(request, collections, context, token)


@router.post("/u/{token}")
async def submit(request: Request, token: Token, collections: CollectionsDep, context: Context) -> Response:
    token = clean_token(token)
    link = await run_in_threadpool(collections.service.unit_link, token)
    form = await request.form()
    check_form_token(collections.access.unit_form_token(token), form.get(CSRF_FIELD))
    if not link.collection.is_open:
        return await run_in_threadpool(_unit_page, request, collections, context, token, 403,
                                       f"「{link.collection.name}」已截止，不再接收提交；已提交的材料仍可查看。")
    uploads = context.file_parts(form.getlist("file"))
    if len(uploads) != 1:
        problem = "一次只能提交一个文件。" if uploads else "请选择一个填好的自评表文件（.xlsx），再点击「提交并校验」。"
        return await run_in_threadpool(_unit_page, request, collections, context, token, 400, problem)
    upload: UploadFile = uploads[0]
    name = display_name(upload.filename)
    data = await upload.read(context.max_upload_bytes + 1)
    await upload.close()
    if len(data) > context.max_upload_bytes:
        return await run_in_threadpool(_unit_page, request, collections, context, token, 413, context.refused(name))
    try:
        # At the door: what is no workbook, or over the unit's quota, is neither checked nor stored.
        await run_in_threadpool(collections.service.admit, token, data, name)
        previous = await run_in_threadpool(collections.service.previous_report, token)
        # The check takes a place in the same worker pool as every other upload: a rush gets the 503 and its
        # Retry-After, a check over the time limit is stored as an unreadable submission saying so, and the web
        # process itself only routes (its light routes never wait behind a unit's check).
        with context.pool.admitted():
            report, marked_up = await context.check_one(data, name, DEFAULT_STEPS, previous=previous)
        stored = await run_in_threadpool(collections.service.store, token, data, name, report, marked_up)
    except NotStored as refusal:
        page = await run_in_threadpool(_unit_page, request, collections, context, token, _NOT_STORED[refusal.kind],
                                       refusal.message)
        if refusal.retry_after is not None:
            page.headers["Retry-After"] = str(refusal.retry_after)
        return page
    # Post / redirect / get: reloading the result page does not submit again.
    return RedirectResponse(f"{token}/submissions/{stored.info.id}", status_code=303)


@router.get("/u/{token}/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, token: Token, submission_id: SubmissionId, collections: CollectionsDep) -> HTMLResponse:
    link = collections.service.unit_link(clean_token(token))
    stored = collections.service.submission(submission_id, unit_id=link.unit_id)
    return render("collections/unit_submission.html", root=root(request), link=link, info=stored.info, report=stored.report,
                  notices=page_notices(link.collection, link.unit_name, stored.info, stored.report),
                  collection_findings=COLLECTION_FINDINGS)


@router.get("/u/{token}/submissions/{submission_id}/{which}")
def submission_file(token: Token, submission_id: SubmissionId, which: str, collections: CollectionsDep) -> Response:
    if which not in ("original", "marked"):
        raise WebError(404, "not_found", "找不到这个页面。")
    link = collections.service.unit_link(clean_token(token))
    info, data = collections.service.file(submission_id, "original" if which == "original" else "marked_up", unit_id=link.unit_id)
    return file_response(info, data, which)
