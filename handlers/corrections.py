"""Corrections during the review: change one field as `Label: new value`, then review again.

Under the review, "✏️ Fix a field" asks for the correction (the next message is taken as it);
a reply to the review message in the same form works without the button. The correction
answers the review prompt with decision `fix`, once, with a guarded UPDATE; the worker puts the
new value on the page, reads the form back and sends a fresh review. Nothing is submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, Message

from automation.adapters.base import normalised
from automation.answers import MAX_SAVED_ANSWER
from automation.prompts import PromptBridge
from automation.questions import choose_option
from handlers.callbacks import ReviewCallback
from handlers.filters import RepliedToPrompt
from handlers.prompt_buttons import close_prompt_message
from handlers.review import OUTCOME_LINES
from storage.models import Prompt, PromptKind, PromptStatus, ReviewDecision
from storage.prompts import PromptRepository

MAX_LISTED_FIELDS = 25
EXAMPLE = "Phone: +44 20 7946 0000"
CLOSED = "That review is closed; nothing was changed."


class ReviewFix(StatesGroup):
    correction = State()  # data: prompt_id of the review being corrected


def parse_correction(text: str, labels: Sequence[str]) -> tuple[str, str] | None:
    """(the form's label, new value) from "Label: new value", the label matched loosely; None if unclear."""
    text = text.strip()
    for label in sorted(labels, key=len, reverse=True):  # labels may hold colons or question marks
        rest = text[len(label) :].lstrip()
        if normalised(text[: len(label)]) == normalised(label) and rest.startswith(":"):
            return _with_value(label, rest[1:])
    head, colon, value = text.partition(":")
    if not colon:
        return None
    chosen = choose_option(head, labels)
    return _with_value(chosen, value) if chosen is not None else None


def _with_value(label: str, value: str) -> tuple[str, str] | None:
    value = value.strip()
    return (label, value) if value else None


def how_to_fix(labels: Sequence[str]) -> str:
    shown = ", ".join(labels[:MAX_LISTED_FIELDS]) + (" …" if len(labels) > MAX_LISTED_FIELDS else "")
    return (
        f"Send the field and its new value as <code>Label: new value</code>, e.g. <code>{escape(EXAMPLE)}</code>.\n"
        f"Fields: {escape(shown)}"
    )


async def on_fix_button(
    query: CallbackQuery, callback_data: ReviewCallback, prompts: PromptRepository, state: FSMContext
) -> None:
    prompt = await prompts.get(callback_data.prompt_id)
    if prompt is None or not _open_review(prompt, query.from_user.id):
        await query.answer("This review is closed.")
        return
    await state.set_state(ReviewFix.correction)
    await state.update_data(prompt_id=prompt.id)
    await query.answer()
    if query.message is not None:
        await query.message.answer(
            how_to_fix(_labels(prompt)),
            reply_markup=ForceReply(force_reply=True, input_field_placeholder="Label: new value"),
        )


async def on_correction(
    message: Message, state: FSMContext, prompts: PromptRepository, bridge: PromptBridge, bot: Bot
) -> None:
    prompt_id = (await state.get_data()).get("prompt_id")
    await state.clear()  # one correction per tap: a later message is a message again
    prompt = await prompts.get(prompt_id) if isinstance(prompt_id, int) else None
    await _correct(message, prompt, bridge, bot)


async def on_reply_to_review(message: Message, prompt: Prompt, bridge: PromptBridge, bot: Bot) -> None:
    await _correct(message, prompt, bridge, bot)


async def _correct(message: Message, prompt: Prompt | None, bridge: PromptBridge, bot: Bot) -> None:
    """Record one correction as the review's answer and wake the worker; or say why not."""
    user_id = message.from_user.id if message.from_user else 0
    if prompt is None or not _open_review(prompt, user_id):
        await message.reply(CLOSED)
        return
    labels = _labels(prompt)
    parsed = parse_correction(message.text or "", labels)
    if parsed is None:
        await message.reply("I could not tell which field to change. " + how_to_fix(labels))
        return
    label, value = parsed
    if len(value) > MAX_SAVED_ANSWER:
        await message.reply(f"That is {len(value)} characters; a field may have up to {MAX_SAVED_ANSWER} here.")
        return
    answer = {"decision": ReviewDecision.FIX.value, "field": label, "value": value}
    answered = await bridge.answer(prompt.id, user_id, answer, PromptKind.REVIEW)
    if answered is None:
        await message.reply(CLOSED)
        return
    await close_prompt_message(bot, answered, OUTCOME_LINES[ReviewDecision.FIX])
    await message.reply(f"✏️ Changing <b>{escape(label)}</b> to <code>{escape(value)}</code>; a fresh review follows.")


def _open_review(prompt: Prompt, user_id: int) -> bool:
    return prompt.kind is PromptKind.REVIEW and prompt.user_id == user_id and prompt.status is PromptStatus.PENDING


def _labels(prompt: Prompt) -> list[str]:
    return [str(label) for label in prompt.payload.get("fields") or []]


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.message.filter(F.chat.type == "private")
    r.callback_query.register(on_fix_button, ReviewCallback.filter(F.decision == ReviewDecision.FIX))
    r.message.register(on_correction, ReviewFix.correction, F.text, ~F.text.startswith("/"))
    r.message.register(on_reply_to_review, RepliedToPrompt(PromptKind.REVIEW))
    return r
