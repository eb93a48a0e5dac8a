"""HTML pages from the Jinja templates in ``web/templates``, and the few words they share (sizes, durations)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from selfscore import __version__
from selfscore.results.file_names import checked_name
from selfscore.results.findings import SEVERITY_NAMES
from selfscore.results.report import REPORT_STATUS_NAMES, STATUS_NAMES
from selfscore.tables.numbers import fmt
from selfscore.tables.steps import STEP_READING_NAMES

_environment = Environment(loader=PackageLoader("selfscore.web", "templates"), autoescape=select_autoescape(["html"]),
                           trim_blocks=True, lstrip_blocks=True)
_environment.filters["score"] = lambda value: "未填" if value is None else fmt(value)
_environment.filters["checked_name"] = lambda name: checked_name(name)


def render(name: str, status_code: int = 200, *, root: str = "", **context: Any) -> HTMLResponse:
    """A page; ``root`` is the root path the app is served under (``/selfscore`` behind a proxy), which every
    link in the page starts with."""
    html = _environment.get_template(name).render(
        root=root.rstrip("/"), version=__version__, status_names=STATUS_NAMES, report_status_names=REPORT_STATUS_NAMES,
        severity_names=SEVERITY_NAMES, step_names=STEP_READING_NAMES, **context)
    return HTMLResponse(html, status_code=status_code)


def megabytes(size: int) -> str:
    """A size cap as a clerk reads it: 10 MB, 2.5 MB, 50 KB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.3g} MB"


def duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} 小时"
    if seconds >= 60:
        return f"{round(seconds / 60)} 分钟"
    return f"{seconds:g} 秒"
