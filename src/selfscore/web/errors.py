"""One error shape for the web: JSON ``{"error": {code, message}}`` for programs, a Chinese page for people."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfscore.web.pool import PoolBusy
from selfscore.web.rendering import render


class WebError(Exception):
    """A request the web layer refuses, with the Chinese message a person or program gets back."""

    def __init__(self, status_code: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra


def route_path(scope: Scope) -> str:
    """The request's path inside the app, without the root path a proxy serves it under."""
    path, root = scope["path"], scope.get("root_path", "")
    return (path[len(root):] or "/") if root and path.startswith(root) else path


def _wants_json(scope: Scope) -> bool:
    path = route_path(scope)
    return path.startswith("/api/") or path in ("/healthz", "/openapi.json")


def error_response(scope: Scope, error: WebError) -> Response:
    """One error shape for programs ({"error": {code, message}}), a plain Chinese page for people."""
    if _wants_json(scope):
        return JSONResponse({"error": {"code": error.code, "message": error.message, **error.extra}},
                            status_code=error.status_code, headers=error.headers)
    title = "请稍后重试" if error.code == "busy" else "无法完成请求"
    response = render("message.html", error.status_code, root=scope.get("root_path", ""), title=title, message=error.message)
    response.headers.update(error.headers or {})
    return response


def busy_error(retry_after: int) -> WebError:
    """The answer to a rush: come back in so many seconds (a 503 with Retry-After), never a hang."""
    return WebError(503, "busy", f"当前校验任务较多，请 {retry_after} 秒后重试。", headers={"Retry-After": str(retry_after)},
                    retry_after=retry_after)


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
    return error_response(request.scope, WebError(status, code, message))


def validation_error(request: Request, error: Exception) -> Response:
    """A request FastAPI could not validate: the missing file named, else the fields and the upload hint."""
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    missing_file = [item["loc"][-1] for item in errors
                    if item.get("type") == "missing" and item.get("loc") and item["loc"][-1] in ("file", "files")]
    if missing_file:
        field = missing_file[0]
        message = (f"没有收到文件：请在字段 {field} 中上传{'至少一个' if field == 'files' else '一个'} .xlsx 文件"
                   "（multipart/form-data）。")
        return error_response(request.scope, WebError(400, "no_file", message))
    fields = "、".join(str(item["loc"][-1]) for item in errors if item.get("loc")) or "请求内容"
    message = f"请求有误：字段 {fields} 缺失或取值无效。上传文件用 multipart/form-data；扣分口径 steps 只能是 ceil、exact 或 floor。"
    return error_response(request.scope, WebError(400, "bad_request", message))


def _web_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, WebError)
    return error_response(request.scope, error)


def _busy(request: Request, error: Exception) -> Response:
    assert isinstance(error, PoolBusy)
    return error_response(request.scope, busy_error(error.retry_after))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WebError, _web_error)
    app.add_exception_handler(PoolBusy, _busy)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


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
            response = error_response(scope, WebError(413, "request_too_large", self.message))
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
