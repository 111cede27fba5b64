"""SillyTavern instruct templates and the text-completion prompt they build, with its stop strings.

A text-completion backend gets one string. SillyTavern builds it (`Generate` in `script.js`, 1.12.6) as: the
story string, the dialogue examples (each block behind the context's example separator), the context's
`chat_start`, the chat history with every message wrapped in the instruct sequences, and finally the sequence
that opens the reply. This module does the same from an `InstructTemplate` (an `instruct/*.json` preset) and a
`ContextTemplate`; with no instruct template the history is written as plain `Name: text` lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from .name_macros import substitute as substitute_names
from .providers.base import ChatMessage
from .story_string import ContextTemplate, merge_preset_dict, preset_value

Message = ChatMessage
NamesBehavior = Literal['none', 'force', 'always']
PromptMode = Literal['normal', 'impersonate', 'continue']
Fill = Callable[[str], str]
_NAMES_BEHAVIORS = ('none', 'force', 'always')
_NAME = re.compile(r'\{\{name\}\}', re.IGNORECASE)


@dataclass
class InstructTemplate:
    """A SillyTavern instruct preset; `from_st`/`to_st` keep keys this class does not know.

    Like SillyTavern, loading turns the deprecated `separator_sequence` into `output_suffix` and the old
    `names`/`names_force_groups` switches into `names_behavior`; the old keys are written back unchanged unless
    the field they fed was edited.
    """

    input_sequence: str = ''
    output_sequence: str = ''
    last_output_sequence: str = ''
    system_sequence: str = ''
    stop_sequence: str = ''
    wrap: bool = True
    macro: bool = True
    names_behavior: NamesBehavior = 'force'
    activation_regex: str = ''
    system_sequence_prefix: str = ''
    system_sequence_suffix: str = ''
    first_output_sequence: str = ''
    skip_examples: bool = False
    output_suffix: str = ''
    input_suffix: str = ''
    system_suffix: str = ''
    user_alignment_message: str = ''
    system_same_as_user: bool = False
    last_system_sequence: str = ''
    first_input_sequence: str = ''
    last_input_sequence: str = ''
    bind_to_context: bool = False
    enabled: bool = True
    name: str = ''
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_st(cls, data: Mapping[str, Any]) -> InstructTemplate:
        defaults = cls()
        values = {item.name: preset_value(getattr(defaults, item.name), data[item.name])
                  for item in fields(cls) if item.name != 'source' and item.name in data}
        if 'separator_sequence' in data:
            values['output_suffix'] = preset_value('', data['separator_sequence'])
        if 'names' in data:
            values['names_behavior'] = 'always' if data['names'] else \
                'force' if data.get('names_force_groups') else 'none'
        if values.get('names_behavior', 'force') not in _NAMES_BEHAVIORS:
            values['names_behavior'] = 'force'
        return cls(**values, source=dict(data))

    def to_st(self) -> dict[str, Any]:
        loaded = InstructTemplate.from_st(self.source)
        merged = merge_preset_dict(self.source, _field_values(self), _field_values(loaded))
        if self.output_suffix != loaded.output_suffix:
            merged.pop('separator_sequence', None)
        if self.names_behavior != loaded.names_behavior:
            merged.pop('names', None)
            merged.pop('names_force_groups', None)
        return merged


def _field_values(template: InstructTemplate) -> dict[str, Any]:
    return {item.name: getattr(template, item.name) for item in fields(template) if item.name != 'source'}


@dataclass(frozen=True)
class _Speakers:
    """Who is talking in this prompt, and how macros in sequences and separators are filled."""

    user: str
    char: str
    is_group: bool
    fill: Fill


def _speakers(user: str, char: str, is_group: bool, fill: Fill | None) -> _Speakers:
    return _Speakers(user, char, is_group, fill or (lambda text: substitute_names(text, char, user)))


def _speaker(message: Message, who: _Speakers) -> str:
    if message.name:
        return message.name
    return {'user': who.user, 'assistant': who.char}.get(message.role, '')


def _with_macros(text: str, template: InstructTemplate, who: _Speakers, name: str) -> str:
    """A sequence as SillyTavern writes it: macros and `{{name}}` filled when the template says `macro`."""
    if not template.macro:
        return text
    return _NAME.sub(lambda _: name or 'System', who.fill(text))


def format_system_prompt(system_prompt: str, template: InstructTemplate | None) -> str:
    """The system prompt wrapped in `system_sequence_prefix`/`_suffix`, for the story string's `system` param."""
    if template is None:
        return system_prompt
    separator = '\n' if template.wrap else ''
    if template.system_sequence_prefix:
        system_prompt = _NAME.sub('System', template.system_sequence_prefix) + separator + system_prompt
    if template.system_sequence_suffix:
        system_prompt = system_prompt + separator + template.system_sequence_suffix
    return system_prompt


