"""Bulk actions on chats: all-or-nothing delete and a zip of SillyTavern JSONL files that import again."""

import io
import json
import zipfile

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from app.db.models import Chat, Message, User
from app.errors import InvalidInputError, NotFoundError
from app.services.character_card import CharacterFields
from app.services.chats import NewMessage
from app.services.container import Services

PASSWORD = 'correct horse battery'


@pytest.fixture
async def alice(services: Services) -> User:
    return await services.accounts.register('alice', PASSWORD)


async def _chat(services: Services, owner: User, title: str, *texts: str) -> Chat:
    character = await services.characters.create(owner, CharacterFields(name='Mira', first_mes='Hello.'))
    chat = await services.chats.start(owner, character.id)
    for text in texts:
        await services.chats.append(owner, chat.id, NewMessage(role='user', content=text))
    return await services.chats.rename(owner, chat.id, title)


async def test_bulk_delete_is_all_or_nothing_and_owner_only(services: Services, alice: User) -> None:
    first = await _chat(services, alice, 'One', 'a')
    second = await _chat(services, alice, 'Two', 'b')
    kept = await _chat(services, alice, 'Three')
    bob = await services.accounts.register('bob', PASSWORD)
    theirs = await _chat(services, bob, 'Bob’s')
    with pytest.raises(NotFoundError):
        await services.chat_bulk.delete(alice, [first.id, second.id, theirs.id])
    with pytest.raises(NotFoundError):
        await services.chat_bulk.delete(alice, [first.id, 'no-such-chat'])
    assert len(await services.chats.list_chats(alice)) == 3
    assert (await services.chats.get(bob, theirs.id)).id == theirs.id

    assert await services.chat_bulk.delete(alice, [first.id, second.id, first.id]) == 2
    assert [chat.id for chat in await services.chats.list_chats(alice)] == [kept.id]
    async with services.db.session() as session:
        orphans = select(func.count()).select_from(Message).where(col(Message.chat_id).in_([first.id, second.id]))
        assert (await session.exec(orphans)).one() == 0
    with pytest.raises(InvalidInputError):
        await services.chat_bulk.delete(alice, [])


async def test_bulk_export_zips_jsonl_files_that_import_again(services: Services, alice: User) -> None:
    first = await _chat(services, alice, '长城 night', '我们去长城吧', 'ok')
    twin = await _chat(services, alice, '长城 night', 'same title')
    other = await _chat(services, alice, 'A/B: test?')
    download = await services.chat_bulk.export_zip(alice, [first.id, twin.id, other.id])
    assert download.media_type == 'application/zip' and download.filename.endswith('.zip')
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert archive.testzip() is None
    assert archive.namelist() == ['长城 night.jsonl', '长城 night (2).jsonl', 'A_B_ test_.jsonl']
    for name, chat in zip(archive.namelist(), (first, twin, other), strict=True):
        data = archive.read(name)
        lines = [json.loads(line) for line in data.decode().split('\n')]
        assert 'chat_metadata' in lines[0] and len(lines) == chat.message_count + 1
        again = await services.chat_import.import_jsonl(alice, data, name, chat.character_id)
        assert again.message_count == chat.message_count
        assert [m.content for m in (await services.chats.messages(alice, again.id)).items] == \
            [m.content for m in (await services.chats.messages(alice, chat.id)).items]


async def test_bulk_export_refuses_someone_elses_chat(services: Services, alice: User) -> None:
    mine = await _chat(services, alice, 'Mine')
    bob = await services.accounts.register('bob', PASSWORD)
    theirs = await _chat(services, bob, 'Theirs')
    with pytest.raises(NotFoundError):
        await services.chat_bulk.export_zip(alice, [mine.id, theirs.id])
