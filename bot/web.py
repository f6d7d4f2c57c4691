"""The bot's public HTTP side: the Telegram webhook (secret token checked on every request) and the
live browser view's pages (bot/live_view.py); health and metrics are served on the monitoring
listener (bot/monitoring.py), never here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.live_view import LiveViewServer

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


async def start_web(
    *,
    host: str,
    port: int,
    dispatcher: Dispatcher | None = None,
    bot: Bot | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    live_view: LiveViewServer | None = None,
) -> WebServer:
    """Serve the webhook at WEBHOOK_URL's path and the live view under /live/, whichever is configured."""
    app = web.Application(client_max_size=1024 * 1024)
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
    log.info("public HTTP listener on %s:%d", host, server.port)
    return server
