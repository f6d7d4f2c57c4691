"""aiogram routers, one per feature module (its `router()`), assembled in order; the catch-all comes last."""

from __future__ import annotations

from aiogram import F, Router

from handlers import (
    answers,
    captcha,
    corrections,
    cover_letter,
    decisions,
    digest,
    fallback,
    intake,
    jobs,
    onboarding,
    profile,
    questions,
    review,
    settings,
    start,
)

# Answers to the worker's questions and review corrections come before every other message
# handler: a reply to a question is an answer, whatever dialog or link it might look like.
PROMPT_REPLIES = (questions, corrections, cover_letter, captcha)
# The bot works in private chats; groups and channels are ignored by these.
FEATURES = (start, onboarding, profile, answers, jobs, digest, settings, intake, decisions, review, fallback)


def build_router() -> Router:
    """The routers of all handlers under one root, for the dispatcher (fresh ones for each call)."""
    root = Router(name="nyx-root")
    for feature in PROMPT_REPLIES:
        root.include_router(feature.router())
    private = Router(name="nyx")
    private.message.filter(F.chat.type == "private")
    for feature in FEATURES:
        private.include_router(feature.router())
    root.include_router(private)
    return root
