"""Typed callback data for every inline button (each packs to well under Telegram's 64 bytes)."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class CardAction(str, enum.Enum):
    APPLY = "apply"
    SKIP = "skip"


class CardCallback(CallbackData, prefix="job"):
    action: CardAction
    application_id: int


class ReviewCallback(CallbackData, prefix="rev"):
    decision: str  # a storage.models.ReviewDecision value
    prompt_id: int


class JobsFilter(str, enum.Enum):
    ALL = "all"
    ACTIVE = "active"
    SUBMITTED = "done"
    PROBLEMS = "problems"


class JobsPage(CallbackData, prefix="jobs"):
    view: JobsFilter
    page: int


class JobDetails(CallbackData, prefix="jd"):
    application_id: int
