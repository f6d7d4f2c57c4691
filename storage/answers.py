"""Saved answers to application questions, each remembered with its source."""

from __future__ import annotations

import enum
import logging
import re
from datetime import datetime

from pydantic import BaseModel

from storage.resilience import ResilientPool

log = logging.getLogger(__name__)

# A CAPTCHA's answer is good for one picture, once: a question that reads like one is never remembered.
CAPTCHA_LIKE = re.compile(
    r"captcha|\bnot a robot\b|\bare you (a )?human\b|\b(security|verification) code\b"
    r"|\b(characters|letters|digits|symbols|text|code|word)s? (shown|you see|displayed|in the (image|picture))",
    re.IGNORECASE,
)


def looks_like_captcha(question: str) -> bool:
    """The question asks for a CAPTCHA's characters ("Enter the characters shown", "Security code")."""
    return bool(CAPTCHA_LIKE.search(question))


class AnswerSource(str, enum.Enum):
    PROFILE = "profile"  # imported from the profile file's `answers`
    USER = "user"  # added or edited in /answers
    CHAT_QUESTION = "chat_question"  # the user answered a form's question in the chat
    REVIEW_CORRECTION = "review_correction"  # corrected during review
    LLM = "llm"  # generated, and approved in a review


class SavedAnswer(BaseModel):
    id: int
    question: str
    answer: str
    source: AnswerSource
    application_id: int | None = None
    updated_at: datetime


_COLUMNS = "id, question, answer, source, application_id, updated_at"


class AnswerRepository:
    def __init__(self, pool: ResilientPool) -> None:
        self._pool = pool

    async def save(
        self, user_id: int, question: str, answer: str, source: AnswerSource, *, application_id: int | None = None
    ) -> SavedAnswer | None:
        """Remember an answer; the same question (any case) again replaces it.

        None, and nothing saved, for a CAPTCHA-like question: its answer is never good twice.
        """
        if looks_like_captcha(question):
            log.info("not remembering an answer to a CAPTCHA-like question (%r)", question[:80])
            return None
        row = await self._pool.fetchrow(
            f"""INSERT INTO saved_answers (user_id, question, answer, source, application_id)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (user_id, lower(question)) DO UPDATE
                  SET question = EXCLUDED.question, answer = EXCLUDED.answer, source = EXCLUDED.source,
                      application_id = EXCLUDED.application_id, updated_at = now()
                RETURNING {_COLUMNS}""",
            user_id,
            question.strip(),
            answer.strip(),
            source.value,
            application_id,
        )
        return SavedAnswer(**dict(row))

    async def list(self, user_id: int) -> list[SavedAnswer]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM saved_answers WHERE user_id = $1 ORDER BY lower(question)", user_id
        )
        return [SavedAnswer(**dict(r)) for r in rows]

    async def get(self, user_id: int, answer_id: int) -> SavedAnswer | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM saved_answers WHERE user_id = $1 AND id = $2", user_id, answer_id
        )
        return SavedAnswer(**dict(row)) if row else None

    async def delete(self, user_id: int, answer_id: int) -> bool:
        deleted = await self._pool.fetchval(
            "DELETE FROM saved_answers WHERE user_id = $1 AND id = $2 RETURNING id", user_id, answer_id
        )
        return deleted is not None

    async def as_mapping(self, user_id: int) -> dict[str, str]:
        """Question → answer, for the form filler (never one to a CAPTCHA-like question kept from before)."""
        return {a.question: a.answer for a in await self.list(user_id) if not looks_like_captcha(a.question)}
