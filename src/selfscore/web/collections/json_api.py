"""The JSON API for collections, for programs holding a bearer token a reviewer created."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from selfscore.collect.review import reviewer_name
from selfscore.collect.service import Refused
from selfscore.collect.units import UnitListError, check_units, unit_name
from selfscore.web.api_models import BUSY
from selfscore.web.collections.guards import ApiCaller, CollectionsDep
from selfscore.web.collections.review_pages import review_results_response
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


#: each field a caller may get wrong: its name in Chinese and what it should be, for a 400 that names the field
FIELDS = {
    "name": ("收集名称", "1～200 个字符的文本，如「焦作市2020年度城镇保障性安居工程绩效自评」"),
    "year": ("评价年度", "2000～2100 之间的整数，如 2020"),
    "tables": ("表格", '表格编号的列表，如 ["shantytown"]（编号见 /docs 中的 GET /api/templates/{table_id}.xlsx）'),
    "units": ("单位", "单位名称（文本）的列表，每项一个单位"),
    "score": ("复核得分", '数字或数字文本；null 或 "" 表示撤回'),
    "reason": ("原因", "文本，最多 2000 个字符"),
    "note": ("说明", "文本，最多 4000 个字符"),
    "collection_id": ("收集编号", "正整数"),
    "submission_id": ("提交编号", "正整数"),
    "unit_id": ("单位编号", "正整数"),
    "indicator_id": ("指标编号", "字母、数字和下划线"),
}


def field_message(errors: list[dict[str, Any]]) -> str:
    """What was wrong with a request to this API, field by field in Chinese (FastAPI's validation errors)."""
    said: list[str] = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part not in ("body", "path", "query")]
        field = next((part for part in loc if isinstance(part, str)), None)
        if field not in FIELDS:
            said.append("请求体应为 JSON 对象（Content-Type: application/json），各字段见 /docs。")
            continue
        label, expected = FIELDS[field]
        item = next((f"第 {part + 1} 项" for part in loc if isinstance(part, int)), "")
        expected = "文本" if item else expected
        expected = f" {expected}" if expected[0].isascii() else expected
        if error.get("type") == "missing":
            said.append(f"缺少字段 {field}（{label}）：应为{expected}。")
        else:
            said.append(f"字段 {field}（{label}）{item}无效：收到 {_shown(error.get('input'))}，应为{expected}。")
    return "".join(dict.fromkeys(said[:5])) or "请求有误：各字段见 /docs。"


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return "一个对象" if isinstance(value, dict) else f"一个有 {len(value)} 项的列表"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:40] + "…"


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
    review_state: str = Field(description="The review: missing, pending, returned or signed_off")
    review_state_name: str = Field(description="The review in Chinese: 未提交 / 待复核 / 退回修改 / 已审核")
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
        units = check_units([unit_name(unit) for unit in body.units if unit.strip()], where="字段 units（单位）第 {line} 项")
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


# --- the review (复核) ---

IndicatorId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")]
_REFUSED = {400: {"description": "Refused, with the reason in Chinese: a score outside the allowed range, a changed score "
                                 "without a reason, a sign-off with errors or undecided items and no override reason, "
                                 "an action the unit's state does not allow"}}


class ScoreBody(BaseModel):
    score: str | float | None = Field(description="The 复核得分 (within the allowed range); null or \"\" takes the decision back")
    reason: str = Field("", description="Why; required when the score differs from the recomputed one of an indicator "
                                        "that is not 需人工确认", max_length=2000)


class NoteBody(BaseModel):
    note: str = Field("", description="退回说明 (required for a return, shown on the unit's link page); the override reason "
                                      "of a sign-off the latest submission would not pass; the reason of a reopening",
                      max_length=4000)


class AcceptBody(BaseModel):
    reason: str = Field("", description="Why a workbook naming another unit or year is accepted as this unit's", max_length=2000)


class DecisionOut(BaseModel):
    indicator: str
    score: float | None
    reason: str
    decided_by: str = Field(description="Who decided (today 管理员 for a signed-in reviewer, API for a bearer token)")
    decided_at: str


class IndicatorReviewOut(BaseModel):
    indicator: str
    name: str
    max: float
    self: float | None
    recomputed: float | None
    status: str = Field(description="match, mismatch, rounding_reading, review or unknown")
    to_decide: bool = Field(description="需人工确认 (or not computable): the reviewer must enter the 复核得分")
    allowed: list[float] = Field(description="The range a 复核得分 may take: [low, high]")
    review: float | None = Field(description="The 复核得分: the reviewer's, else the recomputed one; null while undecided")
    reason: str = Field(description="扣分原因: the reviewer's reason, else the computation")
    decision: DecisionOut | None


