"""The chat-completion prompt: SillyTavern's prompt manager order, filled with the character, persona, lorebook
entries, author's note and history, trimmed to the context window.

Every block of the active preset is placed where its order says, with its role; blocks set to "in chat" become
injections at their depth. The card's system prompt and post-history instructions replace the preset's main and
post-history blocks unless the preset forbids it (`{{original}}` brings the replaced text back). The history keeps its
newest messages that fit after every other block; example dialogues get the room that is left.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..character_card import CharacterFields
from ..providers.base import ChatMessage, ContextTooLongError
from .authors_note import BEFORE_PROMPT, IN_CHAT, IN_PROMPT, PlacedNote
from .injections import Injection, role_name, splice

if TYPE_CHECKING:
    from ..presets.prompt_manager import PromptManagerConfig

TokenCounter = Callable[[str], int]
Fill = Callable[[str, str], str]
EXAMPLE_LINE = re.compile(r'^(\{\{(?:char|user)\}\}|<(?:BOT|USER)>):\s?', re.IGNORECASE)
IN_CHAT_POSITION = 1
NAMES_IN_CONTENT = 2
SQUASH_KEEPS_APART = frozenset({'newChatPrompt', 'dialogueExamples'})


@dataclass(frozen=True)
class HistoryMessage:
    role: str
    content: str
    name: str = ''


@dataclass(frozen=True)
class Persona:
    name: str = 'User'
    description: str = ''


@dataclass
class WorldInfoText:
    """What the lorebooks contribute to this reply (already activated)."""

    before: str = ''
    after: str = ''
    examples_top: list[str] = field(default_factory=list)
    examples_bottom: list[str] = field(default_factory=list)
    at_depth: list[Injection] = field(default_factory=list)


@dataclass
class PromptParts:
    """Everything that goes into one reply's prompt, apart from the preset."""

    character: CharacterFields
    persona: Persona
    history: Sequence[HistoryMessage]
    world_info: WorldInfoText = field(default_factory=WorldInfoText)
    note: PlacedNote | None = None
    injections: list[Injection] = field(default_factory=list)
    final_instruction: str = ''


@dataclass
class BuiltPrompt:
    """The messages to send, which block each came from, and the tokens each block used; for a text backend with
    a context or instruct preset, `text` is the whole prompt and `stop` its stop strings."""

    messages: list[ChatMessage]
    sources: list[str] = field(default_factory=list)
    block_tokens: dict[str, int] = field(default_factory=dict)
    history_kept: int = 0
    text: str | None = None
    stop: list[str] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return sum(self.block_tokens.values())


def build_chat_prompt(parts: PromptParts, config: PromptManagerConfig, *, context_size: int, max_new_tokens: int,
                      count_tokens: TokenCounter, fill: Fill) -> BuiltPrompt:
    """Assemble the message list for the next reply within `context_size - max_new_tokens` tokens.

    `config` is a `PromptManagerConfig` (prompt blocks, their order and the utility prompts); `fill(text, original)`
    expands macros, `original` being what `{{original}}` stands for.
    """
    texts = _block_texts(parts, config, fill)
    placed, history_at, examples_at = _placed_blocks(parts, config, texts)
    injections = [*parts.injections, *parts.world_info.at_depth, *_in_chat_blocks(config, texts)]
    if parts.note and parts.note.position == IN_CHAT:
        injections.append(parts.note.injection())
    final = fill(parts.final_instruction, '').strip()
    new_chat = fill(config.new_chat_prompt, '').strip()
    fixed = [text for _, text, _ in placed] + [item.text for item in injections] + [final, new_chat]
    budget = context_size - max_new_tokens - sum(count_tokens(text) for text in fixed if text)
    if budget < 0:
        raise ContextTooLongError('error.prompt.too_long',
                                  'The character definition alone does not fit the context size. Raise the context '
                                  'size or lower the maximum reply length.')
    kept = _trim_history(parts, config, budget, count_tokens, fill) if history_at is not None else []
    budget -= sum(count_tokens(message.content) for message in kept)
    examples = _fitting_examples(parts, config, budget, count_tokens, fill) if examples_at is not None else []

    result = BuiltPrompt(messages=[])
    for index, (source, text, role) in enumerate(placed):
        if examples_at == index:
            _add_all(result, examples, count_tokens)
        if history_at == index:
            _add_history(result, kept, injections, new_chat, count_tokens)
        _add(result, ChatMessage(role, text), source, count_tokens)  # type: ignore[arg-type]
    if examples_at == len(placed):
        _add_all(result, examples, count_tokens)
    if history_at == len(placed):
        _add_history(result, kept, injections, new_chat, count_tokens)
    if final:
        _add(result, ChatMessage('system', final), 'final', count_tokens)
    prefill = fill(config.assistant_prefill, '').strip()
    if prefill:
        _add(result, ChatMessage('assistant', prefill), 'assistantPrefill', count_tokens)
    result.history_kept = len(kept)
    if config.squash_system_messages:
        _squash(result)
    return result


