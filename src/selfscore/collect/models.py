"""The tables of a collection: what the reviewer set up, what each unit submitted, and who may sign in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """A server-wide value: the secret that signs unit-page CSRF tokens."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Collection(Base):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    #: the expected table ids, comma-separated, in the order the reviewer chose them
    tables: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    #: the user who created it (None: created before there were users, or through the admin's API token of then)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    units: Mapped[list[Unit]] = relationship(back_populates="collection", order_by="Unit.position")

    @property
    def table_ids(self) -> list[str]:
        return [table_id for table_id in self.tables.split(",") if table_id]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Unit(Base):
    """One unit of one collection, and the token in its upload link (None once revoked)."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("collection_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    token: Mapped[str | None] = mapped_column(String(64), unique=True)

    collection: Mapped[Collection] = relationship(back_populates="units")


class Submission(Base):
    """One upload by one unit. Rows are only ever added: a resubmission is a new row with the next number."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("unit_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: 1 for the first submission of the unit, 2 for its first resubmission, ...
    number: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime]
    file_name: Mapped[str] = mapped_column(String(255))
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_size: Mapped[int] = mapped_column(Integer)
    # The bytes are deferred: the collection page lists hundreds of rows without loading any workbook.
    original: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    marked_up_sha256: Mapped[str | None] = mapped_column(String(64))
    marked_up: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    report: Mapped[dict] = mapped_column(JSON, deferred=True)
    # What the collection page shows, copied out of the report so that listing needs no JSON.
    status: Mapped[str] = mapped_column(String(20))
    table_id: Mapped[str | None] = mapped_column(String(64))
    #: the unit and year as filled in the workbook, to point out a workbook sent through the wrong link
    report_unit: Mapped[str | None] = mapped_column(String(200))
    report_year: Mapped[int | None] = mapped_column(Integer)
    self_total: Mapped[str | None] = mapped_column(String(32))
    recomputed_total: Mapped[str | None] = mapped_column(String(32))
    errors: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[int] = mapped_column(Integer)

    unit: Mapped[Unit] = relationship()


class User(Base):
    """A person who signs in: an admin (manages users, sees every collection) or a reviewer (sees their own)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    #: admin or reviewer
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class CollectionReviewer(Base):
    """A reviewer added to a collection (its 「复核人员」): they see it as its creator does."""

    __tablename__ = "collection_reviewers"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class Action(Base):
    """One thing a person did, kept for good: who, when, what, and which collection, unit or submission."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the user's name as it was (or 「单位经办人」, 「命令行」 for what no user did)
    user_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    detail: Mapped[str] = mapped_column(Text, default="")


class ApiToken(Base):
    """A bearer token for the JSON API; only its hash is kept, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    #: whose token it is: the API sees what that user sees
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LoginSession(Base):
    """A reviewer's signed-in browser; the cookie holds the token, the table its hash and the form token."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LoginFailure(Base):
    """A wrong password, kept for a while so that guessing can be slowed down across processes."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class ScoreDecision(Base):
    """A reviewer's 复核得分 for one indicator of one submission, or their acceptance of a workbook naming another
    unit or year (``indicator_id`` ``_identity``). Rows are only ever added: the latest per indicator counts, a row
    without a score takes the decision back."""

    __tablename__ = "score_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(64))
    #: the score as entered (a decimal number), None when the decision is taken back
    score: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime]


class ReviewAction(Base):
    """What the reviewer did with a unit: return (退回修改), sign_off (审核通过) or reopen. Rows are only ever added;
    the unit's review state is derived from its latest action and its latest submission."""

    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: the submission the action was about (the unit's latest at that moment)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    action: Mapped[str] = mapped_column(String(20))
    #: the note sent back with a return, the override reason of a sign-off, the reason of a reopening
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime]
