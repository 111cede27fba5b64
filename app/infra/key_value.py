"""A small shared key-value store with expiry and counters: Redis when configured, in-process otherwise.

Used for rate limits, one-time login tickets and, later, caches and locks. Both backends behave the same, and the
test suite runs the same tests against each.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, Protocol, TypeVar

import redis.asyncio as redis
from redis.exceptions import RedisError

from ..errors import ServiceUnavailableError

P = ParamSpec('P')
T = TypeVar('T')


class KeyValueStore(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None: ...

    async def pop(self, key: str) -> str | None:
        """Read and delete in one step, so a one-time value can be used only once."""

    async def add(self, key: str, value: str, ttl_seconds: int) -> bool:
        """Set the key only if it does not exist yet; True when this call set it (a simple lock)."""

    async def delete(self, key: str) -> None: ...

    async def incr(self, key: str, ttl_seconds: int) -> int:
        """Add one and return the new count; the expiry starts with the first increment."""

    async def ttl(self, key: str) -> int:
        """Seconds until the key expires, 0 when it does not exist."""

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class MemoryKeyValueStore:
    """In-process store for a single instance without Redis."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float | None]] = {}

    def _live(self, key: str) -> tuple[str, float | None] | None:
        entry = self._values.get(key)
        if entry and entry[1] is not None and entry[1] <= time.monotonic():
            del self._values[key]
            return None
        return entry

    async def get(self, key: str) -> str | None:
        entry = self._live(key)
        return entry[0] if entry else None

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        self._values[key] = (value, time.monotonic() + ttl_seconds if ttl_seconds else None)

    async def pop(self, key: str) -> str | None:
        entry = self._live(key)
        self._values.pop(key, None)
        return entry[0] if entry else None

    async def add(self, key: str, value: str, ttl_seconds: int) -> bool:
        if self._live(key):
            return False
        await self.set(key, value, ttl_seconds)
        return True

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def incr(self, key: str, ttl_seconds: int) -> int:
        entry = self._live(key)
        count = int(entry[0]) + 1 if entry else 1
        expires = entry[1] if entry else time.monotonic() + ttl_seconds
        self._values[key] = (str(count), expires)
        return count

    async def ttl(self, key: str) -> int:
        entry = self._live(key)
        if not entry:
            return 0
        return -1 if entry[1] is None else max(1, int(entry[1] - time.monotonic() + 0.999))

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._values.clear()


def _redis_call(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Turn Redis failures into one error a user can understand instead of a traceback."""
    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError) as error:
            raise ServiceUnavailableError('error.redis.unavailable', 'The shared cache (Redis) cannot be reached. '
                                          'Try again in a moment.') from error
    return wrapper


class RedisKeyValueStore:
    """Redis-backed store shared by every instance; keys are prefixed so one Redis can serve several apps."""

    def __init__(self, url: str, prefix: str = 'tavern:') -> None:
        self._redis = redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix

    @property
    def client(self) -> redis.Redis:
        return self._redis

    @_redis_call
    async def get(self, key: str) -> str | None:
        return await self._redis.get(self._prefix + key)

    @_redis_call
    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        await self._redis.set(self._prefix + key, value, ex=ttl_seconds)

    @_redis_call
    async def pop(self, key: str) -> str | None:
        return await self._redis.getdel(self._prefix + key)

    @_redis_call
    async def add(self, key: str, value: str, ttl_seconds: int) -> bool:
        return bool(await self._redis.set(self._prefix + key, value, ex=ttl_seconds, nx=True))

    @_redis_call
    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    @_redis_call
    async def incr(self, key: str, ttl_seconds: int) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._prefix + key)
            pipe.expire(self._prefix + key, ttl_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    @_redis_call
    async def ttl(self, key: str) -> int:
        return max(0, await self._redis.ttl(self._prefix + key)) or 0

    @_redis_call
    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def create_key_value_store(redis_url: str, prefix: str = 'tavern:') -> KeyValueStore:
    return RedisKeyValueStore(redis_url, prefix) if redis_url else MemoryKeyValueStore()
