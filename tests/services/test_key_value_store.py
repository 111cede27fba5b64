import asyncio
from collections.abc import AsyncIterator

import pytest

from app.errors import ServiceUnavailableError
from app.infra.key_value import KeyValueStore, MemoryKeyValueStore, RedisKeyValueStore


@pytest.fixture(params=['memory', 'redis'])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[KeyValueStore]:
    if request.param == 'memory':
        kv: KeyValueStore = MemoryKeyValueStore()
    else:
        kv = RedisKeyValueStore(request.getfixturevalue('redis_url'), prefix='tavern-test:')
    yield kv
    await kv.close()


async def test_set_get_pop_delete(store: KeyValueStore) -> None:
    await store.set('a', '1')
    assert await store.get('a') == '1'
    assert await store.pop('a') == '1'
    assert await store.pop('a') is None
    await store.set('b', '2')
    await store.delete('b')
    assert await store.get('b') is None


async def test_values_expire(store: KeyValueStore) -> None:
    await store.set('short', 'x', ttl_seconds=1)
    assert 0 < await store.ttl('short') <= 1
    await asyncio.sleep(1.1)
    assert await store.get('short') is None
    assert await store.ttl('short') == 0


async def test_counter_keeps_its_first_expiry(store: KeyValueStore) -> None:
    assert [await store.incr('n', 1) for _ in range(3)] == [1, 2, 3]
    await asyncio.sleep(1.1)
    assert await store.incr('n', 1) == 1


async def test_ping(store: KeyValueStore) -> None:
    await store.ping()


async def test_redis_ping_fails_clearly_when_redis_is_gone() -> None:
    kv = RedisKeyValueStore('redis://127.0.0.1:1/0')
    with pytest.raises(ServiceUnavailableError, match="Redis"):
        await kv.ping()
    await kv.close()


async def test_add_sets_only_once(store: KeyValueStore) -> None:
    assert await store.add('lock', 'first', 10)
    assert not await store.add('lock', 'second', 10)
    assert await store.get('lock') == 'first'
    await store.delete('lock')
    assert await store.add('lock', 'third', 10)
