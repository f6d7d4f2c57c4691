"""Shared fixtures: a fresh PostgreSQL database per test (cloned from a migrated template made once per
run), Redis with a queue of its own per test, and the whole Nyx app pointed at the fake Bot API."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from bot.app import NyxApp, Roles, Services
from bot.config import Settings, load_settings
from storage.migrate import migrate
from tests.support import ALLOWED_USER, CHROMIUM
from tests.support.database import with_database

pytest_plugins = [
    "tests.plugins.telegram",
    "tests.plugins.browser",
    "tests.plugins.private_servers",
    "tests.fakes.openai_api",
    "tests.fakes.langfuse_api",
]


@pytest.fixture(scope="session")
def embedded_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """DATABASE_URL / REDIS_URL from the environment, else embedded servers for this run."""
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    services = None
    if not database_url or not redis_url:
        from bot.embedded import start_embedded

        services = start_embedded(
            tmp_path_factory.mktemp("embedded"), need_postgres=not database_url, need_redis=not redis_url
        )
        database_url = database_url or services.database_url
        redis_url = redis_url or services.redis_url
    assert database_url is not None and redis_url is not None
    yield database_url, redis_url
    if services is not None:
        services.stop()


@pytest_asyncio.fixture(scope="session")
async def template_database(embedded_services: tuple[str, str]) -> AsyncIterator[str]:
    """A migrated database, made once per run; each test clones it."""
    server_url, _ = embedded_services
    name = f"nyx_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await asyncpg.connect(with_database(server_url, name))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    try:
        yield name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest_asyncio.fixture
async def database_url(embedded_services: tuple[str, str], template_database: str) -> AsyncIterator[str]:
    server_url, _ = embedded_services
    name = f"{template_database}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        yield with_database(server_url, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection for assertions about rows."""
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module to change a setting for its tests."""
    return {}


@pytest.fixture
def settings(
    fake_telegram,
    database_url: str,
    embedded_services: tuple[str, str],
    tmp_path: Path,
    settings_overrides: dict[str, object],
) -> Settings:
    _, redis_url = embedded_services
    defaults: dict[str, object] = dict(
        telegram_bot_token=fake_telegram.token,
        telegram_api_base=fake_telegram.base_url,
        allowed_user_ids=str(ALLOWED_USER),
        database_url=database_url,
        redis_url=redis_url,
        queue_name=f"nyx:test:{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path / "data",
        chrome_path=CHROMIUM,
        headless=False,
        url_allow_hosts="127.0.0.1",
        prompt_check_seconds=5,
    )
    # need_token named: the overrides are all settings, none of them load_settings' own option
    return load_settings(need_token=True, _env_file=None, **(defaults | settings_overrides))


@pytest_asyncio.fixture
async def nyx(settings: Settings, xvfb_display) -> AsyncIterator[Services]:
    """The whole app (bot, worker, scheduler) running against the fakes, as `nyx run` would."""
    services = await Services.connect(settings)
    app = NyxApp(services, Roles())
    await app.start()
    try:
        yield services
    finally:
        await app.stop()
        await services.close()
