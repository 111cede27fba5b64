import json
from pathlib import Path
from typing import Any

import pytest

from app.services.instruct_format import (
    InstructTemplate,
    format_examples,
    format_system_prompt,
    format_text_prompt,
    instruct_macros,
    stop_strings,
)
from app.services.macros import MacroContext, substitute_macros
from app.services.providers.base import ChatMessage as Message
from app.services.story_string import ContextTemplate, render_story_string
from tests.support.compat import COMPAT_DIR

PRESETS = COMPAT_DIR / 'sillytavern' / 'presets'
COMMUNITY = COMPAT_DIR / 'community' / 'presets'
EXAMPLES = [[Message('user', 'Hello?'), Message('assistant', 'Who goes there?')]]
CHAT = [Message('assistant', 'Welcome, Alex.'), Message('user', 'Thanks!')]


def load(kind: str, name: str) -> dict[str, Any]:
    return json.loads((PRESETS / kind / f'{name}.json').read_text(encoding='utf-8'))


def templates(name: str) -> tuple[InstructTemplate, ContextTemplate]:
    return InstructTemplate.from_st(load('instruct', name)), ContextTemplate.from_st(load('context', name))


def story_for(template: InstructTemplate | None, context: ContextTemplate) -> str:
    """The story string as the prompt builder makes it: system prompt wrapped, rendered, macros expanded."""
    params = {'system': format_system_prompt("Write {{char}}'s next reply.", template),
              'description': '{{char}} keeps the lighthouse.', 'scenario': 'A storm.', 'char': 'Mira', 'user': 'Alex'}
    return substitute_macros(render_story_string(context.story_string, params), MacroContext(user='Alex', char='Mira'))


def prompt(name: str, **options: Any) -> str:
    template, context = templates(name)
    return format_text_prompt(story_for(template, context), EXAMPLES, CHAT, template, context, user='Alex',
                              char='Mira', **options)


def test_chatml_prompt() -> None:
    assert prompt('ChatML') == (
        "<|im_start|>system\nWrite Mira's next reply.\nMira keeps the lighthouse.\nScenario: A storm.<|im_end|>\n"
        '<|im_start|>user\nAlex: Hello?<|im_end|>\n<|im_start|>assistant\nMira: Who goes there?<|im_end|>\n'
        '<|im_start|>assistant\nMira: Welcome, Alex.<|im_end|>\n<|im_start|>user\nAlex: Thanks!<|im_end|>\n'
        '<|im_start|>assistant\nMira:')


def test_llama_3_instruct_prompt() -> None:
    assert prompt('Llama 3 Instruct') == (
        "<|start_header_id|>system<|end_header_id|>\n\nWrite Mira's next reply.\nMira keeps the lighthouse.\n"
        'Scenario: A storm.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAlex: Hello?<|eot_id|>'
        '<|start_header_id|>assistant<|end_header_id|>\n\nMira: Who goes there?<|eot_id|>'
        '<|start_header_id|>assistant<|end_header_id|>\n\nMira: Welcome, Alex.<|eot_id|>'
        '<|start_header_id|>user<|end_header_id|>\n\nAlex: Thanks!<|eot_id|>'
        '<|start_header_id|>assistant<|end_header_id|>\n\nMira:')


def test_mistral_prompt_aligns_the_chat_to_start_with_the_user() -> None:
    assert prompt('Mistral V2 & V3') == (
        "[INST] Write Mira's next reply.\nMira keeps the lighthouse.\nA storm.[/INST] Understood.</s>"
        '[INST] Alex: Hello?[/INST] Mira: Who goes there?</s>'
        "[INST] Alex: Let's get started. Please respond based on the information and instructions provided above."
        '[/INST] Mira: Welcome, Alex.</s>[INST] Alex: Thanks![/INST] Mira:')


def test_alpaca_prompt_forces_names_only_on_user_examples() -> None:
    assert prompt('Alpaca') == (
        "Write Mira's next reply.\nMira keeps the lighthouse.\nScenario: A storm.\n\n"
        '### Instruction:\nAlex: Hello?\n\n### Response:\nWho goes there?\n\n'
        '### Response:\nWelcome, Alex.\n\n### Instruction:\nThanks!\n\n### Response:\n')


def test_gemma_2_prompt() -> None:
    assert prompt('Gemma 2') == (
        "<start_of_turn>user\nWrite Mira's next reply.\nMira keeps the lighthouse.\nScenario: A storm.<end_of_turn>\n"
        '<start_of_turn>user\nHello?<end_of_turn>\n<start_of_turn>model\nWho goes there?<end_of_turn>\n'
        '<start_of_turn>model\nWelcome, Alex.<end_of_turn>\n<start_of_turn>user\nThanks!<end_of_turn>\n'
        '<start_of_turn>model\n')


