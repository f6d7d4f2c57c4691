"""Filters shared by routers: a message written as a reply to one of the worker's prompts; a button
pressed in its presser's own chat."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from storage.models import Prompt, PromptKind
from storage.prompts import PromptRepository


class RepliedToPrompt(BaseFilter):
    """A text reply to the chat message of a prompt of `kind`; hands the prompt on as `prompt`.

    The prompt is found by the replied-to message's chat and id, whatever its status, so that a
    late reply can be told the prompt is closed instead of being taken for something else.
    """

    def __init__(self, kind: PromptKind) -> None:
        self.kind = kind

    async def __call__(self, message: Message, prompts: PromptRepository) -> bool | dict[str, Prompt]:
        replied = message.reply_to_message
        if replied is None or message.text is None:
            return False
        if replied.from_user is None or not replied.from_user.is_bot:
            return False
        prompt = await prompts.for_message(message.chat.id, replied.message_id, message.from_user.id)
        if prompt is None or prompt.kind is not self.kind:
            return False
        return {"prompt": prompt}


def in_own_chat(query: CallbackQuery) -> bool:
    """A button in the presser's own private chat; anyone else's press is left to the catch-all."""
    return query.message is not None and query.message.chat.id == query.from_user.id
