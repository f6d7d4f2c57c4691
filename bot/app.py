"""Wiring: connect to PostgreSQL and Redis, build the bot, dispatcher, worker and scheduler, run them."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import ErrorEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from arq import Worker
from arq.connections import ArqRedis, RedisSettings
from arq.connections import create_pool as create_redis_pool
from langchain_core.language_models import BaseChatModel
from redis.asyncio import Redis

from automation import tracing
from automation.apply import AgentConfig, ApplyDeps
from automation.browser import BrowserOptions
from automation.captcha import CaptchaSolver
from automation.costs import LLMPrices
from automation.live_view import LiveViewConfig
from automation.llm import LLMConfig, make_chat_model
from automation.prompts import PromptBridge
from automation.queue import ApplicationQueue
from automation.worker import build_worker
from bot.config import Settings
from bot.digest_chart import ChartRenderer
from bot.inflight import InFlight
from bot.live_view import LiveViewServer
from bot.metrics import UpdateObserver
from bot.monitoring import Readiness, start_monitoring
from bot.notifier import TelegramNotifier
from bot.sending import install_sender
from bot.web import WebServer, start_web
from handlers import build_router
from handlers.access import AccessMiddleware, StaleCallbackMiddleware
from handlers.digest import TelegramDigestChannel
from handlers.start import COMMANDS
from scheduler.digest import DigestFanOut
from scheduler.jobs import SchedulerDeps, build_scheduler
from storage.answers import AnswerRepository
from storage.applications import ApplicationRepository
from storage.db import create_pool
from storage.digests import DigestRepository
from storage.migrate import migrate
from storage.profile_import import seed_profile
from storage.profiles import ProfileRepository
from storage.resilience import ResilientPool, redis_client_options
from storage.credentials import CredentialRepository, CredentialSealer
from storage.prompts import PromptRepository
from storage.user_settings import UserSettingsRepository
from storage.users import UserRepository

log = logging.getLogger(__name__)

SORRY = "Something went wrong on my side and nothing was changed. Please try again in a minute."
UPDATE_GRACE_S = 10.0  # how long a stopping bot waits for the updates it is still handling


def make_bot(settings: Settings) -> Bot:
    session = None
    if settings.telegram_api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(
        token=settings.telegram_bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def browser_options(settings: Settings) -> BrowserOptions:
    return BrowserOptions(
        executable_path=str(settings.chrome_path) if settings.chrome_path else None,
        channel=settings.browser_channel,
        headless=settings.headless,
        profiles_dir=settings.data_dir / "browser-profiles",
        allow_hosts=tuple(settings.url_allow_hosts),
    )


def redis_settings(redis_url: str) -> RedisSettings:
    """arq's connection settings, riding out a Redis restart with the store's retry policy."""
    base = RedisSettings.from_dsn(redis_url)
    options = redis_client_options()
    return dataclasses.replace(base, retry=options["retry"], retry_on_error=options["retry_on_error"],
                               conn_retries=30)


@dataclass
class Services:
    """Everything the processes share, connected once."""

    settings: Settings
    pool: ResilientPool
    redis: ArqRedis
    bot: Bot
    users: UserRepository
    profiles: ProfileRepository
    applications: ApplicationRepository
    prompts: PromptRepository
    bridge: PromptBridge
    queue: ApplicationQueue
    notifier: TelegramNotifier
    user_settings: UserSettingsRepository
    answers: AnswerRepository
    llm: BaseChatModel | None
    digests: DigestRepository
    credentials: CredentialRepository
    charts: ChartRenderer = field(default_factory=ChartRenderer)

    @classmethod
    async def connect(cls, settings: Settings, *, pace_sending: bool = True) -> Services:
        """`pace_sending=False` is for measuring the handlers alone; production always paces."""
        if not settings.database_url or not settings.redis_url:
            raise RuntimeError("DATABASE_URL and REDIS_URL must be resolved before connecting")
        pool = await create_pool(settings.database_url)
        if (langfuse := settings.langfuse) is not None:
            tracing.enable(langfuse)
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
            redis = await create_redis_pool(redis_settings(settings.redis_url), default_queue_name=settings.queue_name)
        except BaseException:
            await pool.close()
            raise
        bot = make_bot(settings)
        users, applications = UserRepository(pool), ApplicationRepository(pool)

        async def blocked(chat_id: int | str) -> None:
            if isinstance(chat_id, int) and chat_id > 0:  # a private chat's id is its user's id
                await users.set_active(chat_id, False)

        if pace_sending:
            install_sender(bot, on_blocked=blocked)
        prompts = PromptRepository(pool)
        queue = ApplicationQueue(redis, settings.queue_name)
        return cls(
            settings=settings,
            pool=pool,
            redis=redis,
            bot=bot,
            users=users,
            profiles=ProfileRepository(pool),
            applications=applications,
            prompts=prompts,
            bridge=PromptBridge(redis, prompts, queue, check_interval=settings.prompt_check_seconds),
            queue=queue,
            notifier=TelegramNotifier(bot, users, applications),
            user_settings=UserSettingsRepository(pool),
            answers=AnswerRepository(pool),
            llm=make_chat_model(LLMConfig(settings.llm_base_url, settings.llm_api_key, settings.llm_model)),
            digests=DigestRepository(pool),
            credentials=CredentialRepository(pool, _sealer(settings)),
        )

    async def close(self) -> None:
        await asyncio.to_thread(tracing.disable)  # first: what is still buffered goes out (a blocking flush)
        await self.charts.close()
        await self.bot.session.close()
        await self.redis.aclose()
        await self.pool.close()

    def apply_deps(self) -> ApplyDeps:
        return ApplyDeps(
            applications=self.applications,
            profiles=self.profiles,
            answers=self.answers,
            user_settings=self.user_settings,
            prompts=self.prompts,
            bridge=self.bridge,
            notifier=self.notifier,
            browser_options=browser_options(self.settings),
            review_timeout=timedelta(minutes=self.settings.review_timeout_minutes),
            park_after=timedelta(minutes=self.settings.park_after_minutes),
            url_allow_hosts=tuple(self.settings.url_allow_hosts),
            llm=self.llm,
            agent=agent_config(self.settings),
            captcha_solver=_captcha_solver(self.settings),
            live_view=LiveViewConfig(self.redis, url) if (url := self.settings.live_view_url) else None,
            credentials=self.credentials,
            llm_prices=self.llm_prices,
        )

    @property
    def llm_prices(self) -> LLMPrices:
        return LLMPrices(self.settings.llm_prices)

    def scheduler_deps(self) -> SchedulerDeps:
        return SchedulerDeps(
            self.applications, self.prompts, self.bridge, self.queue, self.notifier, self.user_settings,
            digests=self.digest_fan_out(),
        )

    def digest_fan_out(self) -> DigestFanOut:
        channel = TelegramDigestChannel(self.bot, self.users, self.charts)
        return DigestFanOut(self.digests, self.user_settings, channel)


def _sealer(settings: Settings) -> CredentialSealer | None:
    """CREDENTIALS_KEY seals job-site passwords; without it no account is kept (and such sites are refused)."""
    key = settings.credentials_key
    return CredentialSealer(key.get_secret_value()) if key is not None else None


def _captcha_solver(settings: Settings) -> CaptchaSolver | None:
    """2captcha with a key; without one every CAPTCHA is the user's to solve."""
    if settings.twocaptcha_api_key is None:
        return None
    return CaptchaSolver(
        settings.twocaptcha_api_key, server=settings.twocaptcha_server,
        polling_seconds=settings.twocaptcha_polling_seconds,
    )


