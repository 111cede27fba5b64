from collections.abc import Awaitable, Callable

from nicegui.testing import User

from app import runtime
from tests.support.fake_openai import FakeOpenAI

Login = Callable[..., Awaitable]


async def test_add_test_edit_and_delete_a_connection(user: User, login: Login, fake_openai: FakeOpenAI) -> None:
    alice = await login('alice')
    await user.open('/connections')
    await user.should_see(marker='no-connections')
    user.find(marker='add-connection').click()
    user.find(marker='connection-name').type('Fake')
    user.find(marker='connection-url').type(fake_openai.base_url)
    user.find(marker='connection-model').type('fake-model')
    user.find(marker='connection-key').type('sk-secret-abcdefgh')
    user.find(marker='save-connection').click()
    await user.should_see(marker='connection-Fake')
    stored = await runtime.services().connections.default(alice)
    assert stored is not None and runtime.services().connections.api_key(stored) == 'sk-secret-abcdefgh'
    user.find(marker='test-connection').click()
    await user.should_see('models: fake-model')
    user.find(marker='delete-connection').click()
    await user.should_see(marker='confirm-ok')
    user.find(marker='confirm-ok').click()
    await user.should_see(marker='no-connections')


async def test_an_invalid_address_is_explained(user: User, login: Login) -> None:
    await login('alice')
    await user.open('/connections')
    user.find(marker='add-connection').click()
    user.find(marker='connection-name').type('Broken')
    user.find(marker='connection-url').type('not a url')
    user.find(marker='save-connection').click()
    await user.should_see('Check these fields: base_url')


async def test_an_unreachable_server_shows_why(user: User, login: Login) -> None:
    await login('alice')
    await user.open('/connections')
    user.find(marker='add-connection').click()
    user.find(marker='connection-name').type('Down')
    user.find(marker='connection-url').type('http://127.0.0.1:9/v1')
    user.find(marker='save-connection').click()
    await user.should_see(marker='connection-Down')
    user.find(marker='test-connection').click()
    await user.should_see('Cannot reach http://127.0.0.1:9/v1', retries=30)
