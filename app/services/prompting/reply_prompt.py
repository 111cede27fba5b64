"""Everything one reply's prompt needs, gathered from the chat's character, persona, lorebooks and presets.

Used for every reply and for the prompt preview, so the preview shows exactly what would be sent. A reply also
updates the chat's SillyTavern metadata: macro variables (`variables`) and lorebook timed effects
(`timedWorldInfo`); the preview computes them but does not keep them.
"""

from __future__ import annotations

import dataclasses
import random
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ...db.models import Chat, Message, User
from ...db.types import utcnow
from ...plugins.chat_bridge import chat_info
from ...plugins.manager import PluginManager
from ..character_card import CharacterFields, fields_of
from ..character_notes import CharacterNotes
from ..characters import CharacterService
from ..instruct_format import InstructTemplate
from ..lorebooks import LorebookService
from ..macros import MacroContext, substitute_macros
from ..name_macros import substitute
from ..presets import PresetService
from ..story_string import ContextTemplate
from ..world_info.activation import Activation, ScanInput, activate
from .authors_note import CharacterNote, ChatNote, place_note
from .chat_completion import (
    BuiltPrompt,
    HistoryMessage,
    Persona,
    PromptParts,
    TokenCounter,
    WorldInfoText,
    build_chat_prompt,
)
from .injections import Injection, role_name
from .plugin_prompt import apply_prompt_plugins
from .text_completion import TextTemplates, build_text_prompt

ReplyKind = Literal['normal', 'swipe', 'regenerate', 'continue', 'impersonate', 'quiet']
PersonaResolver = Callable[[User, Chat], Awaitable[Persona]]


@dataclass
class PreparedPrompt:
    """The built prompt, the lorebook entries that fired (for the per-reply view) and the chat metadata to keep."""

    built: BuiltPrompt
    world_info: list[dict[str, Any]] = field(default_factory=list)
    meta_updates: dict[str, Any] = field(default_factory=dict)
    fits: bool = True


@dataclass(frozen=True)
class PromptBudget:
    context_size: int
    max_new_tokens: int
    count_tokens: TokenCounter
    model: str = ''
    text_completion: bool = False


