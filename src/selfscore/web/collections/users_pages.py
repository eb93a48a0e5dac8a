"""Users and what they did: the admin's 「用户」 page, a collection's 「复核人员」, and the log of actions as downloads."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from selfscore.collect.access import ROLES, PasswordTooWeak, SignedIn, UserRefused
from selfscore.collect.actions import ACTION_NAMES, log_workbook
from selfscore.collect.times import local_text
from selfscore.web.collections.guards import Admin, CollectionsDep, Reviewer
from selfscore.web.collections.reviewer_pages import checked_form, page
from selfscore.web.errors import WebError
from selfscore.web.uploads import XLSX_MEDIA_TYPE, content_disposition

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


# --- the admin's 「用户」 page ---


def _users_page(request: Request, collections: CollectionsDep, signed_in: SignedIn, status_code: int = 200,
                problem: str | None = None, done: str | None = None, form: dict[str, str] | None = None) -> HTMLResponse:
    users = [{"id": user.id, "name": user.name, "role_name": user.role_name, "created_text": local_text(user.created_at),
              "disabled": user.disabled_at is not None, "disabled_text": local_text(user.disabled_at)}
             for user in collections.access.users()]
    return page(request, "collections/users.html", signed_in, status_code, users=users, roles=ROLES, problem=problem,
                done=done, form=form or {"role": "reviewer"})


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, collections: CollectionsDep, signed_in: Admin) -> HTMLResponse:
    return _users_page(request, collections, signed_in)


def _passwords(form: Any) -> str:
    password, again = str(form.get("password") or ""), str(form.get("password_again") or "")
    if password != again:
        raise UserRefused("两次输入的密码不一致，请重新输入。")
    return password


@router.post("/users", response_class=HTMLResponse)
async def add_user(request: Request, collections: CollectionsDep, signed_in: Admin) -> Response:
    form = await checked_form(request, signed_in)
    values = {"name": " ".join(str(form.get("name") or "").split()), "role": str(form.get("role") or "reviewer")}
    try:
        await run_in_threadpool(collections.access.add_user, values["name"], _passwords(form), values["role"], signed_in.user)
    except (UserRefused, PasswordTooWeak) as error:
        return _users_page(request, collections, signed_in, 400, str(error), form=values)
    return _users_page(request, collections, signed_in, done=f"已新建用户「{values['name']}」（{ROLES[values['role']]}）。")


def _user_name(collections: CollectionsDep, user_id: int) -> str:
    found = next((user.name for user in collections.access.users() if user.id == user_id), None)
    if found is None:
        raise WebError(404, "not_found", "找不到这个用户。")
    return found


@router.post("/users/{user_id}/{action}", response_class=HTMLResponse)
async def change_user(request: Request, user_id: Id, action: str, collections: CollectionsDep, signed_in: Admin) -> Response:
    form = await checked_form(request, signed_in)
    if action not in ("password", "disable", "enable"):
        raise WebError(404, "not_found", "找不到这个页面。")
    name = _user_name(collections, user_id)
    try:
        if action == "password":
            await run_in_threadpool(collections.access.set_user_password, name, _passwords(form), signed_in.user)
            done = f"已修改「{name}」的密码；用这个用户登录的会话都已退出。"
        elif action == "disable":
            if user_id == signed_in.user.id:
                raise UserRefused("不能停用自己：请用另一个管理员停用这个用户。")
            await run_in_threadpool(collections.access.disable_user, name, signed_in.user)
            done = f"已停用「{name}」：不能再登录，其 API 令牌也已失效。"
        else:
            await run_in_threadpool(collections.access.enable_user, name, signed_in.user)
            done = f"已重新启用「{name}」。"
    except (UserRefused, PasswordTooWeak) as error:
        return _users_page(request, collections, signed_in, 400, f"「{name}」：{error}")
    return _users_page(request, collections, signed_in, done=done)


# --- a collection's 「复核人员」 and its log ---


@router.post("/collections/{collection_id}/reviewers")
async def set_reviewers(request: Request, collection_id: Id, collections: CollectionsDep, signed_in: Reviewer) -> Response:
    form = await checked_form(request, signed_in)
    collection = collections.service.get(collection_id)
    if not collections.service.can_choose_reviewers(collection, signed_in.user):
        raise WebError(403, "not_creator", "只有管理员或这次收集的创建人可以选择复核人员。")
    chosen = [int(value) for value in form.getlist("user") if isinstance(value, str) and value.isdigit()]
    await run_in_threadpool(collections.service.set_reviewers, collection_id, chosen, signed_in.user)
    return RedirectResponse(f"../{collection_id}#reviewers", status_code=303)


@router.get("/collections/{collection_id}/log.json")
def log_json(collection_id: Id, collections: CollectionsDep, _: Reviewer) -> Response:
    collection = collections.service.get(collection_id)
    data = {"collection": collection.to_dict(), "actions": [entry.to_dict() for entry in collections.service.log(collection_id)],
            "action_names": ACTION_NAMES}
    return Response(json.dumps(data, ensure_ascii=False, indent=2), media_type="application/json", headers={
        "Content-Disposition": content_disposition(f"collection-{collection_id}-log.json"), "Cache-Control": "no-store"})


@router.get("/collections/{collection_id}/log.xlsx")
def log_xlsx(collection_id: Id, collections: CollectionsDep, _: Reviewer) -> Response:
    collection = collections.service.get(collection_id)
    data = log_workbook(collection.name, collections.service.log(collection_id))
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": content_disposition(f"{collection.name}-操作记录.xlsx", "log.xlsx"), "Cache-Control": "no-store"})
