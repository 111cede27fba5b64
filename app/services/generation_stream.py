"""Per-chat generation streams: every delta of a reply, readable live by any number of subscribers.

Events carry increasing ids, so a reconnecting reader resumes after the last id it saw (SSE `Last-Event-ID`, a page
reconnecting). In-process by default; with Redis the events go to a Redis Stream (`XADD`), so a tab on another
instance follows the same reply live. Either way a process keeps ONE reader per chat and fans events out to its local
subscribers, so 1,000 watchers cost one Redis connection, not 1,000.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import redis.asyncio as redis

EventKind = Literal['message', 'error', 'complete']
BACKLOG = 20_000
EXPIRE_SECONDS = 3600
REDIS_BLOCK_MS = 1000


@dataclass(frozen=True)
class StreamEvent:
    id: str
    kind: EventKind
    message_id: int
    data: str
    timestamp: float


class GenerationStreams(Protocol):
    async def publish(self, chat_id: str, kind: EventKind, message_id: int, data: str) -> str:
        """Append an event and return its id."""
        ...

    def subscribe(self, chat_id: str, after_id: str | None = None) -> AsyncIterator[StreamEvent]:
        """Kept events after `after_id` (all of them for None, none for '$'), then live ones as they come."""
        ...

    async def last_id(self, chat_id: str) -> str:
        """The id of the chat's newest event ('0-0' when there is none): where a new reply's events will start."""
        ...

    async def close(self) -> None: ...


@dataclass
class _Fanout:
    """The events of one chat seen by this process, and the subscribers waiting for more.

    Each subscriber keeps its absolute position, so a wake-up costs only the new events (never a rescan); events up
    to the id a reader resumes after are skipped as they arrive (the Redis reader may still be loading them).
    """

    events: list[StreamEvent] = field(default_factory=list)
    dropped: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: int = 0
    reader: asyncio.Task | None = None
    on_idle: Callable[[], None] | None = None

    def add(self, event: StreamEvent) -> None:
        self.events.append(event)
        if len(self.events) > BACKLOG:
            half = len(self.events) // 2
            del self.events[:half]
            self.dropped += half
        self.changed.set()
        self.changed = asyncio.Event()

    async def follow(self, after_id: str | None) -> AsyncIterator[StreamEvent]:
        skip_through = _sort_key(after_id) if after_id else None
        position = self.dropped
        self.subscribers += 1
        try:
            while True:
                waiter = self.changed
                while (index := max(position, self.dropped) - self.dropped) < len(self.events):
                    event = self.events[index]
                    position = self.dropped + index + 1
                    if skip_through and _sort_key(event.id) <= skip_through:
                        continue
                    skip_through = None
                    yield event
                await waiter.wait()
        finally:
            self.subscribers -= 1
            if not self.subscribers and self.on_idle:
                self.on_idle()


def _sort_key(event_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = event_id.partition('-')
    return int(milliseconds), int(sequence or 0)


class MemoryGenerationStreams:
    """Single-process streams; events expire an hour after a chat's last event."""

    def __init__(self) -> None:
        self._chats: dict[str, _Fanout] = {}
        self._last_ms = 0
        self._seq = 0
        self._touched: dict[str, float] = {}

    async def publish(self, chat_id: str, kind: EventKind, message_id: int, data: str) -> str:
        event = StreamEvent(self._next_id(), kind, message_id, data, time.time())
        self._chats.setdefault(chat_id, _Fanout()).add(event)
        self._touched[chat_id] = time.monotonic()
        self._expire()
        return event.id

    async def subscribe(self, chat_id: str, after_id: str | None = None) -> AsyncIterator[StreamEvent]:
        fanout = self._chats.get(chat_id)
        if fanout is None:
            fanout = self._chats[chat_id] = _Fanout()
            fanout.on_idle = lambda: None if fanout.events else self._chats.pop(chat_id, None)
        if after_id == '$':
            after_id = await self.last_id(chat_id)
        async for event in fanout.follow(after_id):
            yield event

    async def last_id(self, chat_id: str) -> str:
        fanout = self._chats.get(chat_id)
        return fanout.events[-1].id if fanout and fanout.events else '0-0'

    async def close(self) -> None:
        self._chats.clear()

    def _next_id(self) -> str:
        now = int(time.time() * 1000)
        if now > self._last_ms:
            self._last_ms, self._seq = now, 0
        else:
            self._seq += 1
        return f'{self._last_ms}-{self._seq}'

    def _expire(self) -> None:
        limit = time.monotonic() - EXPIRE_SECONDS
        for chat_id in [c for c, touched in self._touched.items() if touched < limit]:
            self._touched.pop(chat_id, None)
            self._chats.pop(chat_id, None)


