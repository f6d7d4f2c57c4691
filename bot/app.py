"""Wiring: from the connected services (bot/services.py), build the dispatcher, worker and scheduler, and run them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from aiogram import Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from arq import Worker
from redis.asyncio import Redis

from automation.worker import build_worker
from bot.config import SettingsError
from bot.error_handler import on_error
from bot.inflight import InFlight
from bot.live_view import LiveViewServer
from bot.metrics import UpdateObserver
from bot.monitoring import Readiness, start_monitoring
from bot.services import Services
from bot.web import WebServer, start_web
from handlers import build_router
from handlers.access import AccessMiddleware, StaleCallbackMiddleware
from handlers.start import COMMANDS
from scheduler.jobs import build_scheduler
from storage.profile_import import seed_profile
from storage.resilience import redis_client_options

log = logging.getLogger(__name__)

UPDATE_GRACE_S = 10.0  # how long a stopping bot waits for the updates it is still handling


def _resolved(value: str | None, name: str) -> str:
    """A setting that must have been resolved (to the embedded server's, if unset) before this point."""
    if value is None:
        raise SettingsError(f"{name} must be resolved before the bot starts")
    return value


def build_dispatcher(services: Services) -> Dispatcher:
    dp = Dispatcher(
        # Dialogs in progress live in Redis, so a restart mid-dialog loses nothing; the prefix keeps bots apart.
        storage=RedisStorage(
            Redis.from_url(_resolved(services.settings.redis_url, "REDIS_URL"), **redis_client_options()),
            key_builder=DefaultKeyBuilder(prefix=f"nyx-fsm:{services.settings.queue_name}"),
        ),
        **services.handler_data(),
    )
    dp["in_flight"] = in_flight = InFlight()
    dp.update.outer_middleware(in_flight)  # first: counts every update, refused ones included
    dp.update.outer_middleware(UpdateObserver())  # metrics, and the user's id on every log line
    dp.update.outer_middleware(AccessMiddleware(set(services.settings.allowed_user_ids), services.users))
    dp.callback_query.outer_middleware(StaleCallbackMiddleware())
    dp.include_router(build_router())  # answers to the worker's prompts first, the catch-all last

    dp.errors.register(on_error)  # the one error handler: the user is told, the log gets the rest
    return dp


async def load_profile_from_settings(services: Services) -> None:
    """PROFILE_FILE is the single-user shortcut: it seeds the profile of every allowed user (once; later
    only what the file itself changed)."""
    path = services.settings.profile_file
    if path is None:
        return
    for user_id in services.settings.allowed_user_ids:
        if await services.users.get(user_id) is None:
            await services.users.upsert(user_id, user_id, None, None)
        await seed_profile(path, user_id, services.profiles, services.answers)


@dataclass
class Roles:
    bot: bool = True
    worker: bool = True
    scheduler: bool = True


@dataclass
class NyxApp:
    """One process running any of the bot, the worker and the scheduler."""

    services: Services
    roles: Roles = field(default_factory=Roles)
    dispatcher: Dispatcher | None = None
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _scheduler: AsyncIOScheduler | None = None
    _worker: Worker | None = None
    _web: WebServer | None = None
    _monitoring: WebServer | None = None
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        services = self.services
        await load_profile_from_settings(services)
        if self.roles.worker:
            worker = build_worker(
                services.apply_deps(),
                services.redis,
                queue_name=services.settings.queue_name,
                max_browsers=services.settings.max_concurrent_browsers,
            )
            self._tasks.append(asyncio.create_task(worker.async_run(), name="worker"))
            self._worker = worker
        if self.roles.scheduler:
            scheduler = build_scheduler(
                services.scheduler_deps(), digest_seconds=services.settings.digest_check_seconds
            )
            scheduler.start()
            self._scheduler = scheduler
        settings = services.settings
        dispatcher = build_dispatcher(services) if self.roles.bot else None
        self.dispatcher = dispatcher
        if dispatcher is not None:
            await services.bot.set_my_commands(COMMANDS)
        if settings.metrics_port is not None:
            self._monitoring = await start_monitoring(
                host=settings.metrics_host,
                port=settings.metrics_port,
                queue_name=settings.queue_name,
                readiness=Readiness(services.pool.raw, services.redis, services.bot),  # fails fast, no retries
                token=settings.metrics_token.get_secret_value() if settings.metrics_token else None,
            )
        if dispatcher is None:
            return
        live_view = (
            LiveViewServer(services.redis, services.prompts, services.bridge, services.bot)
            if settings.live_view_url
            else None
        )
        webhook_secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        if settings.webhook_url or live_view is not None:
            if settings.http_port is None:  # Settings refuses a webhook or a live view without one
                raise SettingsError("HTTP_PORT is required for a webhook or the live view")
            self._web = await start_web(
                host=settings.http_host,
                port=settings.http_port,
                dispatcher=dispatcher,
                bot=services.bot,
                webhook_url=settings.webhook_url,
                webhook_secret=webhook_secret,
                live_view=live_view,
            )
        if settings.webhook_url:
            await services.bot.set_webhook(
                settings.webhook_url,
                secret_token=webhook_secret,
                allowed_updates=dispatcher.resolve_used_update_types(),
            )
        else:
            await services.bot.delete_webhook()  # polling and a webhook exclude each other
            self._tasks.append(
                asyncio.create_task(
                    dispatcher.start_polling(services.bot, handle_signals=False, close_bot_session=False),
                    name="polling",
                )
            )

    async def wait(self) -> None:
        """Run until a part stops (or stop() is called); a part that crashes stops the process with its error."""
        stopped = asyncio.ensure_future(self._stopped.wait())
        done, _ = await asyncio.wait([*self._tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        for task in done:
            if task is not stopped:
                task.result()

    async def stop(self) -> None:
        self._stopped.set()
        if self._web is not None:
            await self._web.stop()
        if self.dispatcher is not None:
            with contextlib.suppress(RuntimeError):
                await self.dispatcher.stop_polling()
            # Updates already being handled finish before the connections they use are closed.
            in_flight: InFlight = self.dispatcher["in_flight"]
            if not await in_flight.drained(UPDATE_GRACE_S):
                log.warning("stopping with %d update(s) still being handled", in_flight.count)
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._worker is not None:
            # Each apply hands its application back to the queue and closes its browser on the way
            # out; wait for that before the connections it needs are closed.
            jobs = [task for task in self._worker.tasks.values() if not task.done()]
            for job_task in jobs:
                job_task.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.dispatcher is not None:
            await self.dispatcher.storage.close()
        if self._monitoring is not None:  # last: a stopping process stays observable while it drains
            await self._monitoring.stop()
