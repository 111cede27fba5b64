"""lorebooks

Lorebooks (SillyTavern World Info): books, their entries (the whole ST entry as JSON plus columns for listing and
search), bindings of a book to everything, a character, a chat or a persona, and each user's world-info settings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:36:28.448764
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db.types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lorebook',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('extra', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', app.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_id', 'name', name='uq_lorebook_owner_name')
    )
    with op.batch_alter_table('lorebook', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lorebook_owner_id'), ['owner_id'], unique=False)

    op.create_table('world_info_settings',
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', app.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('owner_id')
    )
    op.create_table('lorebook_entry',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('lorebook_id', sa.String(length=32), nullable=False),
    sa.Column('uid', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('keys_text', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('display_index', sa.Integer(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['lorebook_id'], ['lorebook.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lorebook_id', 'uid', name='uq_lorebook_entry_book_uid')
    )
    op.create_table('lorebook_binding',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('lorebook_id', sa.String(length=32), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('character_id', sa.String(length=32), nullable=True),
    sa.Column('chat_id', sa.String(length=32), nullable=True),
    sa.Column('persona_id', sa.String(length=32), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['character_id'], ['character.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['chat_id'], ['chat.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lorebook_id'], ['lorebook.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['persona_id'], ['persona.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chat_id', name='uq_lorebook_binding_chat'),
    sa.UniqueConstraint('lorebook_id', 'character_id', name='uq_lorebook_binding_character'),
    sa.UniqueConstraint('persona_id', name='uq_lorebook_binding_persona')
    )
    with op.batch_alter_table('lorebook_binding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lorebook_binding_character_id'), ['character_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lorebook_binding_lorebook_id'), ['lorebook_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lorebook_binding_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('uq_lorebook_binding_global', ['lorebook_id'], unique=True, sqlite_where=sa.text("scope = 'global'"), postgresql_where=sa.text("scope = 'global'"))



def downgrade() -> None:
    with op.batch_alter_table('lorebook_binding', schema=None) as batch_op:
        batch_op.drop_index('uq_lorebook_binding_global', sqlite_where=sa.text("scope = 'global'"), postgresql_where=sa.text("scope = 'global'"))
        batch_op.drop_index(batch_op.f('ix_lorebook_binding_owner_id'))
        batch_op.drop_index(batch_op.f('ix_lorebook_binding_lorebook_id'))
        batch_op.drop_index(batch_op.f('ix_lorebook_binding_character_id'))

    op.drop_table('lorebook_binding')
    op.drop_table('lorebook_entry')
    op.drop_table('world_info_settings')
    with op.batch_alter_table('lorebook', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lorebook_owner_id'))

    op.drop_table('lorebook')
