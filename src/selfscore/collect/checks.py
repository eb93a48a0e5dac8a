"""A unit's upload checked against its previous submission: the slow part of a submission, run in a check worker process."""

from __future__ import annotations

import logging
from typing import Any

from selfscore.checking import check, marked_up_bytes
from selfscore.collect.reports import previous_check
from selfscore.results.findings import make_finding
from selfscore.results.report import Report
from selfscore.tables.rules import StepReading

log = logging.getLogger(__name__)


def check_submission(data: bytes, file_name: str, step_reading: StepReading,
                     previous: dict[str, Any] | None) -> tuple[Report, bytes | None]:
    """check_and_mark_up, with the unit's previous submission (its stored report JSON) as the previous check, never raising.

    A top-level function of a module that imports no database code, so that the web's worker pool can run it
    (it pickles by name) without each worker loading SQLAlchemy."""
    try:
        checked = check(data, step_reading=step_reading, name=file_name)
        if previous is not None and checked.report.status != "unreadable":
            # The unit's last stored submission is what "fixed / remaining / new" compares with, whether the clerk
            # uploads the marked-up copy or corrects the original.
            checked.report.previous = previous_check(previous)
        return checked.report, marked_up_bytes(checked)
    except Exception as error:
        log.exception("checking %r failed", file_name)
        finding = make_finding("internal_error", error=type(error).__name__)
        return Report(file=file_name, status="unreadable", step_reading=step_reading, findings=[finding]), None
