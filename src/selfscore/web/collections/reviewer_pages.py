"""The reviewer's pages for collections: sign in, create, watch, links, downloads, close and reopen."""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from selfscore.collect.access import SESSION_HOURS, SignedIn, SignInRefused
from selfscore.collect.access import new_token as random_token
from selfscore.collect.linksheet import links_bytes
from selfscore.collect.reports import VERDICT_NAMES
from selfscore.collect.review import COLLECTION_FINDINGS, OTHER_UNIT, OTHER_YEAR, STATE_NAMES
from selfscore.collect.service import CollectionInfo, Refused, SubmissionInfo, UnitRow, counts, notices, page_notices
from selfscore.collect.times import local_text
from selfscore.collect.units import UnitListError, units_from_text, units_from_workbook
from selfscore.read.formats import FORMAT_NAMES, KIND_EXTENSIONS, sniff
from selfscore.results.file_names import checked_name
from selfscore.web.collections.guards import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    CollectionsDep,
    Reviewer,
    check_form_token,
    root,
    set_cookie,
)
from selfscore.web.context import Context, WebContext
from selfscore.web.errors import WebError
from selfscore.web.pool import TimedOut, WorkerDied
from selfscore.web.rendering import render
from selfscore.web.uploads import XLSX_MEDIA_TYPE, content_disposition, summary_workbook

router = APIRouter(include_in_schema=False)

CollectionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: the collection page's sort keys, each a function of a unit's row
SORT_KEYS: dict[str, Any] = {
    "position": lambda row: row.position,
    "name": lambda row: row.name,
    # Worst first when ascending: what needs the reviewer's attention comes to the top.
    "status": lambda row: (["errors", "unreadable", "review", None, "ok"].index(row.status)
                           if row.status in ("errors", "unreadable", "review", None, "ok") else 5, row.position),
    "errors": lambda row: (row.latest.errors if row.latest else -1, row.position),
    "warnings": lambda row: (row.latest.warnings if row.latest else -1, row.position),
    "received": lambda row: (row.latest.received_at if row.latest else datetime.datetime.min, row.position),
    "resubmissions": lambda row: (row.latest.resubmissions if row.latest else -1, row.position),
    "difference": lambda row: (_difference(row), row.position),
}


def _difference(row: UnitRow) -> float:
    """How far the self total is from the recomputed one (unknown ones last)."""
    try:
        return -abs(float(row.latest.self_total) - float(row.latest.recomputed_total))  # type: ignore[union-attr, arg-type]
    except (AttributeError, TypeError, ValueError):
        return 1.0


def page(request: Request, template: str, signed_in: SignedIn | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    csrf_token = signed_in.csrf_token if signed_in else context.pop("csrf_token", "")
    return render(template, status_code, root=root(request), signed_in=signed_in is not None, csrf_token=csrf_token,
                  user=signed_in.user if signed_in else None, **context)


def confirmed(form: Any) -> bool:
    """Whether a dangerous form was sent from its confirmation page (the first POST only shows that page)."""
    return form.get("confirm") == "yes"


def confirm_page(request: Request, signed_in: SignedIn, title: str, question: str, button: str, back: str) -> HTMLResponse:
    """The step between a click and an action that cannot be undone by a click: the same form again, with confirm=yes.
    A plain form, so it works without JavaScript; ``back`` is where 「取消」 goes."""
    return page(request, "collections/confirm.html", signed_in, title=title, question=question, button=button,
                action=str(request.url.path).rsplit("/", 1)[-1], back=back)


async def checked_form(request: Request, signed_in: SignedIn) -> Any:
    form = await request.form()
    check_form_token(signed_in.csrf_token, form.get(CSRF_FIELD))
    return form


def _safe_next(next_path: str | None) -> str:
    """Where to go after signing in: a path of this app only, never another site."""
    path = unquote(next_path or "")
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/collections"
    return path


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- sign in and out ---


def _duration(seconds: float) -> str:
    """A wait as a person reads it: 「40 秒」, 「15 分钟」 (minutes rounded up)."""
    seconds = max(1, math.ceil(seconds))
    return f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"


def _refusal(refused: SignInRefused) -> str:
    wait = _duration(refused.retry_after)
    if refused.reason == "busy":
        return f"正在登录的人较多，请 {wait}后再试。"
    who = "这个地址" if refused.reason == "address" else "这个用户名"
    return f"{who}的用户名或密码错误次数过多，请 {wait}后再试（到时自动解除，不需要找管理员）。"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, collections: CollectionsDep, next: str | None = None) -> HTMLResponse:  # noqa: A002
    return _login_form(request, collections, _safe_next(next))


