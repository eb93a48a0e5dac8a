"""The web shell: the app factory, its routes (pages, API, downloads), the worker pool, the store of copies, templates and static files."""

from selfscore.web.app import (
    DEFAULT_CHECK_SECONDS,
    DEFAULT_MAX_FILES,
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_TTL_SECONDS,
    WebSettings,
    create_app,
)
from selfscore.web.uploads import content_disposition, display_name

__all__ = ["DEFAULT_CHECK_SECONDS", "DEFAULT_MAX_FILES", "DEFAULT_MAX_UPLOAD_BYTES", "DEFAULT_TTL_SECONDS", "WebSettings",
           "content_disposition", "create_app", "display_name"]