class ReviewOut(BaseModel):
    indicators: list[IndicatorReviewOut]
    review_total: float | None = Field(description="复核合计, by the table's own total rules (bonus, penalty, cap, veto)")
    review_total_explanation: str
    identity_questions: list[str] = Field(description="Another unit or year named in the workbook, to accept or return")
    identity_accepted: bool
    blockers: list[str] = Field(description="Why the unit cannot be signed off as it stands (empty: it can)")


class ActionOut(BaseModel):
    action: str = Field(description="return, sign_off or reopen")
    name: str
    submission_id: int | None
    note: str
    decided_by: str
    decided_at: str


class UnitRef(BaseModel):
    id: int
    name: str


class UnitReview(BaseModel):
    unit: UnitRef
    state: str = Field(description="missing, pending, returned or signed_off")
    state_name: str = Field(description="未提交 / 待复核 / 退回修改 / 已审核")
    latest_submission: int | None
    actions: list[ActionOut] = Field(description="Every return, sign-off and reopening, newest first")
    review: ReviewOut | None = Field(description="The review of the latest submission")


@router.get("/{collection_id}/units/{unit_id}/review", response_model=UnitReview, summary="A unit's review state and decisions")
def unit_review(collection_id: Id, unit_id: Id, collections: CollectionsDep, _: ApiCaller) -> dict[str, Any]:
    return collections.service.unit_review(collection_id, unit_id)


@router.post("/{collection_id}/submissions/{submission_id}/scores/{indicator_id}", response_model=ReviewOut,
             summary="Set (or take back) the 复核得分 of one indicator of the unit's latest submission", responses=_REFUSED)
def set_score(collection_id: Id, submission_id: Id, indicator_id: IndicatorId, body: ScoreBody, collections: CollectionsDep,
              user: ApiCaller) -> dict[str, Any]:
    score = "" if body.score is None else str(body.score)
    return collections.service.set_score(collection_id, submission_id, indicator_id, score, body.reason,
                                         reviewer_name(user)).to_dict()


@router.post("/{collection_id}/submissions/{submission_id}/accept", response_model=ReviewOut,
             summary="Accept a workbook naming another unit or year", responses=_REFUSED)
def accept(collection_id: Id, submission_id: Id, body: AcceptBody, collections: CollectionsDep, user: ApiCaller) -> dict[str, Any]:
    return collections.service.accept_identity(collection_id, submission_id, body.reason, reviewer_name(user)).to_dict()


@router.post("/{collection_id}/units/{unit_id}/return", response_model=UnitReview, summary="退回修改, with a note",
             responses=_REFUSED)
def return_unit(collection_id: Id, unit_id: Id, body: NoteBody, collections: CollectionsDep, user: ApiCaller) -> dict[str, Any]:
    collections.service.return_unit(collection_id, unit_id, body.note, reviewer_name(user))
    return collections.service.unit_review(collection_id, unit_id)


@router.post("/{collection_id}/units/{unit_id}/sign-off", response_model=UnitReview,
             summary="审核通过 (the note is the override reason when the latest submission would not pass)", responses=_REFUSED)
def sign_off(collection_id: Id, unit_id: Id, body: NoteBody, collections: CollectionsDep, user: ApiCaller) -> dict[str, Any]:
    collections.service.sign_off(collection_id, unit_id, body.note, reviewer_name(user))
    return collections.service.unit_review(collection_id, unit_id)


@router.post("/{collection_id}/units/{unit_id}/reopen", response_model=UnitReview, summary="Reopen a signed-off or returned unit",
             responses=_REFUSED)
def reopen_unit(collection_id: Id, unit_id: Id, body: NoteBody, collections: CollectionsDep, user: ApiCaller) -> dict[str, Any]:
    collections.service.reopen(collection_id, unit_id, body.note, reviewer_name(user))
    return collections.service.unit_review(collection_id, unit_id)


@router.get("/{collection_id}/review-results", summary="The review results (复核结果): per table every unit's three figures")
def review_results(collection_id: Id, collections: CollectionsDep, _: ApiCaller) -> dict[str, Any]:
    """Per table, every unit whose latest submission is of it, in the collection's order: each indicator's 分值 (max), 自评得分
    (self), 复核得分 (review) and 扣分原因 (reason), the 复核合计 and the rank (among the signed-off units only; null for a
    unit not signed off); and `not_done`, the units not submitted or not signed off. The same data as the 复核结果表."""
    return collections.service.review_results(collection_id)


@router.get("/{collection_id}/review-results.xlsx", summary="The 复核结果表 (xlsx, A4 landscape, one table per sheet)",
            response_class=Response, responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}})
def review_results_workbook(collection_id: Id, collections: CollectionsDep, _: ApiCaller) -> Response:
    return review_results_response(collections, collection_id)
