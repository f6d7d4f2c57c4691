"""The bot's public HTTP side: the Telegram webhook (secret token checked on every request), and
nothing else; health and metrics are served on the monitoring listener (bot/monitoring.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

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
    *, host: str, port: int, dispatcher: Dispatcher, bot: Bot, webhook_url: str, webhook_secret: str
) -> WebServer:
    """Serve the webhook at WEBHOOK_URL's path."""
    app = web.Application(client_max_size=1024 * 1024)
    handler = SimpleRequestHandler(dispatcher, bot, secret_token=webhook_secret, handle_in_background=True)
    handler.register(app, path=urlsplit(webhook_url).path or "/")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = WebServer(runner, site)
    log.info("webhook listening on %s:%d", host, server.port)
    return server
