"""The one place that builds the application's services: what the bot, the worker, the scheduler, the
CLI and the tests' harness share, connected once by `Services.connect(settings)`.

A new repository is one field in `Repositories` and one line in `open_repositories`; the
dispatcher then hands it to every handler that names it as a parameter (aiogram injects the
dispatcher's data by name). What the worker and the scheduler get (`apply_deps`,
`scheduler_deps`) is spelled out below, next to the fields it comes from.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from arq.connections import ArqRedis, RedisSettings
from arq.connections import create_pool as create_redis_pool
from langchain_core.language_models import BaseChatModel

from automation import tracing
from automation.apply import AgentConfig, ApplyDeps
from automation.browser import BrowserOptions
from automation.captcha import CaptchaSolver
from automation.costs import LLMPrices
from automation.live_view import LiveViewConfig
from automation.llm import LLMConfig, make_chat_model
from automation.prompts import PromptBridge
from automation.queue import ApplicationQueue
from bot.config import Settings, SettingsError
from bot.digest_chart import ChartRenderer
from bot.notifier import TelegramNotifier
from bot.sending import install_sender
from handlers.digest import TelegramDigestChannel
from scheduler.digest import DigestFanOut
from scheduler.jobs import SchedulerDeps
from storage.answers import AnswerRepository
from storage.applications import ApplicationRepository
from storage.browser_sessions import BrowserSessionRepository
from storage.credentials import CredentialRepository, CredentialSealer
from storage.db import create_pool
from storage.digests import DigestRepository
from storage.files import FileRepository
from storage.migrate import migrate
from storage.profiles import ProfileRepository
from storage.prompts import PromptRepository
from storage.resilience import ResilientPool, redis_client_options
from storage.user_settings import UserSettingsRepository
from storage.users import UserRepository


@dataclass
class Repositories:
    """Every repository, over the one PostgreSQL pool; handlers receive each by its field name."""

    users: UserRepository
    profiles: ProfileRepository
    applications: ApplicationRepository
    browser_sessions: BrowserSessionRepository
    files: FileRepository
    prompts: PromptRepository
    user_settings: UserSettingsRepository
    answers: AnswerRepository
    digests: DigestRepository
    credentials: CredentialRepository

    def repositories(self) -> dict[str, Any]:
        """Each repository by its field name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(Repositories)}


def open_repositories(pool: ResilientPool, settings: Settings) -> Repositories:
    return Repositories(
        users=UserRepository(pool),
        profiles=ProfileRepository(pool),
        applications=ApplicationRepository(pool),
        browser_sessions=BrowserSessionRepository(pool),
        files=FileRepository(pool),
        prompts=PromptRepository(pool),
        user_settings=UserSettingsRepository(pool),
        answers=AnswerRepository(pool),
        digests=DigestRepository(pool),
        credentials=CredentialRepository(pool, _sealer(settings)),
    )


@dataclass
class Services(Repositories):
    """Everything the processes share, connected once: the repositories (so `services.users` is one),
    the connections, and the services built on them."""

    settings: Settings
    pool: ResilientPool
    redis: ArqRedis
    bot: Bot
    bridge: PromptBridge
    queue: ApplicationQueue
    notifier: TelegramNotifier
    llm: BaseChatModel | None
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
        repositories = open_repositories(pool, settings)
        users = repositories.users

        async def blocked(chat_id: int | str) -> None:
            if isinstance(chat_id, int) and chat_id > 0:  # a private chat's id is its user's id
                await users.set_active(chat_id, False)

        if pace_sending:
            install_sender(bot, on_blocked=blocked)
        queue = ApplicationQueue(redis, settings.queue_name)
        return cls(
            **repositories.repositories(),
            settings=settings,
            pool=pool,
            redis=redis,
            bot=bot,
            bridge=PromptBridge(redis, repositories.prompts, queue, check_interval=settings.prompt_check_seconds),
            queue=queue,
            notifier=TelegramNotifier(bot, users, repositories.applications),
            llm=make_chat_model(LLMConfig(settings.llm_base_url, settings.llm_api_key, settings.llm_model)),
        )

    async def close(self) -> None:
        await asyncio.to_thread(tracing.disable)  # first: what is still buffered goes out (a blocking flush)
        await self.charts.close()
        await self.bot.session.close()
        await self.redis.aclose()
        await self.pool.close()

    def handler_data(self) -> dict[str, Any]:
        """What the dispatcher hands to handlers by parameter name: every repository, and these."""
        return self.repositories() | {
            "settings": self.settings,
            "bridge": self.bridge,
            "queue": self.queue,
            "llm": self.llm,
            "llm_prices": self.llm_prices,
            "digest_chart": self.charts,
        }

    def apply_deps(self) -> ApplyDeps:
        return ApplyDeps(
            applications=self.applications,
            browser_sessions=self.browser_sessions,
            files=self.files,
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
            self.applications,
            self.browser_sessions,
            self.prompts,
            self.bridge,
            self.queue,
            self.notifier,
            self.user_settings,
            digests=self.digest_fan_out(),
        )

    def digest_fan_out(self) -> DigestFanOut:
        channel = TelegramDigestChannel(self.bot, self.users, self.charts)
        return DigestFanOut(self.digests, self.user_settings, channel)


def make_bot(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise SettingsError("TELEGRAM_BOT_TOKEN is required")
    session = None
    if settings.telegram_api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(
        token=settings.telegram_bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def redis_settings(redis_url: str) -> RedisSettings:
    """arq's connection settings, riding out a Redis restart with the store's retry policy."""
    base = RedisSettings.from_dsn(redis_url)
    options = redis_client_options()
    return dataclasses.replace(base, retry=options["retry"], retry_on_error=options["retry_on_error"], conn_retries=30)


def browser_options(settings: Settings) -> BrowserOptions:
    return BrowserOptions(
        executable_path=str(settings.chrome_path) if settings.chrome_path else None,
        channel=settings.browser_channel,
        headless=settings.headless,
        profiles_dir=settings.data_dir / "browser-profiles",
        allow_hosts=tuple(settings.url_allow_hosts),
    )


def agent_config(settings: Settings) -> AgentConfig | None:
    """FALLBACK_BACKEND: VibeSurf (its own agent), or browser-use with our LLM; without either, unknown forms
    fail with a clear reason."""
    if settings.fallback_backend == "vibesurf":
        return AgentConfig(
            None,
            None,
            None,
            settings.agent_max_steps,
            backend="vibesurf",
            vibesurf_url=settings.vibesurf_url,
            vibesurf_api_key=settings.vibesurf_api_key,
        )
    if settings.llm_api_key is None:
        return None
    return AgentConfig(settings.llm_base_url, settings.llm_api_key, settings.llm_model, settings.agent_max_steps)


def _sealer(settings: Settings) -> CredentialSealer | None:
    """CREDENTIALS_KEY seals job-site passwords; without it no account is kept (and such sites are refused)."""
    key = settings.credentials_key
    return CredentialSealer(key.get_secret_value()) if key is not None else None


def _captcha_solver(settings: Settings) -> CaptchaSolver | None:
    """2captcha with a key; without one every CAPTCHA is the user's to solve."""
    if settings.twocaptcha_api_key is None:
        return None
    return CaptchaSolver(
        settings.twocaptcha_api_key,
        server=settings.twocaptcha_server,
        polling_seconds=settings.twocaptcha_polling_seconds,
    )
