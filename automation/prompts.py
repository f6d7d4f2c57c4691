"""The ask-the-user bridge: a worker waits on a prompt row; the bot's answer wakes it through Redis.

PostgreSQL holds the truth. Redis pub/sub only shortens the wait: a worker that misses the
publish still sees the answer on its next read of the row. A worker holds a prompt only for a
while (`hold`); then it parks it and closes its browser, and the answer to a parked prompt is
carried out by a resume job that any worker takes (`automation.apply.resume_application`). Also owns what a `question` prompt's
payload holds, which the worker writes and the bot reads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any

from redis.asyncio import Redis

from automation.metrics import PROMPT_WAIT_SECONDS
from automation.queue import ApplicationQueue
from automation.questions import Question, QuestionKind
from storage.models import Prompt, PromptKind, PromptStatus
from storage.prompts import PromptRepository

log = logging.getLogger(__name__)


def channel_for(prompt_id: int) -> str:
    return f"nyx:prompt:{prompt_id}"


def question_payload(application_id: int, question: Question) -> dict[str, Any]:
    """What a `question` prompt row remembers of the form's question."""
    return {
        "application": application_id,
        "field": question.id,  # the control to put the answer in when the form is filled again
        "question": question.label,
        "kind": question.kind.value,
        "options": list(question.options),
        "required": question.required,
    }


def question_of(prompt: Prompt) -> Question:
    """The form's question a `question` prompt asks (its id is not kept: the worker knows it)."""
    payload = prompt.payload
    try:
        kind = QuestionKind(payload.get("kind"))
    except ValueError:
        kind = QuestionKind.TEXT
    return Question(
        id="",
        label=str(payload.get("question", "")),
        kind=kind,
        options=tuple(str(option) for option in payload.get("options") or ()),
        required=bool(payload.get("required")),
    )


class PromptBridge:
    def __init__(
        self, redis: Redis, prompts: PromptRepository, queue: ApplicationQueue, *, check_interval: float = 15.0
    ) -> None:
        self._redis = redis
        self._prompts = prompts
        self._queue = queue
        self._check_interval = check_interval

    async def answer(
        self, prompt_id: int, user_id: int, answer: dict[str, Any], kind: PromptKind
    ) -> Prompt | None:
        """Record the user's answer if the prompt (of `kind`) is still open and theirs, and see it carried
        out: wake the worker holding it, or queue a resume when it is parked; None when it is closed, not
        theirs or of another kind."""
        answered = await self._prompts.answer(prompt_id, user_id, answer, kind=kind)
        if answered is None:
            return None
        if answered.parked_at is not None:
            await self.resume(answered)
        else:
            await self.notify(answered.id)
        return answered

    async def resume(self, prompt: Prompt) -> None:
        """Have any worker carry out a parked prompt's answer."""
        await self._queue.enqueue_resume(prompt)

    async def notify(self, prompt_id: int) -> None:
        """Tell whoever waits on the prompt that its row changed."""
        await self._redis.publish(channel_for(prompt_id), "changed")

    async def wait(self, prompt_id: int, *, hold: float | None = None) -> Prompt | None:
        """Return the prompt once it is no longer pending; expire it ourselves if its time runs out.

        None when `hold` seconds passed first (the prompt is still pending: park it or wait again).
        """
        started = time.monotonic()
        prompt = await self._wait(prompt_id, hold)
        if prompt is not None:
            PROMPT_WAIT_SECONDS.labels(prompt.kind.value, prompt.status.value).observe(time.monotonic() - started)
        return prompt

    async def _wait(self, prompt_id: int, hold: float | None) -> Prompt | None:
        loop = asyncio.get_running_loop()
        hold_until = None if hold is None else loop.time() + hold
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(channel_for(prompt_id))
        try:
            while True:
                prompt = await self._prompts.get(prompt_id)
                if prompt is None:
                    raise LookupError(f"prompt {prompt_id} disappeared")
                if prompt.status is not PromptStatus.PENDING:
                    return prompt
                remaining = (prompt.expires_at - datetime.now(timezone.utc)).total_seconds()
                if remaining <= 0:
                    expired = await self._prompts.close(prompt_id, PromptStatus.EXPIRED)
                    if expired is not None:
                        return expired
                    continue  # answered in the same instant: read it again
                if hold_until is not None:
                    if (held := hold_until - loop.time()) <= 0:
                        return None
                    remaining = min(remaining, held)
                await self._next_message(pubsub, min(self._check_interval, remaining))
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()

    @staticmethod
    async def _next_message(pubsub, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None:
                return
