"""The bot's HTTP side: Telegram webhook (secret token checked on every request), /healthz and /metrics."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg
from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from bot.live_view import LiveViewServer
from storage.models import ApplicationStatus

log = logging.getLogger(__name__)


@dataclass
class WebServer:
    runner: web.AppRunner
    site: web.TCPSite

    @property
    def port(self) -> int:
        return self.site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        await self.runner.cleanup()


def _metrics(pool: asyncpg.Pool) -> web.RequestHandler:
    """Application counts by status, read at scrape time from PostgreSQL (the system of record)."""

    async def handler(request: web.Request) -> web.Response:
        registry = CollectorRegistry()
        gauge = Gauge("nyx_applications", "Applications by status", ["status"], registry=registry)
        rows = await pool.fetch("SELECT status, count(*) AS n FROM applications GROUP BY status")
        counts = {r["status"]: r["n"] for r in rows}
        for status in ApplicationStatus:
            gauge.labels(status.value).set(counts.get(status.value, 0))
        pending = Gauge("nyx_prompts_pending", "Prompts waiting for the user", registry=registry)
        pending.set(await pool.fetchval("SELECT count(*) FROM prompts WHERE status = 'pending'"))
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handler


def _health(pool: asyncpg.Pool) -> web.RequestHandler:
    async def handler(request: web.Request) -> web.Response:
        try:
            await pool.fetchval("SELECT 1")
        except Exception:  # the reason is logged, the probe gets a plain status
            log.exception("health check: database unreachable")
            return web.json_response({"status": "database unreachable"}, status=503)
        return web.json_response({"status": "ok"})

    return handler


async def start_web(
    *,
    host: str,
    port: int,
    pool: asyncpg.Pool,
    dispatcher: Dispatcher | None = None,
    bot: Bot | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    live_view: LiveViewServer | None = None,
) -> WebServer:
    """Serve /healthz and /metrics, and the webhook at WEBHOOK_URL's path when one is configured."""
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_get("/healthz", _health(pool))
    app.router.add_get("/metrics", _metrics(pool))
    if webhook_url and dispatcher is not None and bot is not None:
        handler = SimpleRequestHandler(dispatcher, bot, secret_token=webhook_secret, handle_in_background=True)
        handler.register(app, path=urlsplit(webhook_url).path or "/")
    if live_view is not None:
        live_view.register(app)  # /live/<token>: the browser's live view for the phone
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = WebServer(runner, site)
    log.info("listening on %s:%d%s", host, server.port, " (webhook)" if webhook_url else "")
    return server
