"""A PostgreSQL database of a bench's own, on DATABASE_URL's server (default the local one).

Only asyncpg: a bench that measures this process's memory (bench/digest.py) imports it without the app.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from tests.support.database import with_database

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@asynccontextmanager
async def database(prefix: str = "nyx_bench") -> AsyncIterator[str]:
    """A new database named `prefix` and a random suffix: its URL. Dropped at the end WITH (FORCE), as the
    connections of an app that failed may still be open; the server's own database is only used to do that."""
    server = os.environ.get("DATABASE_URL", SERVER)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(server, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
