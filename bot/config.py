"""Settings: read once from the environment (and `.env`) into one typed object."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from automation.backends import BackendName
from automation.tracing import LangfuseConfig
from storage.errors import NyxError


class SettingsError(NyxError):
    """A setting is missing or malformed; the message names it in one line."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


def _blank_means_unset(values: object) -> object:
    """An empty setting (`TWOCAPTCHA_API_KEY=`, as `.env.example` ships them) is not set: its default applies.

    One rule for every setting and every source (environment, `.env`, keyword arguments), so an empty
    key is never taken for a key and an empty URL never for an address.
    """
    if not isinstance(values, dict):
        return values

    def blank(value: object) -> bool:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return isinstance(value, str) and not value.strip()

    return {name: value for name, value in values.items() if not blank(value)}


class Settings(BaseSettings):
    # env_ignore_empty: `KEY=` in the environment or .env is "not set" before any parsing (Compose hands
    # an empty string for every `${KEY:-}` it lists); _blank_is_unset does the same for keyword arguments.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    _blank_is_unset = model_validator(mode="before")(_blank_means_unset)

    # Telegram
    telegram_bot_token: SecretStr | None = Field(default=None, description="Bot token from @BotFather")
    telegram_api_base: str | None = Field(
        default=None, description="Base URL of a custom Bot API server, e.g. http://localhost:8081"
    )
    allowed_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Comma-separated Telegram user ids allowed to use the bot"
    )

    webhook_url: str | None = Field(
        default=None, description="Public https URL Telegram posts updates to; polling when unset"
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret token Telegram sends with every webhook request (1-256 of A-Z a-z 0-9 _ -)"
    )
    http_host: str = Field(default="127.0.0.1", description="Where the webhook listens (0.0.0.0 in a container)")
    http_port: int | None = Field(default=None, ge=0, le=65535, description="Port of the webhook and the live view")

    # Monitoring: every process's /healthz, /readyz and /metrics, never on the webhook's listener
    metrics_host: str = Field(default="127.0.0.1", description="Where /healthz, /readyz and /metrics listen")
    metrics_port: int | None = Field(default=None, ge=0, le=65535, description="Port of the monitoring listener")
    metrics_token: SecretStr | None = Field(default=None, description="Bearer token /metrics requires when set")

    live_view_base_url: str | None = Field(
        default=None,
        description="Public base URL of the bot's HTTP listener for the live browser view (https: opens inside "
        "Telegram); WEBHOOK_URL's origin when unset; no live view when neither is set",
    )

    # Storage and queue
    database_url: str | None = Field(default=None, description="postgresql://… ; embedded PostgreSQL when unset")
    redis_url: str | None = Field(default=None, description="redis://… ; embedded Redis when unset")
    data_dir: Path = Field(default=Path(".nyx-data"), description="Embedded databases, browser profiles")
    queue_name: str = Field(default="nyx:queue", description="arq queue name")

    # Profile
    profile_file: Path | None = Field(default=None, description="YAML/JSON profile loaded at start-up")

    # LLM (OpenAI-compatible)
    llm_base_url: str = "https://api.x.ai/v1"
    llm_api_key: SecretStr | None = None
    llm_model: str = "grok-4-fast"
    llm_prices: Annotated[dict[str, tuple[Decimal, Decimal]], NoDecode] = Field(
        default_factory=dict,
        description='USD per million tokens, input and output, per model, as JSON: {"grok-4-fast": [0.2, 0.5]}',
    )

    # LLM tracing (Langfuse): on only when all three are set
    langfuse_public_key: str | None = Field(default=None, description="Langfuse project's public key (pk-lf-…)")
    langfuse_secret_key: SecretStr | None = Field(default=None, description="Langfuse project's secret key")
    langfuse_host: str | None = Field(
        default=None, description="Langfuse server, e.g. https://cloud.langfuse.com or your own"
    )

    agent_max_steps: int = Field(default=40, ge=5, le=200, description="Step limit of the generic agent")
    fallback_backend: BackendName = Field(
        default="browser-use",
        description="What fills forms no adapter knows: browser-use (needs LLM_API_KEY) or vibesurf",
    )
    vibesurf_url: str | None = Field(
        default=None, description="Base URL of the VibeSurf service (FALLBACK_BACKEND=vibesurf)"
    )
    vibesurf_api_key: SecretStr | None = Field(default=None, description="Bearer key of the VibeSurf service")

    # CAPTCHA
    twocaptcha_api_key: SecretStr | None = None
    twocaptcha_server: str = Field(
        default="2captcha.com", description="2captcha API host (host or host:port; always https)"
    )
    twocaptcha_polling_seconds: int = Field(
        default=10, ge=1, le=120, description="How often a CAPTCHA sent to 2captcha is checked for its answer"
    )

    # Accounts on job sites that make applicants sign in (Workday): passwords are sealed with this Fernet key
    credentials_key: SecretStr | None = Field(
        default=None,
        description="Fernet key sealing stored job-site passwords; unset: sites that need an account are refused",
    )

    # Browser
    chrome_path: Path | None = Field(default=None, description="Chrome/Chromium executable")
    browser_channel: str | None = Field(default=None, description="chromium, chrome, …")
    headless: bool = False
    max_concurrent_browsers: int = Field(default=1, ge=1, le=16)

    # Timeouts
    review_timeout_minutes: float = Field(default=24 * 60, gt=0, description="How long a review prompt waits")
    park_after_minutes: float = Field(
        default=3,
        ge=0,
        le=24 * 60,
        description="How long a prompt keeps its browser open; then it waits in the database alone and the worker moves on",
    )
    prompt_check_seconds: float = Field(
        default=15.0, gt=0, description="How often a waiting worker re-reads its prompt row"
    )
    digest_check_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often the bot looks for daily digests that are due (and retries failed ones)",
    )

    # Safety
    url_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts allowed although they resolve to private/loopback addresses, on any port (tests, intranets)",
    )

    log_level: str = "INFO"
    log_format: Literal["console", "json"] = Field(
        default="console", description="console, or json (one object a line)"
    )

    _split_ids = field_validator("allowed_user_ids", mode="before")(_split_csv)
    _split_hosts = field_validator("url_allow_hosts", mode="before")(_split_csv)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value()
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or len(secret) < 5:
            raise ValueError("does not look like a bot token (expected <digits>:<secret>)")
        return value

    @field_validator("database_url")
    @classmethod
    def _pg_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        return value or None

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("twocaptcha_server")
    @classmethod
    def _bare_host(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?", value.strip()):
            raise ValueError("must be a bare host name, e.g. 2captcha.com (https is always used)")
        return value.strip()

    @field_validator("llm_prices", mode="before")
    @classmethod
    def _prices_json(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError('must be JSON, e.g. {"grok-4-fast": [0.2, 0.5]}') from None

    @field_validator("llm_prices")
    @classmethod
    def _prices_sane(cls, value: dict[str, tuple[Decimal, Decimal]]) -> dict[str, tuple[Decimal, Decimal]]:
        if any(price < 0 for pair in value.values() for price in pair):
            raise ValueError("prices cannot be negative")
        return value

    @field_validator(
        "llm_base_url", "telegram_api_base", "webhook_url", "vibesurf_url", "live_view_base_url", "langfuse_host"
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value else None

    @field_validator("credentials_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from storage.credentials import CredentialSealer, CredentialsUnavailable

        try:
            CredentialSealer(value.get_secret_value().strip())
        except CredentialsUnavailable as exc:
            raise ValueError(str(exc)) from None
        return SecretStr(value.get_secret_value().strip())

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.webhook_url and (self.webhook_secret is None or self.http_port is None):
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET and HTTP_PORT too")
        return self

    @model_validator(mode="after")
    def _live_view_served(self) -> Settings:
        if self.live_view_base_url and self.http_port is None:
            raise ValueError("LIVE_VIEW_BASE_URL needs HTTP_PORT too (the live view is served on that listener)")
        return self

    @model_validator(mode="after")
    def _listeners_apart(self) -> Settings:
        if self.metrics_port and self.metrics_port == self.http_port:
            raise ValueError("METRICS_PORT must differ from HTTP_PORT (metrics never share the public webhook's port)")
        return self

    @model_validator(mode="after")
    def _vibesurf_complete(self) -> Settings:
        if self.fallback_backend == "vibesurf" and (self.vibesurf_url is None or self.vibesurf_api_key is None):
            raise ValueError("FALLBACK_BACKEND=vibesurf needs VIBESURF_URL and VIBESURF_API_KEY")
        return self

    @model_validator(mode="after")
    def _langfuse_complete(self) -> Settings:
        given = [self.langfuse_public_key, self.langfuse_secret_key, self.langfuse_host]
        if any(v is not None for v in given) and not all(v is not None for v in given):
            raise ValueError("LLM tracing needs all of LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_HOST")
        return self

    @property
    def langfuse(self) -> LangfuseConfig | None:
        """Where LLM calls are traced; None: not traced."""
        if self.langfuse_public_key and self.langfuse_secret_key and self.langfuse_host:
            return LangfuseConfig(self.langfuse_public_key, self.langfuse_secret_key, self.langfuse_host)
        return None

    @property
    def live_view_url(self) -> str | None:
        """Where phones open the live view: LIVE_VIEW_BASE_URL, else the webhook's origin."""
        if self.live_view_base_url:
            return self.live_view_base_url
        if self.webhook_url:
            parts = urlsplit(self.webhook_url)
            return f"{parts.scheme}://{parts.netloc}"
        return None

    @property
    def llm_configured(self) -> bool:
        return self.llm_api_key is not None


def load_settings(*, need_token: bool = True, **overrides: object) -> Settings:
    """Build settings, turning a validation error into one line that names the setting.

    Only `nyx fill` works without a bot token.
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper()
            reason = "is required" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
            lines.append(f"{name} {reason}" if name else reason)
        raise SettingsError("; ".join(lines)) from None
    if need_token and settings.telegram_bot_token is None:
        raise SettingsError("TELEGRAM_BOT_TOKEN is required")
    return settings
