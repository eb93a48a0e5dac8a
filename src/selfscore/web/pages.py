"""Pages for people: the upload form and the results page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from selfscore.tables.definitions import broken_definitions
from selfscore.tables.steps import DEFAULT_STEPS, STEP_READINGS, StepReading
from selfscore.web.context import Context
from selfscore.web.rendering import render

#: one line per step reading, for the upload form
STEP_READING_HINTS: dict[StepReading, str] = {
    "ceil": "差额不满一档也按一档扣分（如差 0.3 个百分点扣 1 分）。默认口径，与焦作市公布的自评结果一致。",
    "exact": "按差额的实际比例扣分（如差 0.3 个百分点扣 0.3 分）。",
    "floor": "差额满一档才扣分，不满一档不扣（如差 0.3 个百分点不扣分）。",
}

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    return request.scope.get("root_path", "")


def _signed_in(request: Request) -> bool:
    """Whether the person is signed in to the collections (then the home page links to them)."""
    from selfscore.web.collections.guards import SESSION_COOKIE

    collections = getattr(request.app.state, "collections", None)
    token = request.cookies.get(SESSION_COOKIE)
    return bool(collections is not None and token and collections.access.session(token) is not None)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, context: Context) -> HTMLResponse:
    # async: rendered on the event loop, never queued behind anything (checks run in worker processes); the session
    # lookup (a database read, only for a browser that carries a session cookie) goes to the threadpool so a slow
    # database never holds the loop.
    return render("home.html", root=_root(request), tables=list(context.tables.values()), unavailable=broken_definitions(),
                  signed_in=await run_in_threadpool(_signed_in, request),
                  step_readings=STEP_READINGS, default_steps=DEFAULT_STEPS,
                  step_hints=STEP_READING_HINTS, **context.limits())


@router.post("/check", response_class=HTMLResponse)
async def check_page(request: Request, context: Context) -> HTMLResponse:
    form = await request.form()
    steps = form.get("steps")
    if steps not in STEP_READINGS:
        steps = DEFAULT_STEPS
    uploads = context.file_parts(form.getlist("files"))
    if not uploads:
        return render("home.html", 400, root=_root(request), tables=list(context.tables.values()),
                      unavailable=broken_definitions(),
                      step_readings=STEP_READINGS, default_steps=DEFAULT_STEPS,
                      step_hints=STEP_READING_HINTS, problem="请先选择至少一个填好的 .xlsx 文件，再点击「开始校验」。",
                      **context.limits())
    with context.pool.admitted():
        checked = await context.check_all(uploads, steps, keep=True)  # type: ignore[arg-type]
        summary_token = await context.keep_summary(checked, context.base_url(request))
    status = 413 if any(upload.refused for upload in checked) else 200
    return render("results.html", status, root=_root(request), uploads=checked, steps=steps, step_hints=STEP_READING_HINTS,
                  tables=context.tables, summary_token=summary_token, **context.limits())


@router.get("/check")
async def check_page_again(request: Request) -> RedirectResponse:
    # A bookmarked or reopened result page has no upload to show; the form is where to start again.
    return RedirectResponse(f"{_root(request)}/", status_code=303)
