"""A cover letter written for one job, shown for approval: use it, go on without it, or reply with your own.

The worker writes a `cover_letter` prompt (payload: the letter, whether the profile has a usual
letter) and waits. "Use this letter" and "Without it" are buttons; a reply to the message is
taken as the user's own version of the letter and used instead. The answer is recorded with a
guarded UPDATE and wakes the worker; a tap or reply on a closed, foreign or unknown prompt
changes nothing.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from automation.cover_letter import letter_problem
from automation.prompts import PromptBridge
from handlers.callbacks import LetterCallback, LetterCallbackAnyDecision
from handlers.filters import RepliedToPrompt
from handlers.prompt_buttons import NOT_VALID, TapOutcome, answer_prompt_button, close_prompt_message
from storage.models import Application, LetterDecision, Prompt, PromptKind, PromptStatus
from storage.prompts import PromptRepository

CLOSED_LINES = {
    PromptStatus.EXPIRED: "⌛ Nobody answered about this letter and the application timed out; tap Retry on its card.",
    PromptStatus.CANCELLED: "✖️ This letter is no longer needed.",
}


def outcome_line(answer: dict, has_usual: bool) -> str:
    if answer.get("decision") != LetterDecision.USE.value:
        return "➖ Going on with your usual cover letter." if has_usual else "➖ Going on without a cover letter."
    if answer.get("letter"):
        return "✅ Using your own version of the letter."
    return "✅ Using this letter."


def letter_text(application: Application, letter: str, *, has_usual: bool) -> str:
    title = escape(application.title or urlsplit(application.url).hostname or application.url)
    without = "your usual cover letter" if has_usual else "no cover letter"
    return "\n".join(
        [
            f"✍️ <b>A cover letter for this job</b> — #{application.id} {title}",
            "",
            f"<blockquote>{escape(letter)}</blockquote>",
            "",
            f"Use it as it is, go on with {without}, or reply to this message with your own version.",
        ]
    )


def letter_markup(prompt_id: int, *, has_usual: bool) -> InlineKeyboardMarkup:
    def button(text: str, decision: LetterDecision) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=LetterCallback(decision=decision, prompt_id=prompt_id).pack()
        )

    without = "Use my usual letter" if has_usual else "Without a letter"
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button("✅ Use this letter", LetterDecision.USE),
                button(f"➖ {without}", LetterDecision.WITHOUT),
            ]
        ]
    )


async def on_button(
    query: CallbackQuery, callback_data: LetterCallback, prompts: PromptRepository, bridge: PromptBridge
) -> None:
    await answer_prompt_button(
        query,
        prompts,
        bridge,
        callback_data.prompt_id,
        PromptKind.COVER_LETTER,
        not_yours="That letter is not yours.",
        answer=lambda _prompt: {"decision": callback_data.decision.value},
        recorded=lambda answered, answer: TapOutcome("Noted.", outcome_line(answer, _has_usual(answered))),
        closed=lambda prompt: TapOutcome(
            "Already answered." if prompt.status is PromptStatus.ANSWERED else "This is closed.", _final_line(prompt)
        ),
    )


async def on_unknown_decision(query: CallbackQuery) -> None:
    await query.answer(NOT_VALID)


async def on_own_version(
    message: Message, event_from_user: User, prompt: Prompt, bridge: PromptBridge, bot: Bot
) -> None:
    if prompt.status is not PromptStatus.PENDING:
        await message.reply("That letter is closed; nothing was changed.")
        return
    text = (message.text or "").strip()
    if (problem := letter_problem(text)) is not None:
        await message.reply(f"{problem} Reply again, or tap a button under the letter.")
        return
    answer = {"decision": LetterDecision.USE.value, "letter": text}
    answered = await bridge.answer(prompt.id, event_from_user.id, answer, PromptKind.COVER_LETTER)
    if answered is None:
        await message.reply("That letter is closed; nothing was changed.")
        return
    await close_prompt_message(bot, answered, outcome_line(answer, _has_usual(answered)))
    await message.reply("✅ Thanks: your version goes with the application.")


def closed_line(prompt: Prompt) -> str:
    """The line a cover letter prompt that can no longer be answered ends with."""
    return CLOSED_LINES.get(prompt.status, CLOSED_LINES[PromptStatus.CANCELLED])


def _final_line(prompt: Prompt) -> str:
    if prompt.status is PromptStatus.ANSWERED and prompt.answer:
        return outcome_line(prompt.answer, _has_usual(prompt))
    return closed_line(prompt)


def _has_usual(prompt: Prompt) -> bool:
    return bool(prompt.payload.get("has_usual"))


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.message.filter(F.chat.type == "private")
    r.callback_query.register(on_button, LetterCallback.filter())
    r.callback_query.register(on_unknown_decision, LetterCallbackAnyDecision.filter())
    r.message.register(on_own_version, RepliedToPrompt(PromptKind.COVER_LETTER))
    return r
