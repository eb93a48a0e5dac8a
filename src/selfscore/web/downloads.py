"""Downloads of kept marked-up copies and summaries, by token, from the store any process can read."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from selfscore.web.context import Context
from selfscore.web.errors import WebError
from selfscore.web.rendering import duration
from selfscore.web.uploads import XLSX_MEDIA_TYPE, content_disposition

router = APIRouter(include_in_schema=False)


@router.get("/download/{token}")
def download(token: str, context: Context) -> Response:
    # A plain def: reading the file runs in the thread pool, which checks never occupy.
    found = context.store.read(token)
    if found is None:
        raise WebError(404, "download_expired",
                       f"下载链接无效或已过期（标注文件只保留 {duration(context.ttl_seconds)}）。请回到首页重新上传文件校验。")
    data, download_name = found
    return Response(data, media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": content_disposition(download_name), "Cache-Control": "no-store"})
