"""A chat's prompt over REST: the exact prompt preview for the next reply, and the chat's author's note."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ..services.prompting.authors_note import ChatNote
from .deps import CurrentUser, ServicesDep

router = APIRouter(prefix='/api/v1/chats', tags=['chats'])


class PreviewMessage(BaseModel):
    role: str
    content: str
    name: str = ''
    source: str


class PreviewBlock(BaseModel):
    source: str
    tokens: int


class PromptPreview(BaseModel):
    """The message list the next reply would send, which prompt block each message came from, token counts per
    block, and the lorebook entries that would fire (with the reason each fired). For a text backend with a
    context or instruct preset, `text` is the whole prompt (also the one message) and `stop` its stop strings.
    `fits` is false when the fixed blocks alone exceed the context: the whole prompt is shown, and a reply would
    be refused until something is shortened."""

    messages: list[PreviewMessage]
    blocks: list[PreviewBlock]
    total_tokens: int
    context_size: int
    max_new_tokens: int
    history_kept: int
    world_info: list[dict[str, Any]]
    text: str | None = None
    stop: list[str] = []
    fits: bool = True


@router.get('/{chat_id}/prompt-preview', response_model=PromptPreview)
async def prompt_preview(chat_id: str, user: CurrentUser, services: ServicesDep) -> PromptPreview:
    """The exact prompt for the next reply; building it changes nothing."""
    target, prepared = await services.generation.preview(user, chat_id)
    built = prepared.built
    return PromptPreview(
        messages=[PreviewMessage(role=message.role, content=message.content, name=message.name, source=source)
                  for message, source in zip(built.messages, built.sources, strict=True)],
        blocks=[PreviewBlock(source=source, tokens=tokens) for source, tokens in built.block_tokens.items()],
        total_tokens=built.total_tokens, context_size=target.context_size, max_new_tokens=target.sampler.max_tokens,
        history_kept=built.history_kept, world_info=prepared.world_info, text=built.text, stop=built.stop,
        fits=prepared.fits)


@router.get('/{chat_id}/authors-note', response_model=ChatNote)
async def get_authors_note(chat_id: str, user: CurrentUser, services: ServicesDep) -> ChatNote:
    return ChatNote.from_meta((await services.chats.get(user, chat_id)).meta or {})


@router.put('/{chat_id}/authors-note', response_model=ChatNote)
async def set_authors_note(chat_id: str, body: ChatNote, user: CurrentUser, services: ServicesDep) -> ChatNote:
    """Set the chat's author's note: text, every how many user messages, in prompt or in chat at a depth, role."""
    chat = await services.chats.update_meta(user, chat_id, body.to_meta())
    return ChatNote.from_meta(chat.meta)
