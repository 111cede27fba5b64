"""Branch families as trees, bookmarks, and SillyTavern checkpoints (a named branch linked by `extra.bookmark_link`)."""

import json

import pytest

from app.db.models import Chat, User
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.character_card import CharacterFields
from app.services.chat_tree import ChatTreeNode
from app.services.chats import NewMessage
from app.services.container import Services
from tests.support.compat_chats import compat_chat

PASSWORD = 'correct horse battery'
ILYA_CHECKPOINT = 'Checkpoint #1 - 2024-6-14@06h25m33s'


@pytest.fixture
async def alice(services: Services) -> User:
    return await services.accounts.register('alice', PASSWORD)


async def _chat(services: Services, owner: User, messages: int = 4) -> Chat:
    character = await services.characters.create(owner, CharacterFields(name='Mira', first_mes='Hello.'))
    chat = await services.chats.start(owner, character.id)
    for index in range(1, messages):
        await services.chats.append(owner, chat.id, NewMessage(role='user' if index % 2 else 'assistant',
                                                               content=f'message {index}'))
    return await services.chats.get(owner, chat.id)


def _shape(node: ChatTreeNode) -> tuple:
    """(id, branch_seq, children) all the way down, to compare whole trees at once."""
    return node.id, node.branch_seq, [_shape(child) for child in node.children]


async def test_branches_record_their_parent_and_form_a_tree(services: Services, alice: User) -> None:
    root = await _chat(services, alice)
    first = await services.chats.branch(alice, root.id, 1)
    second = await services.chats.branch(alice, root.id, 2)
    nested = await services.chats.branch(alice, first.id, 0)
    assert first.meta['branch_of'] == {'chat_id': root.id, 'seq': 1}
    assert first.meta['chat_metadata']['main_chat'] == root.title
    assert nested.meta['branch_of'] == {'chat_id': first.id, 'seq': 0}
    assert nested.meta['chat_metadata']['main_chat'] == first.title
    assert 'branch_of' not in (await services.chats.get(alice, root.id)).meta
    expected = (root.id, None, [(first.id, 1, [(nested.id, 0, [])]), (second.id, 2, [])])
    for member in (root, first, second, nested):
        assert _shape(await services.chat_tree.tree(alice, member.id)) == expected
    tree = await services.chat_tree.tree(alice, nested.id)
    assert (tree.title, tree.message_count, tree.children[0].message_count) == (root.title, 4, 2)


async def test_deleting_a_parent_makes_its_branches_roots(services: Services, alice: User) -> None:
    root = await _chat(services, alice)
    first = await services.chats.branch(alice, root.id, 1)
    second = await services.chats.branch(alice, root.id, 2)
    nested = await services.chats.branch(alice, first.id, 0)
    await services.chats.delete(alice, first.id)
    assert _shape(await services.chat_tree.tree(alice, nested.id)) == (nested.id, None, [])
    assert _shape(await services.chat_tree.tree(alice, root.id)) == (root.id, None, [(second.id, 2, [])])


async def test_an_unrelated_chat_is_a_tree_of_one_and_others_cannot_see_it(services: Services,
                                                                           alice: User) -> None:
    chat = await _chat(services, alice)
    await services.chats.start(alice, chat.character_id)
    assert _shape(await services.chat_tree.tree(alice, chat.id)) == (chat.id, None, [])
    bob = await services.accounts.register('bob', PASSWORD)
    for attempt in (services.chat_tree.tree(bob, chat.id), services.chat_tree.marks(bob, chat.id),
                    services.chat_tree.create_checkpoint(bob, chat.id, 0, 'Mine now')):
        with pytest.raises(NotFoundError):
            await attempt


async def test_imported_sillytavern_chats_join_their_parent_by_main_chat_title(services: Services,
                                                                              alice: User) -> None:
    character = await services.characters.create(alice, CharacterFields(name='Mira'))
    parent = await services.chat_import.import_jsonl(alice, _st_file({}), 'Mira - 2024-01-01@10h00m00s.jsonl',
                                                     character.id)
    child = await services.chat_import.import_jsonl(alice, _st_file({'main_chat': 'Mira - 2024-01-01@10h00m00s'}),
                                                    'Branch #1 - 2024-01-02@10h00m00s.jsonl', character.id)
    assert _shape(await services.chat_tree.tree(alice, child.id)) == (parent.id, None, [(child.id, None, [])])


