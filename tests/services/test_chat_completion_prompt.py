"""The chat-completion prompt follows the prompt manager: block order, roles, in-chat blocks, overrides, lorebook
text, the author's note and the history budget."""

import dataclasses

import pytest

from app.services.character_card import CharacterFields
from app.services.name_macros import substitute
from app.services.presets import PromptBlock, PromptManagerConfig, default_prompt_manager
from app.services.prompting.authors_note import BEFORE_PROMPT, IN_CHAT, IN_PROMPT, PlacedNote
from app.services.prompting.chat_completion import (
    BuiltPrompt,
    HistoryMessage,
    Persona,
    PromptParts,
    WorldInfoText,
    build_chat_prompt,
)
from app.services.prompting.injections import Injection
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
HISTORY = [HistoryMessage('assistant', 'Welcome, {{user}}.', 'Mira'), HistoryMessage('user', 'Thanks!', 'Alex')]


def names(text: str, original: str) -> str:
    return substitute(text.replace('{{original}}', original), 'Mira', 'Alex')


def build(parts: PromptParts, config: PromptManagerConfig | None = None, context_size: int = 1000,
          max_new_tokens: int = 100) -> BuiltPrompt:
    return build_chat_prompt(parts, config or default_prompt_manager(), context_size=context_size,
                             max_new_tokens=max_new_tokens, count_tokens=words, fill=names)


def test_default_preset_gives_sillytaverns_order_with_macros_filled() -> None:
    built = build(PromptParts(MIRA, ALEX, HISTORY))
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
    assert built.sources[:5] == ['main', 'personaDescription', 'charDescription', 'charPersonality', 'scenario']
    assert built.sources[-1] == 'jailbreak'
    assert built.history_kept == 2
    assert built.total_tokens == sum(words(m.content) for m in built.messages)
    assert built.block_tokens['chatHistory'] == 3


def test_the_cards_system_prompt_replaces_main_and_original_brings_it_back() -> None:
    card = MIRA.model_copy(update={'system_prompt': 'You are {{char}}. {{original}}'})
    built = build(PromptParts(card, ALEX, []))
    assert built.messages[0].content == \
        "You are Mira. Write Mira's next reply in a fictional chat between Mira and Alex."


def test_a_preset_that_forbids_overrides_keeps_its_main_prompt() -> None:
    config = default_prompt_manager()
    config.prompts = [dataclasses.replace(block, forbid_overrides=True) if block.identifier == 'main' else block
                      for block in config.prompts]
    built = build(PromptParts(MIRA.model_copy(update={'system_prompt': 'Ignored.'}), ALEX, []), config)
    assert built.messages[0].content.startswith("Write Mira's next reply")


def test_order_toggles_roles_and_custom_blocks_come_from_the_preset() -> None:
    config = default_prompt_manager()
    config.prompts.append(PromptBlock(identifier='style', name='Style', role='user', content='Write like {{char}}.'))
    order = [(identifier, enabled) for identifier, enabled in config.order if identifier != 'charPersonality']
    config.order = [('style', True), *[(i, False if i == 'scenario' else e) for i, e in order]]
    built = build(PromptParts(MIRA, ALEX, HISTORY), config)
    assert built.messages[0] == ChatMessage('user', 'Write like Mira.')
    assert 'charPersonality' not in built.sources and 'scenario' not in built.sources


def test_in_chat_blocks_and_injections_land_at_their_depth() -> None:
    config = default_prompt_manager()
    config.prompts.append(PromptBlock(identifier='reminder', name='Reminder', role='system', content='Be brief.',
                                      injection_position=1, injection_depth=1))
    config.order = [*config.order, ('reminder', True)]
    parts = PromptParts(MIRA, ALEX, HISTORY, injections=[Injection(0, 'user', 'OOC: slow down', 'charDepthPrompt')])
    built = build(parts, config)
    history = built.messages[built.sources.index('newChatPrompt') + 1:-1]
    assert [m.content for m in history] == ['Welcome, Alex.', 'Be brief.', 'Thanks!', 'OOC: slow down']
    assert 'reminder' not in built.sources[:built.sources.index('newChatPrompt')]


