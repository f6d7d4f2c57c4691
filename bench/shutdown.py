"""How long a stopping Nyx takes, to set `stop_grace_period` in docker-compose.yml above it.

Runs the real app (bot, worker, scheduler; headed Chromium) against the test suite's fake Bot API
and local Greenhouse-style job site, all on 127.0.0.1. For each run: an application is filled and
waits at its review (browser open), then the app is stopped as SIGTERM stops it (`NyxApp.stop`,
then the connections closed), and the time is printed, with the application's state afterwards.
Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL, default the local ones) and an X display:

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.shutdown [--runs 3]
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

import asyncpg
import yaml

from bench.apply_flow import PROFILE, RESUME, USER, _database
from bot.app import UPDATE_GRACE_S, NyxApp, Roles, Services
from bot.config import load_settings
from tests.fakes.job_site import GreenhouseJobSite
from tests.fakes.telegram_api import FakeTelegram


async def one_run(server: str, redis_url: str, run: int) -> dict:
    """A fresh chat, job site and database for each run."""
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
            user = fake.user(USER)
            await user.send_document("profile.yaml", yaml.safe_dump(PROFILE).encode(), "application/x-yaml")
            await fake.wait_for_message(lambda m: "Profile saved" in m.body and m.chat_id == USER)
            await user.send_document("resume.pdf", RESUME, "application/pdf")
            await fake.wait_for_message(lambda m: "Résumé saved" in m.body)
            url = f"{site.posting_url}?shutdown={run}"
            await user.send(url)
            card = await fake.wait_for_message(lambda m: url in m.body and any(b.text == "Apply" for b in m.buttons()))
            await user.tap(card, "Apply")
            await fake.wait_for_message(lambda m: "Review before submitting" in m.body and m.buttons(), timeout=180)

            started = time.perf_counter()
            await app.stop()
            stopped = time.perf_counter() - started
            await services.close()
            closed = time.perf_counter() - started
            conn = await asyncpg.connect(_database(server, name))
            status = await conn.fetchval("SELECT status FROM applications ORDER BY id DESC LIMIT 1")
            await conn.close()
    finally:
        await site.stop()
        await fake.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return {"stop_s": stopped, "stop_and_close_s": closed, "status_after": status}


async def main(runs: int) -> None:
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    results = [await one_run(server, redis_url, run) for run in range(runs)]
    print(f"shutdown with one browser open at a review, {len(results)} run(s), {os.cpu_count()} cores")
    for key in ("stop_s", "stop_and_close_s"):
        values = [r[key] for r in results]
        print(f"{key:<18} median {statistics.median(values):6.2f}  max {max(values):6.2f}")
    print("application afterwards:", ", ".join(sorted({r["status_after"] for r in results})))
    print(f"(a bot handling updates also waits up to {UPDATE_GRACE_S:g} s for them)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(parser.parse_args().runs))
