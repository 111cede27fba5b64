import asyncio
from collections.abc import AsyncIterator

import pytest

from app.services import generation_stream
from app.services.generation_stream import (
    GenerationStreams,
    MemoryGenerationStreams,
    RedisGenerationStreams,
    StreamEvent,
    collect,
)


@pytest.fixture(params=['memory', 'redis'])
async def streams(request: pytest.FixtureRequest) -> AsyncIterator[GenerationStreams]:
    created = MemoryGenerationStreams() if request.param == 'memory' else \
        RedisGenerationStreams(request.getfixturevalue('redis_url'))
    yield created
    await created.close()


async def _publish_reply(streams: GenerationStreams, chat_id: str, deltas: list[str], message_id: int = 7) -> None:
    for delta in deltas:
        await streams.publish(chat_id, 'message', message_id, delta)
    await streams.publish(chat_id, 'complete', message_id, '')


async def test_a_late_subscriber_gets_the_backlog_then_live_events(streams: GenerationStreams) -> None:
    await streams.publish('chat-a', 'message', 7, 'Hel')
    reader = asyncio.create_task(collect(streams.subscribe('chat-a')))
    await asyncio.sleep(0.05)
    await _publish_reply(streams, 'chat-a', ['lo', ' there'])
    events = await reader
    assert [(e.kind, e.data) for e in events] == [('message', 'Hel'), ('message', 'lo'), ('message', ' there'),
                                                  ('complete', '')]
    assert all(e.message_id == 7 for e in events)
    assert [e.id for e in events] == sorted(e.id for e in events)


async def test_resume_after_the_last_seen_id(streams: GenerationStreams) -> None:
    first = await streams.publish('chat-b', 'message', 1, 'one')
    await _publish_reply(streams, 'chat-b', ['two', 'three'], message_id=1)
    events = await collect(streams.subscribe('chat-b', after_id=first))
    assert [e.data for e in events] == ['two', 'three', '']


async def test_dollar_means_live_events_only(streams: GenerationStreams) -> None:
    await _publish_reply(streams, 'chat-c', ['old'])
    reader = asyncio.create_task(collect(streams.subscribe('chat-c', after_id='$')))
    await asyncio.sleep(0.05)
    await _publish_reply(streams, 'chat-c', ['new'], message_id=8)
    assert [(e.data, e.message_id) for e in await reader] == [('new', 8), ('', 8)]


async def test_every_subscriber_gets_every_event_and_chats_stay_apart(streams: GenerationStreams) -> None:
    readers = [asyncio.create_task(collect(streams.subscribe('chat-d'))) for _ in range(5)]
    other = asyncio.create_task(collect(streams.subscribe('chat-e')))
    await asyncio.sleep(0.05)
    await _publish_reply(streams, 'chat-d', [f'token{i} ' for i in range(200)])
    await _publish_reply(streams, 'chat-e', ['elsewhere'])
    results = await asyncio.gather(*readers)
    assert all(len(events) == 201 for events in results)
    assert ''.join(e.data for e in results[0]) == ''.join(f'token{i} ' for i in range(200))
    assert [e.data for e in await other] == ['elsewhere', '']


async def test_errors_end_a_collection(streams: GenerationStreams) -> None:
    await streams.publish('chat-f', 'message', 3, 'partial')
    await streams.publish('chat-f', 'error', 3, 'The API key was rejected.')
    events: list[StreamEvent] = await collect(streams.subscribe('chat-f'))
    assert [e.kind for e in events] == ['message', 'error']


async def test_a_slow_reader_skips_only_what_the_capped_backlog_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generation_stream, 'BACKLOG', 10)
    streams = MemoryGenerationStreams()
    reader = streams.subscribe('chat-g')
    task = asyncio.create_task(anext(reader))
    await asyncio.sleep(0.01)
    await streams.publish('chat-g', 'message', 1, 'd0')
    assert (await task).data == 'd0'
    for index in range(1, 30):
        await streams.publish('chat-g', 'message', 1, f'd{index}')
    kept = [event.data for event in streams._chats['chat-g'].events]
    assert 'd1' not in kept and kept[-1] == 'd29'
    assert [(await anext(reader)).data for _ in kept] == kept
    await reader.aclose()


async def test_a_second_process_follows_a_reply_live_through_redis(redis_url: str) -> None:
    writer, watcher = RedisGenerationStreams(redis_url), RedisGenerationStreams(redis_url)
    reader = asyncio.create_task(collect(watcher.subscribe('chat-h', after_id='$')))
    await asyncio.sleep(0.1)
    await _publish_reply(writer, 'chat-h', ['across ', 'instances'])
    assert ''.join(e.data for e in await reader) == 'across instances'
    await writer.close()
    await watcher.close()
