"""Each process's monitoring listener (METRICS_HOST:METRICS_PORT, loopback by default), apart from
the public webhook's: liveness (/healthz), readiness (/readyz: PostgreSQL, Redis and Telegram
reachable) and Prometheus metrics (/metrics, behind METRICS_TOKEN when one is set)."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from dataclasses import dataclass, field

import asyncpg
from aiogram import Bot
from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from redis.asyncio import Redis

from bot.metrics import refresh_state_gauges
from bot.web import WebServer

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 5.0
# Telegram is asked at most this often: a probe every few seconds should not become a getMe each time.
TELEGRAM_OK_TTL_S = 60.0


@dataclass
class Readiness:
    """Whether this process can do its work: its database, its Redis and Telegram all answer."""

    pool: asyncpg.Pool
    redis: Redis
    bot: Bot
    _telegram_ok_at: float | None = field(default=None, init=False)

    async def check(self) -> dict[str, str]:
        """Each dependency's state: "ok" or a short reason (no secrets: reasons are fixed words)."""
        names = ("database", "redis", "telegram")
        results = await asyncio.gather(
            self._timed(self._database()),
            self._timed(self._redis()),
            self._timed(self._telegram()),
        )
        return dict(zip(names, results, strict=True))

    async def _timed(self, check) -> str:
        try:
            await asyncio.wait_for(check, CHECK_TIMEOUT_S)
        except TimeoutError:
            return f"no answer within {CHECK_TIMEOUT_S:g} s"
        except Exception as exc:  # noqa: BLE001 - logged with its details; the probe gets the kind of failure only
            log.warning("readiness check failed: %s", exc)
            return f"unreachable ({type(exc).__name__})"
        return "ok"

    async def _database(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def _redis(self) -> None:
        await self.redis.ping()

    async def _telegram(self) -> None:
        now = time.monotonic()
        if self._telegram_ok_at is not None and now - self._telegram_ok_at < TELEGRAM_OK_TTL_S:
            return
        await self.bot.get_me()
        self._telegram_ok_at = now


async def _live(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _ready(readiness: Readiness) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        checks = await readiness.check()
        ready = all(state == "ok" for state in checks.values())
        return web.json_response(
            {"status": "ok" if ready else "not ready", "checks": checks}, status=200 if ready else 503
        )

    return handler


def _metrics(readiness: Readiness, queue_name: str, token: str | None) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        if token is not None:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return web.Response(status=401, text="METRICS_TOKEN required\n", headers={"WWW-Authenticate": "Bearer"})
        try:
            await refresh_state_gauges(readiness.pool, readiness.redis, queue_name)
        except Exception:  # the process's own counters are still worth serving
            log.warning("metrics: could not read the database or Redis", exc_info=True)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handler


async def start_monitoring(
    *, host: str, port: int, readiness: Readiness, queue_name: str, token: str | None = None
) -> WebServer:
    app = web.Application(client_max_size=64 * 1024)
    app.router.add_get("/healthz", _live)
    app.router.add_get("/readyz", _ready(readiness))
    app.router.add_get("/metrics", _metrics(readiness, queue_name, token))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = WebServer(runner, site)
    if token is None and host not in ("127.0.0.1", "::1", "localhost"):
        log.warning(
            "metrics on %s:%d without METRICS_TOKEN: anyone who reaches that address can read them", host, server.port
        )
    log.info("health and metrics on %s:%d", host, server.port)
    return server
