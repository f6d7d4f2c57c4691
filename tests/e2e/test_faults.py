"""PostgreSQL and Redis restart under a waiting application: nothing is lost, nothing is failed wrongly.

These use a PostgreSQL and a Redis of their own (tests/plugins/private_servers.py): the shared
servers serve other runs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from bot.app import NyxApp, Roles, Services
from bot.config import Settings, load_settings
from scheduler import jobs
from scheduler.jobs import reconcile
from storage.db import create_pool
from storage.resilience import OutcomeUnknown, RetryPolicy
from tests.plugins.private_servers import PrivateServers
from tests.support import ALLOWED_USER, CHROMIUM
from tests.support.chat import WAIT, open_review

pytestmark = pytest.mark.browser


@pytest_asyncio.fixture
async def private_db(private_servers: PrivateServers) -> AsyncIterator[str]:
    name = f"nyx_faults_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(private_servers.postgres.url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield private_servers.postgres.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def private_settings(fake_telegram, private_db: str, private_servers: PrivateServers, tmp_path: Path) -> Settings:
    return load_settings(
        _env_file=None,
        telegram_bot_token=fake_telegram.token,
        telegram_api_base=fake_telegram.base_url,
        allowed_user_ids=str(ALLOWED_USER),
        database_url=private_db,
        redis_url=private_servers.redis.url,
        queue_name=f"nyx:test:{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path / "data",
        chrome_path=CHROMIUM,
        headless=False,
        url_allow_hosts="127.0.0.1",
        prompt_check_seconds=5,
        review_timeout_minutes=30,
    )


async def _heartbeat_after(db: asyncpg.Connection, moment) -> None:
    """Until the open browser session has beaten after `moment` (the beat interval is shortened here)."""
    async with asyncio.timeout(WAIT):
        while not await db.fetchval(
            "SELECT count(*) FROM browser_sessions WHERE ended_at IS NULL AND heartbeat_at > $1", moment
        ):
            await asyncio.sleep(0.2)


async def test_restarts_under_a_pending_review_lose_nothing(
    private_settings,
    private_servers,
    fake_telegram,
    job_site,
    xvfb_display,
    monkeypatch,
):
    # Beats every half second; silence of two seconds counts as a dead worker. A heartbeat that died
    # with the first restart would let reconcile fail the application below.
    monkeypatch.setattr("automation.apply.HEARTBEAT_S", 0.5)
    monkeypatch.setattr(jobs, "STALE_AFTER_SECONDS", 2.0)
    services = await Services.connect(private_settings)
    app = NyxApp(services, Roles())
    await app.start()
    db = await asyncpg.connect(private_settings.database_url)
    user = fake_telegram.user(ALLOWED_USER)
    try:
        card, review = await open_review(fake_telegram, user, job_site)
        await db.close()

        await asyncio.to_thread(private_servers.postgres.restart)  # sessions terminated, as in a deploy
        await asyncio.to_thread(private_servers.redis.restart)  # the worker's subscription drops
        await asyncio.to_thread(private_servers.postgres.restart, "immediate")  # as after a crash

        db = await asyncpg.connect(private_settings.database_url)
        restarted = await db.fetchval("SELECT now()")
        # Beating still, past the stale limit: a heartbeat that died with the restart never gets here.
        await _heartbeat_after(db, restarted + timedelta(seconds=2.5))
        await reconcile(services.scheduler_deps())
        assert await db.fetchval("SELECT status FROM applications") == "waiting_user"
        assert job_site.submissions == []

        await user.tap(review, "Submit")
        await job_site.wait_for_submission(timeout=WAIT)
        await fake_telegram.wait_for_message(
            lambda m: m.message_id == card.message_id and "✅ submitted" in m.body, timeout=WAIT
        )
        assert len(job_site.submissions) == 1
        assert await db.fetchval("SELECT status FROM applications") == "submitted"
    finally:
        await app.stop()
        await services.close()
        if not db.is_closed():
            await db.close()


async def test_a_write_cut_off_midway_is_not_repeated_but_reads_are(private_servers, private_db):
    """A read retries across the restart; a write whose connection died says its outcome is unknown."""
    pool = await create_pool(private_db, policy=RetryPolicy(first=0.05, cap=0.5, deadline=30))
    try:
        await pool.execute("CREATE TABLE counter (n int)")
        await pool.execute("INSERT INTO counter VALUES (0)")
        slow_write = asyncio.create_task(pool.execute("UPDATE counter SET n = n + 1 FROM pg_sleep(5)"))
        async with asyncio.timeout(WAIT):
            while not await pool.fetchval("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'UPDATE counter%'"):
                await asyncio.sleep(0.05)
        await asyncio.to_thread(private_servers.postgres.restart, "immediate")
        with pytest.raises(OutcomeUnknown):
            await slow_write
        assert await pool.fetchval("SELECT n FROM counter") == 0  # read again after the restart
    finally:
        await pool.close()