class ReplyPrompts:
    def __init__(self, characters: CharacterService, personas: PersonaResolver, presets: PresetService,
                 lorebooks: LorebookService, plugins: PluginManager) -> None:
        self.characters = characters
        self.personas = personas
        self.presets = presets
        self.lorebooks = lorebooks
        self.plugins = plugins

    async def prepare(self, owner: User, chat: Chat, history: Sequence[Message], budget: PromptBudget,
                      kind: ReplyKind = 'normal', *, plugin_hooks: bool = True) -> PreparedPrompt:
        """Build the prompt for the next reply of `kind` from `history` (oldest first; hidden messages left out);
        `plugin_hooks` False leaves out the plugins' `prompt_messages` hook (for token counts while typing)."""
        visible = [message for message in history if message.role != 'system']
        card = (await self.characters.get(owner, chat.character_id)).card
        character = fields_of(card)
        persona = await self.personas(owner, chat)
        config = await self.presets.prompt_manager(owner)
        macros = _macro_context(chat, character, persona, visible, budget)

        def fill(text: str, original: str = '') -> str:
            macros.original = original
            return substitute_macros(text, macros) if text else ''

        activation = await self._world_info(owner, chat, character, persona, visible, budget, kind,
                                            lambda text: fill(text))
        notes = CharacterNotes.of(card)
        note = place_note(ChatNote.from_meta(chat.meta or {}), CharacterNote(prompt=notes.authors_note,
                                                                             combine=notes.combine),
                          sum(1 for message in visible if message.role == 'user'),
                          top=activation.an_top, bottom=activation.an_bottom)
        if note:
            note = dataclasses.replace(note, text=fill(note.text).strip())
        parts = PromptParts(
            character=character, persona=persona,
            history=[HistoryMessage(message.role, message.content, message.name) for message in visible],
            world_info=WorldInfoText(before=activation.before, after=activation.after,
                                     examples_top=activation.examples_top,
                                     examples_bottom=activation.examples_bottom,
                                     at_depth=[Injection(item.depth, role_name(item.role), item.text, 'worldInfoDepth')
                                               for item in activation.at_depth]),
            note=note, injections=_depth_prompt(notes, fill),
            final_instruction=_final_instruction(config, kind))
        templates = await self._text_templates(owner) if budget.text_completion else None
        if templates:
            built = build_text_prompt(parts, templates, context_size=budget.context_size,
                                      max_new_tokens=budget.max_new_tokens, count_tokens=budget.count_tokens,
                                      fill=fill, kind=kind)
        else:
            built = build_chat_prompt(parts, config, context_size=budget.context_size,
                                      max_new_tokens=budget.max_new_tokens, count_tokens=budget.count_tokens,
                                      fill=fill)
            if plugin_hooks and self.plugins.has_impls('prompt_messages'):
                info = chat_info(chat, owner, character.name, persona.name)
                built = await apply_prompt_plugins(self.plugins, owner, info, built, budget.count_tokens)
        return PreparedPrompt(built=built, world_info=[asdict(entry) for entry in activation.fired],
                              meta_updates={'variables': macros.variables or None,
                                            'timedWorldInfo': activation.timed_state or None})

    async def _text_templates(self, owner: User) -> TextTemplates | None:
        """The active context, instruct and system prompt presets, or None when neither template is chosen (the
        connection's own instruct template then formats the messages)."""
        instruct, context, system = [await self.presets.active(owner, kind)
                                     for kind in ('instruct', 'context', 'sysprompt')]
        if instruct is None and context is None:
            return None
        return TextTemplates(context=ContextTemplate.from_st(context.data) if context else ContextTemplate(),
                             instruct=InstructTemplate.from_st(instruct.data) if instruct else None,
                             system_prompt=str((system.data if system else {}).get('content') or ''))

    async def _world_info(self, owner: User, chat: Chat, character: CharacterFields, persona: Persona,
                          visible: list[Message], budget: PromptBudget, kind: ReplyKind,
                          substitute: Callable[[str], str]) -> Activation:
        settings = await self.lorebooks.world_info_settings(owner)
        sources = await self.lorebooks.books_for_chat(owner, chat)
        newest_first = [f'{message.name}: {message.content}' if settings.include_names and message.name
                        else message.content for message in reversed(visible)]
        scan = ScanInput(messages=newest_first, persona_description=persona.description,
                         character_description=character.description,
                         character_personality=character.personality, character_depth_prompt='',
                         scenario=character.scenario, creator_notes=character.creator_notes, trigger=kind,
                         chat_length=len(visible), max_context=budget.context_size)
        return activate(sources, scan, settings, count_tokens=budget.count_tokens,
                        timed_state=(chat.meta or {}).get('timedWorldInfo'), rng=random.Random(),
                        substitute=substitute)


def _macro_context(chat: Chat, character: CharacterFields, persona: Persona, visible: list[Message],
                   budget: PromptBudget) -> MacroContext:
    def shown(message: Message | None) -> str:
        return substitute(message.content, character.name, persona.name) if message else ''

    last = visible[-1] if visible else None
    return MacroContext(
        user=persona.name, char=character.name, persona=persona.description, description=character.description,
        personality=character.personality, scenario=character.scenario, mes_examples=character.mes_example,
        char_version=character.character_version, model=budget.model, last_message=shown(last),
        last_user_message=shown(next((m for m in reversed(visible) if m.role == 'user'), None)),
        last_char_message=shown(next((m for m in reversed(visible) if m.role == 'assistant'), None)),
        last_message_id=str(len(visible) - 1) if visible else '',
        last_swipe_id=str(len(last.swipes or [last.content])) if last else '',
        current_swipe_id=str((last.swipe_index or 0) + 1) if last else '',
        max_prompt=str(budget.context_size), variables=dict((chat.meta or {}).get('variables') or {}),
        chat_id_hash=zlib.crc32(chat.id.encode()), now=utcnow(), rng=random.Random(),
        extra={'lastChatMessage': shown(last)})


def _depth_prompt(notes: CharacterNotes, fill: Callable[[str, str], str]) -> list[Injection]:
    """The card's "Character's Note" (`extensions.depth_prompt`), injected in the chat at its depth and role."""
    text = fill(notes.depth_prompt, '').strip()
    return [Injection(notes.depth, notes.role, text, 'charDepthPrompt')] if text else []


def _final_instruction(config: Any, kind: ReplyKind) -> str:
    if kind == 'continue':
        return config.continue_nudge_prompt
    if kind == 'impersonate':
        return config.impersonation_prompt
    return ''