def _block_heading(context: ContextTemplate, who: _Speakers) -> str:
    return f'{who.fill(context.example_separator)}\n' if context.example_separator else ''


def _plain_example_block(block: Sequence[Message], heading: str, who: _Speakers) -> str:
    lines = [f'{_speaker(message, who)}: {message.content}' if _speaker(message, who) and message.role != 'system'
             else message.content for message in block]
    return heading + '\n'.join(lines).strip() + '\n'


def format_examples(examples: Sequence[Sequence[Message]], template: InstructTemplate | None,
                    context: ContextTemplate, *, user: str, char: str, is_group: bool = False,
                    fill: Fill | None = None) -> str:
    """The dialogue examples as they go into the prompt (and into the story string's `mesExamples`).

    Each block starts with the context's example separator; in instruct mode (unless `skip_examples`) every
    message is wrapped in the input or output sequence, and `names_behavior` decides whether names are written.
    """
    who = _speakers(user, char, is_group, fill)
    heading = _block_heading(context, who)
    blocks = [block for block in examples if block]
    if template is None or template.skip_examples:
        return ''.join(_plain_example_block(block, heading, who) for block in blocks)
    include_names = template.names_behavior == 'always' or (is_group and template.names_behavior == 'force')
    separator = '\n' if template.wrap else ''
    parts: list[str] = []
    for block in blocks:
        if heading:
            parts.append(heading)
        for message in block:
            from_user = message.role == 'user'
            name = who.user if from_user else who.char
            prefix = _with_macros(template.input_sequence if from_user else template.output_sequence,
                                  template, who, name)
            suffix = _with_macros(template.input_suffix if from_user else template.output_suffix, template, who, name)
            if not suffix and template.wrap:
                suffix = '\n'
            named = include_names or (template.names_behavior == 'force' and from_user)
            text = f'{name}: {message.content}' if named else message.content
            parts.append(separator.join(part for part in (prefix, text + suffix) if part))
    return ''.join(parts)


def _format_message(message: Message, template: InstructTemplate | None, who: _Speakers,
                    position: Literal['first', 'last'] | None = None) -> str:
    """One history message: `Name: text` lines without a template, else wrapped in the instruct sequences
    (`first_…`/`last_…` variants when `position` asks for them), as SillyTavern's `formatInstructModeChat`."""
    narrator = message.role == 'system'
    name = _speaker(message, who)
    if template is None:
        return f'{name}: {message.content}\n' if name and not narrator else f'{message.content}\n'
    behavior = template.names_behavior
    include_name = not narrator and (behavior == 'always' or (
        behavior == 'force' and name != who.user and (who.is_group or name != who.char)))
    if narrator:
        prefix = template.input_sequence if template.system_same_as_user else template.system_sequence
        suffix = template.input_suffix if template.system_same_as_user else template.system_suffix
    elif message.role == 'user':
        first_last = {'first': template.first_input_sequence, 'last': template.last_input_sequence}
        prefix = first_last.get(position or '', '') or template.input_sequence
        suffix = template.input_suffix
    else:
        first_last = {'first': template.first_output_sequence, 'last': template.last_output_sequence}
        prefix = first_last.get(position or '', '') or template.output_sequence
        suffix = template.output_suffix
    prefix, suffix = _with_macros(prefix, template, who, name), _with_macros(suffix, template, who, name)
    if not suffix and template.wrap:
        suffix = '\n'
    text = f'{name}: {message.content}' if include_name and name else message.content
    return ('\n' if template.wrap else '').join(part for part in (prefix, text + suffix) if part)


