"""Chats over REST, plus the Server-Sent Events stream of a chat's replies and the interrupt endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ..db.models import Message
from ..services.chats import MAX_MESSAGE_LENGTH, MAX_WINDOW, ChatConfig, ChatSummary
from ..services.generation_settings import GenerationSettings
from ..services.generation_stream import StreamEvent
from .deps import CurrentUser, ServicesDep

router = APIRouter(prefix='/api/v1/chats', tags=['chats'])
stream_router = APIRouter(prefix='/api/chat', tags=['chats'])
KEEPALIVE_SECONDS = 15


class ChatCreate(BaseModel):
    character_id: str
    persona_id: str | None = None


class ChatUpdate(ChatConfig):
    """Rename the chat, or change what it replies with; fields left out stay as they are."""

    title: str | None = Field(default=None, max_length=200)


class ChatRead(ChatSummary):
    connection_id: str | None
    persona_id: str | None
    settings: GenerationSettings


class Draft(BaseModel):
    draft: str = Field(default='', max_length=MAX_MESSAGE_LENGTH)


class PromptTokens(BaseModel):
    prompt_tokens: int


class Impersonation(BaseModel):
    content: str


class MessageRead(BaseModel):
    id: int
    seq: int
    role: str
    name: str
    content: str
    swipes: list[str]
    swipe_index: int
    status: str
    error: str | None
    meta: dict[str, Any]
    created_at: datetime


class MessagePageRead(BaseModel):
    items: list[MessageRead]
    has_older: bool


class SendMessage(BaseModel):
    content: str = Field(max_length=MAX_MESSAGE_LENGTH)


class SendResult(BaseModel):
    message_id: int
    reply_id: int


class ReplyStarted(BaseModel):
    reply_id: int


class EditMessage(BaseModel):
    content: str = Field(max_length=MAX_MESSAGE_LENGTH)


class Swipe(BaseModel):
    direction: Literal[-1, 1]


class DeleteMessages(BaseModel):
    message_ids: list[int] = Field(min_length=1, max_length=1000)


class Branch(BaseModel):
    up_to_seq: int


class Interrupt(BaseModel):
    messageId: int | None = None
    reason: Literal['user_stop', 'regenerate'] = 'user_stop'


def _read(message: Message) -> MessageRead:
    return MessageRead.model_validate(message, from_attributes=True)


@router.post('', response_model=ChatSummary, status_code=201)
async def create_chat(body: ChatCreate, user: CurrentUser, services: ServicesDep) -> ChatSummary:
    """Start a chat with a character; its greeting (with alternate greetings as swipes) is the first message."""
    chat = await services.chats.start(user, body.character_id, persona_id=body.persona_id)
    return ChatSummary.model_validate(chat, from_attributes=True)


@router.get('', response_model=list[ChatSummary])
async def list_chats(user: CurrentUser, services: ServicesDep, character_id: str | None = None, q: str = '',
                     offset: int = 0, limit: int = 50) -> list[ChatSummary]:
    return await services.chats.list_chats(user, character_id=character_id, query=q, offset=max(0, offset),
                                           limit=max(1, min(limit, 200)))


@router.get('/{chat_id}', response_model=ChatRead)
async def get_chat(chat_id: str, user: CurrentUser, services: ServicesDep) -> ChatRead:
    return ChatRead.model_validate(await services.chats.get(user, chat_id), from_attributes=True)


@router.patch('/{chat_id}', response_model=ChatRead)
async def update_chat(chat_id: str, body: ChatUpdate, user: CurrentUser, services: ServicesDep) -> ChatRead:
    """Rename the chat or set its connection, persona and generation settings (`null` = the default)."""
    chat = await services.chats.get(user, chat_id)
    if body.title is not None:
        chat = await services.chats.rename(user, chat_id, body.title)
    config = ChatConfig.model_validate(body.model_dump(include=body.model_fields_set - {'title'}))
    if config.model_fields_set:
        chat = await services.chats.configure(user, chat_id, config)
    return ChatRead.model_validate(chat, from_attributes=True)


@router.delete('/{chat_id}', status_code=204)
async def delete_chat(chat_id: str, user: CurrentUser, services: ServicesDep) -> None:
    await services.chats.delete(user, chat_id)


@router.get('/{chat_id}/messages', response_model=MessagePageRead)
async def list_messages(chat_id: str, user: CurrentUser, services: ServicesDep, before: int | None = None,
                        limit: int = 50) -> MessagePageRead:
    """A window of messages, oldest first; pass the first item's `seq` as `before` to page back."""
    page = await services.chats.messages(user, chat_id, before_seq=before, limit=max(1, min(limit, MAX_WINDOW)))
    return MessagePageRead(items=[_read(m) for m in page.items], has_older=page.has_older)


@router.post('/{chat_id}/messages', response_model=SendResult, status_code=202)
async def send_message(chat_id: str, body: SendMessage, user: CurrentUser, services: ServicesDep) -> SendResult:
    """Store the user's message and start the reply; follow it on `GET /api/chat/stream/{chat_id}`."""
    message, reply_id = await services.generation.send(user, chat_id, body.content)
    return SendResult(message_id=message.id, reply_id=reply_id)  # type: ignore[arg-type]


@router.post('/{chat_id}/reply', response_model=ReplyStarted, status_code=202)
async def reply(chat_id: str, user: CurrentUser, services: ServicesDep) -> ReplyStarted:
    """Let the character write the next message without a new user message."""
    return ReplyStarted(reply_id=await services.generation.reply(user, chat_id))


