"""Who may talk to the bot: users outside ALLOWED_USER_IDS get one polite refusal and leave no trace."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from storage.users import UserRepository

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, this is a private Nyx Venatrix bot and you are not on its list of users. "
    "Nyx is self-hosted: you can run your own copy."
)


class AccessMiddleware(BaseMiddleware):
    """Outer update middleware: refuse strangers, remember allowed users (chat id for notifications)."""

    def __init__(self, allowed_user_ids: set[int], users: UserRepository) -> None:
        self._allowed = allowed_user_ids
        self._users = users
        self._refused: set[int] = set()  # in memory only: nothing about strangers is stored
        self._known: set[int] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user = data.get("event_from_user")
        chat = data.get("event_chat")
        if user is None:
            return None  # channel posts and the like: nothing to do
        if user.id not in self._allowed:
            await self._refuse(event, user.id)
            return None
        if user.id not in self._known and chat is not None and chat.type == "private":
            await self._users.upsert(user.id, chat.id, user.first_name, user.username)
            self._known.add(user.id)
        elif user.id in self._known and await self._users.reactivate(user.id):
            # They had blocked the bot (the sender marked them inactive) and are writing again.
            log.info("user is back after blocking the bot; active again")
        return await handler(event, data)

    async def _refuse(self, update: Update, user_id: int) -> None:
        if isinstance(update.callback_query, CallbackQuery):
            with contextlib.suppress(TelegramBadRequest):  # a stale tap cannot be answered any more
                await update.callback_query.answer(REFUSAL, show_alert=True)
            return
        if user_id in self._refused or not isinstance(update.message, Message):
            return
        self._refused.add(user_id)
        log.info("refused a user who is not on the allowlist")
        await update.message.answer(REFUSAL)


class StaleCallbackMiddleware(BaseMiddleware):
    """A button tap Telegram no longer accepts an answer for (too old, or forged) is dropped quietly.

    Everything a handler changed before answering is already consistent: state changes are single
    guarded statements, so stopping at the answer leaves nothing half-done.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except TelegramBadRequest as exc:
            if "query is too old" not in exc.message and "query id is invalid" not in exc.message.lower():
                raise
            log.info("dropped the answer to a stale button tap: %s", exc.message)
            return None
