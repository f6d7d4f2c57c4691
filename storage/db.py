"""The asyncpg connection pool, with JSON codecs registered, retried across a server restart."""

from __future__ import annotations

import json

import asyncpg

from storage.resilience import DEFAULT_POLICY, ResilientPool, RetryPolicy


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    database_url: str, *, min_size: int = 1, max_size: int = 10, policy: RetryPolicy = DEFAULT_POLICY
) -> ResilientPool:
    pool = await policy.call(
        lambda: asyncpg.create_pool(
            database_url, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=60
        ),
        lambda error: isinstance(error, (OSError, asyncpg.CannotConnectNowError)),
        "connecting to PostgreSQL",
    )
    assert pool is not None
    return ResilientPool(pool, policy)
