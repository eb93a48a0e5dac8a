"""What a reviewer and a unit's clerk do with a collection: set it up, submit, look at the latest, export."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from selfscore.checking import check_file
from selfscore.collect.access import UserInfo, new_token
from selfscore.collect.actions import CLERK, LoggedAction, actions, record
from selfscore.collect.database import Database
from selfscore.collect.models import Collection, CollectionReviewer, ReviewAction, ScoreDecision, Submission, Unit, User
from selfscore.collect.reports import VERDICT_NAMES, previous_check, report_from_dict
from selfscore.collect.review import (
    COLLECTION_FINDINGS,
    IDENTITY,
    OTHER_TABLE,
    OTHER_UNIT,
    OTHER_YEAR,
    STATE_NAMES,
    Action,
    Decision,
    SubmissionReview,
    judge_against_collection,
    parse_score,
    state_of,
    submission_review,
)
from selfscore.collect.times import iso, local_text, utcnow
from selfscore.collect.units import same_unit, unit_name
from selfscore.read.formats import FORMAT_NAMES, READABLE_KINDS, sniff
from selfscore.results.report import PreviousCheck, Report
from selfscore.tables.definitions import load_tables
from selfscore.tables.numbers import json_number
from selfscore.tables.steps import DEFAULT_STEPS, StepReading

MAX_COLLECTION_NAME = 200
#: what one unit's link may store unless `selfscore serve` says otherwise: a clerk correcting a workbook resubmits a
#: few times an hour, and a filled workbook is well under 1 MB
DEFAULT_SUBMISSIONS_PER_HOUR = 30
DEFAULT_BYTES_PER_COLLECTION = 100 * 1024 * 1024
#: attempts at numbering a submission when another one of the same unit is stored at the same moment
_NUMBERING_ATTEMPTS = 20


class Refused(Exception):
    """What cannot be done, with the Chinese message a person reads: ``kind`` is not_found, closed or invalid."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class NotStored(Refused):
    """An upload a unit's link does not take, refused before anything is stored: ``kind`` is not_a_workbook (not a
    spreadsheet the checker reads), too_often (the unit's submissions per hour; ``retry_after`` says when a place
    frees) or quota_full (the unit's bytes in the collection)."""

    def __init__(self, kind: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(kind, message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Quota:
    """What one unit's link may store: submissions in any hour, and bytes of originals in its collection (0: no limit)."""

    submissions_per_hour: int = DEFAULT_SUBMISSIONS_PER_HOUR
    bytes_per_collection: int = DEFAULT_BYTES_PER_COLLECTION


def _not_found() -> Refused:
    # The same words whether the thing never existed or belongs to someone else: nothing leaks across units.
    return Refused("not_found", "找不到这个页面：链接无效、已被收回，或不属于本单位。请向收集材料的同志索取新的链接。")


@dataclass(frozen=True)
class SubmissionInfo:
    """A submission as the lists show it, without its bytes."""

    id: int
    unit_id: int
    number: int
    received_at: datetime
    file_name: str
    status: str
    table_id: str | None
    report_unit: str | None
    report_year: int | None
    self_total: str | None
    recomputed_total: str | None
    errors: int
    warnings: int
    original_sha256: str
    original_size: int
    has_marked_up: bool

    @property
    def verdict(self) -> str:
        return VERDICT_NAMES.get(self.status, self.status)

    @property
    def received_text(self) -> str:
        return local_text(self.received_at)

    @property
    def resubmissions(self) -> int:
        return self.number - 1

    @classmethod
    def of(cls, row: Submission) -> SubmissionInfo:
        return cls(row.id, row.unit_id, row.number, row.received_at, row.file_name, row.status, row.table_id,
                   row.report_unit, row.report_year, row.self_total, row.recomputed_total, row.errors, row.warnings,
                   row.original_sha256, row.original_size, row.marked_up_sha256 is not None)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "received_at": iso(self.received_at), "file_name": self.file_name,
                "status": self.status, "verdict": self.verdict, "table": self.table_id, "unit_in_workbook": self.report_unit,
                "year_in_workbook": self.report_year, "self_total": self.self_total, "recomputed_total": self.recomputed_total,
                "errors": self.errors, "warnings": self.warnings, "original_sha256": self.original_sha256,
                "original_size": self.original_size}


@dataclass(frozen=True)
class UnitRow:
    """One unit of a collection with its latest submission (None: not submitted yet)."""

    id: int
    position: int
    name: str
    token: str | None
    latest: SubmissionInfo | None
    submissions: int
    #: the unit's review state: missing, pending, returned or signed_off (see :data:`~selfscore.collect.review.STATE_NAMES`)
    state: str = "missing"

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]

    @property
    def status(self) -> str | None:
        return self.latest.status if self.latest else None

    @property
    def verdict(self) -> str:
        return VERDICT_NAMES.get(self.status, self.status or "")


@dataclass(frozen=True)
class CollectionInfo:
    id: int
    name: str
    year: int
    table_ids: list[str]
    created_at: datetime
    closed_at: datetime | None
    created_by: int | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def table_titles(self) -> list[str]:
        tables = load_tables()
        return [tables[table_id].title if table_id in tables else table_id for table_id in self.table_ids]

    @classmethod
    def of(cls, row: Collection) -> CollectionInfo:
        return cls(row.id, row.name, row.year, row.table_ids, row.created_at, row.closed_at, row.created_by)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "year": self.year, "tables": self.table_ids,
                "created_at": iso(self.created_at), "closed_at": iso(self.closed_at), "open": self.is_open}


