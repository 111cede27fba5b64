"""A user's chat answered by the fake OpenAI server: the setup most reply and prompt tests start from."""

from __future__ import annotations

from app.db.models import Chat, User
from app.services.character_card import CharacterFields
from app.services.connections import ConnectionFields
from app.services.container import Services
from tests.support.fake_openai import FakeOpenAI


async def chat_on_fake_openai(services: Services, owner: User, fake: FakeOpenAI,
                              character: CharacterFields | None = None) -> Chat:
    """A default connection to `fake`, a character (Mira unless given) and a new chat with it."""
    await services.connections.create(owner, ConnectionFields(name='Fake', provider='openai', model='fake-model',
                                                              base_url=fake.base_url, is_default=True))
    created = await services.characters.create(owner, character or CharacterFields(name='Mira', first_mes='Hello.'))
    return await services.chats.start(owner, created.id)
