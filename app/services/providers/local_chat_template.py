"""Turns a `GenerationRequest` into prompt tokens for the embedded model, using the chat template stored in the GGUF.

Tokenizing here (instead of letting `create_chat_completion` do it) gives exact prompt token counts and lets the
provider pass a per-token stopping criterion, which llama-cpp's chat API does not accept.
"""

from __future__ import annotations

from functools import cache

from jinja2 import TemplateError
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from .base import GenerationRequest, ProviderError

CHATML_TEMPLATE = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + "
                   "'<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
                   "{% endif %}")


def prompt_tokens(llama: Llama, request: GenerationRequest) -> tuple[list[int], list[str]]:
    """The tokens to feed the model and the stop strings its template adds (ChatML when the GGUF has no template)."""
    if request.prompt is not None:
        return llama.tokenize(request.prompt.encode('utf-8'), add_bos=True, special=True), []
    formatter = _formatter(llama.metadata.get('tokenizer.chat_template') or CHATML_TEMPLATE,
                           _token_text(llama, llama.token_eos()), _token_text(llama, llama.token_bos()))
    messages = [{'role': message.role, 'content': message.content, **({'name': message.name} if message.name else {})}
                for message in request.messages]
    try:
        result = formatter(messages=messages)
    except (ValueError, TemplateError) as error:
        raise ProviderError('error.local_model.template', f'The model\'s chat template rejected these messages: '
                            f'{error}', detail=str(error)) from None
    tokens = llama.tokenize(result.prompt.encode('utf-8'), add_bos=not result.added_special, special=True)
    stop = [result.stop] if isinstance(result.stop, str) else result.stop
    return tokens, [text for text in stop if text]


@cache
def _formatter(template: str, eos_token: str, bos_token: str) -> Jinja2ChatFormatter:
    return Jinja2ChatFormatter(template=template, eos_token=eos_token, bos_token=bos_token)


def _token_text(llama: Llama, token: int) -> str:
    return llama.detokenize([token], special=True).decode('utf-8', errors='ignore') if token >= 0 else ''
