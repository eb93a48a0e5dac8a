"""Who is asking, for the collection routes: a signed-in reviewer (cookie + form token), an API caller (bearer), a unit link."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from selfscore.collect.access import Access, SignedIn, UserInfo
from selfscore.collect.service import Collections, Refused
from selfscore.web.errors import WebError

SESSION_COOKIE = "selfscore_session"
LOGIN_COOKIE = "selfscore_login"
CSRF_FIELD = "csrf_token"


@dataclass
class CollectionsContext:
    """What the collection routes share: the collections service (the stored collections) and the sign-in records."""

    service: Collections
    access: Access


def _collections_context(request: Request) -> CollectionsContext:
    return request.app.state.collections


#: a route's parameter of this type receives the app's collections and access records
CollectionsDep = Annotated[CollectionsContext, Depends(_collections_context)]


def app_path(request: Request) -> str:
    """The request's path below the app's root path (the app may live under https://intranet/selfscore/)."""
    path, root = request.scope.get("path", "/"), request.scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def root(request: Request) -> str:
    """The relative way from this page to the app's root, so pages work under any root path: ./ or ../../."""
    depth = app_path(request).count("/") - 1
    return "../" * depth if depth > 0 else "./"


def cookie_path(request: Request) -> str:
    return (request.scope.get("root_path") or "").rstrip("/") + "/"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    # Secure whenever the browser reached us over HTTPS (directly, or through a proxy that says so).
    response.set_cookie(name, value, max_age=max_age, path=cookie_path(request), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def refused(error: Refused) -> WebError:
    """A service refusal as the web answers it."""
    status = {"not_found": 404, "closed": 403, "invalid": 400, "busy": 503}.get(error.kind, 400)
    code = {"not_found": "not_found", "closed": "collection_closed", "invalid": "invalid", "busy": "busy"}.get(error.kind, "invalid")
    return WebError(status, code, error.message)


class SignInNeeded(Exception):
    """A reviewer page asked for without a session: people are sent to the sign-in page, programs get 401."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def reviewer(request: Request, collections: CollectionsDep) -> SignedIn:
    """The signed-in reviewer; a GET without a session is sent to sign in, anything else gets 401."""
    signed_in = collections.access.session(request.cookies.get(SESSION_COOKIE))
    if signed_in is None:
        if request.method == "GET":
            raise SignInNeeded(app_path(request) + (f"?{request.url.query}" if request.url.query else ""))
        raise WebError(401, "sign_in_needed", "请先登录：此操作只有收集材料的管理员可以进行。")
    return signed_in


Reviewer = Annotated[SignedIn, Depends(reviewer)]


def admin(signed_in: Reviewer) -> SignedIn:
    """A signed-in admin; a reviewer gets 403 (they know the page exists: it is in every admin's menu)."""
    if not signed_in.user.is_admin:
        raise WebError(403, "admins_only", "只有管理员可以管理用户。")
    return signed_in


Admin = Annotated[SignedIn, Depends(admin)]


def _collection_id(request: Request) -> int | None:
    value = request.path_params.get("collection_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _not_yours() -> WebError:
    # The same answer as for a collection that does not exist: a reviewer learns nothing of others' collections.
    return WebError(404, "not_found", "找不到这次收集：它不存在，或链接有误。")


def collection_of_reviewer(request: Request, collections: CollectionsDep) -> None:
    """For every route under /collections/{collection_id}: a signed-in user who may see that collection (else 404).

    Installed on the whole router (see wiring), so a route added to it later is guarded the day it is added."""
    collection_id = _collection_id(request)
    if collection_id is None:
        return
    signed_in = reviewer(request, collections)
    if not collections.service.can_see(collection_id, signed_in.user):
        raise _not_yours()


def check_form_token(expected: str, given: object) -> None:
    """Every form carries a token an attacker's page cannot know; a form without the right one is refused."""
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebError(403, "csrf", "表单已失效或来源不明（缺少或不符的安全令牌）。请刷新页面后重新提交。")


def sign_in_redirect(request: Request, error: SignInNeeded) -> Response:
    from fastapi.responses import RedirectResponse

    return RedirectResponse(root(request) + "login?next=" + quote(error.next_path, safe=""), status_code=303)


#: FastAPI's bearer scheme, so that OpenAPI declares it (and /docs offers "Authorize"); we answer the 401 ourselves
_bearer = HTTPBearer(auto_error=False, scheme_name="reviewer_token",
                     description="A token from the reviewer's 「API 令牌」 page or `selfscore admin create-token NAME`")


def api_caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)], collections: CollectionsDep) -> UserInfo:
    """The user whose valid bearer token the caller holds; otherwise 401 in Chinese."""
    user = collections.access.api_user(credentials.credentials.strip()) if credentials is not None else None
    if user is None:
        raise ApiUnauthorized()
    return user


def api_collection_of_caller(request: Request, collections: CollectionsDep, user: Annotated[UserInfo, Depends(api_caller)]) -> None:
    """For every API route with a collection: the token's user may see it (else 404, as for one that does not exist)."""
    collection_id = _collection_id(request)
    if collection_id is not None and not collections.service.can_see(collection_id, user):
        raise _not_yours()


class ApiUnauthorized(Exception):
    """No valid bearer token: 401 in the one JSON error shape, with the challenge RFC 6750 asks for."""

    message = "缺少或无效的访问令牌：请在请求头 Authorization: Bearer <令牌> 中提供管理员创建的 API 令牌。"

    def response(self) -> Response:
        from fastapi.responses import JSONResponse

        return JSONResponse({"error": {"code": "unauthorized", "message": self.message}}, status_code=401,
                            headers={"WWW-Authenticate": 'Bearer realm="selfscore"'})


ApiCaller = Annotated[UserInfo, Depends(api_caller)]
