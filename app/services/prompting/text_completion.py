"""The text-completion prompt: SillyTavern's context template (story string) and instruct sequences.

Used for text backends (OpenAI-compatible `/completions`, KoboldCpp) when the user has chosen an instruct or context
preset. The story string is rendered with the character, persona and lorebook text; example dialogues and the chat
history follow in the instruct template's sequences, ending with the opening of the reply. The history keeps its
newest messages that fit; examples get the room that is left, as in SillyTavern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..instruct_format import InstructTemplate, format_examples, format_system_prompt, format_text_prompt, stop_strings
from ..providers.base import ChatMessage, ContextTooLongError
from ..story_string import ContextTemplate, render_story_string
from .authors_note import BEFORE_PROMPT, IN_CHAT, IN_PROMPT
from .chat_completion import EXAMPLE_LINE, BuiltPrompt, Fill, PromptParts, TokenCounter
from .injections import Injection, splice

TEXT_MODES = {'continue': 'continue', 'impersonate': 'impersonate'}


@dataclass(frozen=True)
class TextTemplates:
    """The active context template, instruct template (None = instruct mode off) and system prompt preset text."""

    context: ContextTemplate
    instruct: InstructTemplate | None
    system_prompt: str = ''


def build_text_prompt(parts: PromptParts, templates: TextTemplates, *, context_size: int, max_new_tokens: int,
                      count_tokens: TokenCounter, fill: Fill, kind: str = 'normal') -> BuiltPrompt:
    """The whole prompt text for the next reply of `kind`, its stop strings and the tokens of each part."""
    character, persona = parts.character, parts.persona
    story = _story(parts, templates, fill)
    injections = [*parts.injections, *parts.world_info.at_depth]
    if parts.note and parts.note.position == IN_CHAT:
        injections.append(parts.note.injection())
    post_history = fill(character.post_history_instructions, '').strip()
    if post_history and templates.context.allow_jailbreak:
        injections.append(Injection(0, 'system', post_history, 'jailbreak'))
    fixed = count_tokens(story) + sum(count_tokens(item.text) for item in injections)
    budget = context_size - max_new_tokens - fixed
    if budget < 0:
        raise ContextTooLongError('error.prompt.too_long',
                                  'The character definition alone does not fit the context size. Raise the context '
                                  'size or lower the maximum reply length.')
    kept = _trim_history(parts, budget, count_tokens, fill)
    budget -= sum(count_tokens(message.content) for message in kept)
    examples = _fitting_examples(parts, templates, budget, count_tokens, fill)
    history = [message for message, _ in splice([(message, 'chatHistory') for message in kept], injections)]
    user, char = persona.name, character.name
    text = format_text_prompt(story, examples, history, templates.instruct, templates.context, user=user, char=char,
                              mode=TEXT_MODES.get(kind, 'normal'), fill=lambda value: fill(value, ''))  # type: ignore[arg-type]
    stops = stop_strings(templates.instruct, templates.context, user=user, char=char,
                         mode=TEXT_MODES.get(kind, 'normal'), fill=lambda value: fill(value, ''))  # type: ignore[arg-type]
    built = BuiltPrompt(messages=[ChatMessage('system', text)], sources=['textPrompt'], history_kept=len(kept),
                        text=text, stop=stops)
    built.block_tokens = {'storyString': count_tokens(story),
                          'dialogueExamples': sum(count_tokens(m.content) for block in examples for m in block),
                          'chatHistory': sum(count_tokens(m.content) for m in history)}
    built.block_tokens = {name: tokens for name, tokens in built.block_tokens.items() if tokens}
    return built


def _story(parts: PromptParts, templates: TextTemplates, fill: Fill) -> str:
    """The rendered story string; the card's system prompt wins over the preset's (`{{original}}` brings it back)."""
    character, world_info = parts.character, parts.world_info
    system = fill(character.system_prompt, templates.system_prompt) if character.system_prompt.strip() \
        else fill(templates.system_prompt, '')
    examples_raw = character.mes_example
    params = {
        'system': format_system_prompt(system.strip(), templates.instruct),
        'description': fill(character.description, '').strip(),
        'personality': fill(character.personality, '').strip(),
        'scenario': fill(character.scenario, '').strip(),
        'persona': fill(parts.persona.description, '').strip(),
        'char': character.name, 'user': parts.persona.name,
        'wiBefore': world_info.before, 'wiAfter': world_info.after,
        'loreBefore': world_info.before, 'loreAfter': world_info.after,
        'mesExamplesRaw': fill(examples_raw, '').strip(),
    }
    story = fill(render_story_string(templates.context.story_string, params), '')
    note = parts.note
    if note and note.position == BEFORE_PROMPT:
        story = f'{note.text}\n{story}'
    elif note and note.position == IN_PROMPT:
        story = f'{story.rstrip()}\n{note.text}\n'
    return story


def _trim_history(parts: PromptParts, budget: int, count_tokens: TokenCounter, fill: Fill) -> list[ChatMessage]:
    kept: list[ChatMessage] = []
    for item in reversed(parts.history):
        role = item.role if item.role in ('user', 'assistant') else 'system'
        message = ChatMessage(role, fill(item.content, ''), item.name)  # type: ignore[arg-type]
        tokens = count_tokens(message.content) + count_tokens(message.name)
        if tokens > budget:
            break
        budget -= tokens
        kept.append(message)
    return kept[::-1]


def _fitting_examples(parts: PromptParts, templates: TextTemplates, budget: int, count_tokens: TokenCounter,
                      fill: Fill) -> list[list[ChatMessage]]:
    world_info = parts.world_info
    blocks = [*world_info.examples_top, *re.split(r'<START>', parts.character.mes_example, flags=re.IGNORECASE),
              *world_info.examples_bottom]
    result: list[list[ChatMessage]] = []
    for block in blocks:
        messages = _example_messages(block, fill)
        if not messages:
            continue
        cost = count_tokens(format_examples([messages], templates.instruct, templates.context,
                                            user=parts.persona.name, char=parts.character.name))
        if cost > budget:
            break
        budget -= cost
        result.append(messages)
    return result


def _example_messages(block: str, fill: Fill) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    for line in block.replace('\r\n', '\n').strip().split('\n'):
        match = EXAMPLE_LINE.match(line)
        if match:
            role = 'user' if match.group(1).lower() in ('{{user}}', '<user>') else 'assistant'
            messages.append(ChatMessage(role, fill(line[match.end():], '')))  # type: ignore[arg-type]
        elif messages and line.strip():
            last = messages[-1]
            messages[-1] = ChatMessage(last.role, f'{last.content}\n{fill(line, "")}')
    return messages
