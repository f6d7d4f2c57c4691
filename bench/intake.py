"""Link intake on this machine: sustained updates/s and receipt-to-reply latency (p50/p99).

Many users each send a job link; the bot (real dispatcher, PostgreSQL, Redis) fetches the posting
from a local Greenhouse-style site, scores it, stores the application and replies with its card.
Two runs: through the sender, which keeps to Telegram's limits (30 msg/s overall), and without
pacing, which shows what the handlers themselves sustain. Everything runs on 127.0.0.1:

    .venv/bin/python -m bench.intake [--users 300]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time

from bench.app import run_app
from bot.app import Roles
from tests.fakes.job_site import GreenhouseJobSite
from tests.fakes.telegram_api import FakeTelegram

FIRST_USER = 10_000


async def one_run(users: int, *, paced: bool, rate: float | None) -> dict[str, float]:
    ids = list(range(FIRST_USER, FIRST_USER + users))
    async with run_app(ids, roles=Roles(bot=True, worker=False, scheduler=False), pace_sending=paced) as running:
        return await measure(running.fake, running.site, ids, rate)


async def measure(fake: FakeTelegram, site: GreenhouseJobSite, ids: list[int], rate: float | None) -> dict[str, float]:
    """All links at once (rate None: the throughput), or one every 1/rate s (the latency at that load)."""
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    start_at = loop.time()

    async def one(index: int, user_id: int) -> None:
        if rate is not None:
            await asyncio.sleep(max(0.0, start_at + index / rate - loop.time()))  # the load generator's schedule
        user = fake.user(user_id)
        link = f"{site.posting_url}?job={user_id}"
        sent = time.perf_counter()
        await user.send(link)
        await fake.wait_for_message(lambda m: m.chat_id == user_id and link in m.body, timeout=300)
        latencies.append(time.perf_counter() - sent)

    started = time.perf_counter()
    await asyncio.gather(*(one(i, user_id) for i, user_id in enumerate(ids)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "updates": len(ids),
        "seconds": elapsed,
        "updates_per_s": len(ids) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


async def main(users: int) -> None:
    print(f"link intake, {users} users each sending one link, {os.cpu_count()} cores")
    print(f"{'mode':<46}{'updates/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'seconds':>9}")
    runs = (
        (True, None, "burst, through the sender (30 msg/s cap)"),
        (False, None, "burst, handlers alone (no pacing)"),
        (True, 20.0, "steady 20 links/s, through the sender"),
    )
    for paced, rate, label in runs:
        result = await one_run(users, paced=paced, rate=rate)
        print(
            f"{label:<46}{result['updates_per_s']:>10.1f}{result['p50_ms']:>9.0f}"
            f"{result['p99_ms']:>9.0f}{result['seconds']:>9.1f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(parser.parse_args().users))
