"""Generation: runs each reply as a background task that no browser connection owns (DESIGN §3).

Deltas go to the chat's generation stream as they arrive; the finished text is stored in one write. One reply runs
per chat at a time (a lock in the key-value store, so this holds across instances); per-user and per-instance caps
refuse extra work with a clear message. A stop request from any instance sets a flag that the owning instance's
watcher sees within a quarter second and cancels the upstream request; the partial text is kept as "interrupted".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from ..db.models import Chat, Message, User
from ..errors import ConflictError, InvalidInputError, RateLimitedError
from ..infra.key_value import KeyValueStore
from ..plugins.chat_bridge import ChatInfo, ReplyFilters, chat_info
from ..plugins.manager import PluginManager
from .character_card import fields_of
from .characters import CharacterService
from .chats import ChatService, NewMessage
from .generation_stream import GenerationStreams
from .prompting.chat_completion import TokenCounter
from .prompting.reply_prompt import PreparedPrompt, PromptBudget, ReplyKind, ReplyPrompts
from .providers.base import ChatProvider, ContextTooLongError, GenerationRequest, ProviderError, SamplerSettings

log = logging.getLogger(__name__)
LOCK_SECONDS = 15 * 60
STOP_POLL_SECONDS = 0.25
HISTORY_WINDOW = 200
PREVIEW_CONTEXT_SIZE = 10_000_000
ReplyMode = Literal['new', 'swipe', 'continue']
REPLY_KINDS: dict[str, ReplyKind] = {'new': 'normal', 'swipe': 'swipe', 'continue': 'continue'}


@dataclass
class ReplyTarget:
    """Which backend answers a chat, and with what settings; resolved for every reply."""

    provider: ChatProvider
    model: str
    sampler: SamplerSettings
    context_size: int
    count_tokens: TokenCounter
    text_completion: bool = False


ProviderResolver = Callable[[User, Chat], Awaitable[ReplyTarget]]


@dataclass
class _Running:
    owner_id: str
    task: asyncio.Task
    stopping: bool = False

    def cancel(self) -> None:
        """Cancel once: a second stop must not interrupt the final write of the partial text."""
        if not self.stopping:
            self.stopping = True
            self.task.cancel()


class GenerationService:
    def __init__(self, chats: ChatService, characters: CharacterService, streams: GenerationStreams,
                 kv: KeyValueStore, resolve: ProviderResolver, prompts: ReplyPrompts, plugins: PluginManager, *,
                 per_user_limit: int = 2, instance_limit: int = 64) -> None:
        self.chats = chats
        self.characters = characters
        self.streams = streams
        self.kv = kv
        self.resolve = resolve
        self.prompts = prompts
        self.plugins = plugins
        self.per_user_limit = per_user_limit
        self.instance_limit = instance_limit
        self.running: dict[str, _Running] = {}

    async def send(self, owner: User, chat_id: str, content: str) -> tuple[Message, int]:
        """Store the user's message and start the character's reply; returns the message and the reply's id.
        Plugins' `message_submitted` hooks may change the text first, or withhold it (then nothing happens)."""
        stored: list[Message] = []

        async def store_message(chat: Chat) -> None:
            text = await self._submitted_text(owner, chat, content)
            message = await self.chats.append(owner, chat.id, NewMessage(role='user', content=text))
            stored.append(message)
            self.plugins.notify('message.created', {'user_id': owner.id, 'chat_id': chat.id,
                                                    'message_id': message.id, 'role': 'user', 'text': text})

        reply_id = await self._claimed_start(owner, chat_id, 'new', before=store_message)
        return stored[0], reply_id

    async def reply(self, owner: User, chat_id: str) -> int:
        """Let the character speak next without a new user message."""
        return await self._claimed_start(owner, chat_id, 'new')

    async def new_swipe(self, owner: User, chat_id: str, message_id: int) -> int:
        """Generate another alternative for the last message (swiping right past the last swipe)."""
        return await self._claimed_start(owner, chat_id, 'swipe', message_id=message_id)

    async def regenerate(self, owner: User, chat_id: str) -> int:
        """A new swipe of the last reply when the chat ends with one, else a fresh reply (old swipes are kept)."""
        last = await self._last_message(owner, chat_id)
        if last is not None and last.role == 'assistant':
            return await self.new_swipe(owner, chat_id, last.id)  # type: ignore[arg-type]
        return await self.reply(owner, chat_id)

    async def continue_reply(self, owner: User, chat_id: str) -> int:
        """Make the last reply longer: the new text is appended to it, in the same message."""
        last = await self._last_message(owner, chat_id)
        if last is None or last.role != 'assistant':
            raise InvalidInputError('error.generation.nothing_to_continue', 'Only a reply of the character can be '
                                    'continued; the last message is not one.')
        return await self._claimed_start(owner, chat_id, 'continue', message_id=last.id)

    async def impersonate(self, owner: User, chat_id: str) -> str:
        """Write the user's next message in their voice and return it (nothing is stored); Stop keeps the part."""
        chat = await self.chats.get(owner, chat_id)
        await self._claim(owner, chat.id)
        try:
            history = (await self.chats.messages(owner, chat.id, limit=HISTORY_WINDOW)).items
            target, request, _ = await self._prepare(owner, chat, history, 'impersonate')
            task = asyncio.create_task(_collect(target, request), name=f'impersonate {chat.id}')
            self.running[chat.id] = _Running(owner.id, task)
            watcher = asyncio.create_task(self._watch_for_stop(chat.id))
            try:
                return await task
            finally:
                watcher.cancel()
        finally:
            await self._release(chat.id)

    async def prompt_tokens(self, owner: User, chat_id: str, draft: str = '') -> int:
        """How many tokens the next reply's prompt would take if `draft` were sent now."""
        chat = await self.chats.get(owner, chat_id)
        history = (await self.chats.messages(owner, chat.id, limit=HISTORY_WINDOW)).items
        if draft.strip():
            history = [*history, Message(chat_id=chat.id, seq=-1, role='user', content=draft)]
        _, _, prepared = await self._prepare(owner, chat, history, 'normal', plugin_hooks=False)
        return prepared.built.total_tokens

    async def preview(self, owner: User, chat_id: str) -> tuple[ReplyTarget, PreparedPrompt]:
        """The exact prompt the next reply would be sent, with its blocks' token counts; nothing is stored.

        When even the fixed blocks do not fit the context, the prompt is shown whole with `fits` false, so the user
        sees which blocks to shorten.
        """
        chat = await self.chats.get(owner, chat_id)
        history = (await self.chats.messages(owner, chat.id, limit=HISTORY_WINDOW)).items
        target = await self.resolve(owner, chat)
        try:
            _, _, prepared = await self._prepare(owner, chat, history, 'normal', target)
        except ContextTooLongError:
            roomy = dataclasses.replace(target, context_size=PREVIEW_CONTEXT_SIZE)
            _, _, prepared = await self._prepare(owner, chat, history, 'normal', roomy)
            prepared.fits = False
        return target, prepared

    async def stop(self, owner: User, chat_id: str) -> None:
        """Ask whichever instance runs this chat's reply to stop it; the partial text is kept."""
        chat = await self.chats.get(owner, chat_id)
        running = self.running.get(chat.id)
        if running:
            running.cancel()
        else:
            await self.kv.set(_stop_key(chat.id), '1', 60)

    def is_running(self, chat_id: str) -> bool:
        return chat_id in self.running

    async def wait(self, chat_id: str) -> None:
        """Wait until this instance's reply for the chat has been stored (for tests and shutdown)."""
        running = self.running.get(chat_id)
        if running:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(running.task)

    async def _claim(self, owner: User, chat_id: str) -> None:
        if sum(1 for r in self.running.values() if r.owner_id == owner.id) >= self.per_user_limit:
            raise RateLimitedError('error.generation.user_limit', 'You already have the maximum number of replies '
                                   'generating. Wait for one to finish.', retry_after=5)
        if len(self.running) >= self.instance_limit:
            raise RateLimitedError('error.generation.instance_limit', 'The server is busy generating other replies. '
                                   'Try again in a few seconds.', retry_after=5)
        if not await self.kv.add(_lock_key(chat_id), owner.id, LOCK_SECONDS):
            raise ConflictError('error.generation.busy', 'A reply is already being generated in this chat. '
                                'Stop it or wait for it to finish.')
        await self.kv.delete(_stop_key(chat_id))

    async def _claimed_start(self, owner: User, chat_id: str, mode: ReplyMode, *, message_id: int | None = None,
                             before: Callable[[Chat], Awaitable[None]] | None = None) -> int:
        """Take the chat's lock, then start the reply; the lock is given back if starting fails."""
        chat = await self.chats.get(owner, chat_id)
        await self._claim(owner, chat.id)
        try:
            if before:
                await before(chat)
            return await self._start(owner, chat, mode, message_id)
        except BaseException:
            await self._release(chat.id)
            raise

    async def _release(self, chat_id: str) -> None:
        self.running.pop(chat_id, None)
        await self.kv.delete(_lock_key(chat_id))

    async def _start(self, owner: User, chat: Chat, mode: ReplyMode, message_id: int | None) -> int:
        history = (await self.chats.messages(owner, chat.id, limit=HISTORY_WINDOW)).items
        if mode == 'swipe':
            history = [m for m in history if m.id != message_id]
        target, request, prepared = await self._prepare(owner, chat, history, REPLY_KINDS[mode])
        await self._keep_chat_state(owner, chat, prepared)
        filters = await self._reply_filters(owner, chat)
        stream_after = await self.streams.last_id(chat.id)
        if mode == 'new':
            placeholder = await self.chats.append(owner, chat.id, NewMessage(
                role='assistant', name=await self._character_name(owner, chat), content='', status='streaming',
                meta={'stream_after': stream_after}))
            message_id = placeholder.id
            prefix = ''
        else:
            message = await self.chats.begin_reply(message_id, new_swipe=mode == 'swipe',  # type: ignore[arg-type]
                                                   stream_after=stream_after)
            prefix = message.content
        task = asyncio.create_task(self._run(chat.id, message_id, target, request, prepared, prefix, filters),  # type: ignore[arg-type]
                                   name=f'reply {chat.id}')
        self.running[chat.id] = _Running(owner.id, task)
        return message_id  # type: ignore[return-value]

    async def _prepare(self, owner: User, chat: Chat, history: list[Message], kind: ReplyKind,
                       target: ReplyTarget | None = None, *,
                       plugin_hooks: bool = True) -> tuple[ReplyTarget, GenerationRequest, PreparedPrompt]:
        """Resolve the backend (unless given) and build the prompt for a reply of `kind`."""
        target = target or await self.resolve(owner, chat)
        budget = PromptBudget(context_size=target.context_size, max_new_tokens=target.sampler.max_tokens,
                              count_tokens=target.count_tokens, model=target.model,
                              text_completion=target.text_completion)
        prepared = await self.prompts.prepare(owner, chat, history, budget, kind, plugin_hooks=plugin_hooks)
        built = prepared.built
        if built.text is not None:
            sampler = dataclasses.replace(target.sampler, stop=list(dict.fromkeys([*target.sampler.stop, *built.stop])))
            request = GenerationRequest(model=target.model, prompt=built.text, sampler=sampler,
                                        context_size=target.context_size)
        else:
            request = GenerationRequest(model=target.model, messages=built.messages, sampler=target.sampler,
                                        context_size=target.context_size)
        return target, request, prepared

    async def _keep_chat_state(self, owner: User, chat: Chat, prepared: PreparedPrompt) -> None:
        """Keep what building the prompt changed in the chat: macro variables and lorebook timed effects."""
        meta = chat.meta or {}
        changed = {key: value for key, value in prepared.meta_updates.items() if meta.get(key) != value}
        if changed:
            await self.chats.update_meta(owner, chat.id, changed)

    async def _submitted_text(self, owner: User, chat: Chat, content: str) -> str:
        if not self.plugins.has_impls('message_submitted'):
            return content
        text = await self.plugins.pipe('message_submitted', content, user=owner,
                                       chat=await self._chat_info(owner, chat))
        if not text.strip():
            raise InvalidInputError('error.plugins.message_withheld', 'A plugin held this message back; it was not '
                                    'sent.')
        return text

    async def _reply_filters(self, owner: User, chat: Chat) -> ReplyFilters:
        wanted = self.plugins.has_impls('stream_delta') or self.plugins.has_impls('reply_finished')
        return ReplyFilters(self.plugins, owner, await self._chat_info(owner, chat) if wanted else None)

    async def _chat_info(self, owner: User, chat: Chat) -> ChatInfo:
        persona = await self.prompts.personas(owner, chat)
        return chat_info(chat, owner, await self._character_name(owner, chat), persona.name)

    async def _character_name(self, owner: User, chat: Chat) -> str:
        return fields_of((await self.characters.get(owner, chat.character_id)).card).name

    async def _last_message(self, owner: User, chat_id: str) -> Message | None:
        items = (await self.chats.messages(owner, chat_id, limit=1)).items
        return items[-1] if items else None

    async def _run(self, chat_id: str, message_id: int, target: ReplyTarget, request: GenerationRequest,
                   prepared: PreparedPrompt, prefix: str, filters: ReplyFilters) -> None:
        pieces: list[str] = [prefix]
        status, error, usage = 'complete', None, {}
        watcher = asyncio.create_task(self._watch_for_stop(chat_id))
        started = time.monotonic()
        try:
            async with contextlib.aclosing(target.provider.stream(request)) as deltas:  # type: ignore[type-var]
                async for delta in deltas:
                    text = await filters.delta(delta.text) if delta.text else ''
                    if text:
                        pieces.append(text)
                        await self.streams.publish(chat_id, 'message', message_id, text)
                    if delta.completion_tokens is not None:
                        usage = {'prompt_tokens': delta.prompt_tokens, 'completion_tokens': delta.completion_tokens}
        except asyncio.CancelledError:
            status = 'interrupted'
        except ProviderError as failure:
            status, error = 'error', failure.message
        except Exception as failure:  # the reply must be stored and the lock released whatever went wrong
            log.exception('reply for chat %s failed', chat_id)
            status, error = 'error', f'Generation failed unexpectedly: {type(failure).__name__}'
        finally:
            watcher.cancel()
        text = prefix + await _outlet(filters, ''.join(pieces[1:]))
        meta = {'prompt_tokens': usage.get('prompt_tokens') or prepared.built.total_tokens,
                'completion_tokens': usage.get('completion_tokens') or target.count_tokens(text[len(prefix):]),
                'seconds': round(time.monotonic() - started, 3), 'model': target.model}
        if prepared.world_info:
            meta['world_info'] = prepared.world_info
        await self._store(chat_id, message_id, text, status, error, meta)
        self.plugins.notify('reply.finished', {'user_id': filters.owner.id, 'chat_id': chat_id,
                                               'message_id': message_id, 'status': status, 'text': text})

    async def _store(self, chat_id: str, message_id: int, text: str, status: str, error: str | None,
                     meta: dict) -> None:
        """The one write of the reply, then the closing events and the lock release."""
        try:
            await self.chats.finish_reply(message_id, text, status=status, error=error, meta=meta)
            if error:
                await self.streams.publish(chat_id, 'error', message_id, error)
            await self.streams.publish(chat_id, 'complete', message_id, status)
        finally:
            await self._release(chat_id)

    async def _watch_for_stop(self, chat_id: str) -> None:
        """Cancel the reply when another instance has asked to stop it (a flag in the shared store)."""
        while chat_id in self.running:
            await asyncio.sleep(STOP_POLL_SECONDS)
            with contextlib.suppress(Exception):
                if await self.kv.pop(_stop_key(chat_id)) and chat_id in self.running:
                    self.running[chat_id].cancel()
                    return


async def _outlet(filters: ReplyFilters, text: str) -> str:
    """The reply's new text after the plugins' `reply_finished` hooks; a stop that arrives meanwhile keeps it as is
    (the reply must still be stored)."""
    if not text:
        return text
    try:
        return await filters.finished(text)
    except asyncio.CancelledError:
        return text


async def _collect(target: ReplyTarget, request: GenerationRequest) -> str:
    """The whole text of a generation that nobody watches live; a stop returns what arrived so far."""
    pieces: list[str] = []
    try:
        async with contextlib.aclosing(target.provider.stream(request)) as deltas:  # type: ignore[type-var]
            async for delta in deltas:
                pieces.append(delta.text)
    except asyncio.CancelledError:
        pass
    return ''.join(pieces).strip()


def _lock_key(chat_id: str) -> str:
    return f'generation:lock:{chat_id}'


def _stop_key(chat_id: str) -> str:
    return f'generation:stop:{chat_id}'
