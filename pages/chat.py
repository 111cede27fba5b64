"""The chat page: a window of recent messages, the input, and replies that stream in as deltas.

The page follows the chat's generation stream for as long as it is open, so a reply started from another tab or
the API shows up here too. Deltas are buffered and sent to the browser every 150 ms as one `append` call; the
finished reply is loaded from the database and rendered as markdown once.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Literal

from fastapi.responses import RedirectResponse
from nicegui import background_tasks, ui

from app.db.models import Message
from app.errors import NotFoundError, TavernError
from app.services.character_card import fields_of
from components.chat_list_panel import ChatListPanel
from components.confirm_dialog import confirm
from components.message_view import MessageView
from components.page_context import PageContext
from components.streaming_text import StreamingText

from .registry import page

WINDOW = 30


@page('/characters/{character_id}/chat', title_key='chat.title')
async def character_chat_page(ctx: PageContext, character_id: str) -> RedirectResponse | None:
    """Open the character's most recent chat, or start the first one."""
    try:
        chats = await ctx.services.chats.list_chats(ctx.user, character_id=character_id, limit=1)
        chat_id = chats[0].id if chats else (await ctx.services.chats.start(ctx.user, character_id)).id
    except NotFoundError as error:
        ui.label(ctx.error_text(error)).classes('text-lg').mark('not-found')
        ui.context.client.status_code = 404
        return None
    return RedirectResponse(f'/chat/{chat_id}', status_code=303)


@page('/chat/{chat_id}', title_key='chat.title')
async def chat_page(ctx: PageContext, chat_id: str) -> None:
    try:
        chat = await ctx.services.chats.get(ctx.user, chat_id)
        character = await ctx.services.characters.get(ctx.user, chat.character_id)
    except NotFoundError as error:
        ui.label(ctx.error_text(error)).classes('text-lg').mark('not-found')
        ui.context.client.status_code = 404
        return
    view = ChatView(ctx, chat_id, fields_of(character.card).name)
    await view.build()
    with ui.context.client.content, ui.right_drawer(value=False, fixed=False).props('bordered') as drawer:
        panel = ChatListPanel(ctx, chat.character_id, chat_id)
    await panel.refresh()
    view.chats_button.on_click(drawer.toggle)


