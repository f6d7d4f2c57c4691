"""The dispatcher's one error handler: what the user sees when handling an update fails, and what the log gets.

A `UserFacingError` (storage/errors.py) carries a message written for the chat: the user gets it as
it is. Anything else gets `SORRY`. Either way the log gets the update's id and the traceback.
A button's failure is answered as an alert on the button (Telegram shows at most 200 characters
there; a longer message goes to the chat instead); a message's failure is answered in its chat.
"""

from __future__ import annotations

import contextlib
import html
import logging

from aiogram.types import ErrorEvent, Update

from storage.errors import UserFacingError

log = logging.getLogger(__name__)

SORRY = "Something went wrong on my side and nothing was changed. Please try again in a minute."
ALERT_LIMIT = 200  # characters of a callback query's answer


async def on_error(event: ErrorEvent) -> None:
    error, update = event.exception, event.update
    if isinstance(error, UserFacingError):
        log.warning("update %s refused: %s", update.update_id, error, exc_info=error)
        text = str(error)
    else:
        log.error("update %s failed", update.update_id, exc_info=error)
        text = SORRY
    with contextlib.suppress(Exception):  # telling the user must not fail in turn
        await _tell(update, text)


async def _tell(update: Update, text: str) -> None:
    """`text` (plain) to the user behind `update`, on the button they pressed or in their chat."""
    if (callback := update.callback_query) is not None:
        if len(text) <= ALERT_LIMIT:
            await callback.answer(text, show_alert=True)
            return
        await callback.answer()
        if callback.bot is not None:
            await callback.bot.send_message(callback.from_user.id, html.escape(text))
    elif update.message is not None:
        await update.message.answer(html.escape(text))
