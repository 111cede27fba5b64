import pytest
from pydantic import ValidationError
from sqlmodel import select

from app.db.models import ProviderConnection, User
from app.errors import NotFoundError
from app.services.connections import ConnectionFields, ConnectionService, ConnectionUpdate
from app.services.container import Services
from app.services.providers.kinds import PROVIDER_KINDS
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
async def alice(services: Services) -> User:
    return await services.accounts.register('alice', 'correct horse battery')


def connections(services: Services) -> ConnectionService:
    return services.connections


async def test_keys_are_encrypted_at_rest_and_masked_when_read(services: Services, alice: User) -> None:
    created = await connections(services).create(alice, ConnectionFields(
        name='OpenRouter', provider='openai', base_url='https://openrouter.ai/api/v1/', model='some/model',
        api_key='sk-secret-123456789'))
    assert created.api_key_hint == '••••6789' and created.base_url == 'https://openrouter.ai/api/v1'
    async with services.db.session() as session:
        stored = (await session.exec(select(ProviderConnection))).one()
    assert 'sk-secret' not in (stored.api_key_encrypted or '')
    assert connections(services).api_key(stored) == 'sk-secret-123456789'


async def test_update_keeps_or_removes_the_key_and_one_default(services: Services, alice: User) -> None:
    service = connections(services)
    first = await service.create(alice, ConnectionFields(name='A', provider='ollama', api_key='key-aaaaaaaa',
                                                         is_default=True))
    second = await service.create(alice, ConnectionFields(name='B', provider='ollama', is_default=True))
    assert (await service.default(alice)).id == second.id
    kept = await service.update(alice, first.id, ConnectionUpdate(model='llama3'))
    assert kept.api_key_hint == '••••aaaa' and kept.model == 'llama3'
    removed = await service.update(alice, first.id, ConnectionUpdate(api_key='', is_default=True))
    assert removed.api_key_hint is None
    assert [c.name for c in await service.list(alice) if c.is_default] == ['A']


async def test_other_users_connections_are_not_found(services: Services, alice: User) -> None:
    service = connections(services)
    created = await service.create(alice, ConnectionFields(name='A', provider='ollama'))
    bob = await services.accounts.register('bob', 'correct horse battery')
    with pytest.raises(NotFoundError):
        await service.get(bob, created.id)
    with pytest.raises(NotFoundError):
        await service.delete(bob, created.id)
    assert await service.list(bob) == []


def test_an_unknown_kind_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValidationError, match='unknown connection kind "openia"; use one of: openai, openai_text'):
        ConnectionFields(name='Typo', provider='openia')


@pytest.mark.parametrize(('kind', 'adapter'), [
    ('openai', 'OpenAICompatibleProvider'), ('openai_text', 'OpenAICompatibleTextProvider'),
    ('anthropic', 'AnthropicProvider'), ('gemini', 'GeminiProvider'), ('koboldcpp', 'KoboldCppProvider'),
    ('ollama', 'OllamaProvider'),
])
async def test_each_kind_gets_its_adapter_at_its_usual_address(services: Services, alice: User, kind: str,
                                                               adapter: str) -> None:
    created = await connections(services).create(alice, ConnectionFields(name=kind, provider=kind))
    provider = connections(services).provider(await connections(services).get(alice, created.id))
    assert type(provider).__name__ == adapter
    assert provider.base_url == PROVIDER_KINDS[kind].default_base_url


async def test_the_model_list_is_cached_until_the_connection_changes(services: Services, alice: User,
                                                                     fake_openai: FakeOpenAI) -> None:
    service = connections(services)
    created = await service.create(alice, ConnectionFields(name='Fake', provider='openai',
                                                           base_url=fake_openai.base_url))
    before = fake_openai.model_listings
    assert await service.models(alice, created.id) == ['fake-model']
    assert await service.models(alice, created.id) == ['fake-model']
    assert fake_openai.model_listings == before + 1
    await service.models(alice, created.id, refresh=True)
    await service.update(alice, created.id, ConnectionUpdate(name='Renamed'))
    await service.models(alice, created.id)
    assert fake_openai.model_listings == before + 3
    check = await service.check(alice, created.id)
    assert check.error is None and check.models == ['fake-model']
