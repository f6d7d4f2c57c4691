"""A form's question asked in the chat: how it looks, and recording the answer once.

The worker writes a `question` prompt (payload: the question's label, kind, options, whether
it is required, the application) and waits. A question with a few options shows them as
buttons; any other is a force-reply message, answered by replying to it. The answer is
recorded with a guarded UPDATE and the worker is woken through the bridge; a tap or reply on
a closed, foreign or unknown question changes nothing.
"""

from __future__ import annotations

import contextlib
from html import escape
from urllib.parse import urlsplit

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from automation.accounts import parse_login
from automation.answers import MAX_SAVED_ANSWER
from automation.prompts import PromptBridge, question_of
from automation.questions import Question, QuestionKind, fit_answer
from handlers.callbacks import QuestionCallback
from handlers.captcha import live_button
from handlers.filters import RepliedToPrompt
from handlers.prompt_buttons import TapOutcome, answer_prompt_button, close_prompt_message
from storage.credentials import NO_KEY, CredentialRepository
from storage.models import Application, Prompt, PromptKind, PromptStatus, QuestionDecision
from storage.prompts import PromptRepository

MAX_OPTION_BUTTONS = 12
MAX_BUTTON_TEXT = 60
MAX_LISTED_OPTIONS = 30
SHORT_OPTION = 12  # options this short share a row of buttons, three at a time
PLACEHOLDER_LENGTH = 64  # Telegram's limit for a force-reply's input placeholder
LONE_BOX_OPTIONS = ("Yes", "No")
BY_HAND_BUTTON = "🖐 Fill it in myself (live view)"
BY_HAND_LINE = (
    "Or tap <b>Fill it in myself</b>: a live view of the browser opens on the form, where you fill this in and "
    "tap <b>Done</b>; I read it back from the page. Nothing you tap there sends the application. The live view "
    "works while the browser waits for this question (a few minutes)."
)

CLOSED_LINES = {
    PromptStatus.EXPIRED: "⌛ This question expired and the application timed out; tap Retry on its card.",
    PromptStatus.CANCELLED: "✖️ This question is closed.",
}


def offered_options(question: Question) -> list[str]:
    """The answers offered as buttons: a single choice's options when few enough, Yes/No for a lone box."""
    if question.kind.has_options and 0 < len(question.options) <= MAX_OPTION_BUTTONS:
        return list(question.options)
    if question.kind is QuestionKind.CHECKBOX and not question.options:
        return list(LONE_BOX_OPTIONS)
    return []


def question_text(application: Application, question: Question, *, live: bool = False) -> str:
    title = escape(application.title or urlsplit(application.url).hostname or application.url)
    lines = [f"🙋 <b>A question from the form</b> — #{application.id} {title}", "", f"<b>{escape(question.label)}</b>"]
    if offered_options(question):
        lines.append("Tap your answer.")
    elif question.options:
        listed = ", ".join(question.options[:MAX_LISTED_OPTIONS])
        if len(question.options) > MAX_LISTED_OPTIONS:
            listed += " …"
        many = "one or more of" if question.kind is QuestionKind.CHECKBOX else "one of"
        lines.append(f"Reply to this message with {many}: {escape(listed)}")
    else:
        lines.append("Reply to this message with your answer.")
    if live:
        lines += ["", BY_HAND_LINE]
    lines += ["", "<i>I will remember it for the next form that asks this.</i>"]
    return "\n".join(lines)


def question_markup(
    prompt_id: int, question: Question, live_url: str | None = None
) -> InlineKeyboardMarkup | ForceReply:
    """The options as buttons, else a force-reply; with a live view its button (a reply still answers:
    a message cannot force a reply and carry buttons at once)."""
    offered = offered_options(question)
    by_hand = [[live_button(live_url, BY_HAND_BUTTON)]] if live_url is not None else []
    if not offered:
        if by_hand:
            return InlineKeyboardMarkup(inline_keyboard=by_hand)
        return ForceReply(force_reply=True, input_field_placeholder=_clip(question.label, PLACEHOLDER_LENGTH))
    buttons = [
        InlineKeyboardButton(
            text=_clip(option, MAX_BUTTON_TEXT),
            callback_data=QuestionCallback(prompt_id=prompt_id, option_index=index).pack(),
        )
        for index, option in enumerate(offered)
    ]
    per_row = 3 if all(len(option) <= SHORT_OPTION for option in offered) else 1
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    return InlineKeyboardMarkup(inline_keyboard=rows + by_hand)


