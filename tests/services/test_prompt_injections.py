"""In-chat injections and the author's note: where they land in the history and when the note is due."""

from app.services.prompting.authors_note import BEFORE_PROMPT, IN_CHAT, CharacterNote, ChatNote, is_due, place_note
from app.services.prompting.injections import Injection, role_name, splice
from app.services.providers.base import ChatMessage


def history(count: int) -> list[tuple[ChatMessage, str]]:
    return [(ChatMessage('user' if i % 2 else 'assistant', f'm{i}'), 'chatHistory') for i in range(count)]


def contents(pairs: list[tuple[ChatMessage, str]]) -> list[str]:
    return [message.content for message, _ in pairs]


def test_depth_counts_from_the_end_of_the_history() -> None:
    spliced = splice(history(4), [Injection(0, 'system', 'at0', 'a'), Injection(2, 'system', 'at2', 'b')])
    assert contents(spliced) == ['m0', 'm1', 'at2', 'm2', 'm3', 'at0']
    assert spliced[2][1] == 'b'


def test_depth_beyond_the_history_goes_first() -> None:
    assert contents(splice(history(2), [Injection(9, 'system', 'deep', 'a')])) == ['deep', 'm0', 'm1']


def test_same_depth_and_role_are_joined_and_roles_keep_sillytaverns_order() -> None:
    spliced = splice(history(1), [Injection(0, 'assistant', 'c', 'x'), Injection(0, 'system', 'a', 'x'),
                                  Injection(0, 'system', 'b', 'x'), Injection(0, 'user', 'u', 'x')])
    assert [(m.role, m.content) for m, _ in spliced[1:]] == [('system', 'a\nb'), ('user', 'u'), ('assistant', 'c')]


def test_blank_injections_are_dropped_and_roles_accept_numbers_and_names() -> None:
    assert contents(splice(history(1), [Injection(0, 'system', '  ', 'x')])) == ['m0']
    assert [role_name(0), role_name(1), role_name(2), role_name('assistant'), role_name(None)] == \
        ['system', 'user', 'assistant', 'assistant', 'system']


def test_note_reads_and_writes_sillytavern_chat_metadata() -> None:
    meta = {'note_prompt': 'Keep it short.', 'note_interval': 3, 'note_depth': 2, 'note_position': 1,
            'note_role': 2}
    note = ChatNote.from_meta(meta)
    assert (note.prompt, note.interval, note.depth, note.position, note.role) == ('Keep it short.', 3, 2, 1, 2)
    assert note.to_meta() == meta
    assert ChatNote.from_meta({'note_interval': 'junk', 'note_depth': -5}).interval == 1
    assert ChatNote.from_meta({'note_depth': -5}).depth == 0


def test_note_is_due_on_every_nth_user_message_and_never_with_interval_zero() -> None:
    assert [is_due(3, n) for n in range(7)] == [False, False, False, True, False, False, True]
    assert [is_due(1, n) for n in range(3)] == [False, True, True]
    assert not any(is_due(0, n) for n in range(5))


def test_character_note_replaces_or_surrounds_the_chat_note_and_lorebook_entries_frame_it() -> None:
    chat_note = ChatNote(prompt='chat note', interval=1, depth=3, position=IN_CHAT, role=1)
    placed = place_note(chat_note, CharacterNote(prompt='char note', combine='before'), 1, top=['wi top'],
                        bottom=['wi bottom'])
    assert placed is not None
    assert placed.text == 'wi top\nchar note\nchat note\nwi bottom'
    assert placed.injection() == Injection(3, 'user', placed.text, 'authorsNote')
    replaced = place_note(chat_note, CharacterNote(prompt='only this'), 1)
    assert replaced is not None and replaced.text == 'only this'
    assert place_note(chat_note, CharacterNote(), 0) is None
    assert place_note(ChatNote(prompt='', position=BEFORE_PROMPT), CharacterNote(), 5) is None
