"""Bench: every user's daily digest at once, through the outbox and the sender, at Telegram's limit.

Makes a PostgreSQL database of its own (on DATABASE_URL's server, default the local one) with
`--users` users (10 000) whose digest time has just passed, each with a week of varied activity
(submissions, skips, failures, jobs waiting, LLM tokens; one in ten has a quiet day). Runs the fake
Bot API server in a child process with Telegram's flood limits on (30 msg/s overall, 1/s per private
chat, 429 beyond), so this process holds only what the bot holds. Then one `DigestFanOut.run()` with
the sender installed exactly as the app installs it, and measures:

- rate: accepted sends per second, from the arrival times the fake recorded (target ≥ 29 msg/s);
- lost: users with no digest (target 0); duplicates: digests beyond one per user (target 0);
- 429 answers; this process's RSS along the way and at its peak (memory should stay flat);
- how long the run took.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.digest [--users 10000]
        [--no-drawing]

Exits 1 when a target is missed. Drops its database at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from multiprocessing.connection import Connection

import asyncpg
import psutil
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bench.database import database
from bot.digest_chart import ChartRenderer
from bot.sending import install_sender
from handlers.digest import TelegramDigestChannel
from scheduler.digest import DigestFanOut
from storage.db import create_pool
from storage.digests import DigestRepository
from storage.migrate import migrate
from storage.user_settings import UserSettingsRepository
from storage.users import UserRepository
from tests.fakes.telegram_api import TINY_PNG, FakeTelegram

NOW = datetime(2026, 12, 3, 9, 0, 30, tzinfo=UTC)  # everyone's digest is at 09:00 UTC
FIRST_USER = 1_000_001
TOKEN = "123456:BENCH-TOKEN"
TARGET_RATE = 29.0


# --------------------------------------------------------------------------- the fake Bot API, in its own process


def _is_digest(body: str) -> bool:
    return "Your digest" in body or "a quiet day" in body


def serve_fake_telegram(conn: Connection, first_user: int, users: int) -> None:
    """Child process: the fake with flood control; on "stop", report what arrived."""

    async def main() -> None:
        fake = FakeTelegram(TOKEN, enforce_limits=True)
        await fake.start()
        for user_id in range(first_user, first_user + users):
            fake.user(user_id)
        conn.send(fake.base_url)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        accepted = sorted(c.at for c in fake.calls if c.method in ("sendPhoto", "sendMessage") and not c.error)
        digests = Counter(m.chat_id for m in fake.messages() if _is_digest(m.body))
        assert fake.flood_control is not None
        conn.send(
            {
                "accepted": len(accepted),
                "span": accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0,
                "photos": sum(1 for m in fake.messages() if m.photo),
                "digests_per_user": dict(digests),
                "refused": fake.flood_control.refused,
            }
        )
        await fake.stop()

    asyncio.run(main())


# --------------------------------------------------------------------------- the users


async def seed(conn: asyncpg.Connection, users: int) -> int:
    """Users with a week of activity each; returns how many applications were written."""
    rng = random.Random(12)
    next_id = 1
    for start in range(0, users, 1000):
        people, settings, jobs, apps, events, spending = [], [], [], [], [], []
        for user_id in range(FIRST_USER + start, FIRST_USER + min(start + 1000, users)):
            people.append((user_id, user_id, "Ada"))
            settings.append((user_id, clock_time(9, 0), "UTC", "line"))
            if rng.random() < 0.1:
                continue  # a quiet day: nothing this week, nothing waiting
            moves: list[tuple[str, datetime, str | None, float | None]] = []
            for day in range(7):
                when = NOW - timedelta(days=day, hours=rng.randint(1, 20))
                for _ in range(rng.choice((0, 0, 1, 2, 3))):
                    moves.append(("submitted", when, None, None))
                for _ in range(rng.choice((0, 0, 0, 1, 2))):
                    moves.append(("skipped", when, None, None))
                if rng.random() < 0.2:
                    moves.append(("failed", when, "The form said the e-mail address is already registered.", None))
            for _ in range(rng.choice((0, 1, 2, 4))):
                moves.append(("awaiting_approval", NOW - timedelta(hours=2), None, float(rng.randint(35, 95))))
            for status, when, error, score in moves:
                url = f"https://jobs.example.org/{next_id}"
                jobs.append((next_id, url, url, "jobs.example.org", f"Backend Engineer {next_id}"))
                apps.append(
                    (next_id, user_id, next_id, status, score, error, when, when if status == "submitted" else None)
                )
                if status != "awaiting_approval":
                    came_from = "awaiting_approval" if status == "skipped" else "running"
                    events.append((next_id, came_from, status, when))
                next_id += 1
            spending.append((user_id, 2, rng.randint(500, 5000), NOW - timedelta(hours=rng.randint(1, 150))))
        await conn.copy_records_to_table("users", records=people, columns=["id", "chat_id", "first_name"])
        await conn.copy_records_to_table(
            "user_settings", records=settings, columns=["user_id", "digest_time", "time_zone", "quiet_digest"]
        )
        await conn.copy_records_to_table("jobs", records=jobs, columns=["id", "canonical_url", "url", "host", "title"])
        await conn.copy_records_to_table(
            "applications",
            records=apps,
            columns=["id", "user_id", "job_id", "status", "score", "error", "updated_at", "submitted_at"],
        )
        await conn.copy_records_to_table(
            "application_events", records=events, columns=["application_id", "from_status", "to_status", "created_at"]
        )
        await conn.copy_records_to_table(
            "spending", records=spending, columns=["user_id", "llm_calls", "llm_tokens", "created_at"]
        )
    await conn.execute("SELECT setval('jobs_id_seq', $1), setval('applications_id_seq', $1)", next_id)
    await conn.execute("ANALYZE")
    return next_id - 1


# --------------------------------------------------------------------------- the run


@dataclass
class Result:
    users: int
    applications: int
    wall_seconds: float
    rate: float
    accepted: int
    photos: int
    lost: int
    duplicates: int
    refused: int
    rss_start_mb: float
    rss_quarters_mb: list[float]
    rss_peak_mb: float
    renderers_peak_mb: float
    retrying: int

    def table(self) -> str:
        rows = [
            ("users", f"{self.users} ({self.applications} applications), all due at once"),
            ("messages accepted", f"{self.accepted} ({self.photos} with a chart)"),
            ("wall time", f"{self.wall_seconds:.1f} s"),
            ("rate", f"{self.rate:.2f} msg/s (target ≥ {TARGET_RATE:g})"),
            ("lost (users without a digest)", str(self.lost)),
            ("duplicates", str(self.duplicates)),
            ("429 answers", str(self.refused)),
            ("sends left for a retry", str(self.retrying)),
            (
                "RSS before → at 25/50/75/100 % of sends",
                f"{self.rss_start_mb:.0f} → " + " / ".join(f"{v:.0f}" for v in self.rss_quarters_mb) + " MB",
            ),
            ("peak RSS (this process: bot, fan-out, pool)", f"{self.rss_peak_mb:.0f} MB"),
            ("peak RSS of the chart processes", f"{self.renderers_peak_mb:.0f} MB"),
        ]
        return "\n".join(["| measure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


async def _one_pixel(days: object) -> bytes:
    return TINY_PNG


async def run(users: int, *, draw: bool = True) -> Result:
    async with database("nyx_bench_digest") as database_url:
        parent, child = multiprocessing.Pipe()
        fake = multiprocessing.Process(target=serve_fake_telegram, args=(child, FIRST_USER, users), daemon=True)
        fake.start()
        try:
            conn = await asyncpg.connect(database_url)
            try:
                await migrate(conn)
                applications = await seed(conn, users)
            finally:
                await conn.close()
            base_url = parent.recv()
            pool = await create_pool(database_url)
            session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
            bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
            sender = install_sender(bot)  # as Services.connect does
            charts = ChartRenderer()
            fan_out = DigestFanOut(
                DigestRepository(pool),
                UserSettingsRepository(pool),
                TelegramDigestChannel(bot, UserRepository(pool), charts if draw else _one_pixel),
                clock=lambda: NOW,
            )
            process = psutil.Process()
            samples: list[tuple[int, float]] = []
            renderers: list[float] = [0.0]
            rss_start = process.memory_info().rss / 2**20

            def renderers_mb() -> float:
                children = [c for c in process.children(recursive=True) if c.pid != fake.pid]
                total = 0.0
                for child in children:
                    with contextlib.suppress(psutil.Error):
                        total += child.memory_info().rss / 2**20
                return total

            async def sample() -> None:
                while True:
                    samples.append((sender.sent, process.memory_info().rss / 2**20))
                    renderers.append(renderers_mb())
                    await asyncio.sleep(0.25)

            sampler = asyncio.create_task(sample())
            started = time.monotonic()
            try:
                report = await fan_out.run()
            finally:
                wall = time.monotonic() - started
                sampler.cancel()
                await charts.close()
                await bot.session.close()
                await pool.close()
            parent.send("stop")
            stats = parent.recv()
        finally:
            fake.join(timeout=30)
    per_user = stats["digests_per_user"]
    total = max(sender.sent, 1)
    quarters = [max((rss for sent, rss in samples if sent <= total * q / 4), default=rss_start) for q in (1, 2, 3, 4)]
    return Result(
        users=users,
        applications=applications,
        wall_seconds=wall,
        rate=(stats["accepted"] - 1) / stats["span"] if stats["span"] else 0.0,
        accepted=stats["accepted"],
        photos=stats["photos"],
        lost=users - len(per_user),
        duplicates=sum(n - 1 for n in per_user.values()),
        refused=stats["refused"],
        rss_start_mb=rss_start,
        rss_quarters_mb=quarters,
        rss_peak_mb=max((rss for _, rss in samples), default=rss_start),
        renderers_peak_mb=max(renderers),
        retrying=report.retrying,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument(
        "--no-drawing",
        action="store_true",
        help="send a 1-pixel PNG instead of drawing each chart (the chart's share of the cost)",
    )
    args = parser.parse_args()
    result = asyncio.run(run(args.users, draw=not args.no_drawing))
    print(f"{datetime.now(UTC):%Y-%m-%d}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print(result.table())
    missed = result.rate < TARGET_RATE or result.lost or result.duplicates
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
