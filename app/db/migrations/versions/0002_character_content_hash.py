"""character content hash

The sha256 of a character's card content, so importing a card the library already holds is recognised as a
duplicate. Existing rows keep NULL until their next save.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('character', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_character_content_hash'), ['content_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('character', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_character_content_hash'))
        batch_op.drop_column('content_hash')
