"""Each instruct template's exact prompt and stop strings for one system + user + assistant + user conversation,
plus the edge cases role-play prompts produce (several system messages, named speakers, no messages) and an
unknown template name."""

from __future__ import annotations

import pytest

from app.errors import InvalidInputError
from app.services.providers.base import ChatMessage
from app.services.providers.instruct_templates import TEMPLATE_NAMES, RenderedPrompt, render_prompt

CONVERSATION = [ChatMessage('system', 'Be Mira.'), ChatMessage('user', 'Hi'), ChatMessage('assistant', 'Hello!'),
                ChatMessage('user', 'How are you?')]


def test_the_registry_lists_every_template_with_chatml_first() -> None:
    assert TEMPLATE_NAMES == ('chatml', 'llama3', 'mistral', 'alpaca', 'plain')


def test_chatml_is_the_default() -> None:
    assert render_prompt(CONVERSATION) == RenderedPrompt(
        '<|im_start|>system\nBe Mira.<|im_end|>\n'
        '<|im_start|>user\nHi<|im_end|>\n'
        '<|im_start|>assistant\nHello!<|im_end|>\n'
        '<|im_start|>user\nHow are you?<|im_end|>\n'
        '<|im_start|>assistant\n',
        ['<|im_end|>', '<|im_start|>'])


def test_llama3() -> None:
    assert render_prompt(CONVERSATION, 'llama3') == RenderedPrompt(
        '<|start_header_id|>system<|end_header_id|>\n\nBe Mira.<|eot_id|>'
        '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>'
        '<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>'
        '<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>'
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
        ['<|eot_id|>', '<|start_header_id|>'])


def test_mistral_folds_the_system_prompt_into_the_first_user_turn() -> None:
    assert render_prompt(CONVERSATION, 'mistral') == RenderedPrompt(
        '[INST] Be Mira.\n\nHi [/INST]Hello!</s>[INST] How are you? [/INST]', ['</s>', '[INST]'])


def test_mistral_folds_a_late_system_message_into_the_next_instruction() -> None:
    messages = [*CONVERSATION, ChatMessage('system', 'Stay in character.')]
    assert render_prompt(messages, 'mistral').prompt == (
        '[INST] Be Mira.\n\nHi [/INST]Hello!</s>[INST] How are you?\n\nStay in character. [/INST]')


def test_alpaca_puts_the_system_text_on_top() -> None:
    assert render_prompt(CONVERSATION, 'alpaca') == RenderedPrompt(
        'Be Mira.\n\n'
        '### Instruction:\nHi\n\n'
        '### Response:\nHello!\n\n'
        '### Instruction:\nHow are you?\n\n'
        '### Response:\n',
        ['### Instruction:', '### Response:'])


def test_plain_uses_default_names_when_messages_have_none() -> None:
    assert render_prompt(CONVERSATION, 'plain') == RenderedPrompt(
        'Be Mira.\nUser: Hi\nAssistant: Hello!\nUser: How are you?\nAssistant:', ['\nUser:'])


def test_plain_uses_the_speakers_names() -> None:
    messages = [ChatMessage('system', 'Be Mira.'), ChatMessage('system', 'Hey there.', 'Mira'),
                ChatMessage('user', 'Hi', 'Alex'), ChatMessage('assistant', 'Hello!', 'Mira'),
                ChatMessage('user', 'Hi all', 'Sam'), ChatMessage('user', 'How are you?', 'Alex')]
    assert render_prompt(messages, 'plain') == RenderedPrompt(
        'Be Mira.\nMira: Hey there.\nAlex: Hi\nMira: Hello!\nSam: Hi all\nAlex: How are you?\nMira:',
        ['\nAlex:', '\nSam:'])


@pytest.mark.parametrize(('template', 'prompt'), [
    ('chatml', '<|im_start|>assistant\n'),
    ('llama3', '<|start_header_id|>assistant<|end_header_id|>\n\n'),
    ('mistral', ''),
    ('alpaca', '### Response:\n'),
    ('plain', 'Assistant:'),
])
def test_no_messages_still_opens_the_reply(template: str, prompt: str) -> None:
    assert render_prompt([], template).prompt == prompt


def test_an_unknown_template_names_the_known_ones() -> None:
    with pytest.raises(InvalidInputError, match=r'Unknown instruct template "vicuna"; use one of: chatml, llama3, '
                                                r'mistral, alpaca, plain\.') as raised:
        render_prompt(CONVERSATION, 'vicuna')
    assert raised.value.code == 'error.provider.unknown_template'
    assert raised.value.params == {'template': 'vicuna', 'known': 'chatml, llama3, mistral, alpaca, plain'}
