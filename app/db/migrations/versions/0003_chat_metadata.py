"""chat metadata

SillyTavern's chat_metadata (Author's Note, variables, extension state) and the other header fields of an imported
chat, kept verbatim so exporting the chat writes them back. Existing chats get an empty object.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('chat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meta', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table('chat', schema=None) as batch_op:
        batch_op.drop_column('meta')
