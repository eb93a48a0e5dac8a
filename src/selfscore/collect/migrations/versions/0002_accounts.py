"""Accounts: users with roles instead of one shared password, a collection's reviewers, and the log of actions.

The password a server has today (the ``admin_password`` setting) becomes the user ``admin`` with the role admin, so
the person who signed in with it signs in as ``admin`` with the same password; sessions and API tokens made with it
become that user's."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0002_accounts'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('collection_reviewers',
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('collection_id', 'user_id')
    )
    op.create_table('actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actions_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_unit_id'), ['unit_id'], unique=False)
    for table, column in (('collections', 'created_by'), ('api_tokens', 'user_id'), ('login_sessions', 'user_id')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f'fk_{table}_{column}_users', 'users', [column], ['id'])

    # Today's shared password becomes the user admin; what was made with it becomes theirs.
    connection = op.get_bind()
    stored = connection.execute(sa.text("SELECT value FROM settings WHERE key = 'admin_password'")).scalar()
    if stored is not None:
        now = datetime.now(UTC).replace(tzinfo=None)
        connection.execute(sa.text("INSERT INTO users (name, password_hash, role, created_at) VALUES ('admin', :hash, 'admin', :now)"),
                           {"hash": stored, "now": now})
        admin_id = connection.execute(sa.text("SELECT id FROM users WHERE name = 'admin'")).scalar()
        connection.execute(sa.text("UPDATE api_tokens SET user_id = :id"), {"id": admin_id})
        connection.execute(sa.text("UPDATE login_sessions SET user_id = :id"), {"id": admin_id})
        connection.execute(sa.text("DELETE FROM settings WHERE key = 'admin_password'"))
    else:
        connection.execute(sa.text("DELETE FROM login_sessions"))


def downgrade() -> None:
    connection = op.get_bind()
    stored = connection.execute(sa.text("SELECT password_hash FROM users WHERE name = 'admin'")).scalar()
    if stored is not None:
        connection.execute(sa.text("INSERT INTO settings (key, value) VALUES ('admin_password', :hash)"), {"hash": stored})
    for table, column in (('login_sessions', 'user_id'), ('api_tokens', 'user_id'), ('collections', 'created_by')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_{column}_users', type_='foreignkey')
            batch_op.drop_column(column)
    op.drop_table('actions')
    op.drop_table('collection_reviewers')
    op.drop_table('users')
