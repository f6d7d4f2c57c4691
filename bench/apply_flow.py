"""Time the whole apply path on this machine: Apply tap → review prompt → Submit tap → the form's POST.

Runs the real app (bot, worker, scheduler; headed Chromium) against the test suite's fake Bot API
and local Greenhouse-style job site, all on 127.0.0.1. Needs PostgreSQL and Redis
(DATABASE_URL / REDIS_URL, default the local ones) and an X display:

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.apply_flow [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time

from bench.app import USER, run_app, save_profile
from bench.browser_memory import chromium_memory
from tests.fakes.job_site import GreenhouseJobSite
from tests.fakes.telegram_api import FakeTelegram


async def one_application(fake: FakeTelegram, site: GreenhouseJobSite, run: int) -> dict[str, float]:
    user = fake.user(USER)
    url = f"{site.posting_url}?run={run}"
    await user.send(url)
    card = await fake.wait_for_message(lambda m: url in m.body and any(b.text == "Apply" for b in m.buttons()))
    started = time.perf_counter()
    await user.tap(card, "Apply")
    review = await fake.wait_for_message(
        lambda m: "Review before submitting" in m.body and f"#{run + 1} " in m.body and m.buttons(), timeout=180
    )
    to_review = time.perf_counter() - started
    chrome_mb, _, _ = chromium_memory()  # PSS: RSS would count shared pages once per process
    started = time.perf_counter()
    await user.tap(review, "Submit")
    await site.wait_for_submission(timeout=120, count=run + 1)
    to_post = time.perf_counter() - started
    await fake.wait_for_message(lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=60)
    return {"apply_to_review_s": to_review, "submit_to_post_s": to_post, "chrome_pss_sum_mb": chrome_mb}


async def main(runs: int) -> None:
    async with run_app([USER]) as running:
        await save_profile(running.fake)
        results = [await one_application(running.fake, running.site, run) for run in range(runs)]
    report(results)


def report(results: list[dict[str, float]]) -> None:
    print(f"apply flow, {len(results)} application(s), headed Chromium, {os.cpu_count()} cores")
    print(f"{'metric':<22}{'first':>9}{'median':>9}{'max':>9}")
    for key in results[0]:
        values = [r[key] for r in results]
        print(f"{key:<22}{values[0]:>9.2f}{statistics.median(values):>9.2f}{max(values):>9.2f}")
    print("LLM calls per application: 0 (Greenhouse adapter; no LLM configured)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(parser.parse_args().runs))
