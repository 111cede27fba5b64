"""Instance-wide settings an admin changes at run time (for example whether registration is open)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field, SQLModel

from ..types import PortableJSON


class InstanceSetting(SQLModel, table=True):
    __tablename__ = 'instance_setting'

    key: str = Field(primary_key=True, max_length=64)
    value: Any = Field(default=None, sa_type=PortableJSON)