async def test_bookmarks_with_labels_are_listed_and_removed(services: Services, alice: User) -> None:
    chat = await _chat(services, alice)
    rows = (await services.chats.messages(alice, chat.id)).items
    await services.chats.set_bookmark(alice, rows[2].id, '  the   turning point ')
    await services.chats.set_bookmark(alice, rows[1].id, '')
    marks = await services.chat_tree.marks(alice, chat.id)
    assert [(m.kind, m.seq, m.label, m.excerpt) for m in marks] == \
        [('bookmark', 1, '', 'message 1'), ('bookmark', 2, 'the turning point', 'message 2')]
    relabelled = await services.chats.set_bookmark(alice, rows[1].id, 'start')
    assert relabelled.meta['bookmark'] == {'label': 'start'}
    await services.chats.set_bookmark(alice, rows[2].id, None)
    assert [(m.seq, m.label) for m in await services.chat_tree.marks(alice, chat.id)] == [(1, 'start')]
    bob = await services.accounts.register('bob', PASSWORD)
    with pytest.raises(NotFoundError):
        await services.chats.set_bookmark(bob, rows[1].id, 'mine')


async def test_a_checkpoint_is_a_named_branch_linked_from_its_message(services: Services, alice: User) -> None:
    chat = await _chat(services, alice)
    before = _export_lines(await services.chat_export.export(alice, chat.id, 'jsonl'))
    checkpoint = await services.chat_tree.create_checkpoint(alice, chat.id, 2, '  Before   the storm ')
    assert (checkpoint.title, checkpoint.message_count) == ('Before the storm', 3)
    assert checkpoint.meta['branch_of'] == {'chat_id': chat.id, 'seq': 2}
    assert checkpoint.meta['chat_metadata']['main_chat'] == chat.title
    marks = await services.chat_tree.marks(alice, chat.id)
    assert [(m.kind, m.seq, m.label, m.checkpoint_id) for m in marks] == \
        [('checkpoint', 2, 'Before the storm', checkpoint.id)]
    assert await services.chat_tree.marks(alice, checkpoint.id) == []
    tree = await services.chat_tree.tree(alice, checkpoint.id)
    assert _shape(tree) == (chat.id, None, [(checkpoint.id, 2, [])])

    after = _export_lines(await services.chat_export.export(alice, chat.id, 'jsonl'))
    linked = after[3]
    assert linked['extra'] == {'bookmark_link': 'Before the storm'}
    assert {**linked, 'extra': {}} == before[3]
    assert after[:3] + after[4:] == before[:3] + before[4:]
    exported_checkpoint = _export_lines(await services.chat_export.export(alice, checkpoint.id, 'jsonl'))
    assert exported_checkpoint[0]['chat_metadata']['main_chat'] == chat.title


async def test_checkpoint_names_must_be_given_and_unique(services: Services, alice: User) -> None:
    chat = await _chat(services, alice)
    with pytest.raises(InvalidInputError):
        await services.chat_tree.create_checkpoint(alice, chat.id, 1, '   ')
    with pytest.raises(ConflictError) as taken:
        await services.chat_tree.create_checkpoint(alice, chat.id, 1, chat.title)
    assert taken.value.code == 'error.checkpoint.name_taken'
    with pytest.raises(NotFoundError):
        await services.chat_tree.create_checkpoint(alice, chat.id, 99, 'Nowhere')
    assert len(await services.chats.list_chats(alice)) == 1


async def test_imported_checkpoint_links_resolve_by_title(services: Services, alice: User) -> None:
    ilya = compat_chat('Dr._Ilya')
    character = await services.characters.create(alice, CharacterFields(name='Dr. Ilya Sutskever'))
    chat = await services.chat_import.import_jsonl(alice, ilya.data(), ilya.filename, character.id)
    (mark,) = await services.chat_tree.marks(alice, chat.id)
    linked_index = next(i for i, item in enumerate(ilya.message_objects())
                        if (item.get('extra') or {}).get('bookmark_link'))
    assert (mark.kind, mark.seq, mark.label, mark.checkpoint_id) == ('checkpoint', linked_index, ILYA_CHECKPOINT,
                                                                     None)
    checkpoint = await services.chat_import.import_jsonl(alice, ilya.data(), f'{ILYA_CHECKPOINT}.jsonl',
                                                         character.id)
    (mark,) = await services.chat_tree.marks(alice, chat.id)
    assert mark.checkpoint_id == checkpoint.id


def _st_file(chat_metadata: dict) -> bytes:
    header = {'user_name': 'User', 'character_name': 'Mira', 'create_date': '2024-01-01@10h00m00s',
              'chat_metadata': chat_metadata}
    message = {'name': 'Mira', 'is_user': False, 'send_date': 'January 1, 2024 10:00am', 'mes': 'Hi.', 'extra': {}}
    return '\n'.join(json.dumps(item) for item in (header, message)).encode()


def _export_lines(download) -> list[dict]:
    return [json.loads(line) for line in download.content.decode().split('\n')]