def agent_config(settings: Settings) -> AgentConfig | None:
    """FALLBACK_BACKEND: VibeSurf (its own agent), or browser-use with our LLM; without either, unknown forms
    fail with a clear reason."""
    if settings.fallback_backend == "vibesurf":
        return AgentConfig(None, None, None, settings.agent_max_steps, backend="vibesurf",
                           vibesurf_url=settings.vibesurf_url, vibesurf_api_key=settings.vibesurf_api_key)
    if settings.llm_api_key is None:
        return None
    return AgentConfig(settings.llm_base_url, settings.llm_api_key, settings.llm_model, settings.agent_max_steps)


def build_dispatcher(services: Services) -> Dispatcher:
    dp = Dispatcher(
        # Dialogs in progress live in Redis, so a restart mid-dialog loses nothing; the prefix keeps bots apart.
        storage=RedisStorage(
            Redis.from_url(services.settings.redis_url, **redis_client_options()),
            key_builder=DefaultKeyBuilder(prefix=f"nyx-fsm:{services.settings.queue_name}"),
        ),
        settings=services.settings,
        users=services.users,
        profiles=services.profiles,
        applications=services.applications,
        prompts=services.prompts,
        bridge=services.bridge,
        queue=services.queue,
        user_settings=services.user_settings,
        answers=services.answers,
        llm=services.llm,
        llm_prices=services.llm_prices,
        digests=services.digests,
        digest_chart=services.charts,
        credentials=services.credentials,
    )
    dp["in_flight"] = in_flight = InFlight()
    dp.update.outer_middleware(in_flight)  # first: counts every update, refused ones included
    dp.update.outer_middleware(UpdateObserver())  # metrics, and the user's id on every log line
    dp.update.outer_middleware(AccessMiddleware(set(services.settings.allowed_user_ids), services.users))
    dp.callback_query.outer_middleware(StaleCallbackMiddleware())
    dp.include_router(build_router())  # answers to the worker's prompts first, the catch-all last

    @dp.errors()
    async def on_error(event: ErrorEvent) -> None:
        log.error("update %s failed", event.update.update_id, exc_info=event.exception)
        update = event.update
        with contextlib.suppress(Exception):
            if update.callback_query is not None:
                await update.callback_query.answer(SORRY, show_alert=True)
            elif update.message is not None:
                await update.message.answer(SORRY)

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
                services.apply_deps(), services.redis,
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
        if self.roles.bot:
            self.dispatcher = build_dispatcher(services)
            await services.bot.set_my_commands(COMMANDS)
        if settings.metrics_port is not None:
            self._monitoring = await start_monitoring(
                host=settings.metrics_host, port=settings.metrics_port, queue_name=settings.queue_name,
                readiness=Readiness(services.pool.raw, services.redis, services.bot),  # fails fast, no retries
                token=settings.metrics_token.get_secret_value() if settings.metrics_token else None,
            )
        live_view = (
            LiveViewServer(services.redis, services.prompts, services.bridge, services.bot)
            if self.roles.bot and settings.live_view_url else None
        )
        if self.roles.bot and (settings.webhook_url or live_view is not None):
            self._web = await start_web(
                host=settings.http_host, port=settings.http_port, dispatcher=self.dispatcher, bot=services.bot,
                webhook_url=settings.webhook_url,
                webhook_secret=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
                live_view=live_view,
            )
        if self.roles.bot and settings.webhook_url:
            await services.bot.set_webhook(
                settings.webhook_url, secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
        elif self.roles.bot:
            await services.bot.delete_webhook()  # polling and a webhook exclude each other
            self._tasks.append(
                asyncio.create_task(
                    self.dispatcher.start_polling(services.bot, handle_signals=False, close_bot_session=False),
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
