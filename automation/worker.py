"""The arq worker that runs apply and resume tasks, with at most MAX_CONCURRENT_BROWSERS at once."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from arq import Worker
from arq.connections import ArqRedis
from arq.worker import func

from automation.apply import ApplyDeps, apply_to_job, resume_application
from automation.captcha import MAX_CAPTCHA_ROUNDS
from automation.metrics import APPLY_RESULTS
from automation.queue import APPLY_TASK, RESUME_TASK

# Slack on top of the held waits, for opening the browser, filling (the agent's steps included) and submitting.
JOB_OVERHEAD_S = 15 * 60


def job_timeout(deps: ApplyDeps) -> int:
    """Seconds one job may run: every wait it can hold a browser for, plus the work around them.

    A job keeps its browser open for an answer `park_after` per prompt, `hold_budget` in all; then
    prompts park and the job ends (the generic agent's questions asked mid-run are left unanswered).
    Only a CAPTCHA the page refused after the submit claim cannot park: each further round may wait
    the whole review timeout.
    """
    after_claim = deps.review_timeout * (MAX_CAPTCHA_ROUNDS - 1)
    return int((deps.hold_budget + after_claim).total_seconds()) + JOB_OVERHEAD_S


async def _apply_task(ctx: dict[str, Any], application_id: int) -> str:
    # Every log line of this run carries the application's id (LOG_FORMAT=json makes it a field).
    with structlog.contextvars.bound_contextvars(application_id=application_id):
        try:
            result = await apply_to_job(ctx["deps"], application_id)
        except BaseException as exc:
            APPLY_RESULTS.labels("cancelled" if isinstance(exc, asyncio.CancelledError) else "error").inc()
            raise
    APPLY_RESULTS.labels(result).inc()  # a status name, "not-queued" or "unchanged"
    return result


async def _resume_task(ctx: dict[str, Any], application_id: int, prompt_id: int) -> str:
    return await resume_application(ctx["deps"], application_id, prompt_id)


def build_worker(deps: ApplyDeps, redis: ArqRedis, *, queue_name: str, max_browsers: int) -> Worker:
    return Worker(
        functions=[
            func(_apply_task, name=APPLY_TASK, max_tries=1),
            func(_resume_task, name=RESUME_TASK, max_tries=1),
        ],
        queue_name=queue_name,
        redis_pool=redis,
        max_jobs=max_browsers,
        job_timeout=job_timeout(deps),
        keep_result=3600,
        poll_delay=0.2,
        handle_signals=False,
        ctx={"deps": deps},
    )
