"""The JSON API for collections, for programs holding a bearer token a reviewer created."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from selfscore.collect.service import Refused
from selfscore.collect.units import UnitListError, check_units
from selfscore.web.api_models import BUSY
from selfscore.web.collections.guards import ApiCaller, CollectionsDep
from selfscore.web.collections.reviewer_pages import summary_response, unit_url
from selfscore.web.context import Context
from selfscore.web.uploads import XLSX_MEDIA_TYPE

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid bearer token: `{\"error\": {\"code\": \"unauthorized\", \"message\": ...}}`"},
    404: {"description": "No such collection or submission"},
}
router = APIRouter(prefix="/api/collections", tags=["collections"], responses=_ERRORS)


class NewCollection(BaseModel):
    name: str = Field(description="The collection's name, e.g. 焦作市2020年度城镇保障性安居工程绩效自评", max_length=200)
    year: int = Field(description="The evaluation year", ge=2000, le=2100)
    tables: list[str] = Field(description="Expected table ids (see GET /api/templates/{table_id}.xlsx), e.g. [\"shantytown\"]")
    units: list[str] = Field(description="The units, one per entry, in the order the collection page lists them")


class Latest(BaseModel):
    id: int
    number: int = Field(description="1 for a unit's first submission, 2 for its first resubmission, ...")
    received_at: str
    file_name: str
    status: str = Field(description="ok, review, errors or unreadable")
    verdict: str = Field(description="The status in Chinese: 通过 / 需人工确认 / 有错误 / 无法读取")
    table: str | None
    unit_in_workbook: str | None
    year_in_workbook: int | None
    self_total: str | None
    recomputed_total: str | None
    errors: int
    warnings: int
    original_sha256: str
    original_size: int


class UnitStatus(BaseModel):
    id: int
    name: str
    status: str = Field(description="missing (not submitted yet), ok, review, errors or unreadable")
    verdict: str = Field(description="The status in Chinese: 未提交 / 通过 / 需人工确认 / 有错误 / 无法读取")
    submissions: int = Field(description="How many times the unit submitted")
    latest: Latest | None
    link: str | None = Field(description="The unit's upload link (null once revoked)")
    link_revoked: bool


class CollectionSummary(BaseModel):
    id: int
    name: str
    year: int
    tables: list[str]
    created_at: str
    closed_at: str | None
    open: bool


class CollectionStatus(BaseModel):
    collection: CollectionSummary
    counts: dict[str, int] = Field(description="Units per status, `missing` for those that have not submitted")
    units: list[UnitStatus]


def _export(request: Request, collections: CollectionsDep, context: Context, collection_id: int) -> dict[str, Any]:
    return collections.service.export(collection_id, unit_url(request, context))


@router.post("", status_code=201, response_model=CollectionStatus, summary="Create a collection",
             responses={400: {"description": "Invalid name, year, tables or units"}})
async def create(request: Request, body: NewCollection, collections: CollectionsDep, context: Context, user: ApiCaller) -> JSONResponse:
    """Create a collection and one upload link per unit; the answer lists every unit with its link."""
    try:
        units = check_units([" ".join(unit.split()) for unit in body.units if unit.strip()])
        created = await run_in_threadpool(collections.service.create, body.name, body.year, body.tables, units, user)
    except UnitListError as error:
        raise Refused("invalid", str(error)) from None
    return JSONResponse(await run_in_threadpool(_export, request, collections, context, created.id), status_code=201)


@router.get("", response_model=list[CollectionSummary], summary="List collections")
def list_collections(collections: CollectionsDep, user: ApiCaller) -> list[dict[str, Any]]:
    """The collections the token's user may see: an admin's token every one, a reviewer's their own."""
    return [collection.to_dict() for collection, _units, _submitted in collections.service.all(user)]


@router.get("/{collection_id}", response_model=CollectionStatus, summary="Units and their latest status")
def status(request: Request, collection_id: Id, collections: CollectionsDep, context: Context, _: ApiCaller) -> dict[str, Any]:
    """Every unit with its latest submission (or `missing`), as the reviewer's collection page shows them."""
    return _export(request, collections, context, collection_id)


@router.post("/{collection_id}/close", response_model=CollectionSummary, summary="Close a collection (links stop taking uploads)")
def close(collection_id: Id, collections: CollectionsDep, user: ApiCaller) -> dict[str, Any]:
    return collections.service.set_open(collection_id, False, user).to_dict()


@router.post("/{collection_id}/reopen", response_model=CollectionSummary, summary="Reopen a closed collection")
def reopen(collection_id: Id, collections: CollectionsDep, user: ApiCaller) -> dict[str, Any]:
    return collections.service.set_open(collection_id, True, user).to_dict()


@router.get("/{collection_id}/submissions/{submission_id}", summary="A submission's report",
            responses={200: {"description": "The SPEC's JSON report of that submission, with `previous_check` "
                                            "(fixed / remaining / new) for a resubmission"}})
def submission_report(collection_id: Id, submission_id: Id, collections: CollectionsDep, _: ApiCaller) -> dict[str, Any]:
    stored = collections.service.submission(submission_id, collection_id=collection_id)
    return {"submission": stored.info.to_dict(), "report": stored.report_json}


@router.get("/{collection_id}/summary.xlsx", summary="The summary workbook of the latest submissions", response_class=Response,
            responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}, **BUSY})
async def summary(request: Request, collection_id: Id, collections: CollectionsDep, context: Context, _: ApiCaller) -> Response:
    """汇总.xlsx of every unit's latest submission; its links open the marked-up copies for a signed-in reviewer."""
    return await summary_response(request, collections, context, collection_id)