def _reply_opening(template: InstructTemplate, who: _Speakers, *, impersonate: bool) -> str:
    """The sequence that opens the reply (SillyTavern's `formatInstructModePrompt`), with `Name:` when names
    are written; Mistral-style templates whose `last_output_sequence` lacks the trailing space get it back."""
    name = who.user if impersonate else who.char
    include_name = bool(name) and (template.names_behavior == 'always' or
                                   (who.is_group and template.names_behavior == 'force'))
    sequence = template.input_sequence if impersonate else template.last_output_sequence or template.output_sequence
    name_filler = ''
    if include_name and template.last_output_sequence and template.output_sequence and \
            sequence == template.last_output_sequence and template.output_sequence[-1].isspace() and \
            not template.last_output_sequence[-1].isspace():
        name_filler = template.output_sequence[-1]
    sequence = _with_macros(sequence, template, who, name)
    separator = '\n' if template.wrap else ''
    text = separator + sequence + (separator + name_filler + f'{name}:' if include_name else '')
    return (text.rstrip() if template.wrap else text) + ('' if include_name else separator)


def _finish_story_string(story: str, template: InstructTemplate | None) -> str:
    """SillyTavern's last touches to a rendered story string: no leading newlines, and a closing newline unless
    an instruct template without `wrap` is used."""
    story = story.lstrip('\n')
    if story and not story.endswith('\n') and (template is None or template.wrap):
        story += '\n'
    return story


def _history(history: Sequence[Message], template: InstructTemplate | None, who: _Speakers,
             mode: PromptMode) -> list[str]:
    last_user = max((index for index, message in enumerate(history) if message.role == 'user'), default=-1)
    formatted: list[str] = []
    for index, message in enumerate(history):
        position: Literal['first', 'last'] | None = None
        if template is not None and index == 0:
            position = 'first'
        if template is not None and (index == last_user or (mode == 'continue' and index == len(history) - 1)):
            position = 'last'
        text = _format_message(message, template, who, position)
        if mode == 'continue' and index == len(history) - 1:
            text = text[:text.rfind(message.content) + len(message.content)]
        formatted.append(text)
    formatted = formatted or ['']
    if template is not None and template.user_alignment_message and (not history or history[0].role != 'user'):
        alignment = Message('user', template.user_alignment_message, who.user)
        formatted.insert(0, _format_message(alignment, template, who, 'first'))
    return formatted


def format_text_prompt(story: str, examples: list[list[Message]], history: list[Message],
                       template: InstructTemplate | None, context: ContextTemplate, *, user: str, char: str,
                       mode: PromptMode = 'normal', is_group: bool = False, fill: Fill | None = None) -> str:
    """The whole text-completion prompt, as SillyTavern builds it for `mode`.

    `story` is the story string after `render_story_string` and the macro pass (its `system` param made with
    `format_system_prompt`); `examples` are the dialogue example blocks and `history` the chat, oldest first
    (role `system` = narrator). `normal` ends with the reply's opening (`char:` when names are written),
    `impersonate` with the user's, and `continue` right after the last message's text. `fill` expands macros in
    sequences and separators; by default only `{{char}}`/`{{user}}` are filled.
    """
    who = _speakers(user, char, is_group, fill)
    messages = _history(history, template, who, mode)
    if mode != 'continue' and (template is None or template.wrap):
        messages[-1] = messages[-1].removesuffix('\n')
    if mode != 'continue':
        messages[-1] += _closing_line(messages[-1], template, context, who, impersonate=mode == 'impersonate')
    chat_start = who.fill(context.chat_start + '\n') if context.chat_start else ''
    prompt = (_finish_story_string(story, template) + format_examples(examples, template, context, user=user,
                                                                      char=char, is_group=is_group, fill=fill)
              + chat_start + ''.join(messages))
    return prompt.replace('\r', '')


def _closing_line(last: str, template: InstructTemplate | None, context: ContextTemplate, who: _Speakers, *,
                  impersonate: bool) -> str:
    """What follows the last message: the reply's opening sequence, or `Name:` on a new line without one."""
    if template is not None:
        return _reply_opening(template, who, impersonate=impersonate)
    if not impersonate and not context.always_force_name2:
        return ''
    return ('' if last.endswith('\n') else '\n') + f'{who.user if impersonate else who.char}:'


