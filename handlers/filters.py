"""Filters shared by routers: a message written as a reply to one of the worker's prompts; a button
on a message the bot can still see, pressed in its presser's own chat."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message, User

from storage.models import Prompt, PromptKind
from storage.prompts import PromptRepository


class RepliedToPrompt(BaseFilter):
    """A text reply to the chat message of a prompt of `kind`; hands the prompt on as `prompt`.

    The prompt is found by the replied-to message's chat and id, whatever its status, so that a
    late reply can be told the prompt is closed instead of being taken for something else.
    """

    def __init__(self, kind: PromptKind) -> None:
        self.kind = kind

    async def __call__(
        self, message: Message, event_from_user: User, prompts: PromptRepository
    ) -> bool | dict[str, Prompt]:
        replied = message.reply_to_message
        if replied is None or message.text is None:
            return False
        if replied.from_user is None or not replied.from_user.is_bot:
            return False
        prompt = await prompts.for_message(message.chat.id, replied.message_id, event_from_user.id)
        if prompt is None or prompt.kind is not self.kind:
            return False
        return {"prompt": prompt}


def tapped_message(query: CallbackQuery) -> bool | dict[str, Message]:
    """The message under the tapped button, handed on as `message`.

    A button on a message the bot can no longer see (deleted, or too old: Telegram sends an
    InaccessibleMessage) is left to the catch-all, which says the button is no longer valid.
    """
    return {"message": query.message} if isinstance(query.message, Message) else False


def in_own_chat(query: CallbackQuery) -> bool | dict[str, Message]:
    """`tapped_message`, in the presser's own private chat; anyone else's press is left to the catch-all."""
    message = query.message
    if not isinstance(message, Message) or message.chat.id != query.from_user.id:
        return False
    return {"message": message}