class ChatView:
    def __init__(self, ctx: PageContext, chat_id: str, char: str) -> None:
        self.ctx = ctx
        self.chat_id = chat_id
        self.char = char
        self.user = ctx.user.display_name or ctx.user.handle
        self.views: dict[int, MessageView] = {}
        self.live: dict[int, StreamingText] = {}
        self.oldest_seq: int | None = None

    async def build(self) -> None:
        t = self.ctx.t
        with ui.row().classes('w-full items-center'):
            ui.label(self.char).classes('text-2xl font-bold')
            ui.space()
            self.chats_button = ui.button(t('chat.chats'), icon='forum').props('flat').mark('chats-toggle')
        self.older = ui.button(t('chat.load_older'), icon='expand_less', on_click=self.load_older) \
            .props('flat').classes('self-center').mark('load-older')
        self.list = ui.column().classes('w-full gap-2').mark('message-list')
        with ui.row().classes('w-full items-end gap-2 no-wrap'):
            self.input = ui.textarea(placeholder=t('chat.placeholder')).props('autogrow outlined dense') \
                .classes('grow').mark('chat-input')
            self.input.on('keydown.enter.exact.prevent', self.send)
            self.send_button = ui.button(icon='send', on_click=self.send).props(f'aria-label="{t("chat.send")}"') \
                .mark('send').tooltip(t('chat.send'))
            self.stop_button = ui.button(icon='stop', on_click=self.stop) \
                .props(f'color=negative aria-label="{t("chat.stop")}"').mark('stop').tooltip(t('chat.stop'))
        self._set_busy(self.ctx.services.generation.is_running(self.chat_id))
        page = await self.ctx.services.chats.messages(self.ctx.user, self.chat_id, limit=WINDOW)
        self._show(page.items, page.has_older, prepend=False)
        follower = background_tasks.create(self.follow(), name=f'follow chat {self.chat_id}')
        ui.context.client.on_delete(follower.cancel)

    async def load_older(self) -> None:
        page = await self.ctx.services.chats.messages(self.ctx.user, self.chat_id, before_seq=self.oldest_seq,
                                                      limit=WINDOW)
        self._show(page.items, page.has_older, prepend=True)

    async def send(self) -> None:
        text = (self.input.value or '').strip()
        if not text:
            return
        try:
            message, _ = await self.ctx.services.generation.send(self.ctx.user, self.chat_id, text)
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')
            return
        self.input.value = ''
        self._set_busy(True)
        await self._refresh_tail(message.seq)

    async def stop(self) -> None:
        await self.ctx.services.generation.stop(self.ctx.user, self.chat_id)

    async def swipe(self, message: Message, direction: Literal[-1, 1]) -> None:
        try:
            if direction == 1 and message.swipe_index >= len(message.swipes) - 1:
                await self.ctx.services.generation.new_swipe(self.ctx.user, self.chat_id, message.id)
                self._set_busy(True)
                self._replace(message.model_copy(update={'status': 'streaming'}))
                return
            self._replace(await self.ctx.services.chats.swipe(self.ctx.user, message.id, direction))
        except TavernError as error:
            ui.notify(self.ctx.error_text(error), type='negative')

    async def edit(self, message: Message, text: str) -> None:
        self._replace(await self.ctx.services.chats.edit(self.ctx.user, message.id, text))

    async def delete(self, message: Message) -> None:
        t = self.ctx.t
        if await confirm(t('chat.delete_question'), ok_label=t('chat.delete'), cancel_label=t('common.cancel'),
                         danger=True):
            await self.ctx.services.chats.delete_messages(self.ctx.user, self.chat_id, [message.id])
            view = self.views.pop(message.id)
            view.card.delete()

    async def follow(self) -> None:
        """Apply the chat's stream to the page: buffered deltas while a reply grows, the stored text once it ends."""
        events = self.ctx.services.streams.subscribe(self.chat_id, after_id='$')
        upcoming = asyncio.ensure_future(anext(events))
        try:
            while True:
                waits = [due for stream in self.live.values() if (due := stream.due_in()) is not None]
                timeout = min(waits, default=None)
                done, _ = await asyncio.wait({upcoming}, timeout=timeout)
                if not done:
                    self._flush()
                    continue
                event = upcoming.result()
                upcoming = asyncio.ensure_future(anext(events))
                if event.kind == 'message':
                    await self._delta(event.message_id, event.data)
                elif event.kind == 'complete':
                    self._flush()
                    await self._finished(event.message_id)
        finally:
            upcoming.cancel()
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]

    async def _delta(self, message_id: int, text: str) -> None:
        view = self.views.get(message_id)
        if view is None or view.stream is None:
            await self._refresh_tail(None)
            view = self.views.get(message_id)
        if view and view.stream:
            self.live[message_id] = view.stream
            view.stream.push(text)

    async def _finished(self, message_id: int) -> None:
        self.live.pop(message_id, None)
        self._set_busy(False)
        page = await self.ctx.services.chats.messages(self.ctx.user, self.chat_id, limit=2)
        for message in page.items:
            if message.id == message_id:
                self._replace(message)

    def _flush(self) -> None:
        for stream in self.live.values():
            stream.flush()

    async def _refresh_tail(self, from_seq: int | None) -> None:
        """Show messages added since the page was built (the user's message, a reply placeholder)."""
        page = await self.ctx.services.chats.messages(self.ctx.user, self.chat_id, limit=5)
        new = [m for m in page.items if m.id not in self.views and (from_seq is None or m.seq >= from_seq)]
        for message in new:
            self._add(message, prepend=False)
        self._mark_last()

    def _show(self, messages: list[Message], has_older: bool, *, prepend: bool) -> None:
        for message in reversed(messages) if prepend else messages:
            self._add(message, prepend=prepend)
        if messages:
            self.oldest_seq = min(self.oldest_seq or messages[0].seq, messages[0].seq)
        self.older.set_visibility(has_older)
        self._mark_last()

    def _add(self, message: Message, *, prepend: bool) -> None:
        with self.list:
            view = MessageView(self.ctx, message, char=self.char, user=self.user, is_last=False, actions=self)
        if prepend:
            view.card.move(self.list, target_index=0)
        self.views[message.id] = view

    def _replace(self, message: Message) -> None:
        view = self.views.get(message.id)
        if view:
            view.message = message
            view.render()

    def _mark_last(self) -> None:
        """Only the newest message offers swipes; re-render the ones whose role in that changed."""
        last_id = max(self.views, key=lambda i: self.views[i].message.seq, default=None)
        for message_id, view in self.views.items():
            if view.is_last != (message_id == last_id):
                view.is_last = message_id == last_id
                if view.stream is None:
                    view.render()

    def _set_busy(self, busy: bool) -> None:
        self.send_button.set_visibility(not busy)
        self.stop_button.set_visibility(busy)
