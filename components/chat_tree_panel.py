"""The branch tree of the open chat's family, beside the chat page: an indented list of links, the open chat in
bold, each branch saying at which message of its parent it starts."""

from __future__ import annotations

from nicegui import ui

from app.services.chat_tree import ChatTreeNode

from .page_context import PageContext

INDENT_REM = 1.0


class ChatTreePanel:
    def __init__(self, ctx: PageContext, chat_id: str) -> None:
        self.ctx = ctx
        self.chat_id = chat_id
        title = ctx.t('chat_tree.title')
        with ui.column().classes('w-full gap-1'):
            ui.label(title).classes('text-sm font-bold opacity-70')
            self.rows = ui.column().classes('w-full gap-0').props(f'role=navigation aria-label="{title}"') \
                .mark('chat-tree')

    async def refresh(self) -> None:
        root = await self.ctx.services.chat_tree.tree(self.ctx.user, self.chat_id)
        self.rows.clear()
        with self.rows:
            if not root.children:
                ui.label(self.ctx.t('chat_tree.none')).classes('text-sm opacity-60').mark('no-branches')
                return
            self._node(root, 0)

    def _node(self, node: ChatTreeNode, depth: int) -> None:
        current = node.id == self.chat_id
        with ui.row().classes('w-full items-center no-wrap gap-1').style(f'padding-left: {depth * INDENT_REM}rem') \
                .mark(f'chat-tree-node-{node.id}'):
            ui.icon('call_split' if depth else 'forum', size='xs').classes('opacity-60')
            link = ui.link(node.title, f'/chat/{node.id}').classes('grow truncate text-inherit')
            if current:
                link.classes('font-bold').props('aria-current=page').mark('chat-tree-current')
            if node.branch_seq is not None:
                ui.label(self.ctx.t('chat_tree.from_message', number=node.branch_seq + 1)) \
                    .classes('text-xs opacity-60 shrink-0')
        for child in node.children:
            self._node(child, depth + 1)
