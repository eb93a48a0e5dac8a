"""The reviewer's decisions on the web (复核): 复核得分, return, sign-off, reopening, the 复核结果表.

A 复核得分 per indicator, accepting a workbook naming another unit or year, returning, signing off and reopening a unit:
plain forms, each decision saved as it is made, no JavaScript needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from selfscore.collect.review import reviewer_name
from selfscore.collect.service import Refused
from selfscore.web.collections.guards import CollectionsDep, Reviewer
from selfscore.web.collections.reviewer_pages import checked_form, review_page
from selfscore.web.uploads import XLSX_MEDIA_TYPE, content_disposition

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
IndicatorId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")]


def _field(form: object, name: str) -> str:
    value = form.get(name)  # type: ignore[attr-defined]
    return value if isinstance(value, str) else ""


@router.post("/collections/{collection_id}/submissions/{submission_id}/scores/{indicator_id}")
async def set_score(request: Request, collection_id: Id, submission_id: Id, indicator_id: IndicatorId,
                    collections: CollectionsDep, signed_in: Reviewer) -> Response:
    form = await checked_form(request, signed_in)
    score, reason = _field(form, "score"), _field(form, "reason")
    try:
        await run_in_threadpool(collections.service.set_score, collection_id, submission_id, indicator_id, score, reason,
                                reviewer_name(signed_in.user))
    except Refused as error:
        if error.kind != "invalid":
            raise
        return await run_in_threadpool(review_page, request, collections, signed_in, collection_id, submission_id, 400,
                                       error.message, {"indicator": indicator_id, "score": score, "reason": reason})
    return RedirectResponse(f"../../{submission_id}#score-{indicator_id}", status_code=303)


@router.post("/collections/{collection_id}/submissions/{submission_id}/accept")
async def accept_identity(request: Request, collection_id: Id, submission_id: Id, collections: CollectionsDep,
                          signed_in: Reviewer) -> Response:
    form = await checked_form(request, signed_in)
    try:
        await run_in_threadpool(collections.service.accept_identity, collection_id, submission_id, _field(form, "reason"),
                                reviewer_name(signed_in.user))
    except Refused as error:
        if error.kind != "invalid":
            raise
        return await run_in_threadpool(review_page, request, collections, signed_in, collection_id, submission_id, 400,
                                       error.message)
    return RedirectResponse(f"../{submission_id}#identity", status_code=303)


async def _unit_action(request: Request, collection_id: int, unit_id: int, collections: CollectionsDep, signed_in: Reviewer,
                       kind: str) -> Response:
    form = await checked_form(request, signed_in)
    service = collections.service
    note = _field(form, "note")
    latest = await run_in_threadpool(service.latest_id, collection_id, unit_id)
    act = {"return": service.return_unit, "sign_off": service.sign_off, "reopen": service.reopen}[kind]
    try:
        await run_in_threadpool(act, collection_id, unit_id, note, reviewer_name(signed_in.user))
    except Refused as error:
        if error.kind != "invalid" or latest is None:
            raise
        return await run_in_threadpool(review_page, request, collections, signed_in, collection_id, latest, 400,
                                       error.message, {"action": kind, "note": note})
    target = f"../../../submissions/{latest}#review-actions" if latest is not None else "../../.."
    return RedirectResponse(target, status_code=303)


@router.post("/collections/{collection_id}/units/{unit_id}/review/return")
async def return_unit(request: Request, collection_id: Id, unit_id: Id, collections: CollectionsDep, signed_in: Reviewer) -> Response:
    return await _unit_action(request, collection_id, unit_id, collections, signed_in, "return")


@router.post("/collections/{collection_id}/units/{unit_id}/review/sign-off")
async def sign_off(request: Request, collection_id: Id, unit_id: Id, collections: CollectionsDep, signed_in: Reviewer) -> Response:
    return await _unit_action(request, collection_id, unit_id, collections, signed_in, "sign_off")


@router.post("/collections/{collection_id}/units/{unit_id}/review/reopen")
async def reopen_unit(request: Request, collection_id: Id, unit_id: Id, collections: CollectionsDep, signed_in: Reviewer) -> Response:
    return await _unit_action(request, collection_id, unit_id, collections, signed_in, "reopen")


def review_results_response(collections: CollectionsDep, collection_id: int) -> Response:
    """The 复核结果表 as a download named after the collection."""
    collection = collections.service.get(collection_id)
    data = collections.service.review_results_workbook(collection_id)
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": content_disposition(f"{collection.name}-复核结果表.xlsx", "review-results.xlsx"),
        "Cache-Control": "no-store"})


@router.get("/collections/{collection_id}/review-results.xlsx")
def review_results(collection_id: Id, collections: CollectionsDep, _: Reviewer) -> Response:
    return review_results_response(collections, collection_id)
