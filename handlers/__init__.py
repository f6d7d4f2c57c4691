"""aiogram routers, one per feature module (`router` in each), assembled in order; the catch-all comes last."""

from __future__ import annotations

from types import ModuleType

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
    """The routers of all handlers under one root, for the dispatcher."""
    root = Router(name="nyx-root")
    for feature in PROMPT_REPLIES:
        root.include_router(_attachable(feature))
    private = Router(name="nyx")
    private.message.filter(F.chat.type == "private")
    for feature in FEATURES:
        private.include_router(_attachable(feature))
    root.include_router(private)
    return root


def _attachable(feature: ModuleType) -> Router:
    """The module's router, taken off the root of an earlier build_router.

    aiogram attaches a router to one parent only. A process builds one dispatcher, but the tests
    build one per app, one after the other, over the same module routers. (A module that still
    makes its router in a `router()` factory gets a fresh one.)
    """
    router = feature.router
    if not isinstance(router, Router):
        return router()
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None  # aiogram has no public way to detach a router
    return router
