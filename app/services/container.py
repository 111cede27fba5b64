"""Builds every service once per process from the settings, and closes them on shutdown."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..config import Settings
from ..db.database import Database
from ..infra.key_value import KeyValueStore, create_key_value_store
from ..plugins.contributions import connect_plugin_contributions
from ..plugins.manager import PluginManager
from ..security.secret_box import SecretBox
from .accounts import AccountService
from .card_export import CardExportService
from .card_import import CardImportService
from .characters import CharacterService
from .chat_bulk import ChatBulkService
from .chat_files import ChatExportService, ChatImportService
from .chat_search import ChatSearchService
from .chat_tree import ChatTreeService
from .chats import ChatService
from .connections import ConnectionService
from .generation import GenerationService
from .generation_stream import GenerationStreams, create_generation_streams
from .instance_settings import InstanceSettingsService
from .login_throttle import LoginThrottle
from .lorebooks import LorebookService
from .media import MediaStore
from .personas import PersonaService
from .presets import PresetService
from .prompting.reply_prompt import ReplyPrompts
from .providers.openai_compatible import TIMEOUT as PROVIDER_TIMEOUT
from .reply_targets import ReplyTargets
from .sessions import SessionService
from .sillytavern_migration import MigrationService


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
    card_import: CardImportService
    card_export: CardExportService
    chats: ChatService
    chat_import: ChatImportService
    chat_export: ChatExportService
    chat_search: ChatSearchService
    chat_tree: ChatTreeService
    chat_bulk: ChatBulkService
    connections: ConnectionService
    personas: PersonaService
    lorebooks: LorebookService
    presets: PresetService
    streams: GenerationStreams
    generation: GenerationService
    http: httpx.AsyncClient
    migration: MigrationService
    plugins: PluginManager

    async def close(self) -> None:
        await self.http.aclose()
        await self.streams.close()
        await self.kv.close()
        await self.db.dispose()


def build_services(settings: Settings) -> Services:
    """Wire the services together; the settings must already have a data dir and a secret key."""
    db = Database(settings.effective_database_url)
    kv = create_key_value_store(settings.redis_url)
    instance = InstanceSettingsService(db, settings)
    secret_box = SecretBox(settings.secret_key)
    # Every running reply holds one upstream connection; httpx's default pool of 100 would queue the rest.
    limits = httpx.Limits(max_connections=settings.replies_per_instance + 16, max_keepalive_connections=32)
    http = httpx.AsyncClient(timeout=PROVIDER_TIMEOUT, limits=limits)
    streams = create_generation_streams(settings.redis_url)
    media = MediaStore(settings.media_dir, settings.max_avatar_bytes, settings.max_avatar_pixels)
    plugins = PluginManager(settings, db, kv)
    chats = ChatService(db, plugins)
    characters = CharacterService(db, media, plugins)
    connections = ConnectionService(db, secret_box, http, kv)
    reply_targets = ReplyTargets(connections, settings.data_dir / 'models')
    personas = PersonaService(db, media)
    lorebooks = LorebookService(db)
    chat_export = ChatExportService(db, personas, plugins)
    presets = PresetService(db)
    chat_import = ChatImportService(db, plugins=plugins)
    card_import = CardImportService(characters, media, lorebooks)
    prompts = ReplyPrompts(characters, personas.for_chat, presets, lorebooks, plugins)
    generation = GenerationService(chats, characters, streams, kv, reply_targets, prompts, plugins,
                                   per_user_limit=settings.replies_per_user,
                                   instance_limit=settings.replies_per_instance)
    services = Services(
        settings=settings,
        db=db,
        kv=kv,
        secret_box=secret_box,
        instance=instance,
        accounts=AccountService(db, instance, LoginThrottle(kv, settings), plugins),
        sessions=SessionService(db, kv, settings.session_days),
        media=media,
        characters=characters,
        card_import=card_import,
        card_export=CardExportService(characters, media, lorebooks),
        chats=chats,
        chat_import=chat_import,
        chat_export=chat_export,
        chat_search=ChatSearchService(db),
        chat_tree=ChatTreeService(db),
        chat_bulk=ChatBulkService(db, chat_export),
        connections=connections,
        personas=personas,
        lorebooks=lorebooks,
        presets=presets,
        streams=streams,
        generation=generation,
        http=http,
        migration=MigrationService(db, kv, settings.data_dir / 'migrations', characters=characters,
                                   card_import=card_import, chats=chats, chat_import=chat_import, lorebooks=lorebooks,
                                   presets=presets, personas=personas, media=media),
        plugins=plugins,
    )
    plugins.attach(services)
    connect_plugin_contributions(plugins)
    return services

