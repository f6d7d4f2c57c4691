"""Buttons under the worker's prompts (review, question, CAPTCHA, cover letter): answered one way.

A tap loads the prompt and checks it is this user's and of the button's kind; the answer is
recorded once with a guarded UPDATE through the bridge, which wakes the worker; the tap is
answered and the prompt's message shows its final line, without buttons. A tap on a prompt that
is no longer open changes nothing and says why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from automation.prompts import PromptBridge
from storage.models import Prompt, PromptKind
from storage.prompts import PromptRepository

NOT_VALID = "That button is not valid."

Answer = dict[str, Any]


@dataclass(frozen=True)
class TapOutcome:
    """What a tap comes to: the tap's short answer, and the line the prompt's message ends with."""

    reply: str
    line: str


async def answer_prompt_button(
    query: CallbackQuery,
    prompts: PromptRepository,
    bridge: PromptBridge,
    prompt_id: int,
    kind: PromptKind,
    *,
    not_yours: str,
    answer: Callable[[Prompt], Answer | None],
    recorded: Callable[[Prompt, Answer], TapOutcome],
    closed: Callable[[Prompt], TapOutcome],
) -> None:
    """Answer prompt `prompt_id` of `kind` with the tapped button.

    `answer` turns the open prompt into the answer the button gives (None: the button is not one of
    this prompt's); `recorded` says what an answer just recorded comes to, `closed` what a prompt
    already answered, expired or cancelled shows.
    """
    prompt = await prompts.get(prompt_id)
    if prompt is None or prompt.user_id != query.from_user.id or prompt.kind is not kind:
        await query.answer(not_yours)
        return
    given = answer(prompt)
    if given is None:
        await query.answer(NOT_VALID)
        return
    answered = await bridge.answer(prompt.id, query.from_user.id, given, kind)
    tapped = recorded(answered, given) if answered is not None else closed(await prompts.get(prompt.id) or prompt)
    await query.answer(tapped.reply)
    await close_message(query, tapped.line)


async def close_message(query: CallbackQuery, line: str) -> None:
    """Show the final state and remove the buttons (on a message the bot can still see; the tap is answered)."""
    message = query.message
    if not isinstance(message, Message):
        return
    with contextlib.suppress(TelegramBadRequest):
        body = message.html_text if message.text else ""
        if line in body:
            await message.edit_reply_markup(reply_markup=None)
        else:
            await message.edit_text(f"{body}\n\n<b>{line}</b>", reply_markup=None)


async def close_prompt_message(bot: Bot, prompt: Prompt, line: str) -> None:
    """Mark a prompt's chat message with its final state and take its buttons away."""
    if prompt.chat_id is None or prompt.message_id is None:
        return
    with contextlib.suppress(TelegramBadRequest):
        if prompt.message_html:
            await bot.edit_message_text(
                text=f"{prompt.message_html}\n\n<b>{line}</b>",
                chat_id=prompt.chat_id,
                message_id=prompt.message_id,
                reply_markup=None,
            )
        else:
            await bot.edit_message_reply_markup(chat_id=prompt.chat_id, message_id=prompt.message_id, reply_markup=None)
