"""aiogram routers, one per feature, assembled in order; the catch-all comes last."""

from __future__ import annotations

from aiogram import F, Router

from handlers import answers, decisions, digest, fallback, intake, jobs, onboarding, profile, review, settings, start


def build_router() -> Router:
    root = Router(name="nyx")
    # The bot works in private chats; groups and channels are ignored.
    root.message.filter(F.chat.type == "private")
    for feature in (start, onboarding, profile, answers, jobs, digest, settings, intake, decisions, review, fallback):
        root.include_router(feature.router())
    return root
