"""How an application looks in the chat: the job card and the review message."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from automation.adapters.base import EmptyReason, FieldReading, FilledForm
from automation.workflow import APPLY_AGAIN_FROM
from handlers.callbacks import CardAction, CardCallback, JobDetails, ReviewCallback
from handlers.captcha import live_button
from handlers.wording import status_label
from storage.models import Application, ApplicationStatus, ReviewDecision

S = ApplicationStatus
STATUS_ICONS = {
    S.RECEIVED: "📥",
    S.SCORED: "📊",
    S.AWAITING_APPROVAL: "❓",
    S.QUEUED: "⏳",
    S.RUNNING: "🖥",
    S.WAITING_USER: "🙋",
    S.SUBMITTED: "✅",
    S.SKIPPED: "⏭",
    S.REJECTED: "🚫",
    S.FAILED: "⚠️",
    S.TIMED_OUT: "⌛",
    S.CANCELLED: "✖️",
}
MAX_REVIEW_VALUE = 120
MAX_MESSAGE = 4096  # Telegram's limit for one text message
TAKE_OVER_BUTTON = "🖐 Let me do this myself"
REOPEN_BUTTON = "🖐 Let me do this myself (opens the form again)"
TAKE_OVER_LINES = [
    "Or tap <b>Let me do this myself</b>: a live view of the browser opens on the filled form, where you "
    "change what you like and tap <b>Done</b>; I read the form back and show it again here. Nothing you tap "
    "there sends the application. The live view works while the browser waits for this review (a few "
    "minutes); after that, use Fix a field.",
]


def card_text(app: Application) -> str:
    heading = escape(app.title or _host(app.url))
    lines = [f"💼 <b>{heading}</b>"]
    where = " · ".join(part for part in (app.company, app.location) if part)
    if where:
        lines.append(escape(where))
    lines.append(escape(app.url))
    lines += _match_lines(app)
    lines.append(f"#{app.id} · {STATUS_ICONS[app.status]} {status_label(app.status)}")
    if app.status is S.FAILED and app.error:
        lines.append(f"<i>{escape(app.error)}</i>")
    return "\n".join(lines)


def _match_lines(app: Application) -> list[str]:
    if app.score is None:
        return []
    details = app.score_reasons or {}
    lines = [f"Match: <b>{app.score:.0f}/100</b>" + _effort_note(details)]
    lines += [f"• {escape(str(reason))}" for reason in (details.get("reasons") or [])[:3]]
    if missing := details.get("missing"):
        lines.append(f"Missing: {escape(', '.join(map(str, missing[:5])))}")
    return lines


def _effort_note(details: dict) -> str:
    effort = details.get("effort")
    if effort == "skip":
        return " — I suggest skipping this one"
    if effort == "tailored":
        # Only a model that scored the job can write the letter (see automation.apply._cover_letter).
        letter = ": I will write a cover letter for you to approve" if details.get("source") == "llm" else ""
        return f" — a strong fit{letter}"
    return ""


def card_keyboard(app: Application) -> InlineKeyboardMarkup:
    """The buttons valid in the application's current state, and Details always."""

    def button(text: str, action: CardAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=CardCallback(action=action, application_id=app.id).pack())

    rows = []
    if app.status in (S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL):
        rows.append([button("Apply", CardAction.APPLY), button("Skip", CardAction.SKIP)])
    elif app.status in APPLY_AGAIN_FROM and app.submit_started_at is None:
        rows.append([button("Apply anyway" if app.status is S.SKIPPED else "Retry", CardAction.APPLY)])
    details = InlineKeyboardButton(text="Details", callback_data=JobDetails(application_id=app.id).pack())
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [details]])


def review_text(app: Application, form: FilledForm, *, live: bool = False) -> str:
    head = [f"🙋 <b>Review before submitting</b> — #{app.id} {escape(app.title or _host(app.url))}", ""]
    tail = []
    if form.problems:
        tail += ["", f"⚠️ {len(form.problems)} field(s) need a look before you submit."]
    if empty := [field for field in form.fields if field.empty]:
        tail += ["", f"{len(empty)} field(s) left empty; each says why."]
    tail += [
        "",
        "To change a field, tap Fix a field or reply to this message with <code>Label: new value</code>.",
        *(TAKE_OVER_LINES if live else []),
        "Nothing is sent until you tap Submit.",
    ]
    # Problems first, so that a long form cut to fit one message still shows them.
    ordered = sorted(form.fields, key=lambda f: f not in form.problems)
    body: list[str] = []
    budget = MAX_MESSAGE - len("\n".join(head + tail)) - 60
    for shown, field in enumerate(ordered):
        entry = _review_line(field)
        if len(entry) + 1 > budget:
            body.append(f"… and {len(ordered) - shown} more field(s), shown in the screenshot.")
            break
        body.append(entry)
        budget -= len(entry) + 1
    return "\n".join(head + body + tail)


def _review_line(field: FieldReading) -> str:
    if field.empty:
        # An empty field is never ✅: it says why it is empty (asked, declined, no answer known, optional).
        mark = "⚠️" if field.required or not field.ok else "▫️"
        why = (field.reason or (EmptyReason.NO_ANSWER if field.required else EmptyReason.OPTIONAL)).value
        line = f"{mark} {escape(field.label)}: <i>empty ({escape(why)})</i>"
    else:
        mark = "✅" if field.ok else "⚠️"
        line = f"{mark} {escape(field.label)}: <code>{escape(_clip(field.actual or ''))}</code>"
    if not field.ok and field.intended is not None:
        line += f"\n    expected: <code>{escape(_clip(field.intended))}</code>"
    return line


def review_keyboard(prompt_id: int, live_url: str | None = None, *, reopen: bool = False) -> InlineKeyboardMarkup:
    """Submit, Cancel, Fix; with a live view its "let me do this myself" link, or for a parked review
    (no browser) a button that has the form opened again for a fresh review with its live view."""

    def button(text: str, decision: ReviewDecision) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=ReviewCallback(decision=decision, prompt_id=prompt_id).pack()
        )

    rows = [
        [button("Submit", ReviewDecision.SUBMIT), button("Cancel", ReviewDecision.CANCEL)],
        [button("✏️ Fix a field", ReviewDecision.FIX)],
    ]
    if live_url is not None:
        rows.append([live_button(live_url, TAKE_OVER_BUTTON)])
    elif reopen:
        rows.append([button(REOPEN_BUTTON, ReviewDecision.BY_HAND)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _clip(value: str) -> str:
    return value if len(value) <= MAX_REVIEW_VALUE else value[: MAX_REVIEW_VALUE - 1] + "…"


def _host(url: str) -> str:
    return urlsplit(url).hostname or url
