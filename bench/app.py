"""The real app on the test suite's fakes, for the benches that run it whole: a database of its own, the
fake Bot API and the Greenhouse-style job site on 127.0.0.1, settings pointed at them, the app started;
and the applicant (USER, PROFILE, RESUME) those benches apply as.

Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL, default the local ones).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bench.database import database
from bot.app import NyxApp, Roles, Services
from bot.config import load_settings
from tests.fakes.job_site import MOTIVATION, SPONSORSHIP, GreenhouseJobSite
from tests.fakes.telegram_api import FakeTelegram

REDIS = "redis://127.0.0.1:6379/0"
CHROMIUM = "/usr/bin/chromium"
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


@dataclass
class RunningApp:
    """What a bench uses of the running app. `stop` and `close` act once each: a bench may call them itself
    (bench/shutdown.py times them), `run_app` calls them at the end anyway, and `NyxApp.stop` must not run
    twice (APScheduler refuses a second shutdown)."""

    app: NyxApp
    services: Services
    fake: FakeTelegram
    site: GreenhouseJobSite
    database_url: str
    _stopped: bool = False
    _closed: bool = False

    async def stop(self) -> None:
        """Stop the app as SIGTERM does; its connections stay open."""
        if not self._stopped:
            self._stopped = True
            await self.app.stop()

    async def close(self) -> None:
        """Close the connections (after `stop`)."""
        if not self._closed:
            self._closed = True
            await self.services.close()


@asynccontextmanager
async def run_app(
    users: Iterable[int], *, roles: Roles | None = None, pace_sending: bool = True, **settings: Any
) -> AsyncIterator[RunningApp]:
    """The app started on the fakes for `users`, with its own queue and data directory; `settings` are added
    to the ones below. Stopped, closed and its database dropped at the end."""
    roles = roles or Roles()
    if roles.worker:  # only the worker opens a browser
        settings.setdefault("chrome_path", CHROMIUM)
    async with database() as database_url, FakeTelegram() as fake, GreenhouseJobSite() as site:
        with tempfile.TemporaryDirectory() as tmp:
            config = load_settings(
                _env_file=None,
                telegram_bot_token=fake.token,
                telegram_api_base=fake.base_url,
                allowed_user_ids=",".join(map(str, users)),
                database_url=database_url,
                redis_url=os.environ.get("REDIS_URL", REDIS),
                queue_name=f"nyx:bench:{urlsplit(database_url).path[1:]}",  # named after its database
                data_dir=Path(tmp),
                url_allow_hosts="127.0.0.1",
                **settings,
            )
            services = await Services.connect(config, pace_sending=pace_sending)
            running = RunningApp(NyxApp(services, roles), services, fake, site, database_url)
            try:
                await running.app.start()
                yield running
            finally:
                await running.stop()
                await running.close()


async def save_profile(fake: FakeTelegram) -> None:
    """USER sends PROFILE and RESUME as documents, each waited for until the bot says it is saved."""
    user = fake.user(USER)
    await user.send_document("profile.yaml", yaml.safe_dump(PROFILE).encode(), "application/x-yaml")
    await fake.wait_for_message(lambda m: "Profile saved" in m.body and m.chat_id == USER)
    await user.send_document("resume.pdf", RESUME, "application/pdf")
    await fake.wait_for_message(lambda m: "Résumé saved" in m.body and m.chat_id == USER)
