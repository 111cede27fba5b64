"""Instruct formats that render chat messages into one prompt string for text-completion backends.

Text-completion servers (llama.cpp, KoboldCpp, vLLM) take a single prompt, so the chat has to be written in the
format the model was tuned on; each format also says which strings end a turn, so generation stops there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...errors import InvalidInputError
from .base import ChatMessage


@dataclass(frozen=True)
class RenderedPrompt:
    prompt: str
    stop: list[str]


def _chatml(messages: list[ChatMessage]) -> RenderedPrompt:
    turns = ''.join(f'<|im_start|>{m.role}\n{m.content}<|im_end|>\n' for m in messages)
    return RenderedPrompt(f'{turns}<|im_start|>assistant\n', ['<|im_end|>', '<|im_start|>'])


def _llama3(messages: list[ChatMessage]) -> RenderedPrompt:
    turns = ''.join(f'<|start_header_id|>{m.role}<|end_header_id|>\n\n{m.content}<|eot_id|>' for m in messages)
    return RenderedPrompt(f'{turns}<|start_header_id|>assistant<|end_header_id|>\n\n',
                          ['<|eot_id|>', '<|start_header_id|>'])


def _mistral(messages: list[ChatMessage]) -> RenderedPrompt:
    """System and user texts since the last reply share one `[INST]` block, so the system folds into a user turn."""
    parts: list[str] = []
    pending: list[str] = []
    for message in messages:
        if message.role == 'assistant':
            if pending:
                parts.append(_inst(pending))
                pending = []
            parts.append(f'{message.content}</s>')
        else:
            pending.append(message.content)
    if pending:
        parts.append(_inst(pending))
    return RenderedPrompt(''.join(parts), ['</s>', '[INST]'])


def _inst(texts: list[str]) -> str:
    body = '\n\n'.join(texts)
    return f'[INST] {body} [/INST]'


def _alpaca(messages: list[ChatMessage]) -> RenderedPrompt:
    headers = {'system': '', 'user': '### Instruction:\n', 'assistant': '### Response:\n'}
    turns = ''.join(f'{headers[m.role]}{m.content}\n\n' for m in messages)
    return RenderedPrompt(f'{turns}### Response:\n', ['### Instruction:', '### Response:'])


def _plain(messages: list[ChatMessage]) -> RenderedPrompt:
    """`Name: text` lines for base models; the reply is opened under the last assistant speaker's name."""
    lines = [m.content if m.role == 'system' and not m.name else f'{_speaker(m)}: {m.content}' for m in messages]
    speakers = [_speaker(m) for m in messages if m.role == 'assistant']
    users = list(dict.fromkeys(_speaker(m) for m in messages if m.role == 'user')) or ['User']
    lines.append(f'{speakers[-1] if speakers else "Assistant"}:')
    return RenderedPrompt('\n'.join(lines), [f'\n{name}:' for name in users])


def _speaker(message: ChatMessage) -> str:
    return message.name or ('Assistant' if message.role == 'assistant' else 'User')


TEMPLATES: dict[str, Callable[[list[ChatMessage]], RenderedPrompt]] = {
    'chatml': _chatml, 'llama3': _llama3, 'mistral': _mistral, 'alpaca': _alpaca, 'plain': _plain,
}
TEMPLATE_NAMES: tuple[str, ...] = tuple(TEMPLATES)


def render_prompt(messages: list[ChatMessage], template: str = 'chatml') -> RenderedPrompt:
    """The prompt for `messages` in the named instruct format, ending where the assistant's reply begins."""
    try:
        render = TEMPLATES[template]
    except KeyError:
        known = ', '.join(TEMPLATE_NAMES)
        raise InvalidInputError('error.provider.unknown_template',
                                f'Unknown instruct template "{template}"; use one of: {known}.',
                                template=template, known=known) from None
    return render(messages)