def _login_form(request: Request, collections: CollectionsDep, next_path: str, status_code: int = 200, problem: str | None = None,
                name: str = "") -> HTMLResponse:
    """The sign-in form, with a new double-submit token; after a wrong password, the message above the form."""
    login_token = random_token()
    response = page(request, "collections/login.html", None, status_code, has_password=collections.access.has_password(),
                    next=next_path, csrf_token=login_token, problem=problem, user_name=name)
    set_cookie(response, request, LOGIN_COOKIE, login_token, 3600)
    return response


@router.post("/login", response_class=HTMLResponse)
async def log_in(request: Request, collections: CollectionsDep) -> Response:
    form = await request.form()
    # Before a session exists, the form token is the one the sign-in page put in a cookie (double submit).
    check_form_token(request.cookies.get(LOGIN_COOKIE, "") or "\0missing", form.get(CSRF_FIELD))
    client = _client(request)
    next_path = _safe_next(form.get("next") if isinstance(form.get("next"), str) else None)  # type: ignore[arg-type]
    name = form.get("name")
    name = name.strip() if isinstance(name, str) else ""
    password = form.get("password")
    limits = collections.access.limits
    try:
        signed = await run_in_threadpool(collections.access.log_in, name, password if isinstance(password, str) else "", client)
    except SignInRefused as refused:
        response = _login_form(request, collections, next_path, 429, _refusal(refused), name)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    if signed is None:
        return _login_form(request, collections, next_path, 401,
                           f"用户名或密码不正确。请重新输入；{_duration(limits.window.total_seconds())}内输错 "
                           f"{limits.per_address} 次后需等待。", name)
    token, _ = signed
    response = RedirectResponse(root(request) + next_path.lstrip("/"), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, token, SESSION_HOURS * 3600)
    response.delete_cookie(LOGIN_COOKIE, path=(request.scope.get("root_path") or "").rstrip("/") + "/")
    return response