@dataclass(frozen=True)
class UnitLink:
    """What a unit's clerk is allowed to see: their unit and its collection."""

    unit_id: int
    unit_name: str
    token: str
    collection: CollectionInfo


@dataclass(frozen=True)
class Stored:
    """A stored submission with everything in it."""

    info: SubmissionInfo
    report: Report
    report_json: dict[str, Any]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def counts(rows: Sequence[UnitRow]) -> dict[str | None, int]:
    """How many units stand at each verdict (None: not submitted), for the page's filter and the export."""
    return {status: sum(1 for row in rows if row.status == status) for status in VERDICT_NAMES}


class Collections:
    """The reviewer's collections and the units' submissions, stored through ``database``."""

    def __init__(self, database: Database, quota: Quota | None = None) -> None:
        self.database = database
        self.quota = quota or Quota()

    # --- the reviewer sets up ---

    def create(self, name: str, year: int, table_ids: Sequence[str], unit_names: Sequence[str],
               by: UserInfo | None = None) -> CollectionInfo:
        name = " ".join(name.split())
        known = load_tables()
        if not name:
            raise Refused("invalid", "请填写收集的名称，如「焦作市2020年度城镇保障性安居工程绩效自评」。")
        if len(name) > MAX_COLLECTION_NAME:
            raise Refused("invalid", f"名称太长：最多 {MAX_COLLECTION_NAME} 个字符。")
        if not 2000 <= year <= 2100:
            raise Refused("invalid", f"评价年度「{year}」无效：应为 2000～2100 之间的年份。")
        if not table_ids:
            raise Refused("invalid", "请至少选择一张要收集的表格。")
        unknown = [table_id for table_id in table_ids if table_id not in known]
        if unknown:
            raise Refused("invalid", f"没有表格「{'、'.join(unknown)}」；可用的表格：{'、'.join(known)}。")
        with self.database.transaction() as session:
            collection = Collection(name=name, year=year, tables=",".join(dict.fromkeys(table_ids)), created_at=utcnow(),
                                    created_by=by.id if by else None)
            # NFC here too, whoever calls: two spellings of one name are one unit (and the UNIQUE constraint says so)
            collection.units = [Unit(position=position, name=unit_name(unit), token=new_token())
                                for position, unit in enumerate(unit_names, start=1)]
            session.add(collection)
            session.flush()
            record(session, by, "create", collection.id, detail=f"{name}（{len(collection.units)} 个单位）")
            return CollectionInfo.of(collection)

    # --- who sees a collection: an admin every one, a reviewer those they created or were added to ---

    def visible_ids(self, user: UserInfo | None) -> set[int] | None:
        """The collections ``user`` may see; None: every one (an admin, or no user: the server's own commands)."""
        if user is None or user.is_admin:
            return None
        with self.database.transaction() as session:
            created = session.scalars(select(Collection.id).where(Collection.created_by == user.id))
            added = session.scalars(select(CollectionReviewer.collection_id).where(CollectionReviewer.user_id == user.id))
            return set(created) | set(added)

    def can_see(self, collection_id: int, user: UserInfo | None) -> bool:
        visible = self.visible_ids(user)
        return visible is None or collection_id in visible

    def can_choose_reviewers(self, collection: CollectionInfo, user: UserInfo) -> bool:
        return user.is_admin or collection.created_by == user.id

    def reviewers(self, collection_id: int) -> list[UserInfo]:
        """The collection's 「复核人员」 (not its creator), by name."""
        with self.database.transaction() as session:
            return [UserInfo(user.id, user.name, user.role) for user in session.scalars(
                select(User).join(CollectionReviewer, CollectionReviewer.user_id == User.id)
                .where(CollectionReviewer.collection_id == collection_id).order_by(User.name))]

    def set_reviewers(self, collection_id: int, user_ids: Sequence[int], by: UserInfo | None = None) -> list[UserInfo]:
        """Make these users (and only these) the collection's 「复核人员」; unknown or disabled users are left out."""
        with self.database.transaction() as session:
            self._collection(session, collection_id)
            chosen = list(session.scalars(select(User).where(User.id.in_(list(user_ids)), User.disabled_at.is_(None))
                                          .order_by(User.name)))
            session.query(CollectionReviewer).filter(CollectionReviewer.collection_id == collection_id).delete()
            session.add_all([CollectionReviewer(collection_id=collection_id, user_id=user.id) for user in chosen])
            record(session, by, "set_reviewers", collection_id, detail="、".join(user.name for user in chosen) or "（无）")
            return [UserInfo(user.id, user.name, user.role) for user in chosen]

    def contacts(self, collection_id: int) -> list[str]:
        """Whom a unit's clerk may ask about a collection: its creator, then its reviewers (names only)."""
        with self.database.transaction() as session:
            collection = self._collection(session, collection_id)
            creator = session.get(User, collection.created_by) if collection.created_by else None
            names = [creator.name] if creator else []
        return list(dict.fromkeys(names + [user.name for user in self.reviewers(collection_id)]))

    def log(self, collection_id: int, unit_id: int | None = None) -> list[LoggedAction]:
        """The collection's log of actions (or one unit's), oldest first."""
        with self.database.transaction() as session:
            self._collection(session, collection_id)
            if unit_id is not None:
                self._unit(session, collection_id, unit_id)
            names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.collection_id == collection_id)).all())
            return actions(session, collection_id, unit_id, names)

    def all(self, user: UserInfo | None = None) -> list[tuple[CollectionInfo, int, int]]:
        """Every collection ``user`` may see, newest first, with its number of units and of units that have submitted."""
        visible = self.visible_ids(user)
        with self.database.transaction() as session:
            units = dict(session.execute(select(Unit.collection_id, func.count()).group_by(Unit.collection_id)).all())
            submitted = dict(session.execute(
                select(Unit.collection_id, func.count(func.distinct(Submission.unit_id)))
                .join(Submission, Submission.unit_id == Unit.id).group_by(Unit.collection_id)).all())
            return [(CollectionInfo.of(row), units.get(row.id, 0), submitted.get(row.id, 0))
                    for row in session.scalars(select(Collection).order_by(Collection.id.desc()))
                    if visible is None or row.id in visible]

    def get(self, collection_id: int) -> CollectionInfo:
        with self.database.transaction() as session:
            return CollectionInfo.of(self._collection(session, collection_id))

    def set_open(self, collection_id: int, is_open: bool, by: UserInfo | None = None) -> CollectionInfo:
        """Close a collection (its links stop taking uploads; everything stays readable) or reopen it."""
        with self.database.transaction() as session:
            collection = self._collection(session, collection_id)
            if is_open and collection.closed_at is not None:
                collection.closed_at = None
                record(session, by, "reopen", collection_id)
            elif not is_open and collection.closed_at is None:
                collection.closed_at = utcnow()
                record(session, by, "close", collection_id)
            return CollectionInfo.of(collection)

    def reissue(self, collection_id: int, unit_id: int, by: UserInfo | None = None) -> str:
        """A new link for a unit; the old one stops working at once."""
        with self.database.transaction() as session:
            unit = self._unit(session, collection_id, unit_id)
            unit.token = new_token()
            record(session, by, "reissue", collection_id, unit_id)
            return unit.token

    def revoke(self, collection_id: int, unit_id: int, by: UserInfo | None = None) -> None:
        """Take a unit's link back without giving a new one (reissue gives one later)."""
        with self.database.transaction() as session:
            self._unit(session, collection_id, unit_id).token = None
            record(session, by, "revoke", collection_id, unit_id)

    # --- the reviewer watches ---

    def rows(self, collection_id: int) -> list[UnitRow]:
        """Every unit of the collection in the reviewer's order, with its latest submission and how many it made."""
        with self.database.transaction() as session:
            self._collection(session, collection_id)
            units = list(session.scalars(select(Unit).where(Unit.collection_id == collection_id).order_by(Unit.position)))
            latest_numbers = (select(Submission.unit_id, func.max(Submission.number).label("number"))
                              .join(Unit, Unit.id == Submission.unit_id).where(Unit.collection_id == collection_id)
                              .group_by(Submission.unit_id).subquery())
            latest = {row.unit_id: row for row in session.scalars(
                select(Submission).join(latest_numbers, (Submission.unit_id == latest_numbers.c.unit_id)
                                        & (Submission.number == latest_numbers.c.number)))}
            actions = self._last_actions(session, [unit.id for unit in units])
            return [UnitRow(unit.id, unit.position, unit.name, unit.token,
                            SubmissionInfo.of(latest[unit.id]) if unit.id in latest else None,
                            latest[unit.id].number if unit.id in latest else 0,
                            state_of(latest[unit.id].id if unit.id in latest else None, actions.get(unit.id)))
                    for unit in units]

    def history(self, collection_id: int, unit_id: int) -> tuple[str, list[SubmissionInfo]]:
        """A unit's name and every submission it made, newest first."""
        with self.database.transaction() as session:
            unit = self._unit(session, collection_id, unit_id)
            return unit.name, [SubmissionInfo.of(row) for row in session.scalars(
                select(Submission).where(Submission.unit_id == unit.id).order_by(Submission.number.desc()))]

    def submission(self, submission_id: int, *, collection_id: int | None = None, unit_id: int | None = None) -> Stored:
        """One submission with its report; ``collection_id`` / ``unit_id`` restrict whose it may be (else: not found)."""
        with self.database.transaction() as session:
            row = self._submission(session, submission_id, collection_id, unit_id, undefer(Submission.report))
            return Stored(SubmissionInfo.of(row), report_from_dict(row.report), row.report)

    def file(self, submission_id: int, which: str, *, collection_id: int | None = None,
             unit_id: int | None = None) -> tuple[SubmissionInfo, bytes]:
        """A submission's ``original`` bytes as received, or its ``marked_up`` copy."""
        column = Submission.original if which == "original" else Submission.marked_up
        with self.database.transaction() as session:
            row = self._submission(session, submission_id, collection_id, unit_id, undefer(column))
            data = row.original if which == "original" else row.marked_up
            if data is None:
                raise Refused("not_found", "这份提交没有标注副本：文件无法读取，无法标注。")
            return SubmissionInfo.of(row), data

    def latest_reports(self, collection_id: int) -> list[tuple[UnitRow, Report]]:
        rows = [row for row in self.rows(collection_id) if row.latest is not None]
        with self.database.transaction() as session:
            stored = {submission.id: submission.report for submission in session.scalars(
                select(Submission).options(undefer(Submission.report))
                .where(Submission.id.in_([row.latest.id for row in rows if row.latest])))}
        return [(row, report_from_dict(stored[row.latest.id])) for row in rows if row.latest]

    def summary(self, collection_id: int, link: Callable[[SubmissionInfo], str | None]) -> bytes:
        """The reviewer's summary workbook of every unit's latest submission; ``link`` gives each copy's address."""
        from selfscore.write.summary import summary_bytes

        return summary_bytes(*self.summary_parts(collection_id, link))

    def summary_parts(self, collection_id: int, link: Callable[[SubmissionInfo], str | None]
                      ) -> tuple[list[Report], list[str | None], dict[str, Any]]:
        """What the summary workbook is made of (the web makes it in a worker process): the latest reports, their links,
        and the collection's review results (every unit in the collection's order, its review, each indicator's figures)."""
        latest = self.latest_reports(collection_id)
        if not latest:
            raise Refused("not_found", "还没有单位提交，暂无汇总表。")
        return ([report for _row, report in latest], [link(row.latest) for row, _report in latest if row.latest],
                self.review_results(collection_id))

    def export(self, collection_id: int, link: Callable[[str], str] | None = None) -> dict[str, Any]:
        """The collection page as JSON: the collection, counts by verdict, and every unit with its latest submission."""
        collection = self.get(collection_id)
        rows = self.rows(collection_id)
        return {
            "collection": collection.to_dict(),
            "counts": {(status or "missing"): count for status, count in counts(rows).items()},
            "review_results": self.review_results(collection_id),
            "units": [{"id": row.id, "name": row.name, "status": row.status or "missing", "verdict": row.verdict,
                       "review_state": row.state, "review_state_name": row.state_name,
                       "submissions": row.submissions, "latest": row.latest.to_dict() if row.latest else None,
                       "link": link(row.token) if link and row.token else None, "link_revoked": row.token is None}
                      for row in rows],
        }

    # --- a unit's clerk ---

    def unit_link(self, token: str) -> UnitLink:
        with self.database.transaction() as session:
            unit = session.scalar(select(Unit).where(Unit.token == token)) if token else None
            if unit is None:
                raise _not_found()
            return UnitLink(unit.id, unit.name, token, CollectionInfo.of(unit.collection))

    def submit(self, token: str, data: bytes, file_name: str, steps: StepReading = DEFAULT_STEPS) -> Stored:
        """Check an upload through a unit's link and store it as that unit's next submission, all in this process.

        The web runs the same three steps with the check in its worker pool: :meth:`previous_report`, then
        :func:`~selfscore.checking.check_file` compared with it, then :meth:`store`."""
        previous = self.previous_report(token)
        report, marked_up = check_file(data, file_name, steps, previous=previous)
        return self.store(token, data, file_name, report, marked_up)

    def admit(self, token: str, data: bytes, file_name: str) -> None:
        """At the door, before a unit's upload is checked: :class:`NotStored` for what is not a workbook the checker
        reads (its real format named) or would take the unit past its :class:`Quota`. Nothing is stored either way;
        :meth:`store` asks again, in the transaction that stores."""
        refuse_unreadable_kind(data, file_name)
        link = self.unit_link(token)
        with self.database.transaction() as session:
            self._within_quota(session, link.unit_id, len(data))

    def _within_quota(self, session: Session, unit_id: int, size: int) -> None:
        quota = self.quota
        if quota.submissions_per_hour:
            now = utcnow()
            recent = list(session.scalars(select(Submission.received_at).where(
                Submission.unit_id == unit_id, Submission.received_at > now - timedelta(hours=1))
                .order_by(Submission.received_at.desc()).limit(quota.submissions_per_hour)))
            if len(recent) >= quota.submissions_per_hour:
                # a place frees when the oldest of the last N is an hour old
                wait = max(1, math.ceil((recent[-1] + timedelta(hours=1) - now).total_seconds()))
                raise NotStored("too_often", f"本单位一小时内已提交 {quota.submissions_per_hour} 次，达到上限，这个文件没有保存；"
                                             f"请 {math.ceil(wait / 60)} 分钟后再提交（如有急事，请联系收集材料的同志）。",
                                retry_after=wait)
        if quota.bytes_per_collection:
            used = session.scalar(select(func.coalesce(func.sum(Submission.original_size), 0))
                                  .where(Submission.unit_id == unit_id)) or 0
            if used + size > quota.bytes_per_collection:
                raise NotStored("quota_full", f"本单位在本次收集中已提交的文件共 {_size_text(used)}，加上这个文件（{_size_text(size)}）"
                                              f"超过每个单位 {_size_text(quota.bytes_per_collection)} 的上限，这个文件没有保存；"
                                              "请联系收集材料的同志。")

    def previous_report(self, token: str) -> PreviousCheck | None:
        """Before a unit's upload is checked: the link must be valid and its collection open (else :class:`Refused`);
        the answer is the findings of the unit's latest stored report, which the check compares with (None for a first
        submission): the last submission is what "fixed / remaining / new" is about, whether the clerk uploads the
        marked-up copy or corrects the original."""
        link = self.unit_link(token)
        if not link.collection.is_open:
            raise _closed(link.collection)
        if self.unit_state(link.unit_id) == "signed_off":
            raise _signed_off()
        latest = self._latest_report(link.unit_id)
        return None if latest is None else previous_check(latest)

    def store(self, token: str, data: bytes, file_name: str, report: Report, marked_up: bytes | None) -> Stored:
        """Store a checked upload as the unit's next submission.

        The check ran outside any transaction (it is the slow part); the row is added in one short
        transaction that checks again that the link is valid, the collection open and the unit not signed off. The
        report is first judged against the collection (:func:`~selfscore.collect.review.judge_against_collection`):
        another table is an error, another unit or year needs the reviewer."""
        refuse_unreadable_kind(data, file_name)
        link = self.unit_link(token)
        judge_against_collection(report, link.collection.table_ids, link.collection.year, link.unit_name)
        report_json = report.to_dict()
        for _attempt in range(_NUMBERING_ATTEMPTS):
            try:
                with self.database.transaction() as session:
                    # the unit's row locked (PostgreSQL; SQLite's BEGIN IMMEDIATE holds the whole database): two uploads
                    # of one unit cannot both pass its quota
                    unit = session.scalar(select(Unit).where(Unit.token == token).with_for_update())
                    if unit is None:
                        raise _not_found()
                    if unit.collection.closed_at is not None:
                        raise _closed(CollectionInfo.of(unit.collection))
                    if self._state(session, unit.id) == "signed_off":
                        raise _signed_off()
                    self._within_quota(session, unit.id, len(data))
                    number = (session.scalar(select(func.max(Submission.number)).where(Submission.unit_id == unit.id)) or 0) + 1
                    row = Submission(
                        unit_id=unit.id, number=number, received_at=utcnow(), file_name=_text(file_name, 255) or "上传的文件",
                        original=data, original_sha256=_sha256(data), original_size=len(data),
                        marked_up=marked_up, marked_up_sha256=_sha256(marked_up) if marked_up is not None else None,
                        report=report_json, status=report.status, table_id=report.table,
                        report_unit=_text(report.unit, 200), report_year=report.year,
                        self_total=_number_text(report.self_total) if report.status != "unreadable" else None,
                        recomputed_total=report.recomputed_total_text if report.status != "unreadable" else None,
                        errors=report.errors, warnings=report.warnings)
                    session.add(row)
                    session.flush()
                    record(session, None, "submit", unit.collection_id, unit.id, row.id,
                           detail=f"第 {number} 次：{row.file_name}（{VERDICT_NAMES.get(row.status, row.status)}）", by=CLERK)
                    return Stored(SubmissionInfo.of(row), report, report_json)
            except IntegrityError:
                # Another submission of the same unit took this number in the meantime: take the next one.
                continue
        raise Refused("busy", "同时提交的文件太多，请稍后重新提交。")

    def unit_history(self, token: str) -> tuple[UnitLink, list[SubmissionInfo]]:
        link = self.unit_link(token)
        return link, self.history(link.collection.id, link.unit_id)[1]

    # --- the review (复核) ---

    def unit_state(self, unit_id: int) -> str:
        with self.database.transaction() as session:
            return self._state(session, unit_id)

    def review(self, collection_id: int, submission_id: int) -> tuple[Stored, SubmissionReview, bool]:
        """A submission with its review (decisions, 复核合计, what blocks sign-off), and whether it is the unit's latest
        (only the latest is reviewed; older ones are shown as they were)."""
        stored = self.submission(submission_id, collection_id=collection_id)
        with self.database.transaction() as session:
            latest_id = session.scalar(select(Submission.id).where(Submission.unit_id == stored.info.unit_id)
                                       .order_by(Submission.number.desc()).limit(1))
            decisions = self._decisions(session, submission_id)
        return stored, submission_review(stored.report, decisions), latest_id == submission_id

    def set_score(self, collection_id: int, submission_id: int, indicator_id: str, score: str, reason: str,
                  decided_by: str) -> SubmissionReview:
        """Record the reviewer's 复核得分 of one indicator (an empty ``score`` takes the decision back).

        A 需人工确认 item takes any score in its allowed range; any other indicator takes a score other than the recomputed
        one only with a reason. Refused (in Chinese) outside the range, on an older submission, or once signed off."""
        reason = " ".join(reason.split())
        stored, review, is_latest = self.review(collection_id, submission_id)
        self._may_decide(stored, is_latest)
        item = next((entry for entry in review.items if entry.item.id == indicator_id), None)
        if item is None:
            raise Refused("not_found", f"这份提交没有指标「{indicator_id}」。")
        value = None
        if score.strip():
            try:
                value = parse_score(score, item.item)
            except ValueError as error:
                raise Refused("invalid", str(error)) from None
            if not item.to_decide and value != item.item.recomputed and not reason:
                raise Refused("invalid", f"「{item.item.name}」的复核得分 {score.strip()} 与重新计算的得分不同："
                                         "请填写调整理由（将写入复核结果表的扣分原因）。")
        with self.database.transaction() as session:
            session.add(ScoreDecision(submission_id=submission_id, indicator_id=indicator_id,
                                      score=None if value is None else _number_text(value), reason=reason[:2000],
                                      decided_by=decided_by, decided_at=utcnow()))
            record(session, None, "score", collection_id, stored.info.unit_id, submission_id,
                   f"{item.item.name}：{'撤回复核得分' if value is None else _number_text(value)}{f'（{reason}）' if reason else ''}",
                   by=decided_by)
        return self.review(collection_id, submission_id)[1]

    def accept_identity(self, collection_id: int, submission_id: int, reason: str, decided_by: str) -> SubmissionReview:
        """Accept a workbook that names another unit or year as this unit's (the alternative is to return it)."""
        reason = " ".join(reason.split()) or "复核人员确认接受"
        stored, review, is_latest = self.review(collection_id, submission_id)
        self._may_decide(stored, is_latest)
        if not review.identity:
            raise Refused("invalid", "这份提交的单位和年度与本次收集一致，无需确认。")
        with self.database.transaction() as session:
            session.add(ScoreDecision(submission_id=submission_id, indicator_id=IDENTITY, score=None, reason=reason[:2000],
                                      decided_by=decided_by, decided_at=utcnow()))
            record(session, None, "accept", collection_id, stored.info.unit_id, submission_id, reason, by=decided_by)
        return self.review(collection_id, submission_id)[1]

    def _may_decide(self, stored: Stored, is_latest: bool) -> None:
        if not is_latest:
            raise Refused("invalid", "这不是本单位最新的一次提交：只能复核最新的提交。")
        if self.unit_state(stored.info.unit_id) == "signed_off":
            raise Refused("invalid", "本单位已审核通过；如需修改复核得分，请先「重新开放」。")

    def return_unit(self, collection_id: int, unit_id: int, note: str, decided_by: str) -> str:
        """退回修改: the unit's link page shows ``note`` above the upload form until the unit resubmits."""
        note = note.strip()
        if not note:
            raise Refused("invalid", "请填写退回说明：告诉填报单位要改什么（将显示在该单位的上传页面上）。")
        return self._act(collection_id, unit_id, "return", note[:4000], decided_by, {"pending"})

    def sign_off(self, collection_id: int, unit_id: int, override: str, decided_by: str) -> str:
        """审核通过: refused while the latest submission has errors or undecided items, unless ``override`` says why."""
        override = " ".join(override.split())
        latest = self.latest_id(collection_id, unit_id)
        if latest is not None:
            blockers = self.review(collection_id, latest)[1].blockers
            if blockers and not override:
                raise Refused("invalid", f"不能审核通过：{'；'.join(blockers)}。请先处理，或填写「强制通过的理由」后再审核通过。")
        return self._act(collection_id, unit_id, "sign_off", override[:4000], decided_by, {"pending", "returned"})

    def reopen(self, collection_id: int, unit_id: int, note: str, decided_by: str) -> str:
        """Take a sign-off (or a return) back: the unit is 待复核 again and its link takes uploads."""
        return self._act(collection_id, unit_id, "reopen", " ".join(note.split())[:4000], decided_by, {"signed_off", "returned"})

    def _act(self, collection_id: int, unit_id: int, kind: str, note: str, decided_by: str, allowed: set[str]) -> str:
        with self.database.transaction() as session:
            unit = self._unit(session, collection_id, unit_id)
            state = self._state(session, unit.id)
            if state not in allowed:
                raise Refused("invalid", f"「{unit.name}」当前是「{STATE_NAMES[state]}」，不能{_ACTION_VERBS[kind]}。")
            latest = session.scalar(select(Submission.id).where(Submission.unit_id == unit.id)
                                    .order_by(Submission.number.desc()).limit(1))
            session.add(ReviewAction(unit_id=unit.id, submission_id=latest, action=kind, note=note, decided_by=decided_by,
                                     decided_at=utcnow()))
            record(session, None, _LOGGED_AS[kind], collection_id, unit.id, latest, note, by=decided_by)
            session.flush()
            return self._state(session, unit.id)

    def actions(self, collection_id: int, unit_id: int) -> list[Action]:
        """Every return, sign-off and reopening of a unit, newest first."""
        with self.database.transaction() as session:
            unit = self._unit(session, collection_id, unit_id)
            return [Action(row.action, row.submission_id, row.note, row.decided_by, row.decided_at) for row in session.scalars(
                select(ReviewAction).where(ReviewAction.unit_id == unit.id).order_by(ReviewAction.id.desc()))]

    def unit_review(self, collection_id: int, unit_id: int) -> dict[str, Any]:
        """A unit's review as JSON: its state, its actions, and the review of its latest submission."""
        name, _ = self.history(collection_id, unit_id)
        latest = self.latest_id(collection_id, unit_id)
        state = self.unit_state(unit_id)
        return {"unit": {"id": unit_id, "name": name}, "state": state, "state_name": STATE_NAMES[state],
                "latest_submission": latest, "actions": [action.to_dict() for action in self.actions(collection_id, unit_id)],
                "review": None if latest is None else self.review(collection_id, latest)[1].to_dict()}

    def returned_note(self, unit_id: int) -> Action | None:
        """The return the unit's clerk must act on: the latest action when it returned the latest submission."""
        with self.database.transaction() as session:
            if self._state(session, unit_id) != "returned":
                return None
            row = session.scalars(select(ReviewAction).where(ReviewAction.unit_id == unit_id)
                                  .order_by(ReviewAction.id.desc()).limit(1)).one()
            return Action(row.action, row.submission_id, row.note, row.decided_by, row.decided_at)

    def latest_id(self, collection_id: int, unit_id: int) -> int | None:
        """The id of the unit's latest submission (None: not submitted yet)."""
        with self.database.transaction() as session:
            unit = self._unit(session, collection_id, unit_id)
            return session.scalar(select(Submission.id).where(Submission.unit_id == unit.id)
                                  .order_by(Submission.number.desc()).limit(1))

    def review_results(self, collection_id: int) -> dict[str, Any]:
        """What the reviewer hands up, as data (the JSON export, the API and the 复核结果表 read it): per table the units
        whose latest submission is of it, in the collection's order, with each indicator's 分值, 自评得分, 复核得分 and
        扣分原因, the 复核合计 and, once signed off (已审核), a rank among the signed-off units; and the units not submitted
        or not signed off."""
        collection = self.get(collection_id)
        rows = self.rows(collection_id)
        known = load_tables()
        tables: dict[str, dict[str, Any]] = {
            table_id: {"table": table_id, "title": known[table_id].title if table_id in known else table_id,
                       "sheet": known[table_id].short_title if table_id in known else table_id,
                       "max_total": json_number(known[table_id].max_points) if table_id in known else None, "units": []}
            for table_id in collection.table_ids}
        not_done, units = [], []
        for row in rows:
            review = self.review(collection_id, row.latest.id)[1] if row.latest is not None else None
            workbook_unit = row.latest.report_unit if row.latest is not None else None
            units.append({"unit": row.name, "unit_in_workbook": workbook_unit if workbook_unit and
                          not same_unit(workbook_unit, row.name) else None,
                          "state": row.state, "state_name": row.state_name, "verdict": row.verdict,
                          "table": row.latest.table_id if row.latest else None,
                          "self_total": json_number(review.report.self_total) if review else None,
                          "recomputed_total": json_number(review.report.recomputed_total) if review else None,
                          "recomputed_text": review.report.recomputed_total_text if review and
                          review.report.status != "unreadable" else None,
                          "review_total": json_number(review.total) if review else None,
                          "notices": notices(collection, row.name, row.latest)})
            if row.state != "signed_off":  # the return's note, else what the reviewer must still settle
                returned = self.returned_note(row.id) if row.state == "returned" else None
                note = returned.note if returned else "".join(units[-1]["notices"])
                not_done.append({"unit": row.name, "state": row.state, "state_name": row.state_name, "note": note})
            if row.latest is None or review is None or row.latest.table_id not in tables:
                continue
            tables[row.latest.table_id]["units"].append({
                "unit": row.name, "unit_in_workbook": workbook_unit if workbook_unit and
                not same_unit(workbook_unit, row.name) else None,
                "state": row.state, "state_name": row.state_name, "submission": row.latest.id,
                "self_total": json_number(review.report.self_total),
                "recomputed_total": json_number(review.report.recomputed_total),
                "review_total": json_number(review.total), "review_total_explanation": review.total_explanation,
                "indicators": [{"id": item.item.id, "name": item.item.name, "max": json_number(item.item.max),
                                "self": json_number(item.item.self_score), "recomputed": json_number(item.item.recomputed),
                                "review": json_number(item.review_score), "reason": item.reason,
                                "changed": item.decided and item.review_score != item.item.recomputed}
                               for item in review.items]})
        for table in tables.values():  # only what the reviewer signed off is ranked: the rest is in not_done
            ranked = [unit for unit in table["units"] if unit["state"] == "signed_off" and unit["review_total"] is not None]
            totals = sorted((unit["review_total"] for unit in ranked), reverse=True)
            for unit in table["units"]:
                unit["rank"] = totals.index(unit["review_total"]) + 1 if unit in ranked else None
        return {"collection": collection.to_dict(), "date": local_text(utcnow())[:10], "units": units,
                "tables": list(tables.values()), "not_done": not_done}

    def review_results_workbook(self, collection_id: int) -> bytes:
        """The 复核结果表 (xlsx, A4 landscape, one table per sheet)."""
        from selfscore.write.review_sheet import review_results_bytes

        return review_results_bytes(self.review_results(collection_id))

    @staticmethod
    def _decisions(session: Session, submission_id: int) -> dict[str, Decision]:
        found: dict[str, Decision] = {}
        for row in session.scalars(select(ScoreDecision).where(ScoreDecision.submission_id == submission_id)
                                   .order_by(ScoreDecision.id)):
            if row.score is None and row.indicator_id != IDENTITY:
                found.pop(row.indicator_id, None)  # the decision taken back
                continue
            found[row.indicator_id] = Decision(row.indicator_id, None if row.score is None else Fraction(row.score),
                                               row.reason, row.decided_by, row.decided_at)
        return found

    @staticmethod
    def _last_actions(session: Session, unit_ids: list[int]) -> dict[int, tuple[str, int | None]]:
        if not unit_ids:
            return {}
        last = (select(ReviewAction.unit_id, func.max(ReviewAction.id).label("id"))
                .where(ReviewAction.unit_id.in_(unit_ids)).group_by(ReviewAction.unit_id).subquery())
        return {row.unit_id: (row.action, row.submission_id)
                for row in session.scalars(select(ReviewAction).join(last, ReviewAction.id == last.c.id))}

    def _state(self, session: Session, unit_id: int) -> str:
        latest = session.scalar(select(Submission.id).where(Submission.unit_id == unit_id)
                                .order_by(Submission.number.desc()).limit(1))
        return state_of(latest, self._last_actions(session, [unit_id]).get(unit_id))

    # --- lookups that never cross a collection or a unit ---

    def _latest_report(self, unit_id: int) -> dict[str, Any] | None:
        with self.database.transaction() as session:
            return session.scalar(select(Submission.report).where(Submission.unit_id == unit_id)
                                  .order_by(Submission.number.desc()).limit(1))

    @staticmethod
    def _collection(session: Session, collection_id: int) -> Collection:
        collection = session.get(Collection, collection_id)
        if collection is None:
            raise Refused("not_found", "找不到这次收集：它不存在，或链接有误。")
        return collection

    @staticmethod
    def _unit(session: Session, collection_id: int, unit_id: int) -> Unit:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.collection_id != collection_id:
            raise Refused("not_found", "找不到这个单位。")
        return unit

    @staticmethod
    def _submission(session: Session, submission_id: int, collection_id: int | None, unit_id: int | None,
                    *options: Any) -> Submission:
        row = session.scalar(select(Submission).options(*options).where(Submission.id == submission_id))
        if row is None or (unit_id is not None and row.unit_id != unit_id) or (
                collection_id is not None and row.unit.collection_id != collection_id):
            raise _not_found()
        return row