@router.post('/{chat_id}/regenerate', response_model=ReplyStarted, status_code=202)
async def regenerate(chat_id: str, user: CurrentUser, services: ServicesDep) -> ReplyStarted:
    """Write a new swipe of the last reply (earlier swipes are kept), or a reply if the chat does not end in one."""
    return ReplyStarted(reply_id=await services.generation.regenerate(user, chat_id))


@router.post('/{chat_id}/continue', response_model=ReplyStarted, status_code=202)
async def continue_reply(chat_id: str, user: CurrentUser, services: ServicesDep) -> ReplyStarted:
    """Make the last reply longer; the new text streams as deltas of the same message."""
    return ReplyStarted(reply_id=await services.generation.continue_reply(user, chat_id))


@router.post('/{chat_id}/impersonate', response_model=Impersonation)
async def impersonate(chat_id: str, user: CurrentUser, services: ServicesDep) -> Impersonation:
    """Write the user's next message in their voice; nothing is stored (the caller decides whether to send it)."""
    return Impersonation(content=await services.generation.impersonate(user, chat_id))


@router.post('/{chat_id}/prompt-tokens', response_model=PromptTokens)
async def prompt_tokens(chat_id: str, body: Draft, user: CurrentUser, services: ServicesDep) -> PromptTokens:
    """How many tokens the next prompt takes if `draft` were sent now."""
    return PromptTokens(prompt_tokens=await services.generation.prompt_tokens(user, chat_id, body.draft))


@router.post('/{chat_id}/messages/{message_id}/swipe', response_model=MessageRead | ReplyStarted)
async def swipe(chat_id: str, message_id: int, body: Swipe, user: CurrentUser,
                services: ServicesDep) -> MessageRead | ReplyStarted:
    """Show the previous or next swipe; swiping right past the last one generates a new swipe (202 semantics)."""
    page = await services.chats.messages(user, chat_id, limit=1)
    current = next((m for m in page.items if m.id == message_id), None)
    if body.direction == 1 and current is not None and current.role == 'assistant' \
            and current.swipe_index >= len(current.swipes) - 1:
        return ReplyStarted(reply_id=await services.generation.new_swipe(user, chat_id, message_id))
    return _read(await services.chats.swipe(user, message_id, body.direction))


@router.patch('/{chat_id}/messages/{message_id}', response_model=MessageRead)
async def edit_message(chat_id: str, message_id: int, body: EditMessage, user: CurrentUser,
                       services: ServicesDep) -> MessageRead:
    await services.chats.get(user, chat_id)
    return _read(await services.chats.edit(user, message_id, body.content))


@router.post('/{chat_id}/messages/delete', status_code=200)
async def delete_messages(chat_id: str, body: DeleteMessages, user: CurrentUser, services: ServicesDep) -> dict:
    return {'deleted': await services.chats.delete_messages(user, chat_id, body.message_ids)}


@router.post('/{chat_id}/branch', response_model=ChatSummary, status_code=201)
async def branch(chat_id: str, body: Branch, user: CurrentUser, services: ServicesDep) -> ChatSummary:
    """A new chat with copies of the messages up to and including `up_to_seq`."""
    return ChatSummary.model_validate(await services.chats.branch(user, chat_id, body.up_to_seq),
                                      from_attributes=True)


@stream_router.get('/stream/{chat_id}')
async def stream(chat_id: str, request: Request, user: CurrentUser, services: ServicesDep,
                 last_event_id: str | None = Header(default=None)) -> StreamingResponse:
    """Server-Sent Events of the chat's replies: `message` deltas, `error`, `complete`; honours `Last-Event-ID`.

    Each event's data is `{"data": ..., "messageId": ..., "timestamp": ...}`. Without `Last-Event-ID` only events
    from now on are sent; with it, everything after that id that the server still keeps.
    """
    await services.chats.get(user, chat_id)
    events = services.streams.subscribe(chat_id, after_id=last_event_id or '$')
    return StreamingResponse(_sse(events, request), media_type='text/event-stream',
                             headers={'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no'})


@stream_router.post('/interrupt/{chat_id}', status_code=202)
async def interrupt(chat_id: str, body: Interrupt, user: CurrentUser, services: ServicesDep) -> dict:
    """Stop the chat's running reply (the partial text is kept, marked interrupted); `regenerate` then starts a new
    swipe of the last reply."""
    await services.generation.stop(user, chat_id)
    if body.reason == 'regenerate':
        await services.generation.wait(chat_id)
        return {'stopping': True, 'reason': body.reason,
                'reply_id': await services.generation.regenerate(user, chat_id)}
    return {'stopping': True, 'reason': body.reason}


async def _sse(events: AsyncIterator[StreamEvent], request: Request) -> AsyncIterator[bytes]:
    """Format events as SSE, with a comment line as keep-alive while nothing happens."""
    iterator = events.__aiter__()
    next_event = asyncio.ensure_future(anext(iterator))
    try:
        while not await request.is_disconnected():
            done, _ = await asyncio.wait({next_event}, timeout=KEEPALIVE_SECONDS)
            if not done:
                yield b': keep-alive\n\n'
                continue
            event = next_event.result()
            payload = json.dumps({'data': event.data, 'messageId': event.message_id, 'timestamp': event.timestamp},
                                 ensure_ascii=False)
            yield f'id: {event.id}\nevent: {event.kind}\ndata: {payload}\n\n'.encode()
            next_event = asyncio.ensure_future(anext(iterator))
    finally:
        next_event.cancel()
        await iterator.aclose()  # type: ignore[attr-defined]