def test_impersonation_and_continuation_in_instruct_mode() -> None:
    assert prompt('ChatML', mode='impersonate').endswith(
        '<|im_start|>user\nAlex: Thanks!<|im_end|>\n<|im_start|>user\nAlex:')
    assert prompt('Mistral V2 & V3', mode='impersonate').endswith('[INST] Alex: Thanks![INST] Alex:')
    continued = format_text_prompt('', [], [Message('user', 'Hi'), Message('assistant', 'Well, I')],
                                   *templates('ChatML'), user='Alex', char='Mira', mode='continue')
    assert continued == '<|im_start|>user\nAlex: Hi<|im_end|>\n<|im_start|>assistant\nMira: Well, I'


def test_without_an_instruct_template_the_chat_is_name_lines() -> None:
    context = ContextTemplate.from_st(load('context', 'Default'))
    head = 'Story.\n***\nAlex: Hello?\nMira: Who goes there?\n***\nMira: Welcome, Alex.\nAlex: Thanks!'
    assert format_text_prompt('Story.', EXAMPLES, CHAT, None, context, user='Alex', char='Mira') == f'{head}\nMira:'
    assert format_text_prompt('\n\nStory.', EXAMPLES, CHAT, None, context, user='Alex', char='Mira',
                              mode='impersonate') == f'{head}\nAlex:'
    assert format_text_prompt('Story.', EXAMPLES, CHAT, None, context, user='Alex', char='Mira',
                              mode='continue') == head
    context.always_force_name2 = False
    assert format_text_prompt('Story.', EXAMPLES, CHAT, None, context, user='Alex', char='Mira') == head


def test_name_placeholders_in_sequences_and_narrator_messages() -> None:
    template, context = templates('ChatML-Names')
    chat = [*CHAT, Message('system', 'Night falls.')]
    assert format_text_prompt('', [], chat, template, context, user='Alex', char='Mira') == (
        '<|im_start|>[Mira]\nWelcome, Alex.<|im_end|>\n<|im_start|>[Alex]\nThanks!<|im_end|>\n'
        '<|im_start|>system\nNight falls.<|im_end|>\n<|im_start|>[Mira]\n')
    template, context = templates('Llama 3 Instruct')
    narrated = format_text_prompt('', [], [Message('system', 'Night falls.')], template, context, user='Alex',
                                  char='Mira')
    assert narrated.startswith('<|start_header_id|>user<|end_header_id|>\n\nNight falls.<|eot_id|>')


def test_force_names_apply_in_groups_and_to_other_speakers() -> None:
    template, context = templates('Alpaca')
    chat = [Message('assistant', 'Hi.'), Message('assistant', 'Hello too.', 'Bob'), Message('user', 'Hey.')]
    solo = format_text_prompt('', [], chat, template, context, user='Alex', char='Mira')
    assert solo == ('### Response:\nHi.\n\n### Response:\nBob: Hello too.\n\n### Instruction:\nHey.\n\n'
                    '### Response:\n')
    group = format_text_prompt('', [], chat, template, context, user='Alex', char='Mira', is_group=True)
    assert group == ('### Response:\nMira: Hi.\n\n### Response:\nBob: Hello too.\n\n### Instruction:\nHey.\n\n'
                     '### Response:\nMira:')


def test_first_and_last_sequence_variants() -> None:
    template = InstructTemplate(input_sequence='<in>', output_sequence='<out>', first_output_sequence='<first-out>',
                                last_output_sequence='<last-out>', first_input_sequence='<first-in>',
                                last_input_sequence='<last-in>', wrap=False, names_behavior='none')
    context = ContextTemplate(chat_start='')
    chat = [Message('assistant', 'a'), Message('user', 'b'), Message('assistant', 'c'), Message('user', 'd')]
    assert format_text_prompt('', [], chat, template, context, user='Alex', char='Mira') == \
        '<first-out>a<in>b<out>c<last-in>d<last-out>'
    assert format_text_prompt('', [], chat[:3], template, context, user='Alex', char='Mira', mode='continue') == \
        '<first-out>a<last-in>b<last-out>c'


def test_user_alignment_opens_a_chat_that_does_not_start_with_the_user() -> None:
    template, context = templates('Mistral V2 & V3')
    empty = format_text_prompt('', [], [], template, context, user='Alex', char='Mira')
    assert empty == "[INST] Alex: Let's get started. Please respond based on the information and instructions " \
        'provided above.[/INST] Mira:'
    user_first = format_text_prompt('', [], [Message('user', 'Hi')], template, context, user='Alex', char='Mira')
    assert user_first == '[INST] Alex: Hi[/INST] Mira:'


def test_examples_with_separators_and_skipped_formatting() -> None:
    context = ContextTemplate(example_separator='*** {{char}} ***')
    blocks = [EXAMPLES[0], [], [Message('assistant', 'Only me.')]]
    assert format_examples(blocks, None, context, user='Alex', char='Mira') == \
        '*** Mira ***\nAlex: Hello?\nMira: Who goes there?\n*** Mira ***\nMira: Only me.\n'
    community = InstructTemplate.from_st(json.loads((COMMUNITY / 'ChatML-Custom-Instruct.json').read_text()))
    assert community.skip_examples
    assert format_examples(blocks, community, ContextTemplate(example_separator=''), user='Alex', char='Mira') == \
        'Alex: Hello?\nMira: Who goes there?\nMira: Only me.\n'
    chatml, _ = templates('ChatML')
    assert format_examples(blocks, chatml, context, user='Alex', char='Mira') == (
        '*** Mira ***\n<|im_start|>user\nAlex: Hello?<|im_end|>\n<|im_start|>assistant\nMira: Who goes there?'
        '<|im_end|>\n*** Mira ***\n<|im_start|>assistant\nMira: Only me.<|im_end|>\n')