def _closed(collection: CollectionInfo) -> Refused:
    return Refused("closed", f"「{collection.name}」已于 {local_text(collection.closed_at)} 截止，不再接收提交；"
                             "已提交的材料仍可查看。如需补交，请联系收集材料的同志重新开放。")


_ACTION_VERBS = {"return": "退回修改", "sign_off": "审核通过", "reopen": "重新开放"}
#: a unit's review action as the log of actions names it (a collection's own 「reopen」 is another action)
_LOGGED_AS = {"return": "return", "sign_off": "sign_off", "reopen": "unit_reopen"}


def refuse_unreadable_kind(data: bytes, file_name: str) -> None:
    """:class:`NotStored` unless the bytes are a workbook the checker reads (by content: a name can lie)."""
    kind = sniff(data)
    if kind in READABLE_KINDS:
        return
    if kind == "empty":
        what = "空文件（0 字节），可能上传或复制时中断"
    elif kind == "unknown":
        what = "已损坏或不完整的压缩文件（可能下载、复制时中断）" if data.startswith(b"PK") else "无法识别格式的文件"
    else:
        what = FORMAT_NAMES.get(kind, kind)
    advice = ("请取消密码保护后另存为 .xlsx 再提交。" if kind == "encrypted" else
              "请用 Excel/WPS 打开填好的自评表，另存为 .xlsx（Excel 工作簿）后再提交。")
    raise NotStored("not_a_workbook", f"「{_text(file_name, 255) or '上传的文件'}」是{what}，不是可以校验的工作簿，没有保存"
                                      f"（这个链接只接收 .xlsx、.xlsm、.xls、.xlsb 和 .ods 工作簿）。{advice}")


