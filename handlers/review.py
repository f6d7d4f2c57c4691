"""Answers to the worker's review prompt: Submit or Cancel, recorded once (Fix a field: handlers.corrections)."""

from __future__ import annotations

import contextlib

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery

from automation.prompts import PromptBridge
from handlers.callbacks import ReviewCallback
from storage.models import Prompt, PromptKind, PromptStatus, ReviewDecision
from storage.prompts import PromptRepository

OUTCOME_LINES = {
    # Not "submitting": a parked review is sent only once the form, filled again, reads as approved.
    ReviewDecision.SUBMIT: "➡️ Approved: I send it once the form reads back as you saw it.",
    ReviewDecision.CANCEL: "✖️ Cancelled: nothing was submitted.",
    ReviewDecision.FIX: "✏️ Changing a field: a fresh review follows.",
    ReviewDecision.BY_HAND: "🖐 By hand: the form is read back and a fresh review follows.",
}
REPLIES = {
    ReviewDecision.SUBMIT: "Approved.",
    ReviewDecision.CANCEL: "Cancelled.",
    ReviewDecision.BY_HAND: "Opening the form again…",
}
CLOSED_LINES = {
    PromptStatus.EXPIRED: "⌛ This review expired; nothing was submitted.",
    PromptStatus.CANCELLED: "✖️ This review is closed; nothing was submitted.",
}


async def close_message(query: CallbackQuery, line: str) -> None:
    """Show the final state and remove the buttons."""
    message = query.message
    if message is None:
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
                text=f"{prompt.message_html}\n\n<b>{line}</b>", chat_id=prompt.chat_id,
                message_id=prompt.message_id, reply_markup=None,
            )
        else:
            await bot.edit_message_reply_markup(chat_id=prompt.chat_id, message_id=prompt.message_id, reply_markup=None)


router = Router(name=__name__)


@router.callback_query(ReviewCallback.filter())
async def on_review(
    query: CallbackQuery, callback_data: ReviewCallback, prompts: PromptRepository, bridge: PromptBridge
) -> None:
    try:
        decision = ReviewDecision(callback_data.decision)
    except ValueError:
        decision = None
    if decision not in (ReviewDecision.SUBMIT, ReviewDecision.CANCEL, ReviewDecision.BY_HAND):
        await query.answer("That button is not valid.")
        return
    answer = {"decision": decision.value}
    answered = await bridge.answer(callback_data.prompt_id, query.from_user.id, answer, PromptKind.REVIEW)
    if answered is not None:
        await query.answer(REPLIES[decision])
        await close_message(query, OUTCOME_LINES[decision])
        return
    existing = await prompts.get(callback_data.prompt_id)
    if existing is None or existing.user_id != query.from_user.id or existing.kind is not PromptKind.REVIEW:
        await query.answer("That review is not yours.")
        return
    if existing.status is PromptStatus.ANSWERED and existing.answer:
        line = OUTCOME_LINES[ReviewDecision(existing.answer["decision"])]
        await query.answer("Already answered.")
    else:
        line = CLOSED_LINES.get(existing.status, CLOSED_LINES[PromptStatus.EXPIRED])
        await query.answer("This review is closed.")
    await close_message(query, line)
