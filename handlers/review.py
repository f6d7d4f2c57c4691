"""Answers to the worker's review prompt: Submit or Cancel, recorded once (Fix a field: handlers.corrections)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from automation.prompts import PromptBridge
from handlers.callbacks import ReviewCallback, ReviewCallbackAnyDecision
from handlers.prompt_buttons import NOT_VALID, TapOutcome, answer_prompt_button
from handlers.prompt_buttons import close_prompt_message as close_prompt_message  # bot.notifier, bot.live_view
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


async def on_review(
    query: CallbackQuery, callback_data: ReviewCallback, prompts: PromptRepository, bridge: PromptBridge
) -> None:
    decision = callback_data.decision
    await answer_prompt_button(
        query,
        prompts,
        bridge,
        callback_data.prompt_id,
        PromptKind.REVIEW,
        not_yours="That review is not yours.",
        answer=lambda _prompt: {"decision": decision.value} if decision in REPLIES else None,
        recorded=lambda _prompt, _answer: TapOutcome(REPLIES[decision], OUTCOME_LINES[decision]),
        closed=_closed,
    )


async def on_unknown_decision(query: CallbackQuery) -> None:
    await query.answer(NOT_VALID)


def _closed(prompt: Prompt) -> TapOutcome:
    if prompt.status is PromptStatus.ANSWERED and prompt.answer:
        return TapOutcome("Already answered.", OUTCOME_LINES[ReviewDecision(prompt.answer["decision"])])
    return TapOutcome("This review is closed.", CLOSED_LINES.get(prompt.status, CLOSED_LINES[PromptStatus.EXPIRED]))


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.callback_query.register(on_review, ReviewCallback.filter())
    r.callback_query.register(on_unknown_decision, ReviewCallbackAnyDecision.filter())
    return r