@router.post("/logout")
async def log_out(request: Request, collections: CollectionsDep, signed_in: Reviewer) -> Response:
    await checked_form(request, signed_in)
    collections.access.log_out(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(root(request) + "login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=(request.scope.get("root_path") or "").rstrip("/") + "/")
    return response


# --- collections ---


@router.get("/collections", response_class=HTMLResponse)
def collections_page(request: Request, collections: CollectionsDep, context: Context, signed_in: Reviewer) -> HTMLResponse:
    return _list_page(request, collections, context, signed_in)


def _list_page(request: Request, collections: CollectionsDep, context: Context, signed_in: SignedIn, status_code: int = 200,
               problem: str | None = None, form: dict[str, Any] | None = None) -> HTMLResponse:
    return page(request, "collections/list.html", signed_in, status_code, collections=collections.service.all(signed_in.user),
                tables=list(context.tables.values()), problem=problem, form=form or {"tables": list(context.tables)[:1]},
                default_year=datetime.date.today().year - 1)


@router.post("/collections")
async def create_collection(request: Request, collections: CollectionsDep, context: Context, signed_in: Reviewer) -> Response:
    form = await checked_form(request, signed_in)
    values = {"name": str(form.get("name") or ""), "year": str(form.get("year") or "").strip(),
              "tables": [str(value) for value in form.getlist("tables")], "units": str(form.get("units") or "")}
    try:
        upload = form.get("units_file")
        if isinstance(upload, UploadFile) and (upload.filename or upload.size):
            data = await upload.read(context.max_upload_bytes + 1)
            if len(data) > context.max_upload_bytes:
                raise UnitListError(f"单位名单工作簿太大：{context.too_large}。")
            units = await run_in_threadpool(units_from_workbook, data)
        else:
            units = units_from_text(values["units"])
        if not values["year"].isdigit():
            raise Refused("invalid", f"评价年度「{values['year']}」无效：请填写四位数的年份，如 2020。")
        created = await run_in_threadpool(collections.service.create, values["name"], int(values["year"]), values["tables"], units,
                                          signed_in.user)
    except (UnitListError, Refused) as error:
        return _list_page(request, collections, context, signed_in, 400, str(error), values)
    return RedirectResponse(f"collections/{created.id}/links", status_code=303)


def _rows(collections: CollectionsDep, collection_id: int) -> tuple[CollectionInfo, list[UnitRow]]:
    return collections.service.get(collection_id), collections.service.rows(collection_id)


@router.get("/collections/{collection_id}", response_class=HTMLResponse)
def collection_page(request: Request, collection_id: CollectionId, collections: CollectionsDep, signed_in: Reviewer,
                    sort: str = "position", desc: bool = False, status: str | None = None) -> HTMLResponse:
    collection, rows = _rows(collections, collection_id)
    by_status = counts(rows)
    if sort not in SORT_KEYS:
        sort = "position"
    status_filter = status if status in {key or "missing" for key in VERDICT_NAMES} else None
    shown = [row for row in rows if status_filter is None or (row.status or "missing") == status_filter]
    shown.sort(key=SORT_KEYS[sort], reverse=desc)
    return page(request, "collections/collection.html", signed_in, collection=collection, rows=shown, counts=by_status,
                rows_total=len(rows), verdict_names=VERDICT_NAMES, sort=sort, descending=desc, status_filter=status_filter,
                any_submitted=any(row.latest for row in rows), closed_text=local_text(collection.closed_at),
                notices={row.id: notices(collection, row.name, row.latest) for row in rows},
                reviewers=collections.service.reviewers(collection_id), contacts=collections.service.contacts(collection_id),
                can_choose_reviewers=collections.service.can_choose_reviewers(collection, signed_in.user),
                all_users=[user for user in collections.access.active_users() if user.id != collection.created_by])


def unit_url(request: Request, context: WebContext) -> Callable[[str], str]:
    """A unit's upload link from its token, as the reviewer sends it out: under --public-url when the server has one
    (behind a proxy the request's own address may be the backend's), else under the address the request came in on."""
    base = context.base_url(request)
    return lambda token: f"{base}u/{token}"


def submissions_url(request: Request, context: WebContext, collection_id: int) -> str:
    """Where the summary workbook's links to each marked-up copy start (for a signed-in reviewer)."""
    return f"{context.base_url(request)}collections/{collection_id}/submissions/"


@router.get("/collections/{collection_id}/links", response_class=HTMLResponse)
def links_page(request: Request, collection_id: CollectionId, collections: CollectionsDep, context: Context, signed_in: Reviewer,
               reissued: int | None = None) -> HTMLResponse:
    collection, rows = _rows(collections, collection_id)
    new_link = next((row.name for row in rows if row.id == reissued), None)
    return page(request, "collections/links.html", signed_in, collection=collection, rows=rows, unit_url=unit_url(request, context),
                new_link=new_link)


@router.get("/collections/{collection_id}/links.xlsx")
def links_workbook(request: Request, collection_id: CollectionId, collections: CollectionsDep, context: Context, _: Reviewer) -> Response:
    collection, rows = _rows(collections, collection_id)
    data = links_bytes(collection, rows, unit_url(request, context))
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": content_disposition(f"{collection.name}-上传链接.xlsx", "links.xlsx"), "Cache-Control": "no-store"})


@router.post("/collections/{collection_id}/close")
async def close(request: Request, collection_id: CollectionId, collections: CollectionsDep, signed_in: Reviewer) -> Response:
    return await _set_open(request, collection_id, collections, signed_in, False)


@router.post("/collections/{collection_id}/reopen")
async def reopen(request: Request, collection_id: CollectionId, collections: CollectionsDep, signed_in: Reviewer) -> Response:
    return await _set_open(request, collection_id, collections, signed_in, True)


async def _set_open(request: Request, collection_id: int, collections: CollectionsDep, signed_in: SignedIn, is_open: bool) -> Response:
    form = await checked_form(request, signed_in)
    if not is_open and not confirmed(form):
        collection = collections.service.get(collection_id)
        return confirm_page(request, signed_in, "截止收集", f"截止「{collection.name}」后，各单位的链接不再接收提交（已提交的材料仍可查看，"
                            "之后可以重新开放）。确定截止吗？", "确定截止收集", f"../{collection_id}")
    await run_in_threadpool(collections.service.set_open, collection_id, is_open, signed_in.user)
    return RedirectResponse(f"../{collection_id}", status_code=303)


@router.post("/collections/{collection_id}/units/{unit_id}/{action}")
async def unit_link_action(request: Request, collection_id: CollectionId, unit_id: CollectionId, action: str,
                           collections: CollectionsDep, signed_in: Reviewer) -> Response:
    form = await checked_form(request, signed_in)
    if action not in ("reissue", "revoke"):
        raise WebError(404, "not_found", "找不到这个页面。")
    if not confirmed(form):
        unit_name, _ = collections.service.history(collection_id, unit_id)
        if action == "reissue":
            return confirm_page(request, signed_in, "生成新链接", f"为「{unit_name}」生成新链接后，原链接立即失效，需要把新链接发给该单位。"
                                "确定生成吗？", "确定生成新链接", "../../links")
        return confirm_page(request, signed_in, "收回链接", f"收回「{unit_name}」的链接后，该单位无法再打开或提交，直到为它生成新链接。"
                            "确定收回吗？", "确定收回链接", "../../links")
    if action == "reissue":
        await run_in_threadpool(collections.service.reissue, collection_id, unit_id, signed_in.user)
    else:
        await run_in_threadpool(collections.service.revoke, collection_id, unit_id, signed_in.user)
    return RedirectResponse(f"../../links{f'?reissued={unit_id}' if action == 'reissue' else ''}", status_code=303)


@router.get("/collections/{collection_id}/units/{unit_id}", response_class=HTMLResponse)
def unit_history(request: Request, collection_id: CollectionId, unit_id: CollectionId, collections: CollectionsDep,
                 signed_in: Reviewer) -> HTMLResponse:
    collection = collections.service.get(collection_id)
    unit_name, submissions = collections.service.history(collection_id, unit_id)
    state_name = STATE_NAMES[collections.service.unit_state(unit_id)]
    return page(request, "collections/unit_history.html", signed_in, collection=collection, unit_name=unit_name, submissions=submissions,
                state_name=state_name, actions=collections.service.actions(collection_id, unit_id),
                log=collections.service.log(collection_id, unit_id))


@router.get("/collections/{collection_id}/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, collection_id: CollectionId, submission_id: CollectionId, collections: CollectionsDep,
                    signed_in: Reviewer) -> HTMLResponse:
    return review_page(request, collections, signed_in, collection_id, submission_id)


def review_page(request: Request, collections: CollectionsDep, signed_in: SignedIn, collection_id: int, submission_id: int,
                status_code: int = 200, problem: str | None = None, form: dict[str, str] | None = None) -> HTMLResponse:
    """A submission's page: its report and, for the unit's latest, the review (复核得分, 复核合计, return, sign-off)."""
    collection = collections.service.get(collection_id)
    stored, review, is_latest = collections.service.review(collection_id, submission_id)
    unit_name, submissions = collections.service.history(collection_id, stored.info.unit_id)
    state = collections.service.unit_state(stored.info.unit_id)
    actions = collections.service.actions(collection_id, stored.info.unit_id)
    # another unit or year: said once, in the box where the reviewer accepts the workbook or returns it
    in_review_box = (OTHER_UNIT, OTHER_YEAR) if is_latest and review.identity else ()
    shown = page_notices(collection, unit_name, stored.info, stored.report, in_review_box)
    return page(request, "collections/submission.html", signed_in, status_code, collection=collection, unit_name=unit_name,
                info=stored.info, report=stored.report, notices=shown,
                collection_findings=COLLECTION_FINDINGS, review=review,
                is_latest=is_latest, latest=submissions[0], state=state, state_name=STATE_NAMES[state], actions=actions,
                problem=problem, form=form or {})


@router.get("/collections/{collection_id}/submissions/{submission_id}/{which}")
def submission_file(collection_id: CollectionId, submission_id: CollectionId, which: str, collections: CollectionsDep,
                    _: Reviewer) -> Response:
    if which not in ("original", "marked"):
        raise WebError(404, "not_found", "找不到这个页面。")
    info, data = collections.service.file(submission_id, "original" if which == "original" else "marked_up",
                                          collection_id=collection_id)
    unit_name, _ = collections.service.history(collection_id, info.unit_id)
    return file_response(info, data, which, unit_name)


#: the media type of each extension a stored original is handed back with
_MEDIA_TYPES = {".xlsx": XLSX_MEDIA_TYPE, ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
                ".xlsb": "application/vnd.ms-excel.sheet.binary.macroEnabled.12", ".xls": "application/vnd.ms-excel",
                ".ods": "application/vnd.oasis.opendocument.spreadsheet"}
#: the last extension of a name as sent (a word of letters and digits): replaced by the one its content calls for
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")


def file_response(info: SubmissionInfo, data: bytes, which: str, unit_name: str | None = None) -> Response:
    """A stored file as a download; the reviewer's names carry the unit and the submission's number.

    An original is handed back with the spreadsheet extension its content calls for, whatever name it was sent with
    (an .html called .xls never opens as a web page); one that is no workbook at all (stored before links refused
    such files) is not handed back."""
    name = info.file_name if unit_name is None else f"{unit_name}-第{info.number}次-{info.file_name}"
    ascii_name = None
    if which != "original":
        name, media_type = checked_name(name), XLSX_MEDIA_TYPE
    else:
        kind = sniff(data)
        if kind not in KIND_EXTENSIONS:
            raise WebError(403, "not_a_workbook", f"这份提交的原文件是{FORMAT_NAMES.get(kind, '无法识别格式的文件')}，不是工作簿，"
                                                  "为安全起见不提供下载；提交记录中的 SHA-256 仍可用于核对。")
        extension = KIND_EXTENSIONS[kind]
        name, media_type, ascii_name = _EXTENSION.sub("", name) + extension, _MEDIA_TYPES[extension], f"selfscore{extension}"
    headers = {"Content-Disposition": content_disposition(name, ascii_name), "Cache-Control": "no-store",
               "X-Content-Type-Options": "nosniff"}
    if which == "original":  # the checksum taken when it arrived, to compare with the bytes received now
        headers["X-Content-SHA256"] = info.original_sha256
    return Response(data, media_type=media_type, headers=headers)


async def summary_response(request: Request, collections: CollectionsDep, context: WebContext, collection_id: int) -> Response:
    """汇总.xlsx of every unit's latest submission, its links opening each marked-up copy for a signed-in reviewer.

    Made in the worker pool, behind the same queue as the checks: for a collection of many units it is seconds of
    CPU that would otherwise hold the web process's interpreter lock while light routes wait."""
    prefix = submissions_url(request, context, collection_id)
    collection = await run_in_threadpool(collections.service.get, collection_id)
    parts = await run_in_threadpool(collections.service.summary_parts, collection_id,
                                    lambda info: f"{prefix}{info.id}/marked" if info.has_marked_up else None)
    with context.pool.admitted():
        try:
            data = await context.pool.run(summary_workbook, *parts)
        except (TimedOut, WorkerDied) as error:
            raise WebError(500, "summary_failed", f"生成汇总表未能完成（{error}），请稍后重试；如仍不行，请联系技术支持。") from None
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": content_disposition(f"{collection.name}-汇总.xlsx", "summary.xlsx"), "Cache-Control": "no-store"})


@router.get("/collections/{collection_id}/summary.xlsx")
async def summary(request: Request, collection_id: CollectionId, collections: CollectionsDep, context: Context, _: Reviewer) -> Response:
    return await summary_response(request, collections, context, collection_id)


@router.get("/collections/{collection_id}/export.json")
def export(request: Request, collection_id: CollectionId, collections: CollectionsDep, context: Context, _: Reviewer) -> Response:
    data = collections.service.export(collection_id, unit_url(request, context))
    return Response(json.dumps(data, ensure_ascii=False, indent=2), media_type="application/json", headers={
        "Content-Disposition": content_disposition(f"collection-{collection_id}.json"), "Cache-Control": "no-store"})


# --- API tokens ---


@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, collections: CollectionsDep, signed_in: Reviewer) -> HTMLResponse:
    return _tokens_page(request, collections, signed_in)


def _tokens_page(request: Request, collections: CollectionsDep, signed_in: SignedIn, **extra: Any) -> HTMLResponse:
    tokens = [{"id": token.id, "name": token.name, "created_text": local_text(token.created_at), "revoked_at": token.revoked_at}
              for token in collections.access.api_tokens(signed_in.user)]
    return page(request, "collections/tokens.html", signed_in, tokens=tokens, **extra)


@router.post("/tokens", response_class=HTMLResponse)
async def create_token(request: Request, collections: CollectionsDep, signed_in: Reviewer) -> HTMLResponse:
    form = await checked_form(request, signed_in)
    name = " ".join(str(form.get("name") or "").split()) or "API"
    token = await run_in_threadpool(collections.access.create_api_token, name, signed_in.user.name)
    response = _tokens_page(request, collections, signed_in, new_token=token, new_token_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: CollectionId, collections: CollectionsDep, signed_in: Reviewer) -> Response:
    await checked_form(request, signed_in)
    await run_in_threadpool(collections.access.revoke_api_token, token_id, signed_in.user)
    return RedirectResponse("../../tokens", status_code=303)