def test_system_prompt_prefix_and_suffix() -> None:
    template = InstructTemplate.from_st(load('instruct', 'Metharme'))
    assert format_system_prompt('Be {{char}}.', template) == '<|system|>Be {{char}}.'
    wrapped = InstructTemplate(system_sequence_prefix='[{{name}}]', system_sequence_suffix='[/SYS]')
    assert format_system_prompt('Rules.', wrapped) == '[System]\nRules.\n[/SYS]'
    assert format_system_prompt('Rules.', None) == 'Rules.'


def test_stop_strings_for_chatml_and_llama_3() -> None:
    template, context = templates('ChatML')
    assert stop_strings(template, context, user='Alex', char='Mira') == \
        ['\nAlex:', '\n<|im_end|>', '\n<|im_start|>user', '\n<|im_start|>assistant', '\n<|im_start|>system']
    template, context = templates('Llama 3 Instruct')
    assert stop_strings(template, context, user='Alex', char='Mira', group_members=['Mira', 'Bob'],
                        mode='impersonate') == [
        '\nMira:', '\nAlex:', '\nBob:', '<|eot_id|>', '<|start_header_id|>user<|end_header_id|>',
        '<|start_header_id|>assistant<|end_header_id|>', '<|start_header_id|>system<|end_header_id|>']


def test_stop_strings_from_the_context_settings() -> None:
    context = ContextTemplate(chat_start='[Start {{char}}]', example_separator='***', use_stop_strings=True,
                              single_line=True)
    names = InstructTemplate(input_sequence='<|im_start|>[{{name}}]', output_sequence='<|im_start|>[{{name}}]',
                             wrap=False)
    assert stop_strings(names, context, user='Alex', char='Mira', mode='continue', last_is_user=True) == [
        '\n', '\nAlex:', '\nMira:', '<|im_start|>[Alex]', '<|im_start|>[Mira]', '\n[Start Mira]', '\n***']
    context.names_as_stop_strings = False
    context.single_line = False
    assert stop_strings(None, context, user='Alex', char='Mira') == ['\n[Start Mira]', '\n***']


def test_instruct_macros_feed_the_macro_engine() -> None:
    template, context = templates('ChatML')
    extra = instruct_macros(template, context, system_prompt='Be brief.')
    text = '{{instructInput}}|{{instructAssistantSuffix}}|{{instructLastOutput}}|{{systemPrompt}}|{{chatStart}}'
    assert substitute_macros(text, MacroContext(extra=extra)) == \
        '<|im_start|>user|<|im_end|>\n|<|im_start|>assistant|Be brief.|'
    assert substitute_macros('[{{instructInput}}]', MacroContext(extra=instruct_macros(None, context))) == '[]'


@pytest.mark.parametrize('path', sorted((PRESETS / 'instruct').glob('*.json')), ids=lambda path: path.stem)
def test_every_sillytavern_instruct_preset_loads_and_round_trips(path: Path) -> None:
    data = json.loads(path.read_text(encoding='utf-8'))
    template = InstructTemplate.from_st(data)
    assert template.to_st() == data
    assert template.names_behavior in ('none', 'force', 'always')
    context = ContextTemplate.from_st(load('context', path.stem)) if (PRESETS / 'context' / path.name).exists() \
        else ContextTemplate()
    assert 'Thanks!' in format_text_prompt(story_for(template, context), EXAMPLES, CHAT, template, context,
                                           user='Alex', char='Mira')


def test_community_instruct_presets_and_deprecated_keys() -> None:
    chatml = json.loads((COMMUNITY / 'ChatML-Custom-Instruct.json').read_text(encoding='utf-8'))
    gemma = json.loads((COMMUNITY / 'Gemma-Custom.json').read_text(encoding='utf-8'))['instruct']
    assert InstructTemplate.from_st(chatml).to_st() == chatml
    assert InstructTemplate.from_st(chatml).names_behavior == 'always'
    assert InstructTemplate.from_st(gemma).to_st() == gemma
    legacy = {'input_sequence': 'U:', 'separator_sequence': '</s>', 'names': False, 'names_force_groups': True}
    template = InstructTemplate.from_st(legacy)
    assert (template.output_suffix, template.names_behavior) == ('</s>', 'force')
    assert template.to_st() == legacy
    template.output_suffix = '<|end|>'
    template.names_behavior = 'none'
    assert template.to_st() == {'input_sequence': 'U:', 'output_suffix': '<|end|>', 'names_behavior': 'none'}
