"""Updates still being handled, counted by an outer middleware, so that a stopping bot lets them finish.

aiogram handles each update in a task of its own (polling and webhook alike); stopping the polling
loop does not wait for those tasks. `NyxApp.stop` waits on `InFlight.drained` before it closes the
connections the handlers use, so a reply or a database write already under way is not cut off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject


class InFlight(BaseMiddleware):
    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self._count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._count -= 1
            if not self._count:
                self._idle.set()

    async def drained(self, timeout: float) -> bool:
        """Wait until no update is being handled, for at most `timeout` seconds; False if some still are."""
        if self._idle.is_set():
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
