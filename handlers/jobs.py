"""The user's applications: /jobs (paged, filtered), /job <id> details, /stats and /export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import urlsplit

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from handlers.callbacks import JobDetails, JobsFilter, JobsPage
from handlers.cards import STATUS_ICONS, card_keyboard
from handlers.wording import status_label
from storage.applications import ApplicationRepository, LLMSpend
from storage.files import FileRepository
from storage.models import Application, ApplicationStatus

S = ApplicationStatus
PAGE_SIZE = 10
MAX_ID_DIGITS = 18  # beyond that a number is no application's id (PostgreSQL's bigint)
FILTERS: dict[JobsFilter, tuple[str, frozenset[ApplicationStatus] | None]] = {
    JobsFilter.ALL: ("All", None),
    JobsFilter.ACTIVE: (
        "Active",
        frozenset({S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL, S.QUEUED, S.RUNNING, S.WAITING_USER}),
    ),
    JobsFilter.SUBMITTED: ("Submitted", frozenset({S.SUBMITTED})),
    JobsFilter.PROBLEMS: ("Failed", frozenset({S.FAILED, S.TIMED_OUT, S.CANCELLED, S.REJECTED})),
}
EXPORT_COLUMNS = ["id", "status", "title", "company", "url", "outcome", "error", "created_at", "submitted_at"]


def _name(app: Application) -> str:
    return app.title or urlsplit(app.url).hostname or app.url


async def jobs_page(
    applications: ApplicationRepository, user_id: int, chosen: JobsFilter, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    label, statuses = FILTERS[chosen]
    total = await applications.count_for_user(user_id, statuses=statuses)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    apps = await applications.list_for_user(user_id, statuses=statuses, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    if total == 0:
        text = (
            "No applications yet. Send me a job link to start one."
            if chosen is JobsFilter.ALL
            else (f"No applications under “{label}”.")
        )
    else:
        lines = [f"<b>Your applications</b> · {label} · {total} · page {page + 1}/{pages}"]
        lines += [f"#{a.id} {STATUS_ICONS[a.status]} {status_label(a.status)} — {escape(_name(a))}" for a in apps]
        text = "\n".join(lines)
    return text, _jobs_keyboard(apps, chosen, page, pages)


def _jobs_keyboard(apps: list[Application], chosen: JobsFilter, page: int, pages: int) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    details = [
        InlineKeyboardButton(text=f"#{a.id}", callback_data=JobDetails(application_id=a.id).pack()) for a in apps
    ]
    rows += [details[i : i + 5] for i in range(0, len(details), 5)]
    paging = []
    if page > 0:
        paging.append(InlineKeyboardButton(text="‹ Newer", callback_data=JobsPage(view=chosen, page=page - 1).pack()))
    if page < pages - 1:
        paging.append(InlineKeyboardButton(text="Older ›", callback_data=JobsPage(view=chosen, page=page + 1).pack()))
    if paging:
        rows.append(paging)
    rows.append(
        [
            InlineKeyboardButton(
                text=("• " if f is chosen else "") + label, callback_data=JobsPage(view=f, page=0).pack()
            )
            for f, (label, _) in FILTERS.items()
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def job_details(applications: ApplicationRepository, app: Application) -> str:
    lines = [
        f"<b>#{app.id} {escape(_name(app))}</b>",
        escape(app.url),
        f"Status: {STATUS_ICONS[app.status]} {status_label(app.status)}",
    ]
    if app.outcome:
        lines.append(f"Outcome: {escape(app.outcome)}")
    if app.error:
        lines.append(f"Error: <i>{escape(app.error)}</i>")
    if (spend := await applications.llm_spend(app.id)).calls:
        lines.append(f"LLM: {spend_line(spend)}")
    lines += ["", "<b>Timeline</b>"]
    for event in await applications.events(app.id):
        when = event.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        note = f" — {escape(event.note)}" if event.note else ""
        lines.append(f"{when} {status_label(event.to_status)}{note}")
    fields = await applications.fields(app.id)
    if fields:
        lines += ["", "<b>Values in the form</b>"]
        lines += [f"{escape(f.label)}: <code>{escape((f.actual or '—')[:120])}</code>" for f in fields[:40]]
    text = "\n".join(lines)
    return text if len(text) <= 4000 else text[:3990] + "…"


def spend_line(spend: LLMSpend) -> str:
    """Calls, tokens and cost in one line; a cost is never shown as zero when a model had no price."""
    if not spend.calls:
        return "none"
    line = f"{spend.calls} call(s), {spend.tokens:,} tokens"
    if spend.cost_usd is None:
        return f"{line}, cost unknown (no LLM_PRICES entry for the model)"
    line += f", ${spend.cost_usd:.4f}"
    if spend.unpriced_calls:
        line += f" (+ {spend.unpriced_calls} call(s) without a price)"
    return line


async def send_details(
    chat: Message, applications: ApplicationRepository, files: FileRepository, app: Application
) -> None:
    """The timeline and values; first the filled form's screenshot and the letter written for the job, if any."""
    png = await files.screenshot(app.id, app.user_id)
    if png is not None:
        await chat.answer_document(
            BufferedInputFile(png, filename=f"application-{app.id}.png"),
            caption=f"#{app.id}: the form as it was filled",
        )
    letter = await files.cover_letter(app.id, app.user_id)
    if letter is not None:
        await chat.answer_document(
            BufferedInputFile(letter.content, filename=letter.filename),
            caption=f"#{app.id}: the cover letter written for this job",
        )
    await chat.answer(await job_details(applications, app), reply_markup=card_keyboard(app))


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP's
# "CSV injection"); titles and companies come from scraped pages, so they could be anything.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """The cell as text, with a leading `'` when a spreadsheet would otherwise run it as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_csv(apps: list[Application]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for a in apps:
        row = [
            a.id,
            a.status.value,
            a.title or "",
            a.company or "",
            a.url,
            a.outcome or "",
            a.error or "",
            a.created_at.isoformat(),
            a.submitted_at.isoformat() if a.submitted_at else "",
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


async def on_jobs(message: Message, event_from_user: User, applications: ApplicationRepository) -> None:
    text, markup = await jobs_page(applications, event_from_user.id, JobsFilter.ALL, 0)
    await message.answer(text, reply_markup=markup)


async def on_jobs_page(query: CallbackQuery, callback_data: JobsPage, applications: ApplicationRepository) -> None:
    text, markup = await jobs_page(applications, query.from_user.id, callback_data.view, callback_data.page)
    await query.answer()
    if isinstance(query.message, Message):  # not gone, nor too old for the bot to see
        await query.message.edit_text(text, reply_markup=markup)


async def on_job(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    applications: ApplicationRepository,
    files: FileRepository,
) -> None:
    arg = (command.args or "").strip().lstrip("#")
    if not arg.isdigit():
        await message.answer("Which one? Send /job followed by its number, e.g. /job 12 (see /jobs).")
        return
    app = await applications.get(int(arg), user_id=event_from_user.id) if len(arg) <= MAX_ID_DIGITS else None
    if app is None:
        await message.answer(f"You have no application #{escape(arg)}. /jobs lists yours.")
        return
    await send_details(message, applications, files, app)


async def on_details(
    query: CallbackQuery, callback_data: JobDetails, applications: ApplicationRepository, files: FileRepository
) -> None:
    app = await applications.get(callback_data.application_id, user_id=query.from_user.id)
    if app is None:
        await query.answer("That job is not in your list.")
        return
    await query.answer()
    if isinstance(query.message, Message):
        await send_details(query.message, applications, files, app)


async def on_stats(message: Message, event_from_user: User, applications: ApplicationRepository) -> None:
    user_id = event_from_user.id
    counts = await applications.counts_by_status(user_id)
    total = sum(counts.values())
    if not total:
        await message.answer("No applications yet. Send me a job link to start one.")
        return
    week = await applications.submitted_since(user_id, datetime.now(UTC) - timedelta(days=7))
    lines = [f"<b>Your numbers</b> ({total} job(s))"]
    lines += [f"{STATUS_ICONS[s]} {status_label(s)}: {n}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    lines.append(f"Submitted in the last 7 days: {week}")
    ever = await applications.llm_spend_for_user(user_id)
    if ever.calls:
        recent = await applications.llm_spend_for_user(user_id, datetime.now(UTC) - timedelta(days=7))
        lines.append(f"LLM in the last 7 days: {spend_line(recent)}")
        lines.append(f"LLM in all: {spend_line(ever)}")
    await message.answer("\n".join(lines))


async def on_export(message: Message, event_from_user: User, applications: ApplicationRepository) -> None:
    apps = await applications.list_for_user(event_from_user.id, limit=None)
    if not apps:
        await message.answer("Nothing to export yet.")
        return
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    await message.answer_document(
        BufferedInputFile(export_csv(apps), filename=f"nyx-applications-{stamp}.csv"),
        caption=f"{len(apps)} application(s)",
    )


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.message.register(on_jobs, Command("jobs"))
    r.callback_query.register(on_jobs_page, JobsPage.filter())
    r.message.register(on_job, Command("job"))
    r.callback_query.register(on_details, JobDetails.filter())
    r.message.register(on_stats, Command("stats"))
    r.message.register(on_export, Command("export"))
    return r
