"""A CAPTCHA the worker could not clear, asked in the chat: how it looks, and recording the answer once.

The worker writes a `captcha` prompt (payload: which CAPTCHA, why 2captcha did not clear it, how to
answer) and waits. An image CAPTCHA comes as a picture and a force-reply message: the user replies
with its characters, which the worker types into the form. A widget (reCAPTCHA, hCaptcha, Turnstile)
is solved by the user in the worker's own browser window, then "Done" — the worker checks the page and
asks again if no answer reached it — or "Cancel application". Answers are recorded with a guarded
UPDATE and the worker is woken through the bridge; closed, foreign or unknown prompts change nothing.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from aiogram import Bot, F, Router
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
    WebAppInfo,
)

from automation.captcha import (
    KIND_LABELS,
    MAX_TEXT,
    AnswerBy,
    CaptchaDecision,
    CaptchaKind,
    Fallback,
)
from automation.prompts import PromptBridge
from handlers.callbacks import CaptchaCallback
from handlers.filters import RepliedToPrompt
from handlers.prompt_buttons import TapOutcome, answer_prompt_button, close_prompt_message
from storage.models import Application, Prompt, PromptKind, PromptStatus
from storage.prompts import PromptRepository

DONE_BUTTON = "Done — I solved it"
CANCEL_BUTTON = "Cancel application"
LIVE_BUTTON = "🖥 Open the live view"
PLACEHOLDER = "The characters in the picture"

CLOSED_LINES = {
    PromptStatus.EXPIRED: "⌛ This CAPTCHA expired and the application timed out; tap Retry on its card.",
    PromptStatus.CANCELLED: "✖️ This CAPTCHA is closed.",
}
OUTCOME_LINES = {
    CaptchaDecision.DONE: "🔎 Checking the page…",
    CaptchaDecision.CANCEL: "✖️ Cancelled: nothing was submitted.",
}
WHY_LINES = {
    Fallback.NO_KEY: "No 2captcha key is set (TWOCAPTCHA_API_KEY), so this one needs you.",
    Fallback.UNSUPPORTED: "2captcha does not solve this kind, so it needs you.",
    Fallback.FAILED: "{detail}, so this one needs you.",
}

REFUSED_LINES = {
    AnswerBy.TEXT: "⚠️ The form did not accept that answer and shows a new picture (above).",
    AnswerBy.BROWSER: "⚠️ The form did not accept the CAPTCHA; it needs solving again.",
}


def answer_by(prompt: Prompt) -> AnswerBy:
    try:
        return AnswerBy(prompt.payload.get("answer_by"))
    except ValueError:
        return AnswerBy.BROWSER


def captcha_text(application: Application, prompt: Prompt, *, live: bool = False) -> str:
    payload = prompt.payload
    title = escape(application.title or urlsplit(application.url).hostname or application.url)
    try:
        label = KIND_LABELS[CaptchaKind(payload.get("captcha"))]
    except ValueError:
        label = "CAPTCHA"
    try:
        why = WHY_LINES[Fallback(payload.get("why"))].format(detail=escape(str(payload.get("detail") or "no reason")))
    except ValueError:
        why = ""
    lines = [f"🧩 <b>A {escape(label)} on the form</b> — #{application.id} {title}", ""]
    if payload.get("refused"):
        lines += [REFUSED_LINES[answer_by(prompt)], ""]
    elif payload.get("again"):
        lines += ["⚠️ I still see no answer in the CAPTCHA.", ""]
    elif why:
        lines += [why, ""]
    if answer_by(prompt) is AnswerBy.TEXT:
        lines.append("Reply to this message with the characters in the picture above.")
    elif live:
        lines += [
            "Open the <b>live view</b> below: it shows the browser's page and passes on your taps and typing. "
            "Solve it there, then tap <b>Done</b>.",
            "Nothing is submitted before your review.",
        ]
    else:
        lines += [
            "Solve it in the browser window on the computer running Nyx, then tap <b>Done</b>.",
            "Nothing is submitted before your review.",
        ]
    return "\n".join(lines)


def live_button(url: str, text: str = LIVE_BUTTON) -> InlineKeyboardButton:
    """Inside Telegram as a Web App on https (Telegram allows no other), else as a link to the browser."""
    if url.startswith("https://"):
        return InlineKeyboardButton(text=text, web_app=WebAppInfo(url=url))
    return InlineKeyboardButton(text=text, url=url)


def captcha_markup(prompt: Prompt, *, live_url: str | None = None) -> InlineKeyboardMarkup | ForceReply:
    if answer_by(prompt) is AnswerBy.TEXT:
        return ForceReply(force_reply=True, input_field_placeholder=PLACEHOLDER)

    def button(text: str, decision: CaptchaDecision) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=CaptchaCallback(decision=decision, prompt_id=prompt.id).pack()
        )

    rows = [[button(DONE_BUTTON, CaptchaDecision.DONE)], [button(CANCEL_BUTTON, CaptchaDecision.CANCEL)]]
    if live_url is not None:
        rows.insert(0, [live_button(live_url)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def typed_line(text: str) -> str:
    return f"✅ Typed into the form: {escape(text)}"


async def on_button(
    query: CallbackQuery, callback_data: CaptchaCallback, prompts: PromptRepository, bridge: PromptBridge
) -> None:
    decision = callback_data.decision
    reply = "Checking the page…" if decision is CaptchaDecision.DONE else "Cancelled."
    await answer_prompt_button(
        query,
        prompts,
        bridge,
        callback_data.prompt_id,
        PromptKind.CAPTCHA,
        not_yours="That CAPTCHA is not yours.",
        answer=lambda _prompt: {"decision": decision.value},
        recorded=lambda _prompt, _answer: TapOutcome(reply, OUTCOME_LINES[decision]),
        closed=_closed,
    )


async def on_reply(message: Message, event_from_user: User, prompt: Prompt, bridge: PromptBridge, bot: Bot) -> None:
    if prompt.status is not PromptStatus.PENDING:
        await message.reply("That CAPTCHA is closed; nothing was changed.")
        return
    if answer_by(prompt) is not AnswerBy.TEXT:
        await message.reply("Solve this one in the browser window, then tap Done under the message.")
        return
    text = " ".join((message.text or "").split())
    if not text or len(text) > MAX_TEXT:
        await message.reply("Please reply with just the characters in the picture.")
        return
    answered = await bridge.answer(prompt.id, event_from_user.id, {"text": text}, PromptKind.CAPTCHA)
    if answered is None:
        await message.reply("That CAPTCHA is closed; nothing was changed.")
        return
    await close_prompt_message(bot, answered, typed_line(text))
    await message.reply("✅ Thanks, typing it into the form.")


def _closed(prompt: Prompt) -> TapOutcome:
    if prompt.status is PromptStatus.ANSWERED and prompt.answer:
        try:
            line = OUTCOME_LINES[CaptchaDecision(prompt.answer.get("decision"))]
        except ValueError:
            line = typed_line(str(prompt.answer.get("text", "")))
        return TapOutcome("Already answered.", line)
    return TapOutcome("This CAPTCHA is closed.", CLOSED_LINES.get(prompt.status, CLOSED_LINES[PromptStatus.CANCELLED]))


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.message.filter(F.chat.type == "private")
    r.callback_query.register(on_button, CaptchaCallback.filter())
    r.message.register(on_reply, RepliedToPrompt(PromptKind.CAPTCHA))
    return r
