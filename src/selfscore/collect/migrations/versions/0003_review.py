"""The reviewer's judgement: a 复核得分 per indicator of a submission, and each unit's return / sign-off / reopening.

New tables only, so that this revision stays independent of the accounts' one."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_review"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("score_decisions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("submission_id", sa.Integer(), nullable=False),
    sa.Column("indicator_id", sa.String(length=64), nullable=False),
    sa.Column("score", sa.String(length=32), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("decided_by", sa.String(length=100), nullable=False),
    sa.Column("decided_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("score_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_decisions_submission_id"), ["submission_id"], unique=False)

    op.create_table("review_actions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("unit_id", sa.Integer(), nullable=False),
    sa.Column("submission_id", sa.Integer(), nullable=True),
    sa.Column("action", sa.String(length=20), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("decided_by", sa.String(length=100), nullable=False),
    sa.Column("decided_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ),
    sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("review_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_actions_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_actions_unit_id"))
    op.drop_table("review_actions")
    with op.batch_alter_table("score_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_decisions_submission_id"))
    op.drop_table("score_decisions")
