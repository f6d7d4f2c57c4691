"""The catch-all, registered last: anything no other handler took gets a hint, never silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

HINT = "I did not find a job link in that. Paste a link or forward a job post; /help lists the commands."
UNKNOWN_COMMAND = "I do not know that command. /help lists the ones I have."


async def on_unknown_command(message: Message) -> None:
    await message.answer(UNKNOWN_COMMAND)


async def on_anything(message: Message) -> None:
    await message.answer(HINT)


async def on_stale_button(query: CallbackQuery) -> None:
    await query.answer("That button is no longer valid.")


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.message.register(on_unknown_command, F.text.startswith("/"))
    r.message.register(on_anything)
    r.callback_query.register(on_stale_button)
    return r
