"""The API's answers as OpenAPI models: they document the JSON shapes (the routes build them from Report.to_dict())."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Number = float | int


class _Open(BaseModel):
    # A key added to the report later must not make the documented model wrong, only incomplete.
    model_config = ConfigDict(extra="allow")


class ErrorDetail(_Open):
    code: str = Field(description="A stable code: no_file, bad_request, file_too_large, unreadable, busy, ...")
    message: str = Field(description="What is wrong and what to do, in Chinese")
    file: str | None = Field(None, description="The uploaded file concerned, when there is one")
    retry_after: int | None = Field(None, description="With busy (503): seconds to wait, as in the Retry-After header")


class ErrorBody(BaseModel):
    error: ErrorDetail


class Totals(_Open):
    self: Number | None
    recomputed: Number | None
    recomputed_range: list[Number] | None
    max: Number | None


class IndicatorModel(_Open):
    id: str
    name: str
    max: Number | None
    self: Number | None
    recomputed: Number | None
    range: list[Number] | None
    status: str = Field(description="match, mismatch, rounding_reading, review, unknown")
    explanation: str


class FindingModel(_Open):
    severity: Literal["error", "warning", "info"]
    code: str
    sheet: str | None
    cell: str | None
    indicator: str | None
    input: str | None
    message: str
    value: str | None


class RecognisedModel(_Open):
    name: str
    what: str
    sheet: str
    cell: str
    recognised_from: Literal["defined_name", "label"]
    label: str | None


class ReportModel(_Open):
    file: str
    table: str | None
    title: str | None
    template_version: int | None
    unit: str | None
    year: int | None
    status: str = Field(description="ok, errors, unreadable (and review where a person must judge)")
    step_reading: str
    totals: Totals
    counts: dict[str, int]
    indicators: list[IndicatorModel]
    findings: list[FindingModel]
    recognised: list[RecognisedModel] = []
    notes: list[str] = []
    source_format: str | None = None
    previous_check: dict[str, list[dict[str, Any]]] | None = None


class ReportsBody(BaseModel):
    reports: list[ReportModel]
    error: ErrorDetail | None = Field(None, description="With 422: which files could not be read, and why")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    pid: int = Field(description="The answering server process (with --workers N, one of N)")
    checks: dict[str, int] = Field(description="The worker pool: processes, admitted, running, waiting, capacity")


def error(description: str) -> dict[str, Any]:
    """An error response for a route's ``responses=``."""
    return {"model": ErrorBody, "description": description}


BUSY = {503: {"model": ErrorBody, "description": "Too many checks at once: retry after the Retry-After header's seconds",
              "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}}}
