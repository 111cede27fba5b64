"""A character's notes live in its card: SillyTavern's depth_prompt and our own author's note extension."""

from app.services.character_notes import CharacterNotes
from app.services.container import Services
from tests.services.test_prompt_preview import _setup
from tests.support.fake_openai import FakeOpenAI

CARD = {'spec': 'chara_card_v2', 'data': {'name': 'Mira', 'extensions': {
    'depth_prompt': {'prompt': 'Mira hides a secret.', 'depth': 2, 'role': 'user', 'custom': 1}, 'fav': True}}}


def test_notes_read_sillytaverns_depth_prompt_and_write_back_only_what_changed() -> None:
    notes = CharacterNotes.of(CARD)
    assert (notes.depth_prompt, notes.depth, notes.role, notes.authors_note) == ('Mira hides a secret.', 2, 'user', '')
    card = notes.model_copy(update={'authors_note': 'Short replies.', 'combine': 'after'}).applied_to(CARD)
    extensions = card['data']['extensions']
    assert extensions['depth_prompt'] == {'prompt': 'Mira hides a secret.', 'depth': 2, 'role': 'user', 'custom': 1}
    assert extensions['tavernai_plus'] == {'authors_note': {'prompt': 'Short replies.', 'combine': 'after'}}
    assert extensions['fav'] is True and 'tavernai_plus' not in CARD['data']['extensions']
    assert 'tavernai_plus' not in CharacterNotes.of(card).model_copy(update={'authors_note': ''}).applied_to(card)[
        'data']['extensions']


def test_odd_values_in_a_card_fall_back_to_defaults() -> None:
    notes = CharacterNotes.of({'data': {'extensions': {'depth_prompt': {'depth': 'x', 'role': 'narrator'},
                                                       'tavernai_plus': {'authors_note': {'combine': 'sideways'}}}}})
    assert (notes.depth, notes.role, notes.combine) == (4, 'system', 'replace')
    assert CharacterNotes.of({}).depth_prompt == ''


async def test_both_notes_reach_the_prompt(services: Services, fake_openai: FakeOpenAI) -> None:
    alice, chat = await _setup(services, fake_openai)
    notes = CharacterNotes(depth_prompt='{{char}} fears the dark.', depth=0, role='system',
                           authors_note='Mira is tired.', combine='before')
    await services.characters.set_notes(alice, chat.character_id, notes)
    _, prepared = await services.generation.preview(alice, chat.id)
    pairs = list(zip([m.content for m in prepared.built.messages], prepared.built.sources, strict=True))
    assert ('Mira is tired.\nKeep replies short.', 'authorsNote') in pairs
    assert pairs[-1] == ('Mira fears the dark.\nThe lamp is failing.', 'charDepthPrompt')
    character = await services.characters.get(alice, chat.character_id)
    assert character.card['data']['name'] == 'Mira' and character.card['data']['description']