def _placed_blocks(parts: PromptParts, config: PromptManagerConfig,
                   texts: dict[str, str]) -> tuple[list[tuple[str, str, str]], int | None, int | None]:
    """The relative blocks in order as (identifier, text, role), and where the examples and the history go."""
    prompts = {block.identifier: block for block in config.prompts}
    placed: list[tuple[str, str, str]] = []
    history_at = examples_at = None
    note = parts.note
    for identifier, enabled in config.order:
        block = prompts.get(identifier)
        if not enabled or block is None or block.injection_position == IN_CHAT_POSITION:
            continue
        if identifier == 'chatHistory':
            history_at = len(placed)
            continue
        if identifier == 'dialogueExamples':
            examples_at = len(placed)
            continue
        if identifier == 'main' and note and note.position == BEFORE_PROMPT:
            placed.append(('authorsNote', note.text, note.role))
        text = texts.get(identifier, '')
        if text:
            placed.append((identifier, text, block.role or 'system'))
        if identifier == 'main' and note and note.position == IN_PROMPT:
            placed.append(('authorsNote', note.text, note.role))
    return placed, history_at, examples_at


def _block_texts(parts: PromptParts, config: PromptManagerConfig, fill: Fill) -> dict[str, str]:
    """Each block's filled text: markers from the character, persona and lorebooks, the rest from the preset."""
    character, prompts = parts.character, {block.identifier: block for block in config.prompts}
    texts = {block.identifier: fill(block.content or '', '').strip() for block in config.prompts if not block.marker}
    for identifier, override in (('main', character.system_prompt), ('jailbreak', character.post_history_instructions)):
        block = prompts.get(identifier)
        if block is not None and override.strip() and not block.forbid_overrides:
            texts[identifier] = fill(override, block.content or '').strip()
    wi_format = config.wi_format or '{0}'
    texts['worldInfoBefore'] = wi_format.replace('{0}', parts.world_info.before) if parts.world_info.before else ''
    texts['worldInfoAfter'] = wi_format.replace('{0}', parts.world_info.after) if parts.world_info.after else ''
    texts['personaDescription'] = fill(parts.persona.description, '').strip()
    texts['charDescription'] = fill(character.description, '').strip()
    texts['charPersonality'] = _formatted(config.personality_format, 'personality', character.personality, fill)
    texts['scenario'] = _formatted(config.scenario_format, 'scenario', character.scenario, fill)
    return texts


def _in_chat_blocks(config: PromptManagerConfig, texts: dict[str, str]) -> list[Injection]:
    """Enabled blocks set to "in chat": injected at their depth instead of their place in the order."""
    enabled = {identifier for identifier, on in config.order if on}
    return [Injection(int(block.injection_depth or 0), role_name(block.role), texts.get(block.identifier, ''),
                      block.identifier)
            for block in config.prompts
            if block.injection_position == IN_CHAT_POSITION and block.identifier in enabled
            and block.identifier not in ('chatHistory', 'dialogueExamples')]


