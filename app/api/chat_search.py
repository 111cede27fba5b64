"""Managing many chats over REST: search across all of them, bulk export and delete, a chat's family tree, its
bookmarks and checkpoints.

This router is mounted before the chats router, so `/api/v1/chats/search` is not read as a chat id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..db.models import User
from ..errors import NotFoundError
from ..services.chat_bulk import MAX_CHATS
from ..services.chat_search import DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_LENGTH, SearchPage
from ..services.chat_tree import MAX_CHECKPOINT_NAME, ChatMark, ChatTreeNode
from ..services.chats import MAX_BOOKMARK_LABEL, ChatSummary
from ..services.container import Services
from .chats import MessageRead
from .deps import CurrentUser, ServicesDep
from .downloads import download_response

router = APIRouter(prefix='/api/v1/chats', tags=['chats'])
ZIP_RESPONSE = {200: {'description': 'A zip of SillyTavern chat files (.jsonl), as an attachment.',
                      'content': {'application/zip': {'schema': {'type': 'string', 'format': 'binary'}}}}}


class ChatIds(BaseModel):
    chat_ids: list[str] = Field(min_length=1, max_length=MAX_CHATS)


class Deleted(BaseModel):
    deleted: int


class NewCheckpoint(BaseModel):
    seq: int
    name: str = Field(max_length=MAX_CHECKPOINT_NAME)


class Bookmark(BaseModel):
    label: str = Field(default='', max_length=MAX_BOOKMARK_LABEL)


@router.get('/search', response_model=SearchPage)
async def search(user: CurrentUser, services: ServicesDep,
                 q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH)],
                 character_id: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
                 cursor: str | None = None) -> SearchPage:
    """Chats whose messages (their shown swipe) or title contain `q`, ignoring case, newest activity first.

    Each chat lists its newest few matching messages with a snippet around the match and how many matched. Pass
    `next_cursor` as `cursor` for the next page.
    """
    return await services.chat_search.search(user, q, character_id=character_id, limit=limit, cursor=cursor)


@router.post('/export', response_class=Response, responses=ZIP_RESPONSE)
async def export_chats(body: ChatIds, user: CurrentUser, services: ServicesDep) -> Response:
    """Download the chats as one zip of SillyTavern JSONL files; if any id is not one of yours, nothing is sent."""
    return download_response(await services.chat_bulk.export_zip(user, body.chat_ids))


@router.post('/delete', response_model=Deleted)
async def delete_chats(body: ChatIds, user: CurrentUser, services: ServicesDep) -> Deleted:
    """Delete the chats with their messages, all or none: if any id is not one of yours, nothing is deleted."""
    return Deleted(deleted=await services.chat_bulk.delete(user, body.chat_ids))


@router.get('/{chat_id}/tree', response_model=ChatTreeNode)
async def chat_tree(chat_id: str, user: CurrentUser, services: ServicesDep) -> ChatTreeNode:
    """The chat's family: the root chat it was (indirectly) branched from, with every branch below it."""
    return await services.chat_tree.tree(user, chat_id)


@router.get('/{chat_id}/marks', response_model=list[ChatMark])
async def chat_marks(chat_id: str, user: CurrentUser, services: ServicesDep) -> list[ChatMark]:
    """The chat's bookmarked messages and checkpoint links (with the linked chat's id when it is found)."""
    return await services.chat_tree.marks(user, chat_id)


@router.post('/{chat_id}/checkpoints', response_model=ChatSummary, status_code=201)
async def create_checkpoint(chat_id: str, body: NewCheckpoint, user: CurrentUser,
                            services: ServicesDep) -> ChatSummary:
    """A named branch up to message `seq`, linked from that message as SillyTavern's `extra.bookmark_link`."""
    chat = await services.chat_tree.create_checkpoint(user, chat_id, body.seq, body.name)
    return ChatSummary.model_validate(chat, from_attributes=True)


@router.put('/{chat_id}/messages/{message_id}/bookmark', response_model=MessageRead)
async def bookmark(chat_id: str, message_id: int, body: Bookmark, user: CurrentUser,
                   services: ServicesDep) -> MessageRead:
    """Bookmark the message, or change its bookmark's label."""
    await _message_of(services, user, chat_id, message_id)
    return MessageRead.model_validate(await services.chats.set_bookmark(user, message_id, body.label),
                                      from_attributes=True)


@router.delete('/{chat_id}/messages/{message_id}/bookmark', status_code=204)
async def remove_bookmark(chat_id: str, message_id: int, user: CurrentUser, services: ServicesDep) -> None:
    await _message_of(services, user, chat_id, message_id)
    await services.chats.set_bookmark(user, message_id, None)


async def _message_of(services: Services, user: User, chat_id: str, message_id: int) -> None:
    """Refuse a message id that belongs to another chat than the one in the path."""
    if (await services.chats.message(user, message_id)).chat_id != chat_id:
        raise NotFoundError('error.message.not_found', 'No such message.')
