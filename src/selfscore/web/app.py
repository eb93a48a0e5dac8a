"""The app factory: one FastAPI app with its limits, worker pool, store, error shape, headers, static files and routes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfscore import __version__
from selfscore.collect.access import SignInLimits
from selfscore.collect.database import Database
from selfscore.collect.service import DEFAULT_BYTES_PER_COLLECTION, DEFAULT_SUBMISSIONS_PER_HOUR, Quota
from selfscore.tables.definitions import broken_definitions, load_tables
from selfscore.web import api, downloads, pages
from selfscore.web.collections.wiring import install_collections
from selfscore.web.context import WebContext
from selfscore.web.errors import BodyLimit, install_error_handlers
from selfscore.web.pool import CheckPool, default_processes
from selfscore.web.rendering import render
from selfscore.web.store import MarkedUpStore, default_store_directory

log = logging.getLogger(__name__)

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_TTL_SECONDS = 3600.0
DEFAULT_MAX_FILES = 50
#: a check taking longer is stopped: the largest file within the safety caps takes about 8 s on one core
DEFAULT_CHECK_SECONDS = 60.0
#: requests that may wait per worker process before a rush is told to come back later
DEFAULT_QUEUE_PER_PROCESS = 8
#: a wrong password counts for 15 minutes (see collect.access.SignInLimits for the other figures)
DEFAULT_LOGIN_WINDOW_SECONDS = 15 * 60.0
#: the environment variable through which `selfscore serve --workers N` hands its settings to each uvicorn worker
SETTINGS_VARIABLE = "SELFSCORE_WEB_SETTINGS"

#: every page's own: scripts and styles only from files of the app, no framing, no referrer to other sites
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class WebSettings:
    """Everything `selfscore serve` configures in the app (not the listening address, which is uvicorn's)."""

    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    ttl_seconds: float = DEFAULT_TTL_SECONDS
    max_files: int = DEFAULT_MAX_FILES
    #: worker processes for checks (None: the CPUs this process may use; 0: threads in this process, for tests)
    processes: int | None = None
    #: requests that may wait beyond those running (None: 8 per process)
    queue: int | None = None
    #: a check running longer is stopped and reported as a finding
    check_seconds: float = DEFAULT_CHECK_SECONDS
    #: the store of marked-up copies (None: the user's cache directory); share it between workers and instances
    store_dir: str | None = None
    #: the address people reach the app at, for the links in downloaded summary workbooks
    public_url: str | None = None
    #: the collections database (``selfscore serve --data/--database-url``); None: no collections
    database_url: str | None = None
    #: what one unit's link may store: submissions in any hour, bytes of originals in its collection (0: no limit)
    unit_submissions_per_hour: int = DEFAULT_SUBMISSIONS_PER_HOUR
    unit_bytes_per_collection: int = DEFAULT_BYTES_PER_COLLECTION
    #: how long a wrong password counts against its address and user name (``--login-window``)
    login_window_seconds: float = DEFAULT_LOGIN_WINDOW_SECONDS

    def to_environment(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_environment(cls) -> WebSettings:
        return cls(**json.loads(os.environ.get(SETTINGS_VARIABLE, "{}")))


def create_app(settings: WebSettings | None = None, *, collections: Database | None = None, **overrides: Any) -> FastAPI:
    """The web app: home page, result page, downloads and the JSON API (``create_app(processes=1, ...)`` for short);
    with a ``collections`` database (or ``settings.database_url``), also the reviewer's collections, the units'
    upload links and their API."""
    settings = dataclasses.replace(settings or WebSettings(), **overrides)
    if collections is None and settings.database_url:
        collections = Database(settings.database_url)
    processes = default_processes() if settings.processes is None else settings.processes
    queue = DEFAULT_QUEUE_PER_PROCESS * max(1, processes) if settings.queue is None else settings.queue
    pool = CheckPool(processes, queue=queue, time_limit=settings.check_seconds)
    store = MarkedUpStore(settings.store_dir or default_store_directory(), settings.ttl_seconds)
    context = WebContext(settings.max_upload_bytes, settings.ttl_seconds, settings.max_files, load_tables(), store, pool,
                         settings.public_url)

    for broken in broken_definitions():
        # the other tables work; this one is refused until its definition is corrected
        log.warning("表格 %s 不可用：定义文件 %s 有误——%s", broken.table_id, broken.file, broken.cause)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Whatever a crashed or killed run left behind goes first; then every so often.
        await run_in_threadpool(store.sweep)
        pool.start()

        async def sweep_forever() -> None:
            while True:
                await asyncio.sleep(max(0.05, min(settings.ttl_seconds / 2, 60.0)))
                try:
                    await run_in_threadpool(store.sweep)
                except OSError:  # a shared disk that is briefly away must not end the sweeping
                    log.exception("sweeping %s failed", store.directory)

        sweeper = asyncio.create_task(sweep_forever())
        try:
            yield
        finally:
            sweeper.cancel()
            await run_in_threadpool(pool.close)

    app = FastAPI(
        title="selfscore",
        version=__version__,
        description="Check performance self-assessment workbooks (绩效自评表) of affordable-housing funds. "
                    "The people's page is at `/`; these endpoints are for programs. Errors are "
                    '`{"error": {"code": ..., "message": <Chinese>}}`.',
        lifespan=lifespan,
        # Our own /docs below serves Swagger UI from the app's files: no CDN, so it works on an intranet.
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    app.state.store = store
    app.state.pool = pool
    # Files are checked one at a time per request, each up to the cap; the body may also carry multipart framing.
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes * settings.max_files + 1024 * 1024,
                       message=f"上传内容过大：一次最多 {settings.max_files} 个文件，{context.too_large}。")
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    app.mount("/static/swagger-ui", StaticFiles(packages=[("fastapi_offline", "static")]), name="swagger-ui")
    app.mount("/static", StaticFiles(packages=[("selfscore.web", "static")]), name="static")
    for router in (pages.router, downloads.router, api.router):
        app.include_router(router)
    app.add_api_route("/docs", _docs, include_in_schema=False, response_class=HTMLResponse)
    app.add_api_route("/favicon.ico", _favicon, include_in_schema=False)
    app.openapi = _without_phantom_422(app.openapi)  # type: ignore[method-assign]
    if collections is not None:
        install_collections(app, collections, Quota(settings.unit_submissions_per_hour, settings.unit_bytes_per_collection),
                            SignInLimits(window=timedelta(seconds=settings.login_window_seconds)))
    return app


def app_from_environment() -> FastAPI:
    """The app as `selfscore serve --workers N` configured it, for each uvicorn worker (``--factory``)."""
    return create_app(WebSettings.from_environment())


async def _docs(request: Request) -> HTMLResponse:
    return render("docs.html", root=request.scope.get("root_path", ""))


_FAVICON = Path(__file__).parent / "static" / "favicon.ico"


async def _favicon() -> Response:
    return Response(_FAVICON.read_bytes(), media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})


def _without_phantom_422(openapi: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """FastAPI documents a 422 validation error on every route with parameters; ours answer 400 instead
    (and /api/check's own 422, an unreadable file, is declared where it happens)."""

    def without() -> dict[str, Any]:
        schema = openapi()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                response = operation.get("responses", {}).get("422")
                if response is not None and "HTTPValidationError" in json.dumps(response):
                    del operation["responses"]["422"]
        schemas = schema.get("components", {}).get("schemas", {})
        if "ValidationError" not in json.dumps(schema.get("paths", {})):
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        return schema

    return without


class SecurityHeaders:
    """Add SECURITY_HEADERS to every response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
