"""The daily digest in the chat: how it looks, /digest, and what its buttons do.

A digest is one photo (the week's chart) with the text as its caption when the text fits
Telegram's 1024 characters, else the photo and then the text; the buttons go on the text. Every
button re-reads the item it names and acts only if the item is still where the digest saw it
(waiting for Apply/Skip, failed, a prompt still open): a tap days later on something that moved
on says so and changes nothing. Deciding goes through automation.workflow (the same rules as the
job card: pause, daily cap, profile, submitted once); waiting prompts are shown again with their
own buttons (ReviewCallback, QuestionCallback, ...), so answering them is the usual path.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)

from automation.prompts import question_of
from automation.queue import ApplicationQueue
from automation.workflow import queue_application, skip_application
from handlers import captcha as captcha_views
from handlers import cover_letter as letter_views
from handlers import questions as question_views
from handlers.callbacks import DigestAction, DigestCallback
from handlers.cards import review_keyboard
from handlers.wording import decision_sentence, status_label
from storage.applications import ApplicationRepository
from storage.digests import (
    AWAITING,
    RETRYABLE,
    CountAsToday,
    DayCounts,
    Digest,
    DigestRepository,
    Spend,
    apply_all_threshold,
    local_today,
)
from storage.files import FileRepository
from storage.models import Prompt, PromptKind, PromptMessage, PromptStatus
from storage.profiles import ProfileRepository
from storage.prompts import PromptRepository
from storage.user_settings import UserSettingsRepository
from storage.users import UserRepository

log = logging.getLogger(__name__)

A = DigestAction
CAPTION_LIMIT = 1024  # Telegram's limit for a photo's caption, in UTF-16 code units
ANSWER_LIMIT = 200  # Telegram's limit for a button's answer
TITLE_CHARS = 44
REASON_CHARS = 70
DrawChart = Callable[[list[DayCounts]], Awaitable[bytes]]  # the week as a PNG (bot.digest_chart.ChartRenderer)
PROMPT_NAMES = {
    PromptKind.REVIEW: "review before submitting",
    PromptKind.QUESTION: "question",
    PromptKind.CAPTCHA: "CAPTCHA",
    PromptKind.COVER_LETTER: "cover letter to approve",
}
PROMPT_BUTTONS = {
    PromptKind.REVIEW: "Open review",
    PromptKind.QUESTION: "Answer",
    PromptKind.CAPTCHA: "CAPTCHA",
    PromptKind.COVER_LETTER: "Letter",
}


# --------------------------------------------------------------------------- how it looks


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())  # one line
    return text if len(text) <= limit else text[: limit - 1] + "…"


def visible_length(text: str) -> int:
    """What Telegram counts of an HTML text: tags removed, references decoded, UTF-16 units."""
    plain = html.unescape(re.sub(r"<[^>]*>", "", text))
    return len(plain.encode("utf-16-le")) // 2


def _totals(days: list[DayCounts]) -> DayCounts:
    return DayCounts(
        days[-1].day, sum(d.submitted for d in days), sum(d.skipped for d in days), sum(d.failed for d in days)
    )


def _response_line(days: list[DayCounts]) -> str:
    known = [d for d in days if d.responses is not None and d.submitted]
    if not known:
        return "Response rate: not known yet (employers' replies are not recorded)"
    rate = sum(d.responses or 0 for d in known) / sum(d.submitted for d in known)
    return f"Response rate: {rate:.0%} of {sum(d.submitted for d in known)} with a known outcome"


def _spend_line(spend: Spend) -> str:
    parts = [f"🧮 LLM tokens: {spend.tokens_day:,} today · {spend.tokens_week:,} in 7 days"]
    if spend.money_week is not None:
        parts.append(f"${spend.money_day or 0:.2f} today · ${spend.money_week:.2f} in 7 days")
    if spend.captchas_week is not None:
        parts.append(f"CAPTCHAs solved: {spend.captchas_day or 0} today · {spend.captchas_week} in 7 days")
    if spend.money_week is None:
        parts.append("money and CAPTCHA costs are not recorded yet")
    return "; ".join(parts)


def quiet_text(digest: Digest) -> str:
    return f"☀️ {digest.local_date:%a %d %b}: a quiet day, nothing new and nothing waiting for you."


def digest_text(digest: Digest) -> str:
    day, week = digest.last_day, _totals(digest.week)
    lines = [
        f"☀️ <b>Your digest</b> · {digest.local_date:%a %d %b}",
        f"Last 24 h: {day.submitted} submitted · {day.skipped} skipped · {day.failed} failed",
        f"7 days: {week.submitted} submitted · {week.skipped} skipped · {week.failed} failed",
        _response_line(digest.week),
    ]
    if digest.awaiting:
        lines += ["", f"❓ <b>Waiting for Apply/Skip</b> ({digest.awaiting_total})"]
        for job in digest.awaiting:
            score = f" — {job.score:.0f}/100" if job.score is not None else ""
            lines.append(f"#{job.application_id} {html.escape(_clip(job.title, TITLE_CHARS))}{score}")
        if digest.awaiting_total > len(digest.awaiting):
            lines.append(f"… and {digest.awaiting_total - len(digest.awaiting)} more in /jobs")
    if digest.prompts:
        lines += ["", "🙋 <b>Waiting for your answer</b>"]
        for prompt in digest.prompts:
            what = prompt.label if prompt.kind is PromptKind.QUESTION and prompt.label else prompt.title
            lines.append(
                f"#{prompt.application_id} {PROMPT_NAMES[prompt.kind]}: {html.escape(_clip(what, TITLE_CHARS))}"
            )
    if digest.failed:
        lines += ["", f"⚠️ <b>Failed or timed out</b> ({digest.failed_total})"]
        for failed in digest.failed:
            title, reason = _clip(failed.title, TITLE_CHARS - 10), _clip(failed.reason, REASON_CHARS)
            lines.append(f"#{failed.application_id} {html.escape(title)}: <i>{html.escape(reason)}</i>")
    lines += ["", _spend_line(digest.spend)]
    return "\n".join(lines)


def _button(text: str, action: DigestAction, digest: Digest, item: int = 0) -> InlineKeyboardButton:
    assert digest.id is not None, "a digest's buttons need its row"
    return InlineKeyboardButton(
        text=text, callback_data=DigestCallback(action=action, digest_id=digest.id, item=item).pack()
    )


def digest_keyboard(digest: Digest, *, on_demand: bool = False) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    if len(digest.apply_all) > 1:
        label = f"✅ Apply all ≥ {digest.apply_all_threshold} ({len(digest.apply_all)})"
        rows.append([_button(label, A.APPLY_ALL, digest)])
    for job in digest.awaiting:
        number = job.application_id
        rows.append(
            [_button(f"Apply #{number}", A.APPLY, digest, number), _button(f"Skip #{number}", A.SKIP, digest, number)]
        )
    for prompt in digest.prompts:
        rows.append(
            [_button(f"{PROMPT_BUTTONS[prompt.kind]} #{prompt.application_id}", A.SHOW, digest, prompt.prompt_id)]
        )
    retries = [_button(f"🔁 Retry #{job.application_id}", A.RETRY, digest, job.application_id) for job in digest.failed]
    rows += [retries[i : i + 2] for i in range(0, len(retries), 2)]
    if on_demand:
        rows.append([_button("📌 Count this as today's digest", A.TODAY, digest)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def send_digest_message(
    bot: Bot, chat_id: int, digest: Digest, draw_chart: DrawChart, *, on_demand: bool = False
) -> list[int]:
    """Send the digest; returns the ids of the messages it took (chart first, buttons on the last)."""
    markup = digest_keyboard(digest, on_demand=on_demand)
    if digest.quiet:
        sent = await bot.send_message(chat_id, quiet_text(digest), reply_markup=markup)
        return [sent.message_id]
    text = digest_text(digest)
    if not any(d.submitted or d.skipped or d.failed for d in digest.week):  # an empty chart says nothing
        sent = await bot.send_message(chat_id, text, reply_markup=markup)
        return [sent.message_id]
    photo = BufferedInputFile(await draw_chart(digest.week), filename=f"digest-{digest.local_date}.png")
    if visible_length(text) <= CAPTION_LIMIT:
        sent = await bot.send_photo(chat_id, photo, caption=text, reply_markup=markup)
        return [sent.message_id]
    chart = await bot.send_photo(chat_id, photo, caption=f"☀️ Your last 7 days, to {digest.local_date:%a %d %b}")
    sent = await bot.send_message(chat_id, text, reply_markup=markup)
    return [chart.message_id, sent.message_id]


class TelegramDigestChannel:
    """scheduler.digest's DigestChannel: a digest to the user's private chat."""

    def __init__(self, bot: Bot, users: UserRepository, draw_chart: DrawChart) -> None:
        self._bot = bot
        self._users = users
        self._draw_chart = draw_chart

    async def send_digest(self, digest: Digest) -> list[int] | None:
        user = await self._users.get(digest.user_id)
        if user is None or not user.active:
            return None
        try:
            return await send_digest_message(self._bot, user.chat_id, digest, self._draw_chart)
        except TelegramForbiddenError:
            return None  # the user blocked the bot (the sender marked them inactive)


# --------------------------------------------------------------------------- the buttons


@dataclass(frozen=True)
class Tapped:
    """What a tap did: the answer shown, and the digest buttons that no longer apply."""

    text: str
    alert: bool = False
    gone: frozenset[tuple[DigestAction, int]] = field(default_factory=frozenset)


def _job_buttons(*application_ids: int) -> frozenset[tuple[DigestAction, int]]:
    return frozenset((action, i) for i in application_ids for action in (A.APPLY, A.SKIP, A.RETRY))


@dataclass(frozen=True)
class Deps:
    applications: ApplicationRepository
    profiles: ProfileRepository
    user_settings: UserSettingsRepository
    queue: ApplicationQueue
    prompts: PromptRepository
    digests: DigestRepository
    files: FileRepository


async def _decide(deps: Deps, user_id: int, action: DigestAction, application_id: int) -> Tapped:
    app = await deps.applications.get(application_id, user_id=user_id)
    if app is None:
        return Tapped("That job is not in your list.")
    expected = RETRYABLE if action is A.RETRY else AWAITING
    if app.status not in expected:
        return Tapped(f"#{app.id} is {status_label(app.status)} now; nothing changed.", gone=_job_buttons(app.id))
    if action is A.SKIP:
        decision = await skip_application(app, user_id, applications=deps.applications)
    else:
        decision = await queue_application(
            app,
            user_id,
            applications=deps.applications,
            profiles=deps.profiles,
            user_settings=deps.user_settings,
            queue=deps.queue,
            from_statuses=expected,
        )
    moved = decision.application.status is not app.status
    gone = _job_buttons(app.id) if moved else frozenset()
    return Tapped(f"#{app.id}: {decision_sentence(decision)}", alert=decision.refused, gone=gone)


async def _apply_all(deps: Deps, user_id: int, digest_id: int) -> Tapped:
    """Queue the jobs the digest listed for "Apply all" that still wait; stop at the first refusal."""
    payload = await deps.digests.payload(digest_id, user_id) or {}
    queued: list[int] = []
    moved_on: list[int] = []
    refusal = None
    for application_id in payload.get("apply_all") or []:
        app = await deps.applications.get(application_id, user_id=user_id)
        if app is None or app.status not in AWAITING:
            moved_on.append(application_id)
            continue
        decision = await queue_application(
            app,
            user_id,
            applications=deps.applications,
            profiles=deps.profiles,
            user_settings=deps.user_settings,
            queue=deps.queue,
            from_statuses=AWAITING,
        )
        if decision.refused:
            refusal = decision_sentence(decision)
            break
        (queued if decision.application.status is not app.status else moved_on).append(application_id)
    parts = [f"Queued {len(queued)}: " + ", ".join(f"#{i}" for i in queued) if queued else "Nothing was queued."]
    if moved_on:
        parts.append("Already moved on: " + ", ".join(f"#{i}" for i in moved_on) + ".")
    if refusal:
        parts.append(refusal)
    gone = _job_buttons(*queued, *moved_on) | ({(A.APPLY_ALL, 0)} if refusal is None else set())
    return Tapped(" ".join(parts), alert=True, gone=frozenset(gone))


async def _show_prompt(deps: Deps, user_id: int, prompt_id: int, bot: Bot, chat_id: int) -> Tapped:
    """Show a waiting prompt again, with its own buttons; replies and taps then go the usual way."""
    prompt = await deps.prompts.get(prompt_id)
    if prompt is None or prompt.user_id != user_id:
        return Tapped("That is not yours.")
    name = PROMPT_NAMES[prompt.kind]
    if prompt.status is not PromptStatus.PENDING or prompt.is_overdue:
        return Tapped(f"That {name} is closed now; nothing to do.", gone=frozenset({(A.SHOW, prompt_id)}))
    if prompt.kind is PromptKind.REVIEW:
        screenshot = await deps.files.screenshot(prompt.application_id, user_id)
        if screenshot is not None:
            await bot.send_document(
                chat_id,
                BufferedInputFile(screenshot, filename=f"application-{prompt.application_id}.png"),
                caption=f"#{prompt.application_id}: the filled form, as it will be sent",
            )
    text = prompt.message_html or f"#{prompt.application_id}: a {name} is waiting for you."
    sent = await bot.send_message(chat_id, text, reply_markup=_prompt_markup(prompt))
    await deps.prompts.set_message(prompt.id, PromptMessage(chat_id, sent.message_id, text))
    return Tapped(f"Your {name} for #{prompt.application_id} is below.")


def _prompt_markup(prompt: Prompt) -> InlineKeyboardMarkup | ForceReply:
    if prompt.kind is PromptKind.REVIEW:  # a parked one (no browser) can have its form opened again
        return review_keyboard(prompt.id, reopen=prompt.parked_at is not None)
    if prompt.kind is PromptKind.QUESTION:
        return question_views.question_markup(prompt.id, question_of(prompt))
    if prompt.kind is PromptKind.CAPTCHA:
        return captcha_views.captcha_markup(prompt)
    return letter_views.letter_markup(prompt.id, has_usual=bool(prompt.payload.get("has_usual")))


async def _count_as_today(deps: Deps, user_id: int, digest_id: int) -> Tapped:
    now = datetime.now(UTC)
    today = local_today(await deps.user_settings.get(user_id), now)
    outcome = await deps.digests.count_as_today(digest_id, user_id, today, now)
    done = frozenset({(A.TODAY, 0)})
    if outcome is CountAsToday.COUNTED:
        return Tapped("Done: this is today's digest, no other will come today.", gone=done)
    if outcome is CountAsToday.ALREADY_SENT:
        return Tapped("Today's digest was already sent; nothing changed.", gone=done)
    if outcome is CountAsToday.BEING_SENT:
        return Tapped("Today's digest is being sent right now; nothing changed.")
    return Tapped("That digest was for another day; it cannot count for today.", gone=done)


async def _drop_buttons(query: CallbackQuery, gone: frozenset[tuple[DigestAction, int]]) -> None:
    """Take the buttons that no longer apply off the digest message (the rest keep working)."""
    message = query.message  # an InaccessibleMessage (deleted, or too old) cannot be edited
    if not gone or not isinstance(message, Message) or message.reply_markup is None:
        return
    markup = message.reply_markup

    def stays(button: InlineKeyboardButton) -> bool:
        try:
            data = DigestCallback.unpack(button.callback_data or "")
        except (TypeError, ValueError):
            return True
        return (data.action, data.item) not in gone

    rows = [kept for row in markup.inline_keyboard if (kept := [b for b in row if stays(b)])]
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None)


async def on_digest_button(
    query: CallbackQuery,
    callback_data: DigestCallback,
    bot: Bot,
    applications: ApplicationRepository,
    profiles: ProfileRepository,
    user_settings: UserSettingsRepository,
    queue: ApplicationQueue,
    prompts: PromptRepository,
    digests: DigestRepository,
    files: FileRepository,
) -> None:
    deps = Deps(applications, profiles, user_settings, queue, prompts, digests, files)
    user_id, action = query.from_user.id, callback_data.action
    if action is A.APPLY_ALL:
        tapped = await _apply_all(deps, user_id, callback_data.digest_id)
    elif action is A.TODAY:
        tapped = await _count_as_today(deps, user_id, callback_data.digest_id)
    elif action is A.SHOW:
        chat_id = query.message.chat.id if query.message is not None else user_id
        tapped = await _show_prompt(deps, user_id, callback_data.item, bot, chat_id)
    else:
        tapped = await _decide(deps, user_id, action, callback_data.item)
    await _drop_buttons(query, tapped.gone)  # first, so the answer finds the digest already up to date
    await query.answer(_clip(tapped.text, ANSWER_LIMIT), show_alert=tapped.alert)


async def on_digest_command(
    message: Message,
    event_from_user: User,
    bot: Bot,
    user_settings: UserSettingsRepository,
    digests: DigestRepository,
    digest_chart: DrawChart,
) -> None:
    """Today's digest now. It does not replace the scheduled one unless the user taps its button."""
    user_id, now = event_from_user.id, datetime.now(UTC)
    settings = await user_settings.get(user_id)
    digest = await digests.compose(
        user_id,
        local_today(settings, now),
        ZoneInfo(settings.time_zone),
        now,
        apply_all_threshold=apply_all_threshold(settings),
    )
    digest_id = await digests.write_on_demand(digest, now)
    message_ids = await send_digest_message(
        bot, message.chat.id, replace(digest, id=digest_id), digest_chart, on_demand=True
    )
    await digests.set_messages(digest_id, message_ids)


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.callback_query.register(on_digest_button, DigestCallback.filter())
    r.message.register(on_digest_command, Command("digest"))
    return r
