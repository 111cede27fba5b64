"""plugins

The plugin platform's state: installed plugins with their global switch and permission consent, per-user
toggles, admin and user settings, and the recent errors of each plugin's hooks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db.types

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('plugin_install',
    sa.Column('plugin_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('index_url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('installed_at', app.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('consent', JSON_TYPE, nullable=False),
    sa.PrimaryKeyConstraint('plugin_id')
    )
    op.create_table('plugin_user_state',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('plugin_id', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'plugin_id')
    )
    op.create_table('plugin_config',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('plugin_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('data', JSON_TYPE, nullable=False),
    sa.Column('updated_at', app.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plugin_id', 'scope', 'user_id', name='uq_plugin_config_scope')
    )
    with op.batch_alter_table('plugin_config', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plugin_config_plugin_id'), ['plugin_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plugin_config_user_id'), ['user_id'], unique=False)

    op.create_table('plugin_error',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('plugin_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hook', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', app.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('plugin_error', schema=None) as batch_op:
        batch_op.create_index('ix_plugin_error_plugin_created', ['plugin_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plugin_error', schema=None) as batch_op:
        batch_op.drop_index('ix_plugin_error_plugin_created')
    op.drop_table('plugin_error')
    with op.batch_alter_table('plugin_config', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plugin_config_user_id'))
        batch_op.drop_index(batch_op.f('ix_plugin_config_plugin_id'))
    op.drop_table('plugin_config')
    op.drop_table('plugin_user_state')
    op.drop_table('plugin_install')
