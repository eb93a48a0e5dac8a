"""The app factory: one FastAPI app with its limits, store, error shape, static files and routes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from selfscore import __version__
from selfscore.collect.database import Database
from selfscore.tables.definitions import load_tables
from selfscore.web import api, downloads, pages
from selfscore.web.collections_app import install_collections
from selfscore.web.context import WebContext
from selfscore.web.errors import BodyLimit, install_error_handlers
from selfscore.web.store import MarkedUpStore

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_TTL_SECONDS = 3600.0
DEFAULT_MAX_FILES = 50


def create_app(
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    ttl_seconds: float = DEFAULT_TTL_SECONDS,
    max_files: int = DEFAULT_MAX_FILES,
    collections: Database | None = None,
) -> FastAPI:
    """The web app: home page, result page, downloads and the JSON API, with the given limits; with a
    ``collections`` database, also the reviewer's collections, the units' upload links and their API."""
    store = MarkedUpStore(ttl_seconds)
    context = WebContext(max_upload_bytes, ttl_seconds, max_files, load_tables(), store)

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
    app.state.context = context
    app.state.store = store
    # Files are checked one at a time per request, each up to the cap; the body may also carry multipart framing.
    app.add_middleware(BodyLimit, limit=max_upload_bytes * max_files + 1024 * 1024,
                       message=f"上传内容过大：一次最多 {max_files} 个文件，{context.too_large}。")
    install_error_handlers(app)
    app.mount("/static", StaticFiles(packages=[("selfscore.web", "static")]), name="static")
    for router in (pages.router, downloads.router, api.router):
        app.include_router(router)
    if collections is not None:
        install_collections(app, collections)
    return app
