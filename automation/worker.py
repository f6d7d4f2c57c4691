"""The arq worker that runs apply tasks, with at most MAX_CONCURRENT_BROWSERS at once."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from arq import Worker
from arq.connections import ArqRedis
from arq.worker import func

from automation.apply import ApplyDeps, apply_to_job
from automation.metrics import APPLY_RESULTS
from automation.queue import APPLY_TASK

# Slack on top of the review wait, for opening the browser, filling and submitting.
JOB_OVERHEAD_SECONDS = 15 * 60


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


def build_worker(deps: ApplyDeps, redis: ArqRedis, *, queue_name: str, max_browsers: int) -> Worker:
    return Worker(
        functions=[func(_apply_task, name=APPLY_TASK, max_tries=1)],
        queue_name=queue_name,
        redis_pool=redis,
        max_jobs=max_browsers,
        job_timeout=int(deps.review_timeout.total_seconds()) + JOB_OVERHEAD_SECONDS,
        keep_result=3600,
        poll_delay=0.2,
        handle_signals=False,
        ctx={"deps": deps},
    )