def _size_text(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.3g} MB"


def _signed_off() -> Refused:
    return Refused("closed", "本单位的材料已审核通过，不再接收提交。如需修改，请联系收集材料的同志重新开放本单位。")


def _text(value: str | None, limit: int) -> str | None:
    """Text from a workbook as a column can hold it: PostgreSQL refuses NUL characters (an .xls cell can carry them)."""
    return value.replace("\x00", "")[:limit] or None if value else None


def _number_text(value: Any) -> str | None:
    number = json_number(value)
    return None if number is None else str(number)


def notices(collection: CollectionInfo, unit_name: str, info: SubmissionInfo | None) -> list[str]:
    """What a reviewer and a clerk should notice about a readable submission that the check itself cannot know:
    a table this collection does not ask for, another unit's name in the workbook, another year."""
    return [message for _, message in _notices(collection, unit_name, info)]


@dataclass(frozen=True)
class PageNotice:
    """One thing a submission's page shows above its report; ``severity``: error (red) or warning (orange)."""
    severity: str
    message: str


def page_notices(collection: CollectionInfo, unit_name: str, info: SubmissionInfo | None, report: Report,
                 shown_elsewhere: Sequence[str] = ()) -> list[PageNotice]:
    """What a submission's page shows above its report about the collection it came through, each thing once: the
    report's own finding of another table, unit or year (the page's list of findings leaves these out), or, for a
    report stored before the collection added such findings, the notice worked out from what it holds.
    ``shown_elsewhere``: codes the page shows in a place of their own (the reviewer's accept-or-return box)."""
    found = {finding.code: finding for finding in report.findings if finding.code in COLLECTION_FINDINGS}
    shown = []
    for code, message in _notices(collection, unit_name, info):
        finding = found.pop(code, None)
        if code not in shown_elsewhere:
            shown.append(PageNotice(finding.severity, finding.message) if finding else PageNotice("warning", message))
    return shown + [PageNotice(finding.severity, finding.message) for code, finding in found.items()
                    if code not in shown_elsewhere]


def _notices(collection: CollectionInfo, unit_name: str, info: SubmissionInfo | None) -> list[tuple[str, str]]:
    """(code of the finding that says the same, message) of each notice, in the order a report's findings come."""
    if info is None or info.status == "unreadable":
        return []
    found = []
    if info.table_id and info.table_id not in collection.table_ids:
        tables = load_tables()
        title = tables[info.table_id].title if info.table_id in tables else info.table_id
        found.append((OTHER_TABLE, f"提交的是「{title}」，本次收集要求的是「{'」「'.join(collection.table_titles)}」。"))
    if info.report_unit and not same_unit(info.report_unit, unit_name):
        found.append((OTHER_UNIT, f"工作簿中填写的单位是「{info.report_unit}」，与链接所属的单位「{unit_name}」不同。"))
    if info.report_year is not None and info.report_year != collection.year:
        found.append((OTHER_YEAR, f"工作簿中的评价年度是 {info.report_year}，本次收集的年度是 {collection.year}。"))
    return found
