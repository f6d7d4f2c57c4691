"""Waiting costs nothing: many reviews pending with one worker and one browser slot.

Runs the real app (bot, worker, scheduler; headed Chromium; MAX_CONCURRENT_BROWSERS=1,
PARK_AFTER_MINUTES=0 so every review parks as soon as it is shown) against the test suite's fake
Bot API and local Greenhouse-style job site, all on 127.0.0.1. It applies to `--prompts` jobs and
leaves every review unanswered, sampling the process's memory (PSS) and Chromium's (PSS summed over
its processes) as the pending reviews pile up; then times a new application to its review, and Submit
on parked reviews to the form's POST (the form opened again, refilled, read back, compared, sent).
Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL, default the local ones) and an X display:

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.parked [--prompts 50] [--submits 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time
from pathlib import Path

import asyncpg
import psutil

from bench.app import USER, run_app, save_profile
from tests.fakes.job_site import GreenhouseJobSite
from tests.fakes.telegram_api import ChatMessage, FakeTelegram

TIMEOUT = 180


def _pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _chromium_pss_mb() -> float:
    """Every Chromium process started by this one and still running, PSS summed (a closing browser's
    processes may linger a moment after its session ended)."""
    children = psutil.Process().children(recursive=True)
    return sum(_pss_mb(p.pid) for p in children if "chrom" in (p.name() or ""))


def _is_review(app_id: int):
    return lambda m: "Review before submitting" in m.body and f"#{app_id} " in m.body and bool(m.buttons())


async def _parked(pool: asyncpg.Pool, app_id: int) -> None:
    """Until the review is parked and its browser closed (polling the rows)."""
    while not await pool.fetchval(
        """SELECT p.parked_at IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM browser_sessions s WHERE s.application_id = p.application_id AND s.ended_at IS NULL)
           FROM prompts p WHERE p.application_id = $1 AND p.status = 'pending'""",
        app_id,
    ):
        await asyncio.sleep(0.05)


async def apply_until_review(fake: FakeTelegram, site: GreenhouseJobSite, run: int) -> tuple[float, ChatMessage]:
    user = fake.user(USER)
    url = f"{site.posting_url}?run={run}"
    await user.send(url)
    card = await fake.wait_for_message(lambda m: url in m.body and any(b.text == "Apply" for b in m.buttons()))
    started = time.perf_counter()
    answer = await user.tap(card, "Apply")
    if answer.text is None or "Queued" not in answer.text:
        raise RuntimeError(f"Apply refused: {answer.text}")
    review = await fake.wait_for_message(_is_review(run + 1), timeout=TIMEOUT)
    return time.perf_counter() - started, review


async def main(prompts: int, submits: int) -> None:
    samples: list[tuple[int, float, float]] = []
    async with run_app([USER], max_concurrent_browsers=1, park_after_minutes=0) as running:
        fake, site, pool = running.fake, running.site, running.services.pool
        user = fake.user(USER)
        await save_profile(fake)
        # Waiting applications count toward the daily cap (20 by default): raise it for the bench.
        await pool.execute(
            "INSERT INTO user_settings (user_id, daily_cap) VALUES ($1, 500)"
            " ON CONFLICT (user_id) DO UPDATE SET daily_cap = 500",
            USER,
        )
        reviews, to_review = [], []
        for run in range(prompts):
            seconds, review = await apply_until_review(fake, site, run)
            await _parked(pool, run + 1)
            reviews.append(review)
            to_review.append(seconds)
            if (run + 1) % 10 == 0 or run == 0:
                samples.append((run + 1, _pss_mb(os.getpid()), _chromium_pss_mb()))
        new_app_s, _ = await apply_until_review(fake, site, prompts)
        await _parked(pool, prompts + 1)
        submit_s = []
        for count, review in enumerate(reviews[:submits], start=1):
            started = time.perf_counter()
            await user.tap(review, "Submit")
            await site.wait_for_submission(timeout=TIMEOUT, count=count)
            submit_s.append(time.perf_counter() - started)
        pending = await pool.fetchval("SELECT count(*) FROM prompts WHERE status = 'pending'")
    print(
        f"parked prompts: {prompts} reviews left pending, 1 worker, MAX_CONCURRENT_BROWSERS=1, "
        f"PARK_AFTER_MINUTES=0, {os.cpu_count()} cores"
    )
    print(f"{'pending':>8}{'process PSS MB':>16}{'Chromium PSS MB':>17}")
    for pending_now, own, chromium in samples:
        print(f"{pending_now:>8}{own:>16.0f}{chromium:>17.0f}")
    print(
        f"Apply -> review, s: first {to_review[0]:.2f}, median {statistics.median(to_review):.2f}, "
        f"max {max(to_review):.2f}"
    )
    print(f"a new application with {prompts} reviews pending: Apply -> review {new_app_s:.2f} s")
    print(
        f"Submit on a parked review -> POST (refill, verify, submit), {len(submit_s)} runs: "
        f"median {statistics.median(submit_s):.2f} s, max {max(submit_s):.2f} s"
    )
    print(f"prompts still pending at the end: {pending}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=50)
    parser.add_argument("--submits", type=int, default=5)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("automation.egress").setLevel(logging.ERROR)  # Chromium's own calls home, refused
    args = parser.parse_args()
    asyncio.run(main(args.prompts, args.submits))
