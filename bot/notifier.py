"""The Telegram side of automation's Notifier: live job cards, review prompts and form questions."""

from __future__ import annotations

import logging
import struct

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from automation.adapters.base import FilledForm
from automation.prompts import question_of
from automation.questions import Question
from handlers import captcha as captcha_views
from handlers import cover_letter as letter_views
from handlers import questions as question_views
from handlers.cards import card_keyboard, card_text, review_keyboard, review_text
from handlers.review import CLOSED_LINES as REVIEW_CLOSED_LINES
from handlers.review import close_prompt_message
from storage.applications import ApplicationRepository
from storage.models import Application, Prompt, PromptKind, PromptMessage, PromptStatus
from storage.users import UserRepository

log = logging.getLogger(__name__)

LIVE_VIEW_CLOSED_LINE = (
    "<i>The browser was put away while this waits, so the live view is closed; "
    "answer here and any worker fills the form again.</i>"
)
REOPEN_LINE = "<i>To change fields yourself, tap Let me do this myself: the form is opened again for you.</i>"
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
# How each kind of prompt ends when it can no longer be answered (expired, withdrawn).
CLOSED_LINES = {
    PromptKind.QUESTION: question_views.CLOSED_LINES,
    PromptKind.REVIEW: REVIEW_CLOSED_LINES,
    PromptKind.CAPTCHA: captcha_views.CLOSED_LINES,
    PromptKind.COVER_LETTER: letter_views.CLOSED_LINES,
}


def fits_as_photo(png: bytes) -> bool:
    """Telegram rejects photos that are too big or too elongated; those go as documents."""
    if len(png) > MAX_PHOTO_BYTES or png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return False
    width, height = struct.unpack(">II", png[16:24])
    if not width or not height:
        return False
    return width + height <= MAX_PHOTO_SIDES and max(width, height) / min(width, height) <= MAX_PHOTO_RATIO


class TelegramNotifier:
    def __init__(self, bot: Bot, users: UserRepository, applications: ApplicationRepository) -> None:
        self._bot = bot
        self._users = users
        self._applications = applications

    async def _chat_for(self, app: Application) -> int:
        if app.card_chat_id:
            return app.card_chat_id
        user = await self._users.get(app.user_id)
        if user is None:
            raise LookupError(f"application {app.id} belongs to an unknown user")
        return user.chat_id

    async def application_changed(self, application: Application) -> None:
        text, markup = card_text(application), card_keyboard(application)
        if application.card_chat_id and application.card_message_id:
            try:
                await self._bot.edit_message_text(
                    text=text,
                    chat_id=application.card_chat_id,
                    message_id=application.card_message_id,
                    reply_markup=markup,
                )
            except TelegramBadRequest as exc:
                if "not modified" not in exc.message:
                    log.info(
                        "application %s: card could not be edited (%s); sending a new one", application.id, exc.message
                    )
                    await self._send_card(application, text, markup)  # records the status it shows
                    return
            await self._applications.set_card_status(application.id, application.status)
        else:
            await self._send_card(application, text, markup)

    async def _send_card(self, application: Application, text: str, markup: InlineKeyboardMarkup | None) -> None:
        chat_id = await self._chat_for(application)
        sent = await self._bot.send_message(chat_id, text, reply_markup=markup)
        await self._applications.set_card(application.id, chat_id, sent.message_id, application.status)

    async def ask_review(
        self, application: Application, prompt: Prompt, form: FilledForm, live_url: str | None = None
    ) -> PromptMessage:
        chat_id = await self._chat_for(application)
        await self._send_picture(
            chat_id,
            form.screenshot,
            f"application-{application.id}.png",
            f"#{application.id}: the filled form, as it will be sent",
        )
        text = review_text(application, form, live=live_url is not None)
        sent = await self._bot.send_message(chat_id, text, reply_markup=review_keyboard(prompt.id, live_url))
        return PromptMessage(chat_id, sent.message_id, text)

    async def ask_question(
        self, application: Application, prompt: Prompt, question: Question, live_url: str | None = None
    ) -> PromptMessage:
        chat_id = await self._chat_for(application)
        text = question_views.question_text(application, question, live=live_url is not None)
        sent = await self._bot.send_message(
            chat_id, text, reply_markup=question_views.question_markup(prompt.id, question, live_url)
        )
        return PromptMessage(chat_id, sent.message_id, text)

    async def ask_captcha(
        self, application: Application, prompt: Prompt, image: bytes | None, live_url: str | None = None
    ) -> PromptMessage:
        chat_id = await self._chat_for(application)
        if image is not None:
            await self._send_picture(
                chat_id, image, f"captcha-{application.id}.png", f"#{application.id}: the CAPTCHA on the form"
            )
        text = captcha_views.captcha_text(application, prompt, live=live_url is not None)
        markup = captcha_views.captcha_markup(prompt, live_url=live_url)
        sent = await self._bot.send_message(chat_id, text, reply_markup=markup)
        return PromptMessage(chat_id, sent.message_id, text)

    async def ask_cover_letter(
        self, application: Application, prompt: Prompt, letter: str, has_usual: bool
    ) -> PromptMessage:
        chat_id = await self._chat_for(application)
        text = letter_views.letter_text(application, letter, has_usual=has_usual)
        sent = await self._bot.send_message(
            chat_id, text, reply_markup=letter_views.letter_markup(prompt.id, has_usual=has_usual)
        )
        return PromptMessage(chat_id, sent.message_id, text)

    async def live_view_closed(self, prompt: Prompt) -> None:
        if prompt.chat_id is None or prompt.message_id is None:
            return
        if prompt.kind is PromptKind.REVIEW:
            markup: InlineKeyboardMarkup | None = review_keyboard(prompt.id, reopen=True)
        else:  # a question: its options stay; a text one is answered by replying, as the message says
            options = question_views.question_markup(prompt.id, question_of(prompt))
            markup = options if isinstance(options, InlineKeyboardMarkup) else None
        try:
            if prompt.message_html:
                reopen = f"\n{REOPEN_LINE}" if prompt.kind is PromptKind.REVIEW else ""
                await self._bot.edit_message_text(
                    text=f"{prompt.message_html}\n\n{LIVE_VIEW_CLOSED_LINE}{reopen}",
                    chat_id=prompt.chat_id,
                    message_id=prompt.message_id,
                    reply_markup=markup,
                )
            else:
                await self._bot.edit_message_reply_markup(
                    chat_id=prompt.chat_id, message_id=prompt.message_id, reply_markup=markup
                )
        except TelegramBadRequest as exc:
            log.info("prompt %s: live view button not removed (%s)", prompt.id, exc.message)

    async def say(self, user_id: int, html: str) -> None:
        user = await self._users.get(user_id)
        if user is None or not user.active:
            return
        await self._bot.send_message(user.chat_id, html)

    async def prompt_closed(self, prompt: Prompt) -> None:
        lines = CLOSED_LINES[prompt.kind]
        await close_prompt_message(self._bot, prompt, lines.get(prompt.status, lines[PromptStatus.CANCELLED]))

    async def _send_picture(self, chat_id: int, png: bytes, filename: str, caption: str) -> None:
        """A PNG as a photo, or as a document when Telegram would refuse it as a photo."""
        picture = BufferedInputFile(png, filename=filename)
        if fits_as_photo(png):
            await self._bot.send_photo(chat_id, picture, caption=caption)
        else:
            await self._bot.send_document(chat_id, picture, caption=caption)