def answered_line(value: str) -> str:
    return f"✅ Your answer: {escape(_clip(value, MAX_BUTTON_TEXT))}"


BY_HAND_DONE_LINE = "🖐 Filled in by hand: reading it back from the page…"


async def on_option(
    query: CallbackQuery, callback_data: QuestionCallback, prompts: PromptRepository, bridge: PromptBridge
) -> None:
    def chosen(prompt: Prompt) -> dict[str, str] | None:
        offered = offered_options(question_of(prompt))
        if not 0 <= callback_data.option_index < len(offered):
            return None
        return {"value": offered[callback_data.option_index]}

    await answer_prompt_button(
        query,
        prompts,
        bridge,
        callback_data.prompt_id,
        PromptKind.QUESTION,
        not_yours="That question is not yours.",
        answer=chosen,
        recorded=lambda _prompt, answer: TapOutcome(
            f"Saved: {_clip(answer['value'], MAX_BUTTON_TEXT)}", answered_line(answer["value"])
        ),
        closed=_closed,
    )


async def on_reply(
    message: Message,
    event_from_user: User,
    prompt: Prompt,
    bridge: PromptBridge,
    bot: Bot,
    credentials: CredentialRepository | None = None,
) -> None:
    if prompt.payload.get("secret"):
        await _on_secret_reply(message, event_from_user, prompt, bridge, bot, credentials)
        return
    if prompt.status is not PromptStatus.PENDING:
        await message.reply("That question is closed; nothing was changed.")
        return
    question = question_of(prompt)
    value = fit_answer(message.text or "", question)
    if value is None:
        await message.reply(_unfit_hint(question))
        return
    if len(value) > MAX_SAVED_ANSWER:
        await message.reply(f"That is {len(value)} characters; answers may have up to {MAX_SAVED_ANSWER}.")
        return
    answered = await bridge.answer(prompt.id, event_from_user.id, {"value": value}, PromptKind.QUESTION)
    if answered is None:
        await message.reply("That question is closed; nothing was changed.")
        return
    await close_prompt_message(bot, answered, answered_line(value))
    await message.reply(f"✅ Thanks, noted: <b>{escape(_clip(value, MAX_BUTTON_TEXT))}</b>")


async def _on_secret_reply(
    message: Message,
    user: User,
    prompt: Prompt,
    bridge: PromptBridge,
    bot: Bot,
    credentials: CredentialRepository | None,
) -> None:
    """A reply holding a password: sealed before it is recorded, and deleted from the chat whatever happens."""
    text = message.text or ""
    with contextlib.suppress(TelegramAPIError):  # already gone, or too old to delete: nothing more to do
        await message.delete()
    if prompt.status is not PromptStatus.PENDING:
        await bot.send_message(message.chat.id, "That question is closed; I deleted your message and kept nothing.")
        return
    if credentials is None or not credentials.available:
        await bot.send_message(message.chat.id, f"I deleted your message and kept nothing: {escape(NO_KEY)}")
        return
    if parse_login(text) is None:
        await bot.send_message(
            message.chat.id,
            "I deleted your message: please reply to the question with your "
            "e-mail and password on one line, separated by a space.",
        )
        return
    answered = await bridge.answer(prompt.id, user.id, {"sealed": credentials.seal(text.strip())}, PromptKind.QUESTION)
    if answered is None:
        await bot.send_message(message.chat.id, "That question is closed; I deleted your message and kept nothing.")
        return
    done = "✅ Received; your message with the password is deleted and the password kept sealed."
    await close_prompt_message(bot, answered, done)
    await bot.send_message(message.chat.id, done)


def _closed(prompt: Prompt) -> TapOutcome:
    if prompt.status is PromptStatus.ANSWERED and prompt.answer:
        by_hand = prompt.answer.get("decision") == QuestionDecision.BY_HAND.value
        return TapOutcome(
            "Already answered.", BY_HAND_DONE_LINE if by_hand else answered_line(str(prompt.answer.get("value", "")))
        )
    return TapOutcome("This question is closed.", CLOSED_LINES.get(prompt.status, CLOSED_LINES[PromptStatus.CANCELLED]))


def _unfit_hint(question: Question) -> str:
    if offered_options(question):
        return "Please tap one of the buttons under the question (or reply with one of them)."
    if question.options:
        return "That is none of the form's options; reply with one of those listed in the question."
    return "Please reply with your answer as text."


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.message.filter(F.chat.type == "private")
    r.callback_query.register(on_option, QuestionCallback.filter())
    r.message.register(on_reply, RepliedToPrompt(PromptKind.QUESTION))
    return r