def _formatted(template: str, name: str, value: str, fill: Fill) -> str:
    if not value.strip():
        return ''
    return fill(template.replace('{{' + name + '}}', value), '').strip()


def _trim_history(parts: PromptParts, config: PromptManagerConfig, budget: int, count_tokens: TokenCounter,
                  fill: Fill) -> list[ChatMessage]:
    """The newest messages that fit the budget, in chronological order."""
    kept: list[ChatMessage] = []
    for item in reversed(parts.history):
        role = item.role if item.role in ('user', 'assistant') else 'system'
        content = fill(item.content, '')
        if config.names_behavior == NAMES_IN_CONTENT and item.name:
            content = f'{item.name}: {content}'
        message = ChatMessage(role, content, item.name)  # type: ignore[arg-type]
        tokens = count_tokens(message.content)
        if tokens > budget:
            break
        budget -= tokens
        kept.append(message)
    return kept[::-1]


def _fitting_examples(parts: PromptParts, config: PromptManagerConfig, budget: int, count_tokens: TokenCounter,
                      fill: Fill) -> list[tuple[ChatMessage, str]]:
    """Example dialogue blocks (split at `<START>`, lorebook example entries around them) that still fit."""
    world_info = parts.world_info
    blocks = [*world_info.examples_top, *re.split(r'<START>', parts.character.mes_example, flags=re.IGNORECASE),
              *world_info.examples_bottom]
    result: list[tuple[ChatMessage, str]] = []
    for block in blocks:
        messages = _parse_example_block(block, config, fill)
        cost = sum(count_tokens(message.content) for message in messages)
        if not messages:
            continue
        if cost > budget:
            break
        budget -= cost
        result.extend((message, 'dialogueExamples') for message in messages)
    return result


def _parse_example_block(block: str, config: PromptManagerConfig, fill: Fill) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    for line in block.replace('\r\n', '\n').strip().split('\n'):
        match = EXAMPLE_LINE.match(line)
        if match:
            speaker = 'example_user' if match.group(1).lower() in ('{{user}}', '<user>') else 'example_assistant'
            messages.append(ChatMessage('system', fill(line[match.end():], ''), speaker))
        elif messages and line.strip():
            last = messages[-1]
            messages[-1] = ChatMessage('system', f'{last.content}\n{fill(line, "")}', last.name)
    header = fill(config.new_example_chat_prompt, '').strip()
    return ([ChatMessage('system', header)] if header else []) + messages if messages else []


def _add(result: BuiltPrompt, message: ChatMessage, source: str, count_tokens: TokenCounter) -> None:
    result.messages.append(message)
    result.sources.append(source)
    result.block_tokens[source] = result.block_tokens.get(source, 0) + count_tokens(message.content)


def _add_all(result: BuiltPrompt, messages: list[tuple[ChatMessage, str]], count_tokens: TokenCounter) -> None:
    for message, source in messages:
        _add(result, message, source, count_tokens)


def _add_history(result: BuiltPrompt, kept: list[ChatMessage], injections: list[Injection], new_chat: str,
                 count_tokens: TokenCounter) -> None:
    if new_chat:
        _add(result, ChatMessage('system', new_chat), 'newChatPrompt', count_tokens)
    _add_all(result, splice([(message, 'chatHistory') for message in kept], injections), count_tokens)


def _squash(result: BuiltPrompt) -> None:
    """Merge runs of unnamed system messages (SillyTavern's "squash system messages"), keeping the first's source;
    the new-chat marker and the example dialogues stay apart, as in SillyTavern."""
    messages: list[ChatMessage] = []
    sources: list[str] = []
    for message, source in zip(result.messages, result.sources, strict=True):
        previous = messages[-1] if messages else None
        if previous and _squashable(previous, sources[-1]) and _squashable(message, source):
            messages[-1] = ChatMessage('system', f'{previous.content}\n{message.content}')
            continue
        messages.append(message)
        sources.append(source)
    result.messages, result.sources = messages, sources


def _squashable(message: ChatMessage, source: str) -> bool:
    return message.role == 'system' and not message.name and source not in SQUASH_KEEPS_APART
