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
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import yaml

from bench.browser_memory import chromium_memory
from bot.app import NyxApp, Roles, Services
from bot.config import load_settings
from tests.fakes.job_site import MOTIVATION, SPONSORSHIP, GreenhouseJobSite
from tests.fakes.telegram_api import FakeTelegram

USER = 4242
PROFILE = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.org",
    "phone": "+44 20 7946 0000",
    "location": "London, UK",
    # The form's required questions, answered in advance: Apply goes straight to the review.
    "answers": {SPONSORSHIP: "No", MOTIVATION: "Rockets that launch on schedule."},
}
RESUME = b"%PDF-1.4\n% bench resume\n%%EOF\n"


def _database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


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
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    name = f"nyx_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    fake, site = FakeTelegram(), GreenhouseJobSite()
    await fake.start()
    await site.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                _env_file=None,
                telegram_bot_token=fake.token,
                telegram_api_base=fake.base_url,
                allowed_user_ids=str(USER),
                database_url=_database(server, name),
                redis_url=redis_url,
                queue_name=f"nyx:bench:{name}",
                data_dir=Path(tmp),
                chrome_path="/usr/bin/chromium",
                url_allow_hosts="127.0.0.1",
            )
            services = await Services.connect(settings)
            app = NyxApp(services, Roles())
            await app.start()
            try:
                user = fake.user(USER)
                await user.send_document("profile.yaml", yaml.safe_dump(PROFILE).encode(), "application/x-yaml")
                await fake.wait_for_message(lambda m: "Profile saved" in m.body)
                await user.send_document("resume.pdf", RESUME, "application/pdf")
                await fake.wait_for_message(lambda m: "Résumé saved" in m.body)
                results = [await one_application(fake, site, run) for run in range(runs)]
            finally:
                await app.stop()
                await services.close()
    finally:
        await site.stop()
        await fake.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
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
