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
import time

import asyncpg

from bench.app import USER, run_app, save_profile
from bot.app import UPDATE_GRACE_S


async def one_run(run: int) -> dict:
    """A fresh chat, job site and database for each run."""
    async with run_app([USER]) as running:
        fake, site = running.fake, running.site
        user = fake.user(USER)
        await save_profile(fake)
        url = f"{site.posting_url}?shutdown={run}"
        await user.send(url)
        card = await fake.wait_for_message(lambda m: url in m.body and any(b.text == "Apply" for b in m.buttons()))
        await user.tap(card, "Apply")
        await fake.wait_for_message(lambda m: "Review before submitting" in m.body and m.buttons(), timeout=180)

        started = time.perf_counter()
        await running.stop()
        stopped = time.perf_counter() - started
        await running.close()
        closed = time.perf_counter() - started
        conn = await asyncpg.connect(running.database_url)
        status = await conn.fetchval("SELECT status FROM applications ORDER BY id DESC LIMIT 1")
        await conn.close()
    return {"stop_s": stopped, "stop_and_close_s": closed, "status_after": status}


async def main(runs: int) -> None:
    results = [await one_run(run) for run in range(runs)]
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
