"""preset active

Each user may mark one preset per kind as active (SillyTavern's global preset selection): a flag on the preset and a
partial unique index on (owner, kind) over the active rows. Existing presets start inactive.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 14:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('preset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_active', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('uq_preset_active_kind', ['owner_id', 'kind'], unique=True,
                              sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))


def downgrade() -> None:
    with op.batch_alter_table('preset', schema=None) as batch_op:
        batch_op.drop_index('uq_preset_active_kind', sqlite_where=sa.text('is_active'),
                            postgresql_where=sa.text('is_active'))
        batch_op.drop_column('is_active')
