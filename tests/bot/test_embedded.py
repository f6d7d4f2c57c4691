"""The embedded PostgreSQL and Redis that `nyx run` starts when no URLs are configured."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis
from arq.connections import RedisSettings, create_pool

from bot.embedded import APP_DATABASE, EmbeddedServiceError, start_embedded

pytestmark = pytest.mark.timeout(120)


async def _start(data_dir: Path):
    # start_embedded blocks for a second or two; the app calls it from a thread too.
    return await asyncio.to_thread(start_embedded, data_dir, need_postgres=True, need_redis=True)


async def test_data_survives_a_restart_in_the_same_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "nyx-data"

    services = await _start(data_dir)
    try:
        assert services.database_url and services.database_url.startswith("postgresql://")
        conn = await asyncpg.connect(services.database_url)
        try:
            assert await conn.fetchval("select 1") == 1
            assert await conn.fetchval("select current_database()") == APP_DATABASE
            await conn.execute("create table notes (id int primary key, body text not null)")
            await conn.execute("insert into notes values (1, 'kept across restarts')")
        finally:
            await conn.close()

        client = aioredis.from_url(services.redis_url)
        try:
            assert await client.set("nyx:test", "hello")
            assert await client.get("nyx:test") == b"hello"
        finally:
            await client.aclose()
    finally:
        await asyncio.to_thread(services.stop)

    services = await _start(data_dir)
    try:
        conn = await asyncpg.connect(services.database_url)
        try:
            assert await conn.fetchval("select body from notes where id = 1") == "kept across restarts"
        finally:
            await conn.close()

        client = aioredis.from_url(services.redis_url)
        try:
            assert await client.get("nyx:test") == b"hello"
        finally:
            await client.aclose()
    finally:
        await asyncio.to_thread(services.stop)


async def test_arq_accepts_the_redis_url(tmp_path: Path) -> None:
    services = await asyncio.to_thread(start_embedded, tmp_path / "d", need_postgres=False, need_redis=True)
    try:
        assert services.database_url is None
        assert services.redis_url is not None
        pool = await create_pool(RedisSettings.from_dsn(services.redis_url))
        try:
            job = await pool.enqueue_job("noop", 1)
            assert job is not None
            assert await pool.zcard("arq:queue") == 1
        finally:
            await pool.aclose()
    finally:
        await asyncio.to_thread(services.stop)


async def test_stopped_servers_refuse_connections(tmp_path: Path) -> None:
    services = await _start(tmp_path / "d")
    await asyncio.to_thread(services.stop)
    services.stop()  # a second stop is harmless

    with pytest.raises((OSError, asyncpg.PostgresError)):
        await asyncpg.connect(services.database_url, timeout=5)
    client = aioredis.from_url(services.redis_url)
    try:
        with pytest.raises((OSError, aioredis.ConnectionError)):
            await client.ping()
    finally:
        await client.aclose()


def test_nothing_needed_starts_nothing(tmp_path: Path) -> None:
    services = start_embedded(tmp_path / "d", need_postgres=False, need_redis=False)
    assert services.database_url is None and services.redis_url is None
    services.stop()


def test_an_unusable_data_folder_is_one_clear_error(tmp_path: Path) -> None:
    occupied = tmp_path / "not-a-folder"
    occupied.write_text("a file where the data folder should be")

    with pytest.raises(EmbeddedServiceError, match="DATA_DIR"):
        start_embedded(occupied, need_postgres=True, need_redis=True)
