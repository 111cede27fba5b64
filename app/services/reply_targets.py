"""Decides which backend answers a chat: the chat's own connection, else the user's default connection.

Token counts for remote backends are estimated (about four characters per token, one per CJK character) until
per-backend tokenizers arrive; the embedded local model will count with its own tokenizer.
"""

from __future__ import annotations

import re
from typing import Any

from ..db.models import Chat, User
from ..errors import InvalidInputError, TavernError
from .connections import ConnectionService
from .generation import ReplyTarget
from .providers.base import SamplerSettings

DEFAULT_CONTEXT_SIZE = 4096
SAMPLER_KEYS = ('max_tokens', 'temperature', 'top_p', 'top_k', 'min_p', 'repetition_penalty', 'frequency_penalty',
                'presence_penalty', 'seed', 'stop')
CJK = re.compile(r'[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]')


def estimate_tokens(text: str) -> int:
    cjk = len(CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


def sampler_from(settings: dict[str, Any]) -> SamplerSettings:
    """The chat's stored generation settings as sampler settings (unknown keys are ignored)."""
    values = {key: settings[key] for key in SAMPLER_KEYS if settings.get(key) is not None}
    try:
        return SamplerSettings(**values)
    except TypeError as error:
        raise InvalidInputError('error.generation.settings', f'Invalid generation settings: {error}') from None


class ReplyTargets:
    def __init__(self, connections: ConnectionService) -> None:
        self.connections = connections

    async def __call__(self, owner: User, chat: Chat) -> ReplyTarget:
        row = await self.connections.get(owner, chat.connection_id) if chat.connection_id \
            else await self.connections.default(owner)
        if row is None:
            raise TavernError('error.generation.no_connection',
                              'No model connection is set up. Add a connection and make it the default.')
        provider = self.connections.provider(row)
        context_size = int(chat.settings.get('context_size') or row.settings.get('context_size') or
                           DEFAULT_CONTEXT_SIZE)
        return ReplyTarget(provider=provider, model=row.model, sampler=sampler_from({**row.settings, **chat.settings}),
                           context_size=context_size, count_tokens=estimate_tokens)
