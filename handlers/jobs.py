"""/jobs: the user's applications with their status."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from handlers.cards import STATUS_ICONS
from storage.applications import ApplicationRepository

PAGE_SIZE = 20


def router() -> Router:
    r = Router(name=__name__)

    @r.message(Command("jobs"))
    async def on_jobs(message: Message, applications: ApplicationRepository) -> None:
        user_id = message.from_user.id
        apps = await applications.list_for_user(user_id, limit=PAGE_SIZE)
        if not apps:
            await message.answer("No applications yet. Send me a job link to start one.")
            return
        total = await applications.count_for_user(user_id)
        lines = [f"<b>Your applications</b> ({total})"]
        for app in apps:
            name = app.title or urlsplit(app.url).hostname or app.url
            lines.append(f"#{app.id} {STATUS_ICONS[app.status]} {app.status.label} — {escape(name)}")
        if total > len(apps):
            lines.append(f"… and {total - len(apps)} older ones.")
        await message.answer("\n".join(lines))

    return r
