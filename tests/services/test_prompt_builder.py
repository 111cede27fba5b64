import pytest

from app.services.character_card import CharacterFields
from app.services.prompt_builder import (
    DEFAULT_MAIN_PROMPT,
    HistoryMessage,
    Persona,
    build_prompt,
    substitute,
)
from app.services.providers.base import ChatMessage, ContextTooLongError


def words(text: str) -> int:
    """A simple, real token counter for tests: one token per whitespace-separated word."""
    return len(text.split())


MIRA = CharacterFields(
    name='Mira', description='{{char}} keeps the lighthouse.', personality='gruff, kind',
    scenario='A storm traps {{user}} on the island.', system_prompt='',
    mes_example='<START>\n{{user}}: Hello?\n{{char}}: Who goes there?\n<START>\n<USER>: Tea?\n<BOT>: Always.',
    post_history_instructions='Stay in character as {{char}}.')
ALEX = Persona(name='Alex', description='{{user}} is a stranded sailor.')


def test_macros_cover_all_spellings() -> None:
    text = '{{char}} {{CHAR}} <BOT> {{user}} {{User}} <USER>'
    assert substitute(text, 'Mira', 'Alex') == 'Mira Mira Mira Alex Alex Alex'


def test_blocks_come_in_sillytavern_order_with_macros_filled() -> None:
    history = [HistoryMessage('assistant', 'Welcome, {{user}}.', 'Mira'), HistoryMessage('user', 'Thanks!', 'Alex')]
    built = build_prompt(MIRA, ALEX, history, context_size=1000, max_new_tokens=100, count_tokens=words)
    assert built.messages == [
        ChatMessage('system', "Write Mira's next reply in a fictional chat between Mira and Alex."),
        ChatMessage('system', 'Alex is a stranded sailor.'),
        ChatMessage('system', 'Mira keeps the lighthouse.'),
        ChatMessage('system', "[Mira's personality: gruff, kind]"),
        ChatMessage('system', '[Circumstances and context of the dialogue: A storm traps Alex on the island.]'),
        ChatMessage('system', '[Example Chat]'),
        ChatMessage('system', 'Hello?', 'example_user'),
        ChatMessage('system', 'Who goes there?', 'example_assistant'),
        ChatMessage('system', '[Example Chat]'),
        ChatMessage('system', 'Tea?', 'example_user'),
        ChatMessage('system', 'Always.', 'example_assistant'),
        ChatMessage('system', '[Start a new Chat]'),
        ChatMessage('assistant', 'Welcome, Alex.', 'Mira'),
        ChatMessage('user', 'Thanks!', 'Alex'),
        ChatMessage('system', 'Stay in character as Mira.'),
    ]
    assert built.history_kept == 2
    assert built.total_tokens == sum(words(m.content) for m in built.messages)


def test_the_cards_system_prompt_replaces_the_main_prompt() -> None:
    card = MIRA.model_copy(update={'system_prompt': 'You are {{char}}, nothing else.'})
    built = build_prompt(card, ALEX, [], context_size=1000, max_new_tokens=100, count_tokens=words)
    assert built.messages[0].content == 'You are Mira, nothing else.'
    assert DEFAULT_MAIN_PROMPT not in [m.content for m in built.messages]


def test_history_is_trimmed_oldest_first_to_the_budget_and_examples_go_before_history() -> None:
    history = [HistoryMessage('user' if i % 2 else 'assistant', f'message number {i} here') for i in range(100)]
    fixed = build_prompt(MIRA, ALEX, [], context_size=10_000, max_new_tokens=0, count_tokens=words)
    fixed_without_examples = fixed.total_tokens - fixed.block_tokens['examples']
    built = build_prompt(MIRA, ALEX, history, context_size=fixed_without_examples + 40 + 100, max_new_tokens=100,
                         count_tokens=words)
    assert built.history_kept == 10
    assert next(m.content for m in built.messages if m.role in ('user', 'assistant')) == 'message number 90 here'
    assert 'examples' not in built.block_tokens
    assert built.total_tokens <= fixed_without_examples + 40


def test_definition_larger_than_the_context_is_a_clear_error() -> None:
    with pytest.raises(ContextTooLongError, match='does not fit the context size'):
        build_prompt(MIRA, ALEX, [], context_size=50, max_new_tokens=40, count_tokens=words)


def test_empty_fields_add_no_blocks() -> None:
    built = build_prompt(CharacterFields(name='Bare'), Persona(), [HistoryMessage('user', 'hi')],
                         context_size=100, max_new_tokens=10, count_tokens=words)
    assert [m.content for m in built.messages] == [
        "Write Bare's next reply in a fictional chat between Bare and User.", '[Start a new Chat]', 'hi']
