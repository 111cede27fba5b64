"""Prompt building v1: turns a character, a persona and the chat history into the message list for one reply.

Follows SillyTavern's default chat-completion order: main prompt (or the card's system prompt), persona, character
description, personality, scenario, example dialogue, "[Start a new Chat]", the history (newest kept first, trimmed
to the context size by real token counts) and the post-history instructions. `{{char}}` and `{{user}}` are replaced
everywhere. World info, the author's note and the full prompt manager come with the presets issue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .character_card import CharacterFields
from .providers.base import ChatMessage, ContextTooLongError

DEFAULT_MAIN_PROMPT = "Write {{char}}'s next reply in a fictional chat between {{char}} and {{user}}."
NEW_CHAT_PROMPT = '[Start a new Chat]'
EXAMPLE_CHAT_PROMPT = '[Example Chat]'
PERSONALITY_FORMAT = "[{{char}}'s personality: {personality}]"
SCENARIO_FORMAT = '[Circumstances and context of the dialogue: {scenario}]'
MACRO = re.compile(r'\{\{(char|user)\}\}|<(BOT|USER)>', re.IGNORECASE)
EXAMPLE_LINE = re.compile(r'^(\{\{(?:char|user)\}\}|<(?:BOT|USER)>):\s?', re.IGNORECASE)

TokenCounter = Callable[[str], int]


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
class BuiltPrompt:
    """The messages to send, and how many tokens each block used (for the token display and the preview)."""

    messages: list[ChatMessage]
    block_tokens: dict[str, int] = field(default_factory=dict)
    history_kept: int = 0

    @property
    def total_tokens(self) -> int:
        return sum(self.block_tokens.values())


def substitute(text: str, char: str, user: str) -> str:
    """Replace `{{char}}`/`{{user}}` (any case) and the legacy `<BOT>`/`<USER>` markers."""
    return MACRO.sub(lambda match: char if (match.group(1) or match.group(2)).lower() in ('char', 'bot') else user,
                     text)


def build_prompt(character: CharacterFields, persona: Persona, history: Sequence[HistoryMessage], *,
                 context_size: int, max_new_tokens: int, count_tokens: TokenCounter,
                 final_instruction: str = '') -> BuiltPrompt:
    """Assemble the message list for the next reply within `context_size - max_new_tokens` tokens.

    `final_instruction` goes last, after the post-history instructions: the nudge of "continue" or "impersonate".
    """
    char, user = character.name, persona.name

    def fill(text: str) -> str:
        return substitute(text, char, user).strip()

    result = BuiltPrompt(messages=[])
    before = [
        ('main', fill(character.system_prompt or DEFAULT_MAIN_PROMPT)),
        ('persona', fill(persona.description)),
        ('description', fill(character.description)),
        ('personality', _formatted(PERSONALITY_FORMAT, '{personality}', character.personality, fill)),
        ('scenario', _formatted(SCENARIO_FORMAT, '{scenario}', character.scenario, fill)),
    ]
    after = [('post_history', fill(character.post_history_instructions)), ('final', fill(final_instruction))]
    fixed = [(name, text) for name, text in [*before, *after] if text]
    fixed_tokens = sum(count_tokens(text) for _, text in fixed) + count_tokens(NEW_CHAT_PROMPT)
    budget = context_size - max_new_tokens - fixed_tokens
    if budget < 0:
        raise ContextTooLongError('error.prompt.too_long',
                                  'The character definition alone does not fit the context size. Raise the context '
                                  'size or lower the maximum reply length.')
    kept = _trim_history(history, budget, count_tokens, char, user)
    budget -= sum(tokens for _, tokens in kept)
    examples = _fitting_examples(character.mes_example, budget, count_tokens, char, user)

    for name, text in before:
        if text:
            result.messages.append(ChatMessage('system', text))
            result.block_tokens[name] = count_tokens(text)
    for message, tokens in examples:
        result.messages.append(message)
        result.block_tokens['examples'] = result.block_tokens.get('examples', 0) + tokens
    result.messages.append(ChatMessage('system', NEW_CHAT_PROMPT))
    result.block_tokens['new_chat'] = count_tokens(NEW_CHAT_PROMPT)
    result.messages.extend(message for message, _ in kept)
    result.block_tokens['history'] = sum(tokens for _, tokens in kept)
    result.history_kept = len(kept)
    for name, text in after:
        if text:
            result.messages.append(ChatMessage('system', text))
            result.block_tokens[name] = count_tokens(text)
    return result


def _formatted(template: str, slot: str, value: str, fill: Callable[[str], str]) -> str:
    return fill(template.replace(slot, value)) if value.strip() else ''


def _trim_history(history: Sequence[HistoryMessage], budget: int, count_tokens: TokenCounter, char: str,
                  user: str) -> list[tuple[ChatMessage, int]]:
    """The newest messages that fit the budget, in chronological order."""
    kept: list[tuple[ChatMessage, int]] = []
    for item in reversed(history):
        role = 'assistant' if item.role == 'assistant' else 'user' if item.role == 'user' else 'system'
        message = ChatMessage(role, substitute(item.content, char, user), item.name)  # type: ignore[arg-type]
        tokens = count_tokens(message.content)
        if tokens > budget:
            break
        budget -= tokens
        kept.append((message, tokens))
    return kept[::-1]


def _fitting_examples(mes_example: str, budget: int, count_tokens: TokenCounter, char: str,
                      user: str) -> list[tuple[ChatMessage, int]]:
    """Example dialogue blocks (split at `<START>`) that still fit after the history, each led by "[Example Chat]"."""
    result: list[tuple[ChatMessage, int]] = []
    for block in re.split(r'<START>', mes_example, flags=re.IGNORECASE):
        messages = _parse_example_block(block, char, user)
        if not messages:
            continue
        costed = [(message, count_tokens(message.content)) for message in messages]
        cost = sum(tokens for _, tokens in costed)
        if cost > budget:
            break
        budget -= cost
        result.extend(costed)
    return result


def _parse_example_block(block: str, char: str, user: str) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    for line in block.replace('\r\n', '\n').strip().split('\n'):
        match = EXAMPLE_LINE.match(line)
        if match:
            speaker = 'example_user' if match.group(1).lower() in ('{{user}}', '<user>') else 'example_assistant'
            messages.append(ChatMessage('system', substitute(line[match.end():], char, user), speaker))
        elif messages and line.strip():
            last = messages[-1]
            messages[-1] = ChatMessage('system', f'{last.content}\n{substitute(line, char, user)}', last.name)
    return [ChatMessage('system', EXAMPLE_CHAT_PROMPT), *messages] if messages else []
