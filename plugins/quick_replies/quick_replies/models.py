"""What quick replies are: the plugin's own table (one row per set, its replies as JSON) and the validated shape a
set is edited and imported as."""

from __future__ import annotations

import sqlmodel
from pydantic import BaseModel, Field

MAX_SETS = 50
MAX_REPLIES = 100


class QuickReply(BaseModel):
    label: str = Field(min_length=1, max_length=80)
    message: str = Field(min_length=1, max_length=10_000)
    title: str = Field(default='', max_length=200)


class SetData(BaseModel):
    """A set as the page edits it and an import produces it."""

    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    insert_only: bool = False
    replies: list[QuickReply] = Field(default_factory=list, max_length=MAX_REPLIES)


class QuickReplySet(sqlmodel.SQLModel, table=True):
    """One user's set; `enabled` shows it in the chat toolbar, `insert_only` puts a reply in the input unsent."""

    __tablename__ = 'plg_quick_replies_set'

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    user_id: str = sqlmodel.Field(index=True, max_length=64)
    position: int = 0
    name: str = sqlmodel.Field(max_length=100)
    enabled: bool = True
    insert_only: bool = False
    replies: list = sqlmodel.Field(default_factory=list, sa_type=sqlmodel.JSON)

    def data(self) -> SetData:
        return SetData(name=self.name, enabled=self.enabled, insert_only=self.insert_only,
                       replies=[QuickReply.model_validate(reply) for reply in self.replies])
