"""All table models; importing this package registers them on `SQLModel.metadata` (Alembic needs that)."""

from .character import Character, CharacterTag
from .chat import Chat, Message
from .connection import ProviderConnection
from .instance_setting import InstanceSetting
from .lorebook import Lorebook, LorebookBinding, LorebookEntry, WorldInfoSettingsRow
from .persona import Persona
from .plugin import PluginConfig, PluginError, PluginInstall, PluginUserState
from .preset import Preset
from .user import ApiToken, User, UserSession

__all__ = [
    'ApiToken',
    'Character',
    'CharacterTag',
    'Chat',
    'InstanceSetting',
    'Lorebook',
    'LorebookBinding',
    'LorebookEntry',
    'Message',
    'Persona',
    'PluginConfig',
    'PluginError',
    'PluginInstall',
    'PluginUserState',
    'Preset',
    'ProviderConnection',
    'User',
    'UserSession',
    'WorldInfoSettingsRow',
]