def test_world_info_fills_its_markers_and_example_slots() -> None:
    world_info = WorldInfoText(before='The lighthouse is old.', after='Storms come at night.',
                               examples_top=['{{user}}: Lamp?\n{{char}}: Lit.'],
                               at_depth=[Injection(0, 'system', 'The lamp flickers.', 'worldInfoDepth')])
    built = build(PromptParts(MIRA, ALEX, HISTORY, world_info=world_info))
    assert built.messages[built.sources.index('worldInfoBefore')].content == 'The lighthouse is old.'
    assert built.sources.index('worldInfoBefore') == 1
    assert built.sources.index('worldInfoAfter') == built.sources.index('scenario') + 1
    assert built.messages[built.sources.index('dialogueExamples') + 1].content == 'Lamp?'
    assert built.messages[-2] == ChatMessage('system', 'The lamp flickers.')


@pytest.mark.parametrize(('position', 'where'), [(IN_PROMPT, 1), (BEFORE_PROMPT, 0)])
def test_authors_note_in_the_prompt_goes_around_main(position: int, where: int) -> None:
    note = PlacedNote(text='Keep it short.', position=position, depth=4, role='system')
    built = build(PromptParts(MIRA, ALEX, HISTORY, note=note))
    assert built.sources[where] == 'authorsNote'
    assert built.messages[where].content == 'Keep it short.'


def test_authors_note_in_chat_is_injected_at_its_depth_and_role() -> None:
    note = PlacedNote(text='Keep it short.', position=IN_CHAT, depth=1, role='user')
    built = build(PromptParts(MIRA, ALEX, HISTORY, note=note))
    index = built.sources.index('authorsNote')
    assert built.messages[index] == ChatMessage('user', 'Keep it short.')
    assert built.messages[index + 1].content == 'Thanks!'


def test_history_is_trimmed_oldest_first_and_examples_get_what_is_left() -> None:
    history = [HistoryMessage('user' if i % 2 else 'assistant', f'message number {i} here') for i in range(100)]
    fixed = build(PromptParts(MIRA, ALEX, []), context_size=10_000, max_new_tokens=0)
    without_examples = fixed.total_tokens - fixed.block_tokens['dialogueExamples']
    built = build(PromptParts(MIRA, ALEX, history), context_size=without_examples + 40 + 100, max_new_tokens=100)
    assert built.history_kept == 10
    assert next(m.content for m in built.messages if m.role in ('user', 'assistant')) == 'message number 90 here'
    assert 'dialogueExamples' not in built.block_tokens
    assert built.total_tokens <= without_examples + 40


def test_definition_larger_than_the_context_is_a_clear_error() -> None:
    with pytest.raises(ContextTooLongError, match='does not fit the context size'):
        build(PromptParts(MIRA, ALEX, []), context_size=50, max_new_tokens=40)


def test_final_instruction_prefill_and_squashed_system_messages() -> None:
    config = default_prompt_manager()
    config.squash_system_messages = True
    config.assistant_prefill = 'Mira:'
    built = build(PromptParts(CharacterFields(name='Mira', description='Quiet.'), Persona(), [],
                              final_instruction='[Continue.]'), config)
    assert built.messages == [
        ChatMessage('system', "Write Mira's next reply in a fictional chat between Mira and Alex.\nQuiet."),
        ChatMessage('system', '[Start a new Chat]'),
        ChatMessage('system', '[Continue.]'),
        ChatMessage('assistant', 'Mira:')]


def test_empty_fields_add_no_blocks() -> None:
    built = build(PromptParts(CharacterFields(name='Mira'), Persona(), [HistoryMessage('user', 'hi')]))
    assert [m.content for m in built.messages] == [
        "Write Mira's next reply in a fictional chat between Mira and Alex.", '[Start a new Chat]', 'hi']
