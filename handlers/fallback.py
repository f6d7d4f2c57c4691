"""The catch-all, registered last: anything no other handler took gets a hint, never silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

HINT = "I did not find a job link in that. Paste a link or forward a job post; /help lists the commands."
UNKNOWN_COMMAND = "I do not know that command. /help lists the ones I have."


router = Router(name=__name__)


@router.message(F.text.startswith("/"))
async def on_unknown_command(message: Message) -> None:
    await message.answer(UNKNOWN_COMMAND)


@router.message()
async def on_anything(message: Message) -> None:
    await message.answer(HINT)


@router.callback_query()
async def on_stale_button(query: CallbackQuery) -> None:
    await query.answer("That button is no longer valid.")
