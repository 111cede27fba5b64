"""Runs an async callback once input has been quiet for a moment, so a search box queries once, not per key."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nicegui import background_tasks


class Debouncer:
    def __init__(self, delay: float, callback: Callable[[], Awaitable[None]]) -> None:
        self.delay = delay
        self.callback = callback
        self._generation = 0

    def trigger(self) -> None:
        """Schedule the callback; a newer trigger within `delay` seconds replaces this one."""
        self._generation += 1
        background_tasks.create(self._run(self._generation), name='debounced callback')

    async def _run(self, generation: int) -> None:
        await asyncio.sleep(self.delay)
        if generation == self._generation:
            await self.callback()
