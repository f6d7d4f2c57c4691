"""Putting approved applications on the arq queue (the public API the bot side calls)."""

from __future__ import annotations

from arq.connections import ArqRedis

from storage.models import Application, Prompt
from storage.resilience import DEFAULT_POLICY, is_redis_connection_error

APPLY_TASK = "apply_to_job"
RESUME_TASK = "resume_application"  # carry out the answer to a parked prompt


class ApplicationQueue:
    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self._redis = redis
        self._queue_name = queue_name

    async def enqueue(self, application: Application, attempt: int) -> None:
        """Queue one attempt; the job id makes a repeated enqueue of the same attempt a no-op.

        The id carries the row's creation time, so a database reset (or another database sharing
        this Redis) never collides with results arq still keeps for an old application of the same id.
        """
        stamp = int(application.created_at.timestamp() * 1_000_000)
        await self._enqueue(APPLY_TASK, application.id, job_id=f"apply:{application.id}:{stamp}:{attempt}")

    async def enqueue_resume(self, prompt: Prompt) -> None:
        """Queue the carrying-out of a parked prompt's answer; once per prompt, however often asked."""
        stamp = int(prompt.created_at.timestamp() * 1_000_000)
        await self._enqueue(
            RESUME_TASK, prompt.application_id, prompt.id, job_id=f"resume:{prompt.application_id}:{prompt.id}:{stamp}"
        )

    async def _enqueue(self, task: str, *args: int, job_id: str) -> None:
        # Safe to repeat across a Redis restart: the job id makes a second enqueue a no-op. (A restart
        # that loses the queue is covered by the scheduler's reconcile, which enqueues the work again.)
        await DEFAULT_POLICY.call(
            lambda: self._redis.enqueue_job(task, *args, _job_id=job_id, _queue_name=self._queue_name),
            is_redis_connection_error,
            f"queueing {task}",
        )
