"""`nyx doctor`: each dependency checked and reported in one line."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import asyncpg
from redis.asyncio import Redis

from bot.config import Settings

# Imported here, not in check_token: importing the whole app takes seconds, and inside a check it
# would hold the event loop while every check's time limit runs.
from bot.services import make_bot

CHECK_TIMEOUT_S = 15.0
CHROME_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    required: bool = True

    def line(self) -> str:
        mark = "[ok]" if self.ok else ("[FAIL]" if self.required else "[warn]")
        return f"{mark:<6} {self.name:<9} {self.detail}"


def find_chrome(settings: Settings) -> str | None:
    if settings.chrome_path:
        return str(settings.chrome_path)
    return next((found for name in CHROME_CANDIDATES if (found := shutil.which(name))), None)


async def check_token(settings: Settings) -> str:
    bot = make_bot(settings)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    return f"bot @{me.username} answers"


async def check_database(settings: Settings) -> str:
    conn = await asyncpg.connect(settings.database_url)
    try:
        version = await conn.fetchval("SHOW server_version")
        applied = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        )
        migrations = await conn.fetchval("SELECT count(*) FROM schema_migrations") if applied else 0
    finally:
        await conn.close()
    return f"PostgreSQL {version}, {migrations} migration(s) applied"


async def check_redis(settings: Settings) -> str:
    assert settings.redis_url is not None  # `nyx doctor` checks the resolved settings
    redis = Redis.from_url(settings.redis_url)
    try:
        info = await redis.info("server")
    finally:
        await redis.aclose()
    return f"Redis {info.get('redis_version', '?')}"


async def check_chrome(settings: Settings) -> str:
    path = find_chrome(settings)
    if path is None:
        raise RuntimeError("no Chrome/Chromium found: install chromium or set CHROME_PATH")
    process = await asyncio.create_subprocess_exec(
        path, "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{path} --version failed: {err.decode(errors='replace').strip()[:200]}")
    return f"{out.decode().strip()} at {path}"


async def check_llm(settings: Settings) -> str:
    if settings.llm_api_key is None:
        return (
            "off (no LLM_API_KEY) — jobs are scored by keywords; general questions are asked in the chat; "
            "no cover letters; forms no adapter knows are not filled"
        )
    headers = {"Authorization": f"Bearer {settings.llm_api_key.get_secret_value()}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{settings.llm_base_url}/models", headers=headers) as response,
    ):
        if response.status != 200:
            raise RuntimeError(f"{settings.llm_base_url} answered HTTP {response.status}")
    price = settings.llm_prices.get(settings.llm_model)
    priced = f"${price[0]}/${price[1]} per million tokens in/out" if price else "no LLM_PRICES entry: costs unknown"
    return f"{settings.llm_base_url} accepts the key (model {settings.llm_model}, {priced})"


async def check_langfuse(settings: Settings) -> str:
    """LLM tracing: off without LANGFUSE_*; else the host must answer and accept the project's keys."""
    config = settings.langfuse
    if config is None:
        return "off (no LANGFUSE_PUBLIC_KEY/SECRET_KEY/HOST) — LLM calls are not traced"
    auth = {"Authorization": aiohttp.encode_basic_auth(config.public_key, config.secret_key.get_secret_value())}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{config.host}/api/public/health") as response:
            if response.status != 200:
                raise RuntimeError(f"Langfuse at {config.host} answered HTTP {response.status} on /api/public/health")
        async with session.get(f"{config.host}/api/public/projects", headers=auth) as response:
            if response.status in (401, 403):
                raise RuntimeError(f"Langfuse at {config.host} refuses the LANGFUSE_* keys (HTTP {response.status})")
            if response.status != 200:
                raise RuntimeError(f"Langfuse at {config.host} answered HTTP {response.status} on /api/public/projects")
    return f"on: LLM calls are traced to {config.host} (the host answers and accepts the keys)"


async def check_twocaptcha(settings: Settings) -> str:
    if settings.twocaptcha_api_key is None:
        return "off (no TWOCAPTCHA_API_KEY) — CAPTCHAs are asked in the chat"
    from twocaptcha import AsyncTwoCaptcha

    solver = AsyncTwoCaptcha(settings.twocaptcha_api_key.get_secret_value(), server=settings.twocaptcha_server)
    balance = await solver.balance()
    return f"balance {balance}"


async def check_backend(settings: Settings) -> str:
    """FALLBACK_BACKEND: browser-use needs the LLM key; VibeSurf must answer and accept its key."""
    if settings.fallback_backend == "browser-use":
        if settings.llm_api_key is None:
            return "browser-use: off (no LLM_API_KEY) — forms no adapter knows fail with a reason"
        return f"browser-use agent with {settings.llm_model}, at most {settings.agent_max_steps} steps"
    base = settings.vibesurf_url
    assert settings.vibesurf_api_key is not None  # the settings refuse vibesurf without its key
    headers = {"Authorization": f"Bearer {settings.vibesurf_api_key.get_secret_value()}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/health") as response:
            if response.status != 200:
                raise RuntimeError(f"VibeSurf at {base} answered HTTP {response.status} on /health")
        # An unknown task is 404 with the right key and 401 with a wrong one.
        async with session.get(f"{base}/api/tasks/nyx-doctor-probe", headers=headers) as response:
            if response.status in (401, 403):
                raise RuntimeError(f"VibeSurf at {base} refuses VIBESURF_API_KEY (HTTP {response.status})")
    return f"vibesurf at {base} answers and accepts the key"


async def check_webhook(settings: Settings) -> str:
    if settings.webhook_url is None:
        return "off (no WEBHOOK_URL) — the bot polls Telegram for updates"
    return f"on: Telegram posts updates to {settings.webhook_url} (port {settings.http_port})"


CHECKS: list[tuple[str, Callable[[Settings], Awaitable[str]], bool]] = [
    ("token", check_token, True),
    ("database", check_database, True),
    ("redis", check_redis, True),
    ("chrome", check_chrome, True),
    ("llm", check_llm, False),
    ("2captcha", check_twocaptcha, False),
    ("webhook", check_webhook, False),
    ("backend", check_backend, False),
    ("langfuse", check_langfuse, False),
]


async def _one(
    name: str, check: Callable[[Settings], Awaitable[str]], required: bool, settings: Settings
) -> CheckResult:
    try:
        detail = await asyncio.wait_for(check(settings), CHECK_TIMEOUT_S)
        return CheckResult(name, True, detail, required)
    except TimeoutError:
        return CheckResult(name, False, f"no answer within {CHECK_TIMEOUT_S:.0f} s", required)
    except Exception as exc:  # noqa: BLE001 - each failure becomes its line; secrets are never in these messages
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return CheckResult(name, False, reason[:300], required)


async def run_checks(settings: Settings) -> list[CheckResult]:
    return list(await asyncio.gather(*(_one(n, c, r, settings) for n, c, r in CHECKS)))