def stop_strings(template: InstructTemplate | None, context: ContextTemplate, *, user: str, char: str,
                 group_members: Sequence[str] = (), mode: PromptMode = 'normal', last_is_user: bool = False,
                 fill: Fill | None = None) -> list[str]:
    """Where generation must stop, as SillyTavern's `getStoppingStrings` (without the user's custom strings).

    Speaker names on a new line (when the context says `names_as_stop_strings`), the instruct sequences (on a
    new line when `wrap`), the context's `chat_start` and `example_separator` when it says `use_stop_strings`,
    and a bare newline for `single_line`.
    """
    who = _speakers(user, char, bool(group_members), fill)
    result: list[str] = []
    if context.names_as_stop_strings:
        result += [f'\n{char}:' if mode == 'impersonate' else f'\n{user}:', f'\n{user}:']
        if mode == 'continue' and last_is_user:
            result.append(f'\n{char}:')
        result += [f'\n{member}:' for member in group_members if member and member != char]
    if template is not None:
        result += _sequence_stops(template, who)
    if context.use_stop_strings:
        result += [f'\n{who.fill(text)}' for text in (context.chat_start, context.example_separator) if text]
    if context.single_line:
        result.insert(0, '\n')
    return list(dict.fromkeys(result))


def _sequence_stops(template: InstructTemplate, who: _Speakers) -> list[str]:
    sequences = [template.stop_sequence, _NAME.sub(who.user, template.input_sequence),
                 _NAME.sub(who.char, template.output_sequence), _NAME.sub(who.char, template.first_output_sequence),
                 _NAME.sub(who.char, template.last_output_sequence), _NAME.sub('System', template.system_sequence),
                 _NAME.sub('System', template.last_system_sequence)]
    lines = dict.fromkeys('\n'.join(sequences).split('\n'))
    stops: list[str] = []
    for line in lines:
        if line.strip():
            wrapped = f'\n{line}' if template.wrap else line
            stops.append(who.fill(wrapped) if template.macro else wrapped)
    return stops


def instruct_macros(template: InstructTemplate | None, context: ContextTemplate, *, system_prompt: str = '',
                    default_system_prompt: str = '') -> dict[str, str]:
    """The instruct and system-prompt macros (`{{instructInput}}`, `{{systemPrompt}}`, `{{chatStart}}`, …) for
    `MacroContext.extra`; every instruct one is empty without a template, as in SillyTavern."""
    def pick(value: Callable[[InstructTemplate], str]) -> str:
        return value(template) if template is not None else ''
    sequences = {
        'instructSystemPromptPrefix': pick(lambda t: t.system_sequence_prefix),
        'instructSystemPromptSuffix': pick(lambda t: t.system_sequence_suffix),
        'instructInput': pick(lambda t: t.input_sequence), 'instructUserPrefix': pick(lambda t: t.input_sequence),
        'instructUserSuffix': pick(lambda t: t.input_suffix),
        'instructOutput': pick(lambda t: t.output_sequence),
        'instructAssistantPrefix': pick(lambda t: t.output_sequence),
        'instructSeparator': pick(lambda t: t.output_suffix),
        'instructAssistantSuffix': pick(lambda t: t.output_suffix),
        'instructSystemPrefix': pick(lambda t: t.system_sequence),
        'instructSystemSuffix': pick(lambda t: t.system_suffix),
        'instructFirstOutput': pick(lambda t: t.first_output_sequence or t.output_sequence),
        'instructFirstAssistantPrefix': pick(lambda t: t.first_output_sequence or t.output_sequence),
        'instructLastOutput': pick(lambda t: t.last_output_sequence or t.output_sequence),
        'instructLastAssistantPrefix': pick(lambda t: t.last_output_sequence or t.output_sequence),
        'instructStop': pick(lambda t: t.stop_sequence),
        'instructUserFiller': pick(lambda t: t.user_alignment_message),
        'instructSystemInstructionPrefix': pick(lambda t: t.last_system_sequence),
        'instructFirstInput': pick(lambda t: t.first_input_sequence or t.input_sequence),
        'instructFirstUserPrefix': pick(lambda t: t.first_input_sequence or t.input_sequence),
        'instructLastInput': pick(lambda t: t.last_input_sequence or t.input_sequence),
        'instructLastUserPrefix': pick(lambda t: t.last_input_sequence or t.input_sequence),
    }
    system = {'systemPrompt': system_prompt, 'defaultSystemPrompt': default_system_prompt,
              'instructSystem': default_system_prompt, 'instructSystemPrompt': default_system_prompt}
    return {**sequences, **system, 'exampleSeparator': context.example_separator, 'chatStart': context.chat_start}
