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
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from automation.metrics import PROMPT_WAIT_SECONDS
from automation.questions import Question, QuestionKind
from automation.queue import ApplicationQueue
from storage.models import Prompt, PromptKind, PromptStatus
from storage.prompts import PromptRepository
from storage.resilience import REDIS_CONNECTION_ERRORS

log = logging.getLogger(__name__)

# While Redis is unreachable a waiting worker re-reads its prompt's row this often (seconds).
REDIS_DOWN_PAUSE_S = 2.0


def channel_for(prompt_id: int) -> str:
    return f"nyx:prompt:{prompt_id}"


def question_payload(application_id: int, question: Question) -> dict[str, Any]:
    """What a `question` prompt row remembers of the form's question."""
    return {
        "application": application_id,
        "field": question.key,  # the control to put the answer in when the form is filled again
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

    async def answer(self, prompt_id: int, user_id: int, answer: dict[str, Any], kind: PromptKind) -> Prompt | None:
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
        """Tell whoever waits on the prompt that its row changed.

        Best effort: with Redis away past the retries the waiting worker still reads the row.
        """
        try:
            await self._redis.publish(channel_for(prompt_id), "changed")
        except REDIS_CONNECTION_ERRORS as exc:
            log.warning("prompt %s: could not publish the change (%s); the worker will read the row", prompt_id, exc)

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
        listener = _Listener(self._redis, channel_for(prompt_id))
        await listener.subscribe()  # before the first read, so no answer slips in between
        try:
            while True:
                prompt = await self._prompts.get(prompt_id)
                if prompt is None:
                    raise LookupError(f"prompt {prompt_id} disappeared")
                if prompt.status is not PromptStatus.PENDING:
                    return prompt
                remaining = (prompt.expires_at - datetime.now(UTC)).total_seconds()
                if remaining <= 0:
                    expired = await self._prompts.close(prompt_id, PromptStatus.EXPIRED)
                    if expired is not None:
                        return expired
                    continue  # answered in the same instant: read it again
                if hold_until is not None:
                    if (held := hold_until - loop.time()) <= 0:
                        return None
                    remaining = min(remaining, held)
                await listener.next_change(min(self._check_interval, remaining))
        finally:
            await listener.close()


class _Listener:
    """One prompt's pub/sub channel, re-subscribed after Redis comes back.

    While Redis is away a change cannot be heard: waiting becomes a short pause before the
    worker reads the row again, which holds the truth anyway.
    """

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis, self._channel = redis, channel
        self._pubsub: PubSub | None = None

    async def subscribe(self) -> bool:
        """Subscribe if not subscribed; False while Redis cannot be reached."""
        if self._pubsub is not None:
            return True
        pubsub = self._redis.pubsub()
        try:
            # Bounded: redis-py's own reconnect retries would otherwise hold the worker for their full budget.
            await asyncio.wait_for(pubsub.subscribe(self._channel), REDIS_DOWN_PAUSE_S)
        except (TimeoutError, *REDIS_CONNECTION_ERRORS) as exc:
            log.warning("%s: cannot subscribe (%s); reading the row instead", self._channel, exc)
            await _discard(pubsub)
            return False
        self._pubsub = pubsub
        return True

    async def next_change(self, timeout: float) -> None:
        """Return on a published change, after `timeout` seconds, or soon after Redis went away."""
        if self._pubsub is None:
            if await self.subscribe():
                return  # a change may have been published while we were not listening: read the row
            await asyncio.sleep(min(timeout, REDIS_DOWN_PAUSE_S))
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while (left := deadline - loop.time()) > 0:
                message = await asyncio.wait_for(
                    self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left), left + REDIS_DOWN_PAUSE_S
                )
                if message is not None:
                    return
        except (TimeoutError, *REDIS_CONNECTION_ERRORS) as exc:
            log.warning("%s: lost the subscription (%s); reading the row instead", self._channel, exc)
            await self.close()

    async def close(self) -> None:
        if self._pubsub is not None:
            pubsub, self._pubsub = self._pubsub, None
            await _discard(pubsub)


async def _discard(pubsub: PubSub) -> None:
    try:
        # redis' PubSub.aclose is the one method there without annotations
        await asyncio.wait_for(pubsub.aclose(), REDIS_DOWN_PAUSE_S)  # type: ignore[no-untyped-call]
    except Exception:  # a dead connection is dropped either way
        log.debug("closing a pub/sub connection failed", exc_info=True)