class RedisGenerationStreams:
    """Streams in Redis (`XADD` with a cap and an expiry); one `XREAD` loop per watched chat per process."""

    def __init__(self, url: str, prefix: str = 'tavern:gen:') -> None:
        self._redis = redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._chats: dict[str, _Fanout] = {}

    async def publish(self, chat_id: str, kind: EventKind, message_id: int, data: str) -> str:
        key = self._prefix + chat_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, {'kind': kind, 'message_id': message_id, 'data': data, 'ts': repr(time.time())},
                      maxlen=BACKLOG, approximate=True)
            pipe.expire(key, EXPIRE_SECONDS)
            event_id, _ = await pipe.execute()
        return event_id

    async def subscribe(self, chat_id: str, after_id: str | None = None) -> AsyncIterator[StreamEvent]:
        if after_id == '$':
            after_id = await self.last_id(chat_id)
        fanout = self._chats.get(chat_id)
        if fanout is None:
            fanout = self._chats[chat_id] = _Fanout()
            fanout.reader = asyncio.create_task(self._read(chat_id, fanout), name=f'generation stream {chat_id}')
            fanout.on_idle = lambda: self._stop_reading(chat_id)
        async for event in fanout.follow(after_id):
            yield event

    async def last_id(self, chat_id: str) -> str:
        last = await self._redis.xrevrange(self._prefix + chat_id, count=1)
        return last[0][0] if last else '0-0'

    def _stop_reading(self, chat_id: str) -> None:
        fanout = self._chats.pop(chat_id, None)
        if fanout and fanout.reader:
            fanout.reader.cancel()

    async def close(self) -> None:
        for fanout in self._chats.values():
            if fanout.reader:
                fanout.reader.cancel()
        self._chats.clear()
        await self._redis.aclose()

    async def _read(self, chat_id: str, fanout: _Fanout) -> None:
        """Copy the Redis Stream into the local fan-out, from its start, for as long as anyone here watches."""
        key, last = self._prefix + chat_id, '0-0'
        while True:
            try:
                batches = await self._redis.xread({key: last}, block=REDIS_BLOCK_MS, count=500)
            except (redis.ConnectionError, OSError):
                await asyncio.sleep(0.5)
                continue
            for _stream, entries in batches or []:
                for event_id, values in entries:
                    last = event_id
                    fanout.add(StreamEvent(event_id, values['kind'], int(values['message_id']), values['data'],
                                           float(values['ts'])))


def create_generation_streams(redis_url: str) -> GenerationStreams:
    return RedisGenerationStreams(redis_url) if redis_url else MemoryGenerationStreams()


async def collect(stream: AsyncIterator[StreamEvent], until: EventKind = 'complete',
                  timeout: float = 10.0) -> list[StreamEvent]:
    """Read events until one of kind `until` (or 'error') arrives; for tests and non-streaming API callers."""
    events: list[StreamEvent] = []

    async def read() -> None:
        async for event in stream:
            events.append(event)
            if event.kind in (until, 'error'):
                return

    await asyncio.wait_for(read(), timeout)
    with contextlib.suppress(Exception):
        await stream.aclose()  # type: ignore[attr-defined]
    return events
