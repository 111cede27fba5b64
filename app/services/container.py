"""Builds every service once per process from the settings, and closes them on shutdown."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from ..db.database import Database
from ..infra.key_value import KeyValueStore, create_key_value_store
from ..security.secret_box import SecretBox
from .accounts import AccountService
from .characters import CharacterService
from .chats import ChatService
from .connections import ConnectionService
from .instance_settings import InstanceSettingsService
from .login_throttle import LoginThrottle
from .media import MediaStore
from .sessions import SessionService


@dataclass
class Services:
    settings: Settings
    db: Database
    kv: KeyValueStore
    secret_box: SecretBox
    instance: InstanceSettingsService
    accounts: AccountService
    sessions: SessionService
    media: MediaStore
    characters: CharacterService
    chats: ChatService
    connections: ConnectionService

    async def close(self) -> None:
        await self.kv.close()
        await self.db.dispose()


def build_services(settings: Settings) -> Services:
    """Wire the services together; the settings must already have a data dir and a secret key."""
    db = Database(settings.effective_database_url)
    kv = create_key_value_store(settings.redis_url)
    instance = InstanceSettingsService(db, settings)
    secret_box = SecretBox(settings.secret_key)
    media = MediaStore(settings.media_dir, settings.max_avatar_bytes, settings.max_avatar_pixels)
    return Services(
        settings=settings,
        db=db,
        kv=kv,
        secret_box=secret_box,
        instance=instance,
        accounts=AccountService(db, instance, LoginThrottle(kv, settings)),
        sessions=SessionService(db, kv, settings.session_days),
        media=media,
        characters=CharacterService(db, media),
        chats=ChatService(db),
        connections=ConnectionService(db, secret_box),
    )
